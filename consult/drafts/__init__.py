"""Draft documents of a consultation: versions uploaded as Markdown or Word, split into sections."""
