"""``guardpost --help`` and each command's help start without the heavy libraries.

Each case runs in a fresh interpreter, builds the parser, prints the help and
reports which of the heavy modules were imported. Speed is not asserted here;
what is imported decides it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from bench.arguments import BENCHMARKS
from guardpost.cli import COMMANDS, build_parser
from guardpost.demo_script import faces_dir
from protocol.version import __version__
from tests import ROOT

HEAVY = (
    "cv2", "onnx", "faiss", "numpy", "fastapi", "starlette", "sqlalchemy", "sqlmodel", "uvicorn", "amqtt",
    "paho", "pydantic", "pydantic_settings", "cryptography", "openpyxl", "rich", "serial", "psycopg", "alembic",
)  # fmt: skip
CENTRAL_COMMANDS = ("central", "registry", "watchlist", "report")

# Runs ``guardpost ARGV`` in a fresh interpreter (its output to stderr) and prints which of
# the modules FORBIDDEN it imported. SETUP runs first, e.g. to leave commands out.
PROBE = """
import contextlib, json, sys
import guardpost.cli
argv, forbidden, setup = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
exec(setup)
with contextlib.redirect_stdout(sys.stderr):
    try:
        guardpost.cli.main(argv)
    except SystemExit:
        pass
print(json.dumps(sorted(name for name in forbidden if name in sys.modules)))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def probe(argv: list[str], forbidden: tuple[str, ...], setup: str = "") -> tuple[list[str], str]:
    """(the forbidden modules imported by ``guardpost ARGV``, what it wrote to stderr)."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(forbidden), setup],
        capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120, check=True,
    )  # fmt: skip
    found: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return found, proc.stderr


def heavy_imports(argv: list[str], forbidden: tuple[str, ...] = HEAVY, setup: str = "") -> list[str]:
    return probe(argv, forbidden, setup)[0]


LIGHT_HELP = [
    ["terminal"],
    ["cards"],
    ["face"],
    ["face", "enroll"],
    ["face", "verify"],
    ["face", "search"],
    ["face", "watchlist-add"],
    ["mock"],
    ["mock", "reader"],
    ["mock", "fingerprint"],
    ["mock", "camera"],
    ["bench"],
    *(["bench", name] for name in BENCHMARKS),
    ["demo"],
]


@pytest.mark.parametrize("command", LIGHT_HELP, ids=" ".join)
def test_command_help_imports_no_heavy_library(command: list[str]) -> None:
    assert heavy_imports([*command, "--help"], (*HEAVY, "central")) == []


CENTRAL_HELP = [
    [],
    *([name] for name in CENTRAL_COMMANDS),
    ["central", "seed-demo"],
    ["registry", "import"],
    ["registry", "db"],
    ["watchlist", "push"],
    ["report", "monthly"],
    ["registry", "check"],
]


@pytest.mark.parametrize("command", CENTRAL_HELP, ids=lambda c: " ".join(c) or "guardpost")
def test_help_with_central_imports_no_heavy_library(command: list[str]) -> None:
    assert heavy_imports([*command, "--help"]) == []


def test_every_command_but_central_registers_without_heavy_libraries() -> None:
    """The top-level help, less central's commands: what stays light while central is not."""
    setup = f"for name in {CENTRAL_COMMANDS!r}: del guardpost.cli.COMMANDS[name]"
    assert heavy_imports(["--help"], (*HEAVY, "central"), setup) == []


def test_version_is_printed() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "guardpost", "--version"], capture_output=True, text=True, cwd=ROOT, env=_env()
    )
    assert proc.stdout.strip() == f"guardpost {__version__}"


def test_commands_table_names_every_registered_command() -> None:
    subparsers = build_parser()._subparsers
    assert subparsers is not None
    registered = {name for action in subparsers._group_actions for name in getattr(action, "choices", None) or {}}
    assert registered == set(COMMANDS)


def test_the_version_is_the_projects() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__


def test_face_verify_loads_the_models_once_and_nothing_of_central() -> None:
    """``guardpost face verify A B``: the face stack only, its models loaded once."""
    photos = [str(faces_dir() / "s1" / f"{shot}.pgm") for shot in (1, 2)]
    rest_of_project = ("central", "fastapi", "starlette", "sqlalchemy", "sqlmodel", "uvicorn", "paho", "amqtt")
    found, stderr = probe(["face", "verify", *photos], rest_of_project)
    assert found == []
    assert stderr.count("face models loaded") == 1
    assert "same person" in stderr  # the verdict (stdout goes to stderr in the probe)
