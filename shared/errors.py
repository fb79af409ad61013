"""Errors of the shared code, in a module with no imports, so that a command can catch them without loading it."""


class FaceModelError(RuntimeError):
    """A face model is missing, fails its checksum, or does not load."""
