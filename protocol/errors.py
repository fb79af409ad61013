"""ConfigError: a setting, file or port given to a command that cannot be used.

No imports, so that the command line catches it without loading pydantic:
``guardpost`` prints its message as it is on stderr, without a traceback, and
exits with EXIT_CONFIG. protocol.settings raises it for settings that do not validate.
"""

EXIT_CONFIG = 2


class ConfigError(ValueError):
    """Settings that cannot be used; the message names each offending key or file, and the fix."""
