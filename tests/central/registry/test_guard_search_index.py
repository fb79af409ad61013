"""On PostgreSQL a guard search asks the bigram index first and finds exactly what a scan finds."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session, col, select

from central.access.models import Role
from central.access.scope import Scope
from central.db.text_search import contains
from central.paging import Paging
from central.registry.models import Guard
from central.registry.queries import list_guards

pytestmark = pytest.mark.postgres

SURNAMES, GIVEN = "张王李赵陈刘杨黄吴周", ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军"]
ADMIN = Scope(actor="admin", role=Role.ADMIN)
SEARCHES = ["张伟", "伟", "王秀英", "秀英", "ZHANG w", "ang W", "g00", "G0012", "%", "G_", "li na", "x", "张伟伟", "ei"]


def _guards(count: int) -> list[dict[str, object]]:
    pinyin = ["Zhang", "Wang", "Li", "Zhao", "Chen", "Liu", "Yang", "Huang", "Wu", "Zhou"]
    given = ["Wei", "Fang", "Na", "Xiuying", "Min", "Jing", "Li", "Qiang", "Lei", "Jun"]
    return [
        {"id": f"G{n:05d}", "name_zh": SURNAMES[n % 10] + GIVEN[n // 10 % 10],
         "name_en": f"{pinyin[n % 10]} {given[n // 10 % 10]}",
         "id_number": f"1101051990{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}X", "employer_id": "C1"}
        for n in range(count)
    ]  # fmt: skip


def _scanned(session: Session, q: str) -> list[str]:
    anywhere = contains(col(Guard.id), q) | contains(col(Guard.name_zh), q) | contains(col(Guard.name_en), q)
    return sorted(session.exec(select(Guard.id).where(anywhere)).all())


def test_the_index_finds_what_a_scan_finds(postgres_engine: Engine) -> None:
    with Session(postgres_engine) as session:
        session.execute(insert(Guard), _guards(3000))
        session.commit()
        session.execute(text("ANALYZE guard"))
        for q in SEARCHES:
            indexed = sorted(g.id for g in list_guards(session, ADMIN, q=q, paging=Paging(limit=5000)).rows)
            assert indexed == _scanned(session, q), q
        assert len(_scanned(session, "张伟")) == 31  # and the demo's G1


def test_a_search_of_two_characters_can_use_the_index(postgres_engine: Engine) -> None:
    with Session(postgres_engine) as session:
        session.execute(text("SET enable_seqscan = off"))  # whether the index serves the query, not its cost
        query = select(Guard.id).where(
            text("guard_search_bigrams(id, name_zh, name_en) @> text_bigrams(:q)").bindparams(q="张伟")
        )
        plan = "\n".join(
            session.execute(
                text(f"EXPLAIN {query.compile(postgres_engine, compile_kwargs={'literal_binds': True})}")
            ).scalars()
        )
        assert "ix_guard_search_bigrams" in plan
