"""The software's version: what ``guardpost --version`` prints and terminals report in their status.

Kept here, in a module with no imports, so that terminals and the command line
read one string without importing each other. It matches ``project.version``
in pyproject.toml (tests/test_cli_startup.py checks).
"""

__version__ = "0.2.0"
