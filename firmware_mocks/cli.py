"""``guardpost mock``: firmware mocks of the card readers, the fingerprint module and the camera.

The arguments are declared here with the standard library only, because
``guardpost --help`` imports this module; each mock's code (pty, OpenCV) loads
when its command runs: ``firmware_mocks.readers.cli``, ``firmware_mocks.fingerprint.cli``
and ``firmware_mocks.camera``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# firmware_mocks.readers.MOCK_KINDS, spelled out to keep this module light; the mocks
# import nothing of the drivers they stand in for (tests/test_drivers_registry.py checks both agree).
READER_KINDS: tuple[str, ...] = ("pn532", "em4100", "ascii", "wiegand", "resident_id")
PACKET_SIZES = (32, 64, 128, 256)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``mock reader KIND``, ``mock fingerprint`` and ``mock camera``."""
    parser = sub.add_parser("mock", help="固件模拟器 / firmware mocks (readers, fingerprint module, camera)")
    mocks = parser.add_subparsers(dest="mock_kind", required=True, metavar="DEVICE")
    _add_reader(mocks)
    _add_fingerprint(mocks)
    _add_camera(mocks)


def _add_reader(mocks: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = mocks.add_parser("reader", help="模拟读卡器 / a card reader speaking real bytes on a pty")
    parser.add_argument("kind", choices=READER_KINDS, help="读卡器类型 / reader family")
    parser.add_argument("--link", required=True, help="伪终端链接路径 / symlink to the pty, for the driver")
    parser.add_argument("--taps", type=Path, help="卡号文件 / card ids, one per line (default: stdin)")
    parser.add_argument("--interval", type=float, default=1.0, help="刷卡间隔秒 / seconds between file taps")
    parser.add_argument(
        "--variant",
        help="设备型号 / device variant: em4100 rdm6300 (default) or id12 (CR LF before ETX); "
        "resident_id standard (default) or lowercase-x (ID numbers ending in x)",
    )
    parser.set_defaults(func=_run_reader)


def _add_fingerprint(mocks: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = mocks.add_parser("fingerprint", help="模拟指纹模块 / an R30x/AS608 fingerprint module on a pty")
    parser.add_argument("--link", required=True, help="伪终端链接路径 / symlink to the pty, for the driver")
    parser.add_argument("--script", type=Path, help="脚本文件 / place F1, lift, enrol F1 PAGE, ... (default: stdin)")
    parser.add_argument("--capacity", type=int, default=300, help="指纹库容量 / library pages")
    parser.add_argument("--password", type=_number, default=0, help="模块口令 / module password (e.g. 0x1234)")
    parser.add_argument("--address", type=_number, default=0xFFFFFFFF, help="模块地址 / module address")
    parser.add_argument("--packet-size", type=int, choices=PACKET_SIZES, default=128, help="数据包大小 / bytes")
    parser.set_defaults(func=_run_fingerprint)


def _number(text: str) -> int:
    """Decimal or 0x-prefixed hexadecimal."""
    return int(text, 0)


def _add_camera(mocks: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = mocks.add_parser("camera", help="模拟摄像头 / mock snapshot camera serving images from a folder")
    parser.add_argument("--images", type=Path, required=True, help="folder of face images, served in turn")
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--raw", action="store_true", help="serve images as they are, not placed on a 640x480 frame")
    parser.set_defaults(func=_run_camera)


def _run_reader(args: argparse.Namespace) -> int:
    from firmware_mocks.readers.cli import run

    return run(args)


def _run_fingerprint(args: argparse.Namespace) -> int:
    from firmware_mocks.fingerprint.cli import run

    return run(args)


def _run_camera(args: argparse.Namespace) -> int:
    from firmware_mocks.camera import run

    return run(args)
