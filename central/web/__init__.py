"""The dashboard: pages per audience, templates, static files, messages (Chinese first, English on request)."""
