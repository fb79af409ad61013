"""``guardpost mock``: firmware mocks of readers and the camera."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the central service's subcommands."""
