"""Alerts nobody acknowledged in time: escalated once to the jurisdiction's supervisors, whatever the workers."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from central.access import auth
from central.access.auth import AccountRefused
from central.access.models import AccountCreate, Role
from central.access.scope import Scope
from central.alerts.escalation import ESCALATED, Escalation, claim, escalate_overdue, overdue
from central.alerts.models import Alert, AlertAction, AlertStatus
from central.alerts.queries import decide
from central.checkins.store import record_event
from central.db.types import utcnow
from tests.fixtures.central import add_terminal, make_event, wanted_hit

NOW = timedelta(0)


def _alert(engine: Engine, tmp_path: Path) -> uuid.UUID:
    event = make_event(add_terminal(engine, "S2"), card_uid="55667788", hit=wanted_hit(), seq=1)
    record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned")
    return event.event_id


def _supervisor(engine: Engine, username: str, jurisdiction: str = "110105-WJ") -> None:
    with Session(engine) as session:
        account = AccountCreate(
            username=username,
            password="supervisor-password-1",
            role=Role.POLICE,
            jurisdiction=jurisdiction,
            supervisor=True,
        )
        auth.create_account(session, account)


def test_an_overdue_alert_is_escalated_once_to_its_supervisors(engine: Engine, tmp_path: Path) -> None:
    alert_id = _alert(engine, tmp_path)
    _supervisor(engine, "lead-b")
    _supervisor(engine, "lead-a")
    _supervisor(engine, "lead-elsewhere", jurisdiction="110106-XX")
    with Session(engine) as session:
        assert escalate_overdue(session, timedelta(minutes=5)) == []  # not overdue yet
        (won,) = escalate_overdue(session, NOW)
        assert (won.alert_id, won.jurisdiction, won.supervisors) == (alert_id, "110105-WJ", ("lead-a", "lead-b"))
        assert escalate_overdue(session, NOW) == []  # once per alert
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert alert.escalated_at is not None
        assert alert.status == AlertStatus.NEW  # escalation is not a police decision
        steps = session.exec(select(AlertAction).where(AlertAction.alert_id == alert_id)).all()
    assert [(s.status, s.actor) for s in steps] == [(ESCALATED, "system")]
    assert "已上报 lead-a、lead-b / not acknowledged in 0 min: escalated to lead-a, lead-b" in steps[0].note


def test_of_two_workers_claiming_at_once_only_one_wins(engine: Engine, tmp_path: Path) -> None:
    alert_id = _alert(engine, tmp_path)
    with Session(engine) as first, Session(engine) as second:
        assert overdue(first, utcnow(), NOW) == overdue(second, utcnow(), NOW) == [alert_id]  # both saw it due
        assert claim(first, alert_id, utcnow())
        first.commit()
        assert not claim(second, alert_id, utcnow())
        second.rollback()


def test_an_acknowledged_alert_is_not_escalated(engine: Engine, tmp_path: Path) -> None:
    alert_id = _alert(engine, tmp_path)
    police = Scope(actor="police", role=Role.POLICE, jurisdiction="110105-WJ")
    with Session(engine) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        decide(session, police, alert, AlertStatus.ACKNOWLEDGED, "", guard_id="G6")
        assert escalate_overdue(session, NOW) == []
        assert not claim(session, alert_id, utcnow())  # nor by a worker that listed it just before


def test_only_a_police_account_can_be_a_supervisor(engine: Engine) -> None:
    company = AccountCreate(username="lead-company", password="supervisor-password-1", role=Role.COMPANY,
                            company_id="C1", supervisor=True)  # fmt: skip
    with Session(engine) as session, pytest.raises(AccountRefused, match="^只有公安账号可设为值班领导 / "):
        auth.create_account(session, company)


def test_workers_escalating_at_once_escalate_each_alert_once(engine: Engine, tmp_path: Path) -> None:
    alert_ids = {_alert(engine, tmp_path) for _ in range(4)}
    start = threading.Barrier(3)
    won: list[Escalation] = []

    def worker() -> None:
        with Session(engine) as session:
            start.wait(timeout=10)
            won.extend(escalate_overdue(session, NOW))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(str(e.alert_id) for e in won) == sorted(str(a) for a in alert_ids)  # each once, by one worker
    with Session(engine) as session:
        steps = session.exec(select(AlertAction).where(AlertAction.status == ESCALATED)).all()
    assert len(steps) == len(alert_ids)
