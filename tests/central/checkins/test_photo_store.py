"""Photo stores: files (one host) and the database (any number of hosts); a photo stored by one worker
is served by another only from the database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from central.access.auth import API_KEY_HEADER, DEMO_API_KEY
from central.app import create_app
from central.checkins.photo_store import PhotoBackend, photo_store
from central.checkins.store import record_event
from central.config import AccessSettings, CentralSettings, RetentionSettings
from tests.central.watchlist.test_editor import face
from tests.fixtures.central import add_terminal, make_event

KEY = "photos/2026/03/02/0b0e8a4c-6e0c-4e55-9d0b-3b1d2f3c4d5e.jpg"


@pytest.mark.parametrize("backend", ["files", "database"])
def test_a_photo_is_kept_once_and_read_back(engine: Engine, tmp_path: Path, backend: PhotoBackend) -> None:
    store = photo_store(backend, tmp_path, engine)
    key = KEY.replace("0b0e8a4c", uuid.uuid4().hex[:8])

    store.put([(key, b"\xff\xd8first")])
    store.put([(key, b"\xff\xd8second")])  # a re-delivered event: the photo in place stays

    assert store.get(key) == b"\xff\xd8first"
    assert store.get(key.replace(".jpg", "0.jpg")) is None
    assert store.check() is None


@pytest.fixture
def workers(postgres_engine: Engine, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    """Two workers on one database, each on a host of its own (its own data_dir), by photo store."""
    clients: dict[str, TestClient] = {}
    with contextlib.ExitStack() as stack:
        for name in ("A", "B"):
            for backend in ("files", "database"):
                settings = CentralSettings(
                    data_dir=tmp_path / f"host-{name}",
                    photo_store=backend,
                    client_id=f"central-{name}-{backend}",
                    access=AccessSettings(demo=True),
                    retention=RetentionSettings(purge_enabled=False),
                )
                app = create_app(settings, engine=postgres_engine, run_ingest=False)
                clients[f"{name}-{backend}"] = stack.enter_context(
                    TestClient(app, headers={API_KEY_HEADER: DEMO_API_KEY})
                )
        yield clients


@pytest.mark.postgres
def test_a_photo_stored_by_one_worker_is_served_by_another_from_the_database(
    postgres_engine: Engine, tmp_path: Path, workers: dict[str, TestClient]
) -> None:
    terminal = add_terminal(postgres_engine)
    for backend in ("files", "database"):
        event = make_event(terminal)
        store = photo_store(backend, tmp_path / "host-A", postgres_engine)  # worker A's ingest
        record_event(postgres_engine, event, data_dir=tmp_path / "host-A", default_jurisdiction="x", photo_store=store)
        jpeg = event.photo.jpeg() if event.photo else b""

        assert workers[f"A-{backend}"].get(f"/api/checkins/{event.event_id}/photo").content == jpeg
        on_b = workers[f"B-{backend}"].get(f"/api/checkins/{event.event_id}/photo")
        if backend == "database":
            assert on_b.status_code == 200
            assert on_b.content == jpeg
        else:
            assert on_b.status_code == 404  # files: only the host that wrote it has it


@pytest.mark.postgres
def test_a_wanted_persons_photo_saved_by_one_worker_is_served_by_another_from_the_database(
    workers: dict[str, TestClient],
) -> None:
    """The editor on worker A keeps the entry's photo; worker B shows it only when photos are in the database."""
    for backend in ("files", "database"):
        body = {"name_zh": f"跨主机{backend}", "jurisdiction": "110105-WJ", "photos": [face(5, 1)]}
        added = workers[f"A-{backend}"].post("/api/watchlist", json=body)
        assert added.status_code == 201, added.text
        entry = added.json()["entry"]
        photo = workers[f"A-{backend}"].get(f"/api/watchlist/{entry['id']}/photo")
        assert (photo.status_code, photo.content[:2]) == (200, b"\xff\xd8")
        on_b = workers[f"B-{backend}"].get(f"/api/watchlist/{entry['id']}")
        if backend == "database":
            assert on_b.json()["photo_url"] == f"/api/watchlist/{entry['id']}/photo"
            assert workers[f"B-{backend}"].get(f"/api/watchlist/{entry['id']}/photo").content == photo.content
        else:
            assert on_b.json()["photo_url"] is None  # files: only the host that saved it has it
            assert workers[f"B-{backend}"].get(f"/api/watchlist/{entry['id']}/photo").status_code == 404
        if backend == "database":  # removed through B: gone for A too
            assert workers[f"B-{backend}"].delete(f"/api/watchlist/{entry['id']}").status_code == 200
            assert workers[f"A-{backend}"].get(f"/api/watchlist/{entry['id']}/photo").status_code == 404
