"""Registration photos in bulk: a folder or a ZIP of files named by the guard's ID number or guard id.

``陈静.jpg`` tells nothing; ``110105198702140024.jpg`` or ``G5.jpg`` does. Several
photos of one guard: ``G5.jpg``, ``G5_2.jpg``, ``G5-3.png``. Each file gets a
result: kept, refused with the reason (no face, blurred, ...), or not matched to
a guard. Files that are not images by their suffix are skipped and listed.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlmodel import Session, select

from central.db.sealing import lookup_hash
from central.faces import MAX_PHOTO_BYTES
from central.registry.faces import enrol_photos
from central.registry.models import Guard
from protocol.id_number import IdNumberError, check

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".webp"})
_SEVERAL = re.compile(r"^(?P<key>.+?)(?:[_-]\d{1,2})?$")  # G5_2 -> G5


@dataclass(frozen=True, slots=True)
class FileResult:
    name: str
    guard_id: str | None
    kept: bool
    reason_zh: str = ""
    reason_en: str = ""


def photo_files(source: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each image in a folder (not recursive) or a ZIP, by name."""
    if source.is_dir():
        for path in sorted(source.iterdir()):
            if path.is_file():
                yield path.name, _read(path.name, path.stat().st_size, path.read_bytes)
        return
    with zipfile.ZipFile(source) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if not info.is_dir():
                name = PurePosixPath(info.filename).name
                yield name, _read(name, info.file_size, lambda info=info: archive.read(info))  # type: ignore[misc]


def _read(name: str, size: int, read: Callable[[], bytes]) -> bytes:
    """The file's bytes; empty for one that is not an image by name or too large to be a photo."""
    if PurePosixPath(name).suffix.lower() not in IMAGE_SUFFIXES or size > MAX_PHOTO_BYTES:
        return b""
    return read()


def guard_of(session: Session, name: str) -> str | None:
    """The guard a file is named after: its guard id, or its ID number (found by the keyed hash)."""
    stem = PurePosixPath(name).stem.strip()
    match = _SEVERAL.match(stem)
    key = match.group("key") if match else stem
    for candidate in dict.fromkeys((stem, key)):
        if session.get(Guard, candidate) is not None:
            return candidate
        try:
            number = check(candidate)
        except IdNumberError:
            continue
        found = session.exec(select(Guard.id).where(Guard.id_number_hash == lookup_hash(session.get_bind(), number)))
        if (guard_id := found.first()) is not None:
            return guard_id
    return None


def enrol_files(
    session: Session, source: Path, progress: Callable[[int, FileResult], None] = lambda n, r: None
) -> list[FileResult]:
    """Enrol every photo in ``source``, one guard at a time (committed per guard); a result per file."""
    results: list[FileResult] = []
    for name, data in photo_files(source):
        if not data:
            result = FileResult(
                name, None, False, "不是照片文件或超过 4 MB，已跳过", "not a photo file or over 4 MB: skipped"
            )
        elif (guard_id := guard_of(session, name)) is None:
            result = FileResult(name, None, False, "文件名不是已登记的保安员编号或身份证号",
                                "the file name is no registered guard id or ID number")  # fmt: skip
        else:
            outcome = enrol_photos(session, guard_id, [(name, data)]).photos[0]
            session.commit()
            result = FileResult(name, guard_id, outcome.kept, outcome.reason_zh, outcome.reason_en)
        results.append(result)
        progress(len(results), result)
    return results
