"""Request bodies over a real uvicorn: unread without an account, cut at the route's limit, never echoed.

Raw sockets where it matters what the server reads: a request that declares
100 MB is answered from its headers.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine

from central.access import auth
from central.app import create_app
from central.config import ApiSettings
from tests.fixtures.served import serving
from tests.fixtures.tenants import demo_settings, keys_for

HUNDRED_MB = 100 * 1024 * 1024


@pytest.fixture(name="url")
def url_fixture(sqlite_engine: Engine, tmp_path: Path) -> Iterator[str]:
    settings = demo_settings(tmp_path, api=ApiSettings(max_body_bytes=64 * 1024, max_import_bytes=2 * 1024 * 1024))
    keys_for(sqlite_engine)
    with serving(create_app(settings, engine=sqlite_engine, run_ingest=False), settings) as url:
        yield url


def _raw(url: str, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send ``head`` and the first bytes of a body, then read the answer: (status, body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _post_head(path: str, length: int, key: str | None = None) -> str:
    auth_line = f"{auth.API_KEY_HEADER}: {key}\n" if key else ""
    return f"POST {path} HTTP/1.1\nHost: x\nContent-Type: application/json\n{auth_line}Content-Length: {length}\n"


def test_an_unauthenticated_body_is_refused_unread(url: str) -> None:
    status, body = _raw(url, _post_head("/api/watchlist", HUNDRED_MB), b'{"name_zh": "' + b"x" * 1000)
    assert status == 401
    assert json.loads(body)["code"] == "unauthenticated"


def test_a_body_over_the_route_limit_is_413_before_it_is_read(url: str, sqlite_engine: Engine) -> None:
    admin = keys_for(sqlite_engine)["admin"]
    status, body = _raw(url, _post_head("/api/accounts", HUNDRED_MB, admin), b"{")
    assert status == 413
    assert json.loads(body)["code"] == "too_large"
    chunked = _post_head("/api/accounts", 0, admin).replace("Content-Length: 0", "Transfer-Encoding: chunked")
    piece = b"x" * 16384
    stream = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") * 5 + b"0\r\n\r\n"  # 80 KB, declared nowhere
    assert _raw(url, chunked, stream)[0] == 413


def test_imports_may_be_larger_but_not_unbounded(url: str, sqlite_engine: Engine) -> None:
    headers = {auth.API_KEY_HEADER: keys_for(sqlite_engine)["admin"]}
    rows = "编号,名称,类型,行政区划\n" + "".join(f"CX{n},甲公司{n},保安服务公司,110105\n" for n in range(2000))
    assert 64 * 1024 < len(rows.encode()) < 2 * 1024 * 1024
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        files = {"file": ("c.csv", rows.encode(), "text/csv")}
        assert client.post("/api/admin/import/companies", files=files).status_code == 200
        too_big = {"file": ("c.csv", rows.encode() * 30, "text/csv")}
        assert client.post("/api/admin/import/companies", files=too_big).status_code == 413


def test_a_refused_value_is_not_echoed(url: str) -> None:
    username = "u" * 60_000
    with httpx.Client(base_url=url) as client:
        api = client.post("/api/auth/login", json={"username": username, "password": "x"})
        page = client.post("/login", data={"username": username, "password": "x"})
    for response in (api, page):
        assert response.status_code == 422
        assert "uuuuuuuu" not in response.text
    assert len(api.content) < 2000
    assert api.json()["detail"][0]["loc"][-1] == "username"
    assert "<b>用户名</b>：内容过长" in page.text  # the form's refusal is a page, in words


def test_the_large_limits_are_only_for_those_who_may_use_the_route(url: str, sqlite_engine: Engine) -> None:
    employer = keys_for(sqlite_engine)["pingan"]
    body = b'{"name_zh": "' + b"x" * 200_000 + b'", "photos": ["x"]}'
    assert _raw(url, _post_head("/api/watchlist", len(body), employer), body[:1000])[0] == 413  # not read on
    police = keys_for(sqlite_engine)["police"]
    assert _raw(url, _post_head("/api/watchlist", len(body), police), body)[0] == 422  # read, then refused
