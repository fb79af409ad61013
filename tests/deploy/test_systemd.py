"""``deploy/systemd/``: each unit passes ``systemd-analyze verify``, runs commands guardpost accepts, is hardened.

The units name the installed program ``/opt/guardpost/bin/guardpost``;
``systemd-analyze verify`` checks that an ``ExecStart`` program exists, so the
copies it verifies name this checkout's instead (nothing else is rewritten).
"""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from guardpost.cli import build_parser
from tests import ROOT

UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/guardpost/bin/guardpost"
SERVICES = sorted(p.name for p in UNITS.glob("*.service"))
LONG_RUNNING = ["guardpost-central@.service", "guardpost-terminal.service"]


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    return parser


def _values(name: str, key: str) -> list[str]:
    """Every value of ``key`` (systemd allows a key more than once; configparser keeps only the last)."""
    lines = (UNITS / name).read_text(encoding="utf-8").splitlines()
    return [line.split("=", 1)[1] for line in lines if line.startswith(f"{key}=")]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed (apt-get install systemd)"
)
@pytest.mark.parametrize("name", sorted(p.name for p in UNITS.glob("*.service")) + ["guardpost-backup.timer"])
def test_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    program = Path(sys.executable).with_name("guardpost")
    text = (UNITS / name).read_text(encoding="utf-8").replace(INSTALLED, str(program))
    (tmp_path / name).write_text(text, encoding="utf-8")
    if name.endswith(".timer"):  # a timer is verified with the service it starts
        service = name.replace(".timer", ".service")
        (tmp_path / service).write_text((UNITS / service).read_text(encoding="utf-8").replace(INSTALLED, str(program)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / name)],  # noqa: S607
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # A value systemd cannot parse is only a warning ("…, ignoring"): any output is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_a_command_guardpost_accepts(name: str) -> None:
    command = _values(name, "ExecStart")[0]
    argv = shlex.split(command)
    if argv[:2] == ["/bin/sh", "-c"]:  # the backup names its directory by the date
        argv = shlex.split(argv[2].replace("$(", "").replace(")", ""))[1:]
    assert argv[0] == INSTALLED
    args = build_parser(argv[1:]).parse_args(argv[1:])
    assert str(args.config) == "/etc/guardpost/" + ("terminal.toml" if "terminal" in name else "central.toml")


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_confined(name: str) -> None:
    service = _unit(name)["Service"]
    expected = {"User": "guardpost", "Group": "guardpost", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
                "PrivateTmp": "yes", "ProtectHome": "yes", "CapabilityBoundingSet": ""}  # fmt: skip
    assert {key: service.get(key) for key in expected} == expected
    state = service["StateDirectory"]
    assert f"/var/lib/{state}" in _values(name, "ReadWritePaths") or name == "guardpost-backup.service"
    assert service["ConfigurationDirectory"] == "guardpost"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_notify_and_restart_on_failure_but_not_on_a_configuration_error(name: str) -> None:
    service = _unit(name)["Service"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"  # guardpost's exit code for a wrong setting
    # READY=1 and WATCHDOG=1 come from shared/systemd.py (tests/edge/test_terminal_systemd.py and
    # tests/central/cli/test_commands.py start both programs under a stand-in notification socket).
    assert (service["Type"], service["NotifyAccess"], service["WatchdogSec"]) == ("notify", "main", "60s")


def test_the_terminal_reaches_serial_ports_and_cameras_only() -> None:
    service = _unit("guardpost-terminal.service")["Service"]
    assert service["SupplementaryGroups"].split() == ["dialout", "video"]
    assert service["DevicePolicy"] == "closed"
    assert {v.split()[0] for v in _values("guardpost-terminal.service", "DeviceAllow")} == {
        "char-ttyS", "char-ttyUSB", "char-ttyACM", "char-video4linux"
    }  # fmt: skip


def test_each_central_worker_has_its_own_port_and_client_id() -> None:
    environment = _values("guardpost-central@.service", "Environment")
    assert "GUARDPOST_CENTRAL_API__PORT=%i" in environment
    assert "GUARDPOST_CENTRAL_CLIENT_ID=guardpost-central-%H-%i" in environment
