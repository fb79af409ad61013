"""``guardpost central backup`` and ``restore``: a seeded month copied to another database, checked to the byte."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from central.checkins.store import record_event
from central.db.backup import table_counts
from central.db.engine import make_engine
from central.demo.month import generate
from central.schema import create_db
from firmware_mocks.events import camera_sized_photo
from guardpost.cli import main
from tests.fixtures.central import make_event


@dataclass(frozen=True)
class Place:
    """Where one central keeps its data: a config file naming its data_dir and database."""

    data_dir: Path
    url: str

    @property
    def config(self) -> Path:
        path = self.data_dir.parent / f"{self.data_dir.name}.toml"
        path.write_text(f"data_dir = '{self.data_dir.as_posix()}'\ndatabase_url = '{self.url}'\n", encoding="utf-8")
        return path

    def run(self, action: str, directory: Path) -> int:
        return main(["central", action, "--config", str(self.config), str(directory)])

    def counts(self) -> dict[str, int]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return table_counts(connection)
        finally:
            engine.dispose()


def _places(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Place, Place]:
    source, target = tmp_path / "source", tmp_path / "target"
    if backend == "sqlite":
        return (Place(source, f"sqlite:///{source / 'central.sqlite3'}"),
                Place(target, f"sqlite:///{target / 'central.sqlite3'}"))  # fmt: skip
    return Place(source, request.getfixturevalue("pg_url")), Place(target, request.getfixturevalue("another_pg_url"))


def _create(url: str) -> None:
    engine = make_engine(url)
    create_db(engine)
    engine.dispose()


def _seed(place: Place) -> list[Path]:
    """A small seeded month, three check-ins with photos and a wanted person's portrait; the photo files."""
    engine: Engine = make_engine(place.url)
    try:
        create_db(engine)
        generate(engine, place.data_dir, sites=2, guards_per_site=5)
        for seed in range(3):
            event = make_event("MT-MS00", seq=10_000 + seed, photo=camera_sized_photo(seed))
            record_event(engine, event, data_dir=place.data_dir, default_jurisdiction="110105-WJ")
    finally:
        engine.dispose()
    portrait = place.data_dir / "watchlist" / "W-0001.jpg"
    portrait.parent.mkdir(parents=True)
    portrait.write_bytes(camera_sized_photo(9).jpeg())
    return sorted((place.data_dir / "photos").rglob("*.jpg"))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_month_backed_up_and_restored_elsewhere_is_the_same(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = _places(backend, tmp_path, request)
    photos = _seed(source)
    assert len(photos) == 3
    if backend == "postgres":  # a database central created and never used counts as empty
        _create(target.url)
    backup = tmp_path / "backup"

    assert source.run("backup", backup) == 0
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    source_counts = source.counts()
    assert manifest["tables"] == source_counts
    assert source_counts["checkin"] > 500
    assert manifest["database_file"] in manifest["files"]
    assert len([p for p in manifest["files"] if p.startswith("files/")]) == 4  # three photos and the portrait

    assert target.run("restore", backup) == 0
    assert "核对无误" in capsys.readouterr().out
    assert target.counts() == source_counts
    one = photos[0].relative_to(source.data_dir)
    assert (target.data_dir / one).read_bytes() == photos[0].read_bytes()
    assert (target.data_dir / "watchlist" / "W-0001.jpg").read_bytes() == (
        source.data_dir / "watchlist" / "W-0001.jpg"
    ).read_bytes()

    # A second restore meets a database that is no longer empty.
    assert target.run("restore", backup) == 1
    assert "目标数据库不是空的" in capsys.readouterr().err


def test_refusals_name_the_problem(
    tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = _places("sqlite", tmp_path, request)
    photos = _seed(source)
    backup = tmp_path / "backup"
    assert source.run("backup", backup) == 0
    assert source.run("backup", backup) == 1  # not an empty directory
    assert "空目录" in capsys.readouterr().err

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    (damaged / "files" / photos[0].relative_to(source.data_dir)).write_bytes(b"not the photo")
    assert target.run("restore", damaged) == 1
    assert "备份已损坏" in capsys.readouterr().err
    assert not (target.data_dir / "photos").exists()  # nothing restored

    unfinished = tmp_path / "unfinished"
    shutil.copytree(backup, unfinished)
    (unfinished / "manifest.json").unlink()
    assert target.run("restore", unfinished) == 1
    assert "manifest.json" in capsys.readouterr().err


@pytest.mark.postgres
def test_without_pg_dump_the_backup_is_refused(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(pg_url)
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL client programs here
    assert Place(tmp_path / "data", pg_url).run("backup", tmp_path / "backup") == 1
    assert "找不到 pg_dump" in capsys.readouterr().err
