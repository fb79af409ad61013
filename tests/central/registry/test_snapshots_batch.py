"""Ingest reads the registry for a batch of taps at once: each snapshot is the one a tap alone would get."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, event
from sqlmodel import Session

from central.registry.snapshot import build_snapshot, build_snapshots
from protocol.checkin import Card, CardKind, CheckinEvent
from tests.fixtures.central import DEFAULT_AT, add_terminal, make_event

CARDS = ["DEADBEEF", "04A1B2C3", "04C3D4E5", "04E5F607", "11223344", "55667788"]  # the demo's guards G1-G6


def _id_card_tap(number: str, terminal: str = "T-S2-GATE") -> CheckinEvent:
    return make_event(terminal).model_copy(update={"card": Card(kind=CardKind.RESIDENT_ID, uid=number)})


def _taps(other_terminal: str) -> list[CheckinEvent]:
    days = [DEFAULT_AT, DEFAULT_AT + timedelta(days=1), DEFAULT_AT - timedelta(days=400)]
    return [
        *(make_event(terminal, card_uid=uid, occurred_at=at)
          for uid in CARDS for terminal in ("T-S2-GATE", other_terminal) for at in days),
        make_event(card_uid="DEADBEEF", card_kind=CardKind.EM4100),  # another reader family's view of a number
        make_event(card_uid="0BADF00D"),  # nobody's card
        make_event("T-NOWHERE", card_uid="04A1B2C3"),  # a terminal the registry does not know
        _id_card_tap("11010519900728002X"),  # G2's ID card
        _id_card_tap("11010519900728002X", other_terminal),
        _id_card_tap("110105199001010011"),  # nobody's ID number
        make_event(card_uid="DEADBEEF"),  # the same tap again
    ]  # fmt: skip


def test_a_batch_gets_the_snapshots_of_its_taps_one_by_one(engine: Engine) -> None:
    taps = _taps(add_terminal(engine, "S3"))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with Session(engine) as session:
        batch = build_snapshots(session, taps)
        read_by_batch = len(statements)
        alone = [build_snapshot(session, tap) for tap in taps]
    assert batch == alone
    assert {s.guard.id for s in batch if s.guard} == {"G1", "G2", "G3", "G4", "G5", "G6"}
    assert any(s.guard is None for s in batch)
    assert any(s.terminal is None for s in batch)
    id_card = batch[-4].guard
    assert id_card is not None
    assert id_card.id == "G2"
    # Three windows of days, each read with one query for the terminals and at most two for the cards.
    assert read_by_batch <= 9 < len(statements) - read_by_batch
