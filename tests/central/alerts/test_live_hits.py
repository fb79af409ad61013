"""Registry hits on the live stream: once each, to the police of their jurisdiction only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from central.access.models import Role
from central.access.scope import Scope
from central.alerts.live import AlertHub, _event
from central.alerts.models import RegistryHit, RegistryHitPublic
from central.db.types import utcnow
from central.watchlist.portraits import FilePortraits

WANGJING = Scope(actor="police", role=Role.POLICE, jurisdiction="110105-WJ")
ELSEWHERE = Scope(actor="police-other", role=Role.POLICE, jurisdiction="110106-XX")


def test_a_new_hit_is_sent_once_and_only_where_it_belongs(engine: Engine, tmp_path: Path) -> None:
    hub = AlertHub(engine, FilePortraits(tmp_path))
    hub.subscribe(WANGJING)  # the hub looks only while someone listens, from then on
    before = utcnow() - timedelta(seconds=1)
    with Session(engine) as session:
        session.add(RegistryHit(guard_id="G4", watchlist_entry_id="W-0001", jurisdiction="110105-WJ"))
        session.commit()

    (sent,) = hub._poll({WANGJING})[WANGJING]
    assert isinstance(sent, RegistryHitPublic)
    assert (sent.guard_name_zh, sent.watchlist_name) == ("刘洋", "孙立军")
    assert _event(sent).startswith("event: registry_hit\n")
    assert hub._poll({WANGJING})[WANGJING] == []  # not again while it stays open
    assert [c.id for c in hub.replay(WANGJING, before) if isinstance(c, RegistryHitPublic)] == [sent.id]
    assert hub.replay(ELSEWHERE, before) == []
