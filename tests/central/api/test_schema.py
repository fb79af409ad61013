"""Property-based run over the OpenAPI schema (schemathesis): no server error, and every answer as documented.

As the administrator, who reaches every route, and as a security company
and a property firm, who are refused most of them: each answer's status,
content type, headers and body must be the ones the schema documents. The
live streams (alerts, the board) are left out (tested in the browser). The
run is bounded (a few examples per route) so that it runs with every test run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_asgi
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from central.access.auth import API_KEY_HEADER
from central.app import create_app
from central.db.engine import make_engine
from central.demo.seed import seed_demo_registry
from central.schema import create_db
from tests.fixtures.tenants import demo_settings, keys_for

EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BaseSchema, dict[str, str]]]:
    data_dir: Path = tmp_path_factory.mktemp("schema-run")
    engine = make_engine(f"sqlite:///{data_dir / 'central.sqlite3'}")
    create_db(engine)
    with Session(engine) as session:
        seed_demo_registry(session)
    keys = keys_for(engine)
    app = create_app(demo_settings(data_dir), engine=engine, run_ingest=False)
    streams = ("/api/alerts/stream", "/api/board/stream")
    yield from_asgi("/openapi.json", app).exclude(path=list(streams)), keys
    engine.dispose()


@pytest.mark.parametrize("user", ["admin", "pingan", "jinxiu"])
def test_every_answer_is_documented_and_none_is_a_server_error(
    api: tuple[BaseSchema, dict[str, str]], user: str
) -> None:
    schema, keys = api
    headers = {API_KEY_HEADER: keys[user]}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid operation raises here, failing the test

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def as_documented(case: Case[Any]) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        as_documented()
        checked += 1
    assert checked >= 30  # every route of the schema, not an empty run
