"""Signed watchlist updates on the terminal: signature, base version, apply, atomic swap, staleness."""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.watchlist import Watchlist, WatchlistEntry
from edge.watchlist_index import IvfIndex
from edge.watchlist_sync import (
    BaseVersionMismatch,
    MalformedUpdate,
    UpdateRollback,
    UpdateSignatureError,
    WatchlistSync,
    apply_update,
)
from protocol.signed import sign
from protocol.watchlist_update import ANNOUNCE_SCHEMA, UPDATE_SCHEMA
from shared.face import MODEL_ID

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()


def vector(seed: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    row = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return row / np.linalg.norm(row)


def wire_entry(entry_id: str, seed: int, id_number: str | None = None) -> dict[str, Any]:
    template = base64.b64encode(vector(seed).astype("<f4").tobytes()).decode()
    return {"entry_id": entry_id, "name": f"名{entry_id}", "id_number": id_number, "note": "", "templates": [template]}


def update(
    version: str,
    upserts: list[dict[str, Any]],
    *,
    base: str | None = None,
    removed: tuple[str, ...] = (),
    issued_at: datetime = T0,
    key: Ed25519PrivateKey = KEY,
) -> bytes:
    body = {
        "schema": UPDATE_SCHEMA, "kind": "incremental" if base else "full", "base_version": base,
        "version": version, "issued_at": issued_at.isoformat(), "model": MODEL_ID,
        "upserts": upserts, "removed": list(removed),
    }  # fmt: skip
    return sign(body, key)


def announce(version: str, issued_at: datetime) -> bytes:
    return sign({"schema": ANNOUNCE_SCHEMA, "version": version, "issued_at": issued_at.isoformat()}, KEY)


V1 = update("r1", [wire_entry("W-1", 1), wire_entry("W-2", 2, "11010519491231002X"), wire_entry("W-3", 3)])


class Holder:
    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist


@pytest.fixture
def v1() -> Watchlist:
    return apply_update(Watchlist.empty(), V1, PUBLIC)


def test_full_update_replaces_the_list(v1: Watchlist) -> None:
    assert (v1.version, v1.issued_at, [e.entry_id for e in v1.entries]) == ("r1", T0, ["W-1", "W-2", "W-3"])
    v2 = apply_update(v1, update("r2", [wire_entry("W-9", 9)], issued_at=T0 + timedelta(hours=1)), PUBLIC)
    assert [e.entry_id for e in v2.entries] == ["W-9"]
    found = v2.search(vector(9))
    assert found is not None
    assert found[0].entry_id == "W-9"
    assert found[1] == pytest.approx(1.0, abs=1e-5)
    assert v2.match_id_number("11010519491231002X") is None


def test_incremental_update_adds_replaces_and_removes(v1: Watchlist) -> None:
    later = T0 + timedelta(hours=1)
    payload = update("r2", [wire_entry("W-4", 4), wire_entry("W-3", 33)], base="r1", removed=("W-1",), issued_at=later)
    v2 = apply_update(v1, payload, PUBLIC)
    assert (v2.version, v2.issued_at) == ("r2", later)
    assert sorted(e.entry_id for e in v2.entries) == ["W-2", "W-3", "W-4"]
    assert v2.match_id_number("11010519491231002x") is not None  # untouched entries keep their fields
    for seed, entry_id in ((4, "W-4"), (33, "W-3"), (2, "W-2")):
        found = v2.search(vector(seed))
        assert found is not None
        assert (found[0].entry_id, round(found[1], 4)) == (entry_id, 1.0)
    gone = v2.search(vector(1))
    assert gone is not None
    assert gone[1] < 0.5  # W-1's template is no longer listed
    assert len(v1) == 3  # the old version is untouched


@pytest.mark.parametrize("forgery", ["other_key", "altered", "unsigned", "bad_base64"])
def test_forged_updates_are_refused(v1: Watchlist, forgery: str) -> None:
    payload = update("r2", [wire_entry("W-1", 1)], base="r1", issued_at=T0 + timedelta(hours=1))
    raw = json.loads(payload)
    if forgery == "other_key":
        payload = update("r2", [wire_entry("W-1", 1)], base="r1", key=Ed25519PrivateKey.generate())
    elif forgery == "altered":
        raw["upserts"][0]["name"] = "无辜的人"
        payload = json.dumps(raw).encode()
    elif forgery == "unsigned":
        del raw["signature"]
        payload = json.dumps(raw).encode()
    else:
        raw["signature"] = "not base64!"
        payload = json.dumps(raw).encode()
    with pytest.raises(UpdateSignatureError):
        apply_update(v1, payload, PUBLIC)


def test_wrong_base_version_is_refused(v1: Watchlist) -> None:
    with pytest.raises(BaseVersionMismatch) as refused:
        apply_update(v1, update("r3", [], base="r2", issued_at=T0 + timedelta(hours=2)), PUBLIC)
    assert (refused.value.current, refused.value.base, refused.value.version) == ("r1", "r2", "r3")


def test_replayed_older_update_and_other_model_are_refused(v1: Watchlist) -> None:
    with pytest.raises(UpdateRollback):
        apply_update(v1, update("r0", [], issued_at=T0 - timedelta(days=1)), PUBLIC)
    raw = json.loads(update("r2", [], issued_at=T0 + timedelta(hours=1)))
    raw.pop("signature")
    raw["model"] = "arcface"
    with pytest.raises(MalformedUpdate):
        apply_update(v1, sign(raw, KEY), PUBLIC)


def sync_for(tmp_path: Path, watchlist: Watchlist, now: list[datetime]) -> tuple[WatchlistSync, Holder, Path]:
    holder, path = Holder(watchlist), tmp_path / "watchlist.npz"
    watchlist.save(path)
    sync = WatchlistSync(holder, path, PUBLIC, max_age=timedelta(hours=48), clock=lambda: now[0])
    return sync, holder, path


def test_handler_saves_and_swaps_and_asks_for_a_full_update(tmp_path: Path, v1: Watchlist) -> None:
    now = [T0 + timedelta(hours=3)]
    sync, holder, path = sync_for(tmp_path, v1, now)
    assert sync.status_fields() == {"watchlist_version": "r1", "watchlist_stale": None}
    with pytest.raises(BaseVersionMismatch):
        sync.process(update("r3", [wire_entry("W-5", 5)], base="r2", issued_at=T0 + timedelta(hours=2)))
    assert holder.watchlist is v1
    assert sync.status_fields() == {"watchlist_version": "r1", "watchlist_stale": "needs_full"}
    applied = sync.process(update("r3", [wire_entry("W-5", 5)], issued_at=T0 + timedelta(hours=2)))
    assert holder.watchlist is applied
    assert Watchlist.load(path).version == "r3"
    assert sync.status_fields() == {"watchlist_version": "r3", "watchlist_stale": None}


def test_handle_command_applies_off_the_network_thread(tmp_path: Path, v1: Watchlist) -> None:
    sync, holder, _ = sync_for(tmp_path, v1, [T0])
    sync.handle_command("guardpost/v1/t/T1/cmd", b'{"schema": "guardpost.config/1"}')  # not ours: ignored
    sync.handle_command("guardpost/v1/t/T1/cmd", update("r2", [], base="r1", issued_at=T0 + timedelta(hours=1)))
    sync.flush(timeout=10)
    sync.close()
    assert holder.watchlist.version == "r2"


def test_a_failed_save_keeps_the_old_file_and_list(
    tmp_path: Path, v1: Watchlist, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync, holder, path = sync_for(tmp_path, v1, [T0])

    def crash(fd: int) -> None:
        raise OSError("disk failed")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk failed"):
        sync.process(update("r2", [wire_entry("W-7", 7)], base="r1", issued_at=T0 + timedelta(hours=1)))
    monkeypatch.undo()
    assert holder.watchlist is v1
    assert Watchlist.load(path).version == "r1"
    assert [p.name for p in tmp_path.iterdir()] == ["watchlist.npz"]  # no temp file left behind


def test_staleness_by_age_and_by_announced_version(
    tmp_path: Path, v1: Watchlist, caplog: pytest.LogCaptureFixture
) -> None:
    now = [T0 + timedelta(hours=47)]
    sync, _, _ = sync_for(tmp_path, v1, now)
    assert sync.staleness() is None
    now[0] = T0 + timedelta(hours=49)
    with caplog.at_level(logging.WARNING, logger="edge.watchlist_sync"):
        assert sync.status_fields()["watchlist_stale"] == "too_old"
        sync.status_fields()
    assert len([r for r in caplog.records if "stale" in r.getMessage()]) == 1  # warned once, not per status
    sync.process(announce("r1", T0 + timedelta(hours=48)))
    assert sync.staleness() is None  # central confirmed r1 is still current
    sync.process(announce("r1", T0))  # a replayed old announcement changes nothing
    sync.process(announce("r2", T0 + timedelta(hours=48, minutes=5)))
    assert sync.staleness() == "behind"
    sync.process(announce("r1", T0 + timedelta(hours=48, minutes=1)))  # older than the last one seen
    assert sync.staleness() == "behind"


@pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss-cpu not installed")
def test_large_list_keeps_its_index_in_the_file_and_maps_its_templates(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = rng.standard_normal((3000, 128)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    built = Watchlist.build([(WatchlistEntry(f"W-{i}", ""), [r]) for i, r in enumerate(rows)], "r1", approximate=True)
    path = tmp_path / "big.npz"
    built.save(path)
    loaded = Watchlist.load(path, approximate=True)
    assert isinstance(loaded.index, IvfIndex)
    assert loaded.mapped  # not read into memory
    for query in rows[:50]:
        assert loaded.search(query) == built.search(query)  # the same trained index, not a rebuilt one
    sync = WatchlistSync(Holder(loaded), path, PUBLIC, clock=lambda: T0)
    new = sync.process(update("r2", [wire_entry("W-new", 77)], base="r1", removed=("W-0",)))
    assert new is not None
    assert isinstance(new.index, IvfIndex)
    assert new.mapped  # reloaded from the new file after the update
    assert (len(new), new.template_count) == (3000, 3000)
    found = new.search(vector(77))
    assert found is not None
    assert found[0].entry_id == "W-new"


@pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss-cpu not installed")
def test_incremental_updates_of_a_large_list_apply_in_place_and_survive_a_restart(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    rows = rng.standard_normal((3000, 128)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    entries = [WatchlistEntry(f"W-{i}", "", "11010519491231002X" if i == 5 else None) for i in range(3000)]
    Watchlist.build([(e, [r]) for e, r in zip(entries, rows, strict=True)], "r1", approximate=True).save(
        tmp_path / "big.npz"
    )
    path, delta = tmp_path / "big.npz", tmp_path / "big.delta.npz"
    loaded = Watchlist.load(path)
    saved = path.read_bytes()
    sync = WatchlistSync(Holder(loaded), path, PUBLIC, clock=lambda: T0)
    r2 = update("r2", [wire_entry("W-new", 77), wire_entry("W-2", 78)], base="r1", removed=("W-0", "W-5"))
    new = sync.process(r2)
    assert new is not None
    assert sync.watchlist is new
    assert (new.version, len(new), new.template_count, new.overlay_rows) == ("r2", 2999, 2999, 2)
    assert isinstance(new.index, IvfIndex)
    assert new.index is loaded.index
    assert new.mapped
    assert path.read_bytes() == saved
    assert delta.exists()
    # What a list rebuilt from the entries present answers (exactly: a rebuilt IVF would cluster anew).
    rebuilt = Watchlist.build(new.items(), "r2", approximate=False)
    assert [e.entry_id for e in new.entries] == [e.entry_id for e in rebuilt.entries]

    def answers(watchlist: Watchlist, queries: np.ndarray[Any, np.dtype[np.float32]]) -> list[tuple[str, float]]:
        found = [watchlist.search(q) for q in queries]
        return [(hit[0].entry_id, round(hit[1], 6)) for hit in found if hit is not None]

    queries = np.concatenate([rows[:200], vector(77)[None], vector(78)[None]])
    for (got, score), (want, exact) in zip(answers(new, queries), answers(rebuilt, queries), strict=True):
        assert got == want
        assert abs(score - exact) < 0.02
    assert answers(new, rows[10:60]) == answers(loaded, rows[10:60])  # the index's own answers where unchanged
    found = new.search(vector(77))
    assert found is not None
    assert found[0].entry_id == "W-new"
    assert found[1] == pytest.approx(1.0, abs=1e-5)
    assert {hit[0].entry_id for hit in (new.search(rows[0]), new.search(rows[5]), new.search(rows[2])) if hit} & {
        "W-0",
        "W-5",
        "W-2",
    } == set()  # removed, and replaced by another template
    assert new.match_id_number("11010519491231002x") is None
    assert loaded.match_id_number("11010519491231002X")

    restarted = Watchlist.load(path)  # a restart reads the list and its overlay
    assert (restarted.version, len(restarted), restarted.overlay_rows) == ("r2", 2999, 2)
    assert answers(restarted, queries) == answers(new, queries)

    sync = WatchlistSync(Holder(restarted), path, PUBLIC, clock=lambda: T0)
    r3 = update("r3", [wire_entry("W-later", 79, "11010519491231002X")], base="r2", removed=("W-new",))
    newer = sync.process(r3)
    assert newer is not None
    assert newer.version == "r3"
    assert path.read_bytes() == saved
    gone = newer.search(vector(77))
    assert gone is not None
    assert gone[0].entry_id != "W-new"
    assert gone[1] < 0.5
    later = newer.match_id_number("11010519491231002X")
    assert later is not None
    assert later.entry_id == "W-later"
    assert Watchlist.load(path).version == "r3"

    full = sync.process(update("r4", [wire_entry("W-1", 1)], issued_at=T0 + timedelta(hours=1)))
    assert full is not None
    assert (full.version, len(full), full.overlay_rows) == ("r4", 1, 0)
    assert not delta.exists()
    assert Watchlist.load(path).version == "r4"


@pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss-cpu not installed")
def test_an_overlay_that_does_not_fit_the_list_is_refused_or_ignored(tmp_path: Path) -> None:
    from edge.errors import TemplateFileError

    rows = np.random.default_rng(7).standard_normal((1200, 128)).astype(np.float32)
    built = Watchlist.build([(WatchlistEntry(f"W-{i}", ""), [r]) for i, r in enumerate(rows)], "r1", approximate=True)
    path, delta = tmp_path / "big.npz", tmp_path / "big.delta.npz"
    built.updated([(WatchlistEntry("W-new", ""), [vector(1)])], ["W-3"], "r2").save(path)  # base, then overlay
    assert Watchlist.load(path).version == "r2"
    assert Watchlist.load(path, approximate=False).version == "r2"
    overlay = delta.read_bytes()
    delta.write_bytes(overlay[: len(overlay) // 2])
    with pytest.raises(TemplateFileError):
        Watchlist.load(path)  # as for a corrupt list file
    delta.write_bytes(overlay)
    Watchlist.build([(WatchlistEntry("W-1", ""), [vector(2)])], "r9").save(path)
    assert not delta.exists()
    delta.write_bytes(overlay)  # left over from a crash between the list and the overlay: made on r1, not r9
    assert Watchlist.load(path).version == "r9"


def test_events_carry_the_version_after_an_update(tmp_path: Path, v1: Watchlist) -> None:
    from edge.checkin import CheckinPipeline
    from edge.drivers.base import CardRead
    from edge.drivers.camera import SnapshotCamera, SnapshotCameraConfig
    from edge.enrolment import Enrolment
    from edge.outbox import Outbox
    from firmware_mocks.camera import MockCamera
    from protocol.checkin import CardKind
    from tests.fixtures.faces import load_engine

    engine = load_engine()
    outbox = Outbox(tmp_path / "outbox.sqlite3", max_rows=100)
    with MockCamera() as camera:
        camera.inject("dead")  # no photo: the list is still checked on the ID number, and versioned
        pipeline = CheckinPipeline("T1", SnapshotCamera(SnapshotCameraConfig(url=camera.url)), engine,
                                   engine.settings, Enrolment(), v1, outbox, repeat_window_s=0)  # fmt: skip
        sync = WatchlistSync(pipeline, tmp_path / "watchlist.npz", PUBLIC, clock=lambda: T0)
        before = pipeline.handle(CardRead(kind=CardKind.MIFARE, uid="DEADBEEF"))
        sync.process(update("r2", [], base="r1", issued_at=T0 + timedelta(hours=1)))
        after = pipeline.handle(CardRead(kind=CardKind.MIFARE, uid="CAFEF00D"))
    outbox.close()
    assert before is not None
    assert after is not None
    assert before.event is not None
    assert after.event is not None
    assert before.event.face.watchlist.list_version == "r1"
    assert after.event.face.watchlist.list_version == "r2"
    assert sync.status_fields()["watchlist_version"] == "r2"
