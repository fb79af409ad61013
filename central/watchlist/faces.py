"""Face templates of wanted persons, computed on central from uploaded photos (``central.faces``).

Terminals receive templates only, never images (人脸识别技术应用安全管理办法,
2025). Central keeps one photo per entry, re-encoded (which drops the uploaded
file's metadata), as ``<data_dir>/watchlist/<id>.jpg``: the alerts page shows it
beside the check-in photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from central.faces import analyse_photo
from shared.files import atomic_writer


@dataclass(frozen=True, slots=True)
class Enrolled:
    templates: tuple[bytes, ...]  # 128 little-endian float32 each, one per photo
    portrait_jpeg: bytes  # the first photo, re-encoded


def enrol(photos: Sequence[bytes]) -> Enrolled:
    """One template per photo; raises central.faces.PhotoRefused for the first photo without a usable face."""
    analysed = [analyse_photo(data, index) for index, data in enumerate(photos, start=1)]
    return Enrolled(tuple(p.template for p in analysed), analysed[0].jpeg if analysed else b"")


def portrait_path(data_dir: Path, entry_id: str) -> Path:
    return data_dir / "watchlist" / f"{entry_id}.jpg"


def save_portrait(data_dir: Path, entry_id: str, jpeg: bytes) -> None:
    """Replace the entry's photo whole (a reader sees the old file or the new one)."""
    path = portrait_path(data_dir, entry_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as handle:
        handle.write(jpeg)


def remove_portrait(data_dir: Path, entry_id: str) -> None:
    portrait_path(data_dir, entry_id).unlink(missing_ok=True)
