"""Property-based run over the OpenAPI schema (schemathesis): no input answers with a server error.

Calls are made as the demo administrator, who reaches every route; the live
alert stream is left out (it is a stream, tested in the browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.openapi import from_asgi
from schemathesis.schemas import BaseSchema
from sqlmodel import Session

from central.access.auth import API_KEY_HEADER, DEMO_API_KEY
from central.app import create_app
from central.db.engine import make_engine
from central.demo.seed import seed_demo_registry
from central.schema import create_db
from tests.fixtures.tenants import demo_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("schema-run")
    engine = make_engine(f"sqlite:///{data_dir / 'central.sqlite3'}")
    create_db(engine)
    with Session(engine) as session:
        seed_demo_registry(session)
    app = create_app(demo_settings(data_dir), engine=engine, run_ingest=False)
    yield from_asgi("/openapi.json", app).exclude(path="/api/alerts/stream")
    engine.dispose()


def test_no_input_makes_a_server_error(api_schema: BaseSchema) -> None:
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid operation raises here, failing the test

        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def no_server_error(case: Case[Any]) -> None:
            response = case.call(headers={API_KEY_HEADER: DEMO_API_KEY})
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}: {response.text[:300]}"
            )

        no_server_error()
        checked += 1
    assert checked >= 30  # every route of the schema, not an empty run
