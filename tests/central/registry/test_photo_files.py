"""Registration photos in bulk: ``guardpost registry photos`` on a ZIP named by guard id and ID number."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from central.registry.faces import templates_of
from guardpost.cli import main
from guardpost.demo_script import faces_dir


def test_a_zip_of_photos_enrols_each_guard_and_says_what_it_did_with_each_file(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GUARDPOST_CENTRAL_DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("GUARDPOST_CENTRAL_ACCESS__DEMO", "true")
    archive = tmp_path / "登记照片.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(faces_dir() / "s1" / "1.pgm", "G1.pgm")
        zipped.write(faces_dir() / "s1" / "2.pgm", "G1_2.pgm")  # a second photo of the same guard
        zipped.write(faces_dir() / "s2" / "1.pgm", "照片/11010519900728002X.pgm")  # 李娜 by her ID number
        zipped.writestr("G3.png", b"not a picture at all")
        zipped.writestr("G99.pgm", (faces_dir() / "s3" / "1.pgm").read_bytes())  # nobody of that id
        zipped.writestr("readme.txt", b"photos of the new guards")
    code = main(["registry", "photos", str(archive)])
    out = capsys.readouterr().out
    assert code == 1  # not every file was used
    assert "照片 6 张，采用 3 张（2 名保安员），未采用 3 张" in out
    assert "G3.png: 不是可读取的图片" in out
    assert "G99.pgm: 文件名不是已登记的保安员编号或身份证号" in out
    assert "readme.txt: 不是照片文件" in out
    with Session(sqlite_engine) as session:
        stored = templates_of(session, ["G1", "G2", "G3"])
    assert {g: len(t) for g, t in stored.items()} == {"G1": 2, "G2": 1}


def test_a_missing_source_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "photos", str(tmp_path / "nowhere.zip")]) != 0
    assert "nowhere.zip" in capsys.readouterr().err
