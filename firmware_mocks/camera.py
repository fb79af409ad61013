"""Mock camera: serves real face images as HTTP snapshots, like an IP camera's snapshot URL."""

from __future__ import annotations

import argparse


def register(mocks: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``mock camera``."""
