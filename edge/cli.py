"""``guardpost terminal``: run one site terminal; ``guardpost fingerprint enrol``: a guard's finger to central.

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
    """Add ``terminal`` and ``fingerprint``."""
    _register_terminal(sub)
    _register_fingerprint(sub)


def _register_terminal(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    from shared.systemd import notify

    settings = load_settings(TerminalSettings, args.config)
    check_files(settings)
    try:
        terminal = Terminal(settings)
    except (OSError, EdgeError) as exc:  # data_dir not writable, camera, face models, enrolment or watchlist file
        raise ConfigError(f"无法启动终端 / cannot start the terminal: {exc}; check the settings it names") from exc

    def _stop(signum: int, frame: FrameType | None) -> None:
        notify("STOPPING=1")
        terminal.stop()

    signal.signal(signal.SIGTERM, _stop)
    terminal.start()
    notify("READY=1")  # systemd (Type=notify): the reader loop runs; it feeds the watchdog from here on
    print(f"终端 {settings.terminal_id} 已启动 / terminal {settings.terminal_id} running; Ctrl-C to stop")
    try:
        terminal.wait()
    except KeyboardInterrupt:
        terminal.stop()
    return 0


def _register_fingerprint(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("fingerprint", help="指纹登记 / enrol a guard's finger at a module and send it to central")
    actions = parser.add_subparsers(dest="fingerprint_action", required=True, metavar="ACTION")
    enrol = actions.add_parser(
        "enrol", help="按、抬、再按，模板送中心 / press, lift, press again; the template to central"
    )
    enrol.add_argument("--port", required=True, help="the module's serial port (device path, pty or pyserial URL)")
    enrol.add_argument("--guard", required=True, help="guard id as registered at central")
    enrol.add_argument("--finger", type=int, default=1, choices=range(10), help="0 right thumb ... 9 left little")
    enrol.add_argument("--central", required=True, help="central's URL, e.g. https://central.example.org")
    enrol.add_argument("--wait", type=float, default=15.0, help="seconds to wait at each step")
    enrol.set_defaults(func=_enrol_finger)


def _enrol_finger(args: argparse.Namespace) -> int:
    import os

    from edge.drivers.fingerprint import FingerprintConfig, FingerprintReader
    from edge.errors import FingerprintError
    from edge.fingerprint_enrol import EnrolmentRefused, capture_finger, send_to_central
    from protocol.errors import ConfigError

    api_key = os.environ.get("GUARDPOST_API_KEY")
    if not api_key:
        raise ConfigError(
            "未设置 GUARDPOST_API_KEY / set GUARDPOST_API_KEY to an administrator's or the employer's key"
        )
    try:
        with FingerprintReader(FingerprintConfig(port=args.port)) as driver:
            template = capture_finger(driver, lambda zh, en: print(f"{zh} / {en}", flush=True), args.wait)
        answer = send_to_central(args.central, api_key, args.guard, args.finger, template)
    except (FingerprintError, EnrolmentRefused) as exc:
        print(f"登记失败 / not enrolled: {exc}")
        return 1
    print(f"已登记 / enrolled: {args.guard} finger {args.finger} ({answer.get('fingers')} fingers on file)")
    return 0
