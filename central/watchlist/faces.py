"""Face templates of wanted persons, computed on central from uploaded photos.

Central runs the terminal's face models (``shared.face.FaceEngine``, the same
detector, quality gates and recognizer), so the templates it sends are those a
terminal would compute. Terminals receive templates only, never images
(人脸识别技术应用安全管理办法, 2025). Central keeps one photo per entry,
re-encoded (which drops the uploaded file's metadata), as
``<data_dir>/watchlist/<id>.jpg``: the alerts page shows it beside the
check-in photo.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from protocol.checkin import FaceStatus
from shared.face import FaceEngine, FaceSettings
from shared.files import atomic_writer

MAX_PHOTO_BYTES = 4 * 1024 * 1024
NOT_AN_IMAGE = "NOT_AN_IMAGE"

# Said to the officer who uploads the photo: what is wrong with it, not what the guard should do.
REASONS: dict[str, tuple[str, str]] = {
    FaceStatus.NO_FACE: ("未检测到人脸", "no face found"),
    FaceStatus.MULTIPLE_FACES: ("照片中有多张人脸，请只保留本人", "several faces; the photo must show one person"),
    FaceStatus.FACE_TOO_SMALL: ("人脸太小，请用更近或分辨率更高的照片", "face too small; use a closer or larger photo"),
    FaceStatus.BLURRED: ("照片模糊", "photo blurred"),
    FaceStatus.TOO_DARK: ("照片太暗", "photo too dark"),
    FaceStatus.NOT_FRONTAL: ("人脸不是正面", "face not frontal"),
    NOT_AN_IMAGE: ("不是可读取的图片（JPEG / PNG）", "not a readable image (JPEG / PNG)"),
}


class PhotoRefused(ValueError):
    """A photo that gives no usable template; ``index`` counts from 1, the reason in Chinese and English."""

    def __init__(self, index: int, code: str) -> None:
        self.index, self.code = index, code
        zh, en = REASONS.get(code, (code, code))
        self.reason_zh, self.reason_en = zh, en
        super().__init__(f"第 {index} 张照片不可用：{zh} / photo {index} refused: {en} ({code})")


@dataclass(frozen=True, slots=True)
class Enrolled:
    templates: tuple[bytes, ...]  # 128 little-endian float32 each, one per photo
    portrait_jpeg: bytes  # the first photo, re-encoded


_engine: list[FaceEngine] = []
_engine_lock = threading.Lock()


def face_engine() -> FaceEngine:
    """The models, loaded at the first use (not at start: most requests never need them)."""
    with _engine_lock:
        if not _engine:
            _engine.append(FaceEngine(FaceSettings()))
        return _engine[0]


def _decode(data: bytes, index: int) -> npt.NDArray[np.uint8]:
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused(index, NOT_AN_IMAGE)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise PhotoRefused(index, NOT_AN_IMAGE)
    return np.asarray(image, dtype=np.uint8)


def enrol(photos: Sequence[bytes]) -> Enrolled:
    """One template per photo; raises PhotoRefused for the first photo without a usable face."""
    engine = face_engine()
    templates: list[bytes] = []
    portrait = b""
    for index, data in enumerate(photos, start=1):
        image = _decode(data, index)
        analysis = engine.analyse(image)
        if analysis.embedding is None:
            raise PhotoRefused(index, analysis.status.value)
        templates.append(analysis.embedding.astype("<f4").tobytes())
        if index == 1:
            ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            if not ok:
                raise PhotoRefused(index, NOT_AN_IMAGE)
            portrait = bytes(buffer.tobytes())
    return Enrolled(tuple(templates), portrait)


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
