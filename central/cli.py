"""``guardpost central``: the central service (API + ingest)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the central service's subcommands."""
