"""``guardpost demo``: the whole chain on one machine, with no hardware and nothing installed.

An embedded MQTT broker, central on SQLite in a temporary data dir with a
seeded registry, and one terminal whose card reader is a PN532 firmware mock on
a pseudo-terminal and whose camera is a mock serving real face images. It plays
the scripted shift of ``demo_script`` and prints what each audience sees.
Only light imports at module level (``guardpost --help`` imports this module);
the stack loads when the demo runs.
"""

from __future__ import annotations

import argparse
import logging
import queue
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.table import format_table
from guardpost.demo_script import SCRIPT, Tap, faces_dir
from guardpost.ports import check_api_port
from protocol.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

    from edge.checkin import CheckinResult
    from guardpost.demo_stack import DemoStack

logger = logging.getLogger(__name__)
TAP_TIMEOUT_S = 15.0
# Pacing of the script: a card is tapped again within a few taps, and the terminal folds
# taps of one card closer than its repeat window into one.
TAP_INTERVAL_S = 0.8


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the demo subcommand."""
    parser = sub.add_parser("demo", help="一键演示 / run the whole chain on this machine")
    parser.add_argument("--once", action="store_true", help="play the script, print the results, exit")
    parser.add_argument("--port", type=int, default=8080, help="dashboard and API port (default 8080)")
    parser.add_argument("--data-dir", type=Path, help="keep data here instead of a temporary folder")
    parser.set_defaults(func=run)


@dataclass(frozen=True, slots=True)
class PlayedTap:
    tap: Tap
    result: CheckinResult


def no_face_frame() -> np.ndarray:
    """An empty corridor: a grey gradient with no face in it."""
    import numpy as np

    ramp = np.linspace(70, 190, 640, dtype=np.uint8)
    return np.repeat(np.tile(ramp, (480, 1))[:, :, None], 3, axis=2)


def _check_data_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"无法创建数据文件夹 / cannot create --data-dir {folder}: {exc.strerror}; choose another"
        ) from exc


def play(stack: DemoStack, results: queue.Queue[CheckinResult]) -> list[PlayedTap]:
    played = []
    for number, tap in enumerate(SCRIPT, start=1):
        if number > 1:
            time.sleep(TAP_INTERVAL_S)
        stack.camera.show(faces_dir() / tap.photo if tap.photo else no_face_frame())
        if tap.finger is not None:
            stack.fingerprint.place(tap.finger)
        else:
            stack.fingerprint.lift()
        stack.reader.tap(tap.card_uid)
        try:
            result = results.get(timeout=TAP_TIMEOUT_S)
        except queue.Empty as exc:
            raise RuntimeError(f"tap {number} ({tap.en}) produced no answer within {TAP_TIMEOUT_S} s") from exc
        print(f"{number:>2}. {tap.zh} / {tap.en}\n    终端显示 / terminal shows: {result.feedback.text}")
        played.append(PlayedTap(tap, result))
    return played


def run(args: argparse.Namespace) -> int:
    check_api_port(args.port)
    if args.data_dir is not None:
        _check_data_dir(args.data_dir)
    # Imported here so that `guardpost --help` does not load the face models' stack.
    from guardpost.demo_report import print_report, verify_outcomes
    from guardpost.demo_stack import DemoStack

    for noisy in (
        "uvicorn.access",
        "amqtt",
        "transitions",
        "edge.uplink",
        "central.checkins.ingest",
        "central.requests",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="guardpost-demo-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        results: queue.Queue[CheckinResult] = queue.Queue()
        with DemoStack(data_dir, api_port=args.port, on_feedback=results.put) as stack:
            print(f"演示已启动 / demo running: MQTT 127.0.0.1:{stack.mqtt.port}, data in {data_dir}\n")
            played = play(stack, results)
            stack.wait_delivered()
            problems = verify_outcomes(stack.api_url, [(p.tap, p.result) for p in played])
            print_report(stack.api_url, stack.police_alerts())
            if problems:
                print("\n与预期不符 / NOT as expected:\n" + format_table(problems))
                return 1
            print("\n全部结果与预期一致 / every tap gave the expected result")
            if args.once:
                return 0
            print(f"\n仪表盘 / dashboard: {stack.api_url}/   API: {stack.api_url}/docs   (Ctrl-C 退出 / to stop)")
            print(
                "演示账号 / demo accounts: admin/admin-demo 管理员 administrator · police/police-demo 公安 police · "
                "police-lead/police-lead-demo 值班领导 police supervisor · "
                "pingan/pingan-demo 保安公司 security company · jinxiu/jinxiu-demo 物业 property firm"
            )
            stack.wait_forever()
    return 0
