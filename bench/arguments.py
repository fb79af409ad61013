"""Each benchmark's command-line arguments and their defaults, with the standard library only.

``guardpost bench --help`` and ``guardpost bench NAME --help`` read them without
importing the benchmarks (OpenCV, faiss, SQLAlchemy, psycopg); ``bench/<name>.py``
is imported only to run, through its ``run(args) -> list[dict[str, object]]``.
A new benchmark adds its module, its arguments here and its row in BENCHMARKS.
A benchmark raises ConfigError for an argument it cannot use (exit 2, one line).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from edge.reader_kinds import READER_KINDS
from protocol.errors import ConfigError

# The shared data folder beside a checkout; GUARDPOST_ORL_DIR or --orl elsewhere.
DEFAULT_ORL = os.environ.get("GUARDPOST_ORL_DIR", str(Path(__file__).resolve().parents[2] / "shared/data/faces/orl"))
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
# The families bench.checkin can tap: it has a card-uid format for each.
CHECKIN_READERS = ("pn532", "em4100")


def require_orl(folder: Path) -> None:
    """Raise ConfigError unless ``folder`` holds the ORL faces (s1 ... s40)."""
    if not (folder / "s1" / "1.pgm").is_file():
        raise ConfigError(f"ORL 人脸库不存在 / ORL faces not found at {folder}: give --orl or GUARDPOST_ORL_DIR")


def checkin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="0,10000,100000,1000000", help="watchlist sizes, comma-separated")
    parser.add_argument("--taps", type=int, default=40, help="measured taps per size (after 3 warm-up taps)")
    parser.add_argument("--reader", choices=CHECKIN_READERS, default="pn532")
    parser.add_argument("--roster", type=int, default=0, help="card holders found on a roster of N guards")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--orl", type=Path, default=Path(DEFAULT_ORL), help="ORL directory (s1..s40)")


def city(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guards", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=None, help="default: guards / 10")
    parser.add_argument("--terminals", type=int, default=None, help="default: sites / 2")
    parser.add_argument("--month", default="2026-11", help="the month seeded (YYYY-MM)")
    parser.add_argument("--days", type=int, default=30, help="days of check-ins from the month's first")
    parser.add_argument("--samples", type=int, default=5, help="companies, sites, stations timed per query")
    parser.add_argument("--repeat", type=int, default=2, help="calls per company, site or station")
    parser.add_argument(
        "--server",
        default=os.environ.get("GUARDPOST_TEST_PG", DEFAULT_PG),
        help="PostgreSQL server to create the city's database on (default: $GUARDPOST_TEST_PG or %(default)s)",
    )
    parser.add_argument("--database-url", default=None, help="seed into this empty database (with --no-seed: time it)")
    parser.add_argument("--no-seed", action="store_true", help="time a city seeded before (needs --database-url)")
    parser.add_argument("--drop", action="store_true", help="drop the database created on --server afterwards")


def face_accuracy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orl", type=Path, default=Path(DEFAULT_ORL), help="ORL directory (s1..s40)")
    parser.add_argument("--protocol", choices=["x2", "raw", "both"], default="both")
    parser.add_argument("--verify-threshold", type=float, default=None, help="default: the calibrated one")
    parser.add_argument("--watchlist-threshold", type=float, default=None, help="default: the calibrated one")
    parser.add_argument("--gallery-shots", type=int, default=3, help="images enrolled per wanted person")


def fingerprint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=50, help="测量次数 / measured rounds per operation")
    parser.add_argument("--packet-size", type=int, choices=(32, 64, 128, 256), default=128, help="data packet bytes")
    parser.add_argument("--baud", type=int, default=57600, help="UART speed for the modelled line time (uart_ms)")


def ingest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--terminals", type=int, default=10, help="simulated terminals")
    parser.add_argument("--events", type=int, default=20_000, help="events per measured run (all terminals)")
    parser.add_argument("--window", type=int, default=200, help="unconfirmed events per terminal")
    parser.add_argument("--photos", choices=["both", "with", "without"], default="both")
    parser.add_argument("--photo-store", choices=["files", "database"], default="files", help="central's photo store")
    parser.add_argument(
        "--workers", default="1", help="central processes sharing the subscription, comma-separated (e.g. 1,2)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("GUARDPOST_TEST_PG", DEFAULT_PG),
        help="PostgreSQL server to create a throw-away database on (default: $GUARDPOST_TEST_PG or %(default)s)",
    )


def pages(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sites", type=int, default=200, help="场所数 / sites of the seeded month")
    parser.add_argument("--guards-per-site", type=int, default=10, help="保安员/场所 / guards per site")
    parser.add_argument("--rounds", type=int, default=20, help="测量次数 / measured requests per page")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("GUARDPOST_TEST_PG", DEFAULT_PG),
        help="PostgreSQL server to create a throw-away database on (default: $GUARDPOST_TEST_PG or %(default)s)",
    )


def reader(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--taps", type=int, default=30, help="刷卡次数 / taps per family for latency")
    parser.add_argument("--chunk", type=int, default=64, help="bytes per decode() call, as a port delivers them")
    parser.add_argument("--family", choices=READER_KINDS, action="append", help="only these families")


def rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guards", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=2000, help="taps per measurement")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp directory")
    parser.add_argument("--seed", type=int, default=0)


def watchlist(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=100_000, help="entries in the list")
    parser.add_argument(
        "--index",
        choices=["auto", "exact", "ivf"],
        default="auto",
        help="auto: what a terminal picks for the size (exact for small lists, else IVF-PQ4 re-ranked exactly)",
    )
    parser.add_argument("--queries", type=int, default=1000, help="synthetic searches for recall@1")
    parser.add_argument("--threshold", type=float, default=None, help="default: the calibrated watchlist threshold")
    parser.add_argument(
        "--isotropic", type=float, default=0.7, help="share of isotropic spread in the synthetic templates' covariance"
    )
    parser.add_argument("--orl", type=Path, default=Path(DEFAULT_ORL), help="ORL directory (s1..s40), planted mates")
    parser.add_argument(
        "--probe-fractions", default="", help="also measure the IVF index probing these shares, e.g. 0.02,0.08"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-load", action="store_true", help="skip the save / load-in-a-fresh-process memory figures")


# name -> (help: the first line of bench/<name>'s docstring, its arguments)
BENCHMARKS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "checkin": ("Check-in, card read to decision: p50/p95/max per watchlist size, and where the time goes.", checkin),
    "city": (
        "A city's month in PostgreSQL: seed 100,000 guards and a month of taps, then time the pages' reads (p50/p95).",
        city,
    ),
    "face_accuracy": (
        "Face accuracy on ORL: FMR/FNMR (1:1) and FPIR/FNIR (watchlist) at the calibrated thresholds.",
        face_accuracy,
    ),
    "fingerprint": (
        "Fingerprint module: template upload and download, and 1:1 match time, through the pty mock (median/p95).",
        fingerprint,
    ),
    "ingest": (
        "Ingest throughput: N simulated terminals -> Mosquitto -> central -> PostgreSQL, receipted end to end.",
        ingest,
    ),
    "pages": (
        "Pages and their APIs on a seeded month: p50/p95/max per page and reader, as a browser asks for them.",
        pages,
    ),
    "reader": ("Card readers: frames decoded per second (pure decode) and tap-to-read latency through a pty.", reader),
    "rules": (
        "Rule evaluation: evaluations per second on a large registry, and the rules' share of ingest time.",
        rules,
    ),
    "watchlist": (
        "Watchlist search: latency p50/p95, genuine-mate recall and FPIR with ORL mates, index memory, load time.",
        watchlist,
    ),
}
