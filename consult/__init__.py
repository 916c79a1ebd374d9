"""consult: run a public-policy consultation end to end."""
