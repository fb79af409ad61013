"""``guardpost terminal``: run one site terminal."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the terminal's subcommands."""
