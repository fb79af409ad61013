"""The administrator imports a CSV through the web: a preview of what would change and of the refusals by
line and column, nothing written; then the import itself."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central.app import create_app
from central.config import AccessSettings, CentralSettings, RetentionSettings
from central.registry.models import Site


def sites_csv(client: TestClient, new_id: str) -> bytes:
    header = next(csv.reader(io.StringIO(client.get("/api/admin/import/sites/template?lang=zh").text.lstrip("\ufeff"))))
    rows = [
        [new_id, "新城花园", "", "residential", "朝阳路1号", "110105", "110105-WJ", "", ""],
        ["S-BAD", "坏数据", "", "casino", "", "110105", "110105-WJ", "", ""],  # no such kind of site
    ]
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8-sig")


def test_preview_writes_nothing_and_shows_refusals_then_the_import_writes(
    admin: tuple[TestClient, str], sqlite_engine: Engine
) -> None:
    client, token = admin
    new_id = f"S-{uuid.uuid4().hex[:6]}"
    upload = {"file": ("场所.csv", sites_csv(client, new_id), "text/csv")}

    preview = client.post("/admin/import", data={"csrf_token": token, "kind": "sites"}, files=upload)

    assert preview.status_code == 200
    found = re.search(r'id="import-counts".*?</p>', preview.text, re.S)
    assert found
    counts = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))
    assert "新增 1" in counts
    assert "拒绝 1" in counts
    refusals = re.search(r'<table id="import-refusals".*?</table>', preview.text, re.S)
    assert refusals
    assert '<td data-label="行">3</td>' in refusals.group(0)  # the header is line 1
    assert "casino" in refusals.group(0)
    with Session(sqlite_engine) as session:
        assert session.get(Site, new_id) is None  # a preview writes nothing

    payload = re.search(r'name="payload" value="([^"]+)"', preview.text)
    assert payload
    done = client.post(
        "/admin/import",
        data={
            "csrf_token": token,
            "kind": "sites",
            "action": "commit",
            "filename": "场所.csv",
            "payload": payload.group(1),
        },
    )

    assert "已导入" in done.text
    with Session(sqlite_engine) as session:
        site = session.get(Site, new_id)
        assert site is not None
        assert site.name_zh == "新城花园"
        assert session.get(Site, "S-BAD") is None


def test_only_the_administrator_imports(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = CentralSettings(data_dir=tmp_path, client_id="central-import-firm", access=AccessSettings(demo=True),
                               retention=RetentionSettings(purge_enabled=False))  # fmt: skip
    with TestClient(create_app(settings, engine=sqlite_engine, run_ingest=False)) as client:
        client.post("/login", data={"username": "jinxiu", "password": "jinxiu-demo"})
        assert client.get("/admin/import").status_code == 403
