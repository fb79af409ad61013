"""Fault 6: the broker refuses what the ACL forbids; the production configuration is what is tested.

The broker runs deploy/mosquitto/mosquitto.conf with its paths pointed into the
test's directory, deploy/mosquitto/acl as it ships, a throw-away CA made with
openssl, and terminal accounts made by scripts/provision-terminal. The allowed
path (terminal -> central -> receipt) must work through it; a terminal
publishing on another terminal's topic or forging its own receipt, an
anonymous client and a wrong password must be refused, and nothing refused may
reach central.
"""

from __future__ import annotations

import getpass
import re
import subprocess
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.checkins.models import Checkin, DeadLetter
from protocol.mqtt import MqttSettings, create_client
from protocol.topics import event_topic, police_alert_topic, receipt_topic
from tests import ROOT
from tests.fixtures.brokers import PrivateMosquitto
from tests.fixtures.central import add_terminal, make_event, wanted_hit
from tests.fixtures.delivery import CentralUnderTest, TerminalUnderTest, assert_delivered

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres]

DEPLOY = ROOT / "deploy" / "mosquitto"
CENTRAL, POLICE = "guardpost-central", "police-110105-WJ"
NOT_AUTHORIZED = 135  # MQTT 5 reason code 0x87


def _make_ca(directory: Path) -> Path:
    """A throw-away CA and a server certificate for 127.0.0.1; returns the CA certificate."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (directory / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for args in (
        ["req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=guardpost-test-ca", "-days", "1"],
        ["req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.crt", "-days", "1", "-extfile", "san.cnf"],
    ):  # fmt: skip
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    return directory / "ca.crt"


def _test_config(directory: Path) -> str:
    """deploy/mosquitto/mosquitto.conf with ports, paths, user and log pointed at the test."""
    replacements = {
        r"listener 8883": "listener {port} 127.0.0.1",
        r"(cafile|certfile|keyfile) /etc/mosquitto/certs/(ca|server)\.(crt|key)": None,
        r"password_file \S+": f"password_file {directory}/passwd",
        r"acl_file \S+": f"acl_file {DEPLOY / 'acl'}",
        r"persistence_location \S+": "persistence_location {workdir}/",
        r"user mosquitto": f"user {getpass.getuser()}",
        r"log_dest syslog": "log_dest stderr",
    }
    config = (DEPLOY / "mosquitto.conf").read_text()
    for pattern, replacement in replacements.items():
        assert re.search(rf"^{pattern}$", config, re.M), f"deploy config has no line {pattern!r}"
        config = re.sub(
            rf"^{pattern}$",
            replacement or (lambda m: f"{m.group(1)} {directory}/{m.group(2)}.{m.group(3)}"),
            config,
            flags=re.M,
        )
    return config


def _provision(password_file: Path, terminal_id: str) -> str:
    """Run scripts/provision-terminal; returns the password it printed."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "provision-terminal"), "--password-file", str(password_file), terminal_id],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert f'username = "{terminal_id}"' in out
    match = re.search(r"^GUARDPOST_TERMINAL_MQTT__PASSWORD=(\S+)$", out, re.M)
    assert match, out
    return match.group(1)


def _add_account(password_file: Path, username: str) -> str:
    password = uuid.uuid4().hex
    subprocess.run(["mosquitto_passwd", "-b", str(password_file), username, password], check=True)
    return password


@dataclass
class Probe:
    """A raw MQTT 5 client over TLS recording what the broker answers."""

    client: mqtt.Client
    connack: ReasonCode | None = None
    disconnects: list[int] = field(default_factory=list)
    pubacks: dict[int, int] = field(default_factory=dict)
    subacks: list[int] = field(default_factory=list)
    received: list[mqtt.MQTTMessage] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def connect(
        cls, port: int, ca: Path, username: str | None, password: str | None, client_id: str | None = None
    ) -> Probe:
        settings = MqttSettings.model_validate(
            {"port": port, "tls": True, "ca_file": str(ca), "username": username, "password": password}
        )
        probe = cls(create_client(settings, client_id=client_id or f"probe-{uuid.uuid4().hex[:8]}"))
        probe.client.on_connect = probe._on_connect
        probe.client.on_disconnect = probe._on_disconnect
        probe.client.on_publish = probe._on_publish
        probe.client.on_subscribe = probe._on_subscribe
        probe.client.on_message = probe._on_message
        probe.client.connect("127.0.0.1", port)
        probe.client.loop_start()
        probe.wait(lambda: probe.connack is not None, "no CONNACK")
        return probe

    def _on_connect(self, c: mqtt.Client, u: object, f: object, rc: ReasonCode, p: Properties | None) -> None:
        with self.changed:
            self.connack = rc
            self.changed.notify_all()

    def _on_disconnect(self, c: mqtt.Client, u: object, f: object, rc: ReasonCode, p: Properties | None) -> None:
        with self.changed:
            self.disconnects.append(rc.value)
            self.changed.notify_all()

    def _on_publish(self, c: mqtt.Client, u: object, mid: int, rc: ReasonCode, p: Properties | None) -> None:
        with self.changed:
            self.pubacks[mid] = rc.value
            self.changed.notify_all()

    def _on_subscribe(self, c: mqtt.Client, u: object, mid: int, rcs: list[ReasonCode], p: Properties | None) -> None:
        with self.changed:
            self.subacks += [rc.value for rc in rcs]
            self.changed.notify_all()

    def _on_message(self, c: mqtt.Client, u: object, message: mqtt.MQTTMessage) -> None:
        with self.changed:
            self.received.append(message)
            self.changed.notify_all()

    def wait(self, condition: Callable[[], object], what: str, timeout: float = 10) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, timeout), what

    def publish(self, topic: str, payload: bytes) -> int:
        """Publish at QoS 1; the PUBACK reason code."""
        mid = self.client.publish(topic, payload, qos=1).mid
        self.wait(lambda: mid in self.pubacks, f"no PUBACK for {topic}")
        return self.pubacks[mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_the_broker_refuses_what_the_acl_forbids(postgres_engine: Engine, tmp_path: Path) -> None:
    engine = postgres_engine
    ca = _make_ca(tmp_path)
    password_file = tmp_path / "passwd"
    t1, t2 = add_terminal(engine), add_terminal(engine)
    passwords = {t1: _provision(password_file, t1), t2: _provision(password_file, t2)}
    passwords[CENTRAL] = _add_account(password_file, CENTRAL)
    passwords[POLICE] = _add_account(password_file, POLICE)
    broker = PrivateMosquitto(tmp_path / "broker", config=_test_config(tmp_path))
    broker.start()
    tls: dict[str, Any] = {"tls": True, "ca_file": str(ca)}
    central = CentralUnderTest(
        engine, broker.port, tmp_path / "central", username=CENTRAL, password=passwords[CENTRAL], **tls
    )
    terminal = TerminalUnderTest(t1, broker.port, tmp_path, username=t1, password=passwords[t1], **tls)
    probes: list[Probe] = []

    def probe(username: str | None, password: str | None) -> Probe:
        probes.append(Probe.connect(broker.port, ca, username, password))
        return probes[-1]

    try:
        central.start()
        intruder = probe(t2, passwords[t2])  # a genuine terminal account, misused
        assert intruder.connack is not None
        assert not intruder.connack.is_failure
        intruder.client.subscribe([(receipt_topic(t1), 1), ("guardpost/v1/police/#", 1)])
        intruder.wait(lambda: intruder.subacks, "no SUBACK")
        police = probe(POLICE, passwords[POLICE])
        police.client.subscribe("guardpost/v1/#", qos=1)  # asks for everything, may read its alerts only
        police.wait(lambda: police.subacks, "no SUBACK")
        terminal.start()
        terminal.tap(3)
        terminal.wait_drained(15)  # events in, receipts back: the ACL lets the real path through

        forged = make_event(t1, seq=999)
        assert intruder.publish(event_topic(t1), forged.to_json()) == NOT_AUTHORIZED
        # The terminal itself may read its receipts, but not write them (that would empty its outbox).
        own = probe(t1, passwords[t1])
        assert own.publish(receipt_topic(t1), b'{"schema": "guardpost.receipt/1", "event_ids": []}') == NOT_AUTHORIZED
        for username, password in ((None, None), (t1, "wrong password"), ("nobody", "x")):
            refused = probe(username, password)
            assert refused.connack is not None
            assert refused.connack.is_failure, f"{username!r} was let in"

        # After the refused publishes: were they delivered, they would be stored first.
        flush = terminal.tap(1, build=lambda tid, seq: make_event(tid, seq=seq, card_uid="55667788", hit=wanted_hit()))
        terminal.wait_drained(15)
        police.wait(lambda: police.received, "the police account got no alert")
    finally:
        for p in probes:
            p.close()
        terminal.close()
        central.stop()
        broker.kill()
    assert_delivered(engine, t1, [e.event_id for e in terminal.committed])
    with Session(engine) as session:
        assert session.get(Checkin, forged.event_id) is None, "an event forged by another terminal was stored"
        assert session.exec(select(DeadLetter).where(DeadLetter.event_id == str(forged.event_id))).first() is None
    # Mosquitto 2.0 grants such a SUBACK and then withholds every message the ACL does not let it read.
    assert not intruder.received, f"{t2} read {t1}'s receipts"
    assert [m.topic for m in police.received] == [police_alert_topic("110105-WJ")], "police read beyond its alerts"
    assert b'"alert_id":"' + str(flush[0].event_id).encode() in police.received[0].payload


def test_an_account_cannot_take_over_another_clients_session(postgres_engine: Engine, tmp_path: Path) -> None:
    """Connecting with the victim's client id gets the intruder its own username as id: nobody is dropped."""
    ca = _make_ca(tmp_path)
    password_file = tmp_path / "passwd"
    t1, t2 = add_terminal(postgres_engine), add_terminal(postgres_engine)
    passwords = {t1: _provision(password_file, t1), t2: _provision(password_file, t2)}
    passwords[CENTRAL] = _add_account(password_file, CENTRAL)
    broker = PrivateMosquitto(tmp_path / "broker", config=_test_config(tmp_path))
    broker.start()
    probes: list[Probe] = []
    try:
        victim = Probe.connect(broker.port, ca, t1, passwords[t1], client_id=f"terminal-{t1}")
        central = Probe.connect(broker.port, ca, CENTRAL, passwords[CENTRAL], client_id="guardpost-central-host")
        probes += [victim, central]
        for stolen in (f"terminal-{t1}", "guardpost-central-host", t1, CENTRAL):
            intruder = Probe.connect(broker.port, ca, t2, passwords[t2], client_id=stolen)
            probes.append(intruder)
            assert intruder.connack is not None
            assert not intruder.connack.is_failure
        # A round trip each after the intruders' CONNACKs: a dropped session would have been told first.
        assert victim.publish(event_topic(t1), b"{}") < 0x80  # success, or "no matching subscribers"
        assert central.publish(receipt_topic(t1), b'{"schema": "guardpost.receipt/1", "event_ids": []}') < 0x80
        assert victim.disconnects == [], "the terminal's session was taken over"
        assert central.disconnects == [], "central's session was taken over"
    finally:
        for p in probes:
            p.close()
        broker.kill()
