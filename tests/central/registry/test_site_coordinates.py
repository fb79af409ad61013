"""Sites' WGS-84 coordinates: imported from a list (纬度, 经度), written through the registry API, refused in
words out of range or one without the other, and made into an Amap (高德) marker link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.registry.importer import import_bytes
from central.registry.maps import amap_marker
from central.registry.models import Site
from tests.central.registry.test_import import csv_bytes
from tests.fixtures.tenants import Apps

HEADER = ["编号", "名称", "类型", "地址", "行政区划", "辖区派出所", "纬度", "经度"]


def test_the_marker_link_is_amaps_at_the_wgs84_point_with_the_sites_name() -> None:
    url = amap_marker(39.99609, 116.47336, "星光 大厦&东门")
    assert url is not None
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/marker")
    assert parse_qs(parts.query) == {
        "position": ["116.473360,39.996090"],  # longitude first
        "name": ["星光 大厦&东门"],
        "coordinate": ["wgs84"],
    }
    assert amap_marker(None, 116.4, "x") is None
    assert amap_marker(39.9, None, "x") is None


def test_coordinates_are_imported_and_refused_in_words(sqlite_engine: Engine) -> None:
    rows = [
        HEADER,
        ["SX1", "望京花园", "住宅小区", "望京西路1号", "110105", "110105-WJ", "39.99609", "116.47336"],
        ["SX2", "无坐标小区", "住宅小区", "", "110105", "110105-WJ", "", ""],
        ["SX3", "坐标越界", "住宅小区", "", "110105", "110105-WJ", "99.5", "116.4"],
        ["SX4", "只有纬度", "住宅小区", "", "110105", "110105-WJ", "39.9", ""],
        ["SX5", "不是数字", "住宅小区", "", "110105", "110105-WJ", "39.9", "东经116度"],
    ]
    with Session(sqlite_engine) as session:
        report = import_bytes(session, "sites", csv_bytes(rows), "场所.csv")
    messages = [r.message for r in report.refused]
    assert len(messages) == 3
    assert messages[0].startswith("第 4 行「纬度」: 99.5 须在 -90 至 90 之间")
    assert messages[1].startswith("第 5 行「经度」")
    assert "经纬度须同时填写" in messages[1]
    assert messages[2].startswith("第 6 行「经度」: 东经116度 须为十进制度数")
    with Session(sqlite_engine) as session:
        imported = session.get(Site, "SX1")
        plain = session.get(Site, "SX2")
        assert imported is not None
        assert plain is not None
        assert imported.latitude == pytest.approx(39.99609)
        assert imported.longitude == pytest.approx(116.47336)
        assert (plain.latitude, plain.longitude) == (None, None)
        assert session.get(Site, "SX3") is None


def test_the_registry_api_writes_coordinates_and_refuses_them_out_of_range(apps: Apps) -> None:
    client = apps.client("admin")
    body = {"id": "SX9", "name_zh": "望京SOHO", "kind": "office", "region": "110105", "jurisdiction": "110105-WJ"}
    written = client.put("/api/admin/sites", json=body | {"latitude": 39.9962, "longitude": 116.4811})
    assert written.status_code == 200
    assert client.get("/api/admin/sites/SX9").json()["latitude"] == pytest.approx(39.9962)
    refused = client.put("/api/admin/sites", json=body | {"latitude": 39.9962, "longitude": 216.4811})
    assert refused.status_code == 422
    assert "longitude" in refused.json()["detail"]
    assert client.get("/api/admin/sites/SX9").json()["longitude"] == pytest.approx(116.4811)
