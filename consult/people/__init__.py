"""A stakeholder's own page behind the link in every email's footer (``/p/{token}``)."""
