"""``guardpost demo``: the whole chain on one machine."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the demo subcommand."""
