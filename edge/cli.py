"""``guardpost terminal``: run one site terminal.

Only the standard library at module level: ``guardpost --help`` imports this
module, and the terminal's stack (pydantic, OpenCV, paho) loads when it runs.
"""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path
from types import FrameType

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``terminal``."""
    parser = sub.add_parser(
        "terminal",
        help="运行现场终端 / run one site terminal",
        description="Run one site terminal: card reader, camera, face checks, outbox, MQTT uplink.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML 配置文件 / TOML settings file: start from examples/terminal.toml, keys in "
        "docs/configuration.md; GUARDPOST_TERMINAL_* variables override it (nested keys with __)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from edge.config import TerminalSettings, check_files
    from edge.errors import EdgeError
    from edge.terminal import Terminal
    from protocol.errors import ConfigError
    from protocol.settings import load_settings

    settings = load_settings(TerminalSettings, args.config)
    check_files(settings)
    try:
        terminal = Terminal(settings)
    except (OSError, EdgeError) as exc:  # data_dir not writable, camera, face models, enrolment or watchlist file
        raise ConfigError(f"无法启动终端 / cannot start the terminal: {exc}; check the settings it names") from exc

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
