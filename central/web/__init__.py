"""The dashboard's templates, static files and messages (Chinese first, English on request)."""
