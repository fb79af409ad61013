"""Searching guards by what a person typed: part of a name or id, any case; ``%`` and ``_`` match only themselves."""

from __future__ import annotations

from sqlmodel import Session

from central.registry.models import Guard
from tests.fixtures.tenants import Apps


def found(apps: Apps, q: str) -> list[str]:
    answer = apps.client("admin").get("/api/guards", params={"q": q, "limit": 1000})
    assert answer.status_code == 200, answer.text
    return sorted(g["id"] for g in answer.json()["data"])


def test_wildcards_typed_are_taken_literally(apps: Apps) -> None:
    with Session(apps.engine) as session:
        session.add(Guard(id="G_50%", name_zh="百分号", name_en="Percent Sign", id_number="110105199001011237",
                          employer_id="C1"))  # fmt: skip
        session.commit()
    assert found(apps, "%") == ["G_50%"]  # not every guard
    assert found(apps, "_") == ["G_50%"]
    assert found(apps, "G_") == ["G_50%"]
    assert found(apps, "percent") == ["G_50%"]  # any case
    assert found(apps, "张") == ["G1"]  # 张伟, by part of the name
    assert found(apps, "g1") == ["G1"]
