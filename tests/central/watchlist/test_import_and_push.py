"""Central's watchlist: templates and revisions in the database, signed full / incremental updates, the CLI."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from central.db.engine import make_engine
from central.schema import create_db
from central.watchlist.store import ImportEntry, import_entries
from central.watchlist.sync import TEMPLATE_MODEL, build_for
from edge.watchlist import Watchlist
from edge.watchlist_sync import apply_update, load_public_key
from guardpost.cli import main
from shared.face import MODEL_ID

KEY = Ed25519PrivateKey.generate()


def template(seed: int) -> str:
    row = np.random.default_rng(seed).standard_normal(128).astype("<f4")
    return base64.b64encode((row / np.linalg.norm(row)).astype("<f4").tobytes()).decode()


def wanted(entry_id: str, seed: int) -> ImportEntry:
    return ImportEntry(id=entry_id, name_zh=f"名{entry_id}", jurisdiction="110105", templates=[template(seed)])


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'central.sqlite3'}")
    create_db(engine)
    yield engine
    engine.dispose()


def test_model_names_agree() -> None:
    assert TEMPLATE_MODEL == MODEL_ID


def test_full_then_incremental_updates_reach_the_terminal(engine: Engine) -> None:
    public = KEY.public_key()
    with Session(engine) as session:
        r1 = import_entries(session, [wanted("W-A", 1), wanted("W-B", 2)], replace=True).version
        kind, payload = build_for(session, KEY, None)
        assert kind == "full"
        terminal = apply_update(Watchlist.empty(), payload, public)
        assert (terminal.version, [e.entry_id for e in terminal.entries]) == (r1, ["W-A", "W-B"])

        r2 = import_entries(session, [wanted("W-C", 3)], replace=False).version
        kind, payload = build_for(session, KEY, r1)
        assert (kind, json.loads(payload)["base_version"]) == ("incremental", r1)
        terminal = apply_update(terminal, payload, public)
        assert (terminal.version, sorted(e.entry_id for e in terminal.entries)) == (r2, ["W-A", "W-B", "W-C"])

        r3 = import_entries(session, [wanted("W-A", 11)], replace=True).version  # B and C removed, A replaced
        kind, payload = build_for(session, KEY, r2)
        assert (kind, json.loads(payload)["removed"]) == ("incremental", ["W-B", "W-C"])
        terminal = apply_update(terminal, payload, public)
        assert (terminal.version, [e.entry_id for e in terminal.entries]) == (r3, ["W-A"])
        new_a = np.frombuffer(base64.b64decode(template(11)), dtype="<f4")
        found = terminal.search(new_a)
        assert found is not None
        assert found[1] == pytest.approx(1.0, abs=1e-5)

        assert build_for(session, KEY, r3)[0] == "announce"
        assert build_for(session, KEY, "r9.unknown")[0] == "full"  # a version central never issued


def test_cli_import_and_push_to_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDPOST_CENTRAL_DATABASE_URL", f"sqlite:///{tmp_path / 'central.sqlite3'}")
    private, public = tmp_path / "watchlist-key.pem", tmp_path / "watchlist-key.pub.pem"
    assert main(["watchlist", "keygen", "--private", str(private), "--public", str(public)]) == 0
    assert private.stat().st_mode & 0o077 == 0  # the signing key is readable by its owner only
    assert main(["watchlist", "keygen", "--private", str(private), "--public", str(public)]) != 0  # kept
    listing = tmp_path / "list.json"
    entries = [wanted("W-A", 1).model_dump(), wanted("W-B", 2).model_dump()]
    listing.write_text(json.dumps({"format": "guardpost.watchlist_import/1", "model": MODEL_ID, "entries": entries}))
    assert main(["watchlist", "import", str(listing)]) == 0
    out = tmp_path / "out"
    assert main(["watchlist", "push", "--terminal", "T-1", "--key", str(private), "--out", str(out)]) == 0
    terminal = apply_update(Watchlist.empty(), (out / "T-1.json").read_bytes(), load_public_key(public))
    assert [e.entry_id for e in terminal.entries] == ["W-A", "W-B"]
    listing.write_text(json.dumps({"format": "guardpost.watchlist_import/1", "model": "other", "entries": []}))
    assert main(["watchlist", "import", str(listing)]) != 0  # templates of another face model
