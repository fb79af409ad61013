"""guardpost: the command line and the one-command demo."""

from protocol.version import __version__

__all__ = ["__version__"]
