"""Real face images for the face tests: the ORL database, placed on frames as a terminal camera would see them.

ORL face database, Olivetti Research Laboratory (AT&T Laboratories Cambridge).
Its location comes from GUARDPOST_ORL_DIR; tests skip when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from shared.face import FaceEngine, FaceSettings

Image = npt.NDArray[np.uint8]

# The shared data folder sits beside the checkout.
ORL_DIR = Path(
    os.environ.get("GUARDPOST_ORL_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "orl")
)


def require_orl() -> Path:
    if not (ORL_DIR / "s1" / "1.pgm").is_file():
        if os.environ.get("GUARDPOST_REQUIRE_SERVICES"):
            pytest.fail(f"ORL face images not found at {ORL_DIR} (set GUARDPOST_ORL_DIR)")
        pytest.skip(f"ORL face images not found at {ORL_DIR} (set GUARDPOST_ORL_DIR)")
    return ORL_DIR


def orl_path(person: int, shot: int) -> Path:
    return require_orl() / f"s{person}" / f"{shot}.pgm"


def orl(person: int, shot: int) -> Image:
    image = cv2.imread(str(orl_path(person, shot)), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return np.asarray(image, dtype=np.uint8)


def on_canvas(face: Image, scale: float = 2.0, size: tuple[int, int] = (640, 480), x: int | None = None) -> Image:
    """The face scaled by ``scale`` on a mid-grey frame of ``size`` (w, h), centred unless ``x`` is given."""
    scaled = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    canvas = np.full((size[1], size[0]), 128, dtype=np.uint8)
    h, w = scaled.shape[:2]
    top = (size[1] - h) // 2
    left = (size[0] - w) // 2 if x is None else x
    canvas[top : top + h, left : left + w] = scaled
    return canvas


def frame(person: int, shot: int) -> Image:
    """A BGR 640x480 frame with one ORL face at twice its size, the calibration protocol."""
    return np.asarray(cv2.cvtColor(on_canvas(orl(person, shot)), cv2.COLOR_GRAY2BGR), dtype=np.uint8)


def load_engine(**overrides: float) -> FaceEngine:
    require_orl()
    return FaceEngine(FaceSettings.model_validate(overrides))
