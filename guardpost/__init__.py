"""guardpost: the command line and the one-command demo."""

__version__ = "0.1.0"
