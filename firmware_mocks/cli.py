"""``guardpost mock``: firmware mocks of the card readers and of the camera."""

from __future__ import annotations

import argparse

from firmware_mocks import camera
from firmware_mocks.readers import cli as readers


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``mock reader KIND`` and ``mock camera``."""
    parser = sub.add_parser("mock", help="固件模拟器 / firmware mocks (readers on a pty, camera)")
    mocks = parser.add_subparsers(dest="mock_kind", required=True, metavar="DEVICE")
    readers.register(mocks)
    camera.register(mocks)
