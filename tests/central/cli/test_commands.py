"""Central's commands: the lists their parsers offer are the registry's, and --config goes anywhere."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from central.cli import IMPORT_KINDS, RECORD_KINDS
from central.db.sealing import new_key
from central.registry.import_specs import SPECS
from central.registry.resources import RESOURCES
from guardpost.cli import build_parser
from tests import ROOT
from tests.fixtures.brokers import free_port


def test_the_parsers_offer_the_registrys_kinds() -> None:
    assert set(IMPORT_KINDS) == set(SPECS)
    assert set(RECORD_KINDS) == set(RESOURCES)


@pytest.mark.parametrize(
    "argv",
    [
        ["central", "--config", "c.toml", "seed-demo"],
        ["central", "seed-demo", "--config", "c.toml"],
        ["registry", "--config", "c.toml", "import", "guards", "g.csv"],
        ["registry", "import", "guards", "g.csv", "--config", "c.toml"],
        ["watchlist", "--config", "c.toml", "push"],
        ["watchlist", "push", "--config", "c.toml"],
    ],
)
def test_config_is_accepted_before_or_after_the_action(argv: list[str]) -> None:
    assert str(build_parser().parse_args(argv).config) == "c.toml"


def test_without_config_the_environment_alone_applies() -> None:
    assert build_parser().parse_args(["registry", "list", "guards"]).config is None


def _central(tmp_path: Path, toml: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``guardpost central`` in its own interpreter: what a user sees, exit code and all."""
    return _command(tmp_path, toml, "central", *args)


def _command(tmp_path: Path, toml: str, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "central.toml"
    config.write_text(f"data_dir = '{tmp_path.as_posix()}'\n{toml}", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARDPOST_CENTRAL_")}
    return subprocess.run(
        [sys.executable, "-m", "guardpost", command, "--config", str(config), *args],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("", "id_protection.key"),  # not demo mode, no key
        ("[access]\ndemo = true\n[mqtt]\ntls = true\nca_file = '/nonexistent/ca.pem'\n", "/nonexistent/ca.pem"),
        ("[access]\ndemo = true\n", "guardpost central seed-demo"),  # demo mode on a database without the demo registry
        ("[access]\nbootstrap_admin_password = 'admin'\n[id_protection]\nkey = 'KEY'\n", "bootstrap_admin_password"),
    ],
    ids=["no-id-key", "ca-file-missing", "demo-without-registry", "placeholder-password"],
)
def test_configuration_errors_are_one_line_and_exit_2(tmp_path: Path, toml: str, named: str) -> None:
    port = free_port()
    result = _central(tmp_path, toml.replace("KEY", new_key()) + f"[api]\nport = {port}\n")
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("guardpost central:")]


def test_a_busy_port_is_named_with_the_setting_that_moves_it(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _central(tmp_path, f"[access]\ndemo = true\n[api]\nport = {port}\n")
    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert "GUARDPOST_CENTRAL_API__PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_newer_than_the_software_is_refused(tmp_path: Path) -> None:
    from sqlalchemy import text

    from central.db.engine import make_engine
    from central.schema import create_db

    engine = make_engine(f"sqlite:///{tmp_path / 'central.sqlite3'}")
    create_db(engine)
    with engine.begin() as connection:  # as a later release would leave it
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    toml = f"[access]\ndemo = true\n[api]\nport = {free_port()}\n"
    for command, args in (("central", ()), ("registry", ("db", "upgrade"))):
        result = _command(tmp_path, toml, command, *args)
        assert result.returncode == 2, result.stderr
        assert "数据库比本程序新" in result.stderr
        assert "9999" in result.stderr
        assert "Traceback" not in result.stderr


def test_central_tells_systemd_it_is_ready_once_it_listens_then_feeds_the_watchdog(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    from tests.fixtures.notify import under_systemd

    port = free_port()
    config = tmp_path / "central.toml"
    config.write_text(
        f"data_dir = '{tmp_path.as_posix()}'\n[api]\nport = {port}\n[mqtt]\nport = {free_port()}\n"
        f"[id_protection]\nkey = '{new_key()}'\n",
        encoding="utf-8",
    )
    with under_systemd(tmp_path, "central", config, watchdog_s=2) as (systemd, process):
        assert systemd.recv(4096) == b"READY=1"
        with pytest.raises(urllib.error.HTTPError) as answer:  # listening: 503 as the broker is absent on purpose
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=60)  # noqa: S310
        assert answer.value.code == 503
        assert systemd.recv(4096) == b"WATCHDOG=1"
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    # uvicorn re-raises SIGTERM after a clean shutdown; systemd counts that exit as a clean stop.
    assert process.returncode in (0, -15), stderr
    assert "Application shutdown complete" in stderr
