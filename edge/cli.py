"""``guardpost terminal``: run one site terminal.

Only the standard library at module level: ``guardpost --help`` imports this
module, and the terminal's stack (pydantic, OpenCV, paho) loads when it runs.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``terminal``."""
    parser = sub.add_parser("terminal", help="运行现场终端 / run one site terminal")
    parser.add_argument("--config", type=Path, help="TOML file (see docs/configuration.md); env GUARDPOST_TERMINAL_*")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from edge.config import TerminalSettings
    from edge.terminal import Terminal
    from protocol.settings import ConfigError, load_settings

    try:
        settings = load_settings(TerminalSettings, args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    terminal = Terminal(settings)

    def _stop(signum: int, frame: FrameType | None) -> None:
        terminal.stop()

    signal.signal(signal.SIGTERM, _stop)
    terminal.start()
    print(f"终端 {settings.terminal_id} 已启动 / terminal {settings.terminal_id} running; Ctrl-C to stop")
    try:
        terminal.wait()
    except KeyboardInterrupt:
        terminal.stop()
    return 0
