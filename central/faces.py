"""Face photos uploaded to central: decoded, checked and turned into templates by the terminal's engine.

Central runs the terminal's face models (``shared.face.FaceEngine``: the same
detector, quality gates and recognizer), so the templates it sends are those a
terminal would compute. Used for wanted persons (``central.watchlist.faces``)
and for guards enrolled centrally (``central.registry.faces``). The models load
at the first use: most requests never need them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from protocol.checkin import FaceStatus
from shared.face import FaceEngine, FaceSettings

MAX_PHOTO_BYTES = 4 * 1024 * 1024
NOT_AN_IMAGE = "NOT_AN_IMAGE"

# Said to the person who uploads the photo: what is wrong with it, not what the guard should do.
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
        super().__init__(f"第 {index} 张照片不可用：{zh} / photo {index} refused: {en}")


@dataclass(frozen=True, slots=True)
class FacePhoto:
    template: bytes  # 128 little-endian float32
    quality: float  # the detector's score of the face
    jpeg: bytes  # the photo re-encoded (which drops the uploaded file's metadata)


_engine: list[FaceEngine] = []
_engine_lock = threading.Lock()


def face_engine() -> FaceEngine:
    """The models, loaded at the first use."""
    with _engine_lock:
        if not _engine:
            _engine.append(FaceEngine(FaceSettings()))
        return _engine[0]


def decode_photo(data: bytes, index: int) -> npt.NDArray[np.uint8]:
    """The image of an uploaded photo; PhotoRefused when too large or not an image."""
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused(index, NOT_AN_IMAGE)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise PhotoRefused(index, NOT_AN_IMAGE)
    return np.asarray(image, dtype=np.uint8)


def analyse_photo(data: bytes, index: int) -> FacePhoto:
    """The template of the one face in a photo; PhotoRefused with the reason when there is none."""
    image = decode_photo(data, index)
    analysis = face_engine().analyse(image)
    if analysis.embedding is None:
        raise PhotoRefused(index, analysis.status.value)
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise PhotoRefused(index, NOT_AN_IMAGE)
    return FacePhoto(
        analysis.embedding.astype("<f4").tobytes(), float(analysis.quality or 0.0), bytes(buffer.tobytes())
    )
