"""A police false-positive decision suppresses later face matches of the same (entry, guard) pair."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.alerts.models import Alert, AlertStatus, AlertSuppression
from central.alerts.workflow import AlertTransitionError, is_suppressed, mark_false_positive
from central.checkins.store import Recorded, record_event
from central.db.engine import make_engine
from central.demo.seed import seed_demo_registry
from central.errors import NotFound
from central.schema import create_db
from protocol.checkin import CheckinEvent, WatchlistHit
from tests.fixtures.central import make_event, wanted_hit

ZHAO_LEI, ZHANG_WEI = "55667788", "DEADBEEF"  # demo guards G6 and G1


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'central.sqlite3'}")
    create_db(engine)
    with Session(engine) as session:
        seed_demo_registry(session)
    yield engine
    engine.dispose()


def record(engine: Engine, tmp_path: Path, event: CheckinEvent) -> Recorded:
    return record_event(engine, event, data_dir=tmp_path, default_jurisdiction="unassigned")


def test_a_false_positive_pair_is_stored_but_not_sent_again(engine: Engine, tmp_path: Path) -> None:
    first = make_event(card_uid=ZHAO_LEI, hit=wanted_hit("W-0001"), seq=1)
    assert record(engine, tmp_path, first).alert is not None
    with Session(engine) as session:
        assert not is_suppressed(session, "W-0001", "G6")
        decided = mark_false_positive(session, first.event_id, by="110105-WJ 民警 A", guard_id="G6")
        assert decided.status == AlertStatus.FALSE_POSITIVE
        assert is_suppressed(session, "W-0001", "G6")
        assert not is_suppressed(session, "W-0001", "G1")
        assert not is_suppressed(session, "W-0001", None)

    again = make_event(card_uid=ZHAO_LEI, hit=wanted_hit("W-0001", score=0.8), seq=2)
    recorded = record(engine, tmp_path, again)
    assert recorded.new
    assert recorded.alert is None  # no police message
    with Session(engine) as session:
        alert = session.get(Alert, again.event_id)
        assert alert is not None  # still stored
        assert alert.status == AlertStatus.FALSE_POSITIVE
        suppression = session.get(AlertSuppression, again.event_id)
        assert suppression is not None
        assert suppression.decision_alert_id == first.event_id
    assert record(engine, tmp_path, again).alert is None  # a re-delivery adds nothing


@pytest.mark.parametrize(
    ("card_uid", "hit"),
    [
        (ZHANG_WEI, wanted_hit("W-0001")),  # another guard
        (ZHAO_LEI, wanted_hit("W-0002")),  # another entry
        (ZHAO_LEI, WatchlistHit(entry_id="W-0001", score=1.0, threshold=0.52, matched_by="id_number")),
    ],
)
def test_other_pairs_and_id_number_matches_still_alert(
    engine: Engine, tmp_path: Path, card_uid: str, hit: WatchlistHit
) -> None:
    first = make_event(card_uid=ZHAO_LEI, hit=wanted_hit("W-0001"), seq=1)
    record(engine, tmp_path, first)
    with Session(engine) as session:
        mark_false_positive(session, first.event_id, by="民警 A", guard_id="G6")
    recorded = record(engine, tmp_path, make_event(card_uid=card_uid, hit=hit, seq=2))
    assert recorded.alert is not None


def test_marking_needs_a_known_undecided_alert(engine: Engine, tmp_path: Path) -> None:
    first = make_event(card_uid=ZHAO_LEI, hit=wanted_hit("W-0001"), seq=1)
    record(engine, tmp_path, first)
    with Session(engine) as session:
        mark_false_positive(session, first.event_id, by="民警 A", guard_id="G6")
        with pytest.raises(AlertTransitionError):
            mark_false_positive(session, first.event_id, by="民警 B", guard_id="G6")
        with pytest.raises(NotFound):
            mark_false_positive(session, make_event().event_id, by="民警 A", guard_id=None)
