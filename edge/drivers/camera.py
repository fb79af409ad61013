"""Cameras: OpenCV ``VideoCapture`` (USB index, RTSP URL, file) and HTTP snapshot URLs.

IP cameras used at gates usually offer a snapshot URL (one JPEG per GET),
which is cheaper and fresher than keeping an RTSP stream decoded.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.drivers.base import Camera, Frame
from edge.errors import CameraError

BLACK_FRAME_MEAN = 2.0  # a mean below this is a covered lens or a dead sensor, not a dark face


class OpenCvCameraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["opencv"] = "opencv"
    source: int | str = Field(description="USB index, RTSP URL, or video/image file")
    grab_frames: int = Field(default=1, ge=1, description="frames grabbed per snapshot to skip stale buffers")


class SnapshotCameraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["snapshot"] = "snapshot"
    url: str = Field(pattern=r"^https?://")
    timeout_s: float = Field(default=2.0, gt=0)


CameraConfig = Annotated[OpenCvCameraConfig | SnapshotCameraConfig, Field(discriminator="type")]


def _checked(image: np.ndarray | None, source: str) -> Frame:
    if image is None or image.size == 0:
        raise CameraError(f"摄像头无图像 / camera {source} returned no frame")
    if float(image.mean()) < BLACK_FRAME_MEAN:
        raise CameraError(f"摄像头画面全黑 / camera {source} returned a black frame")
    return Frame(image=image.astype(np.uint8, copy=False), captured_at=datetime.now(UTC))


class OpenCvCamera(Camera):
    type_key: ClassVar[str] = "opencv"

    def __init__(self, config: OpenCvCameraConfig) -> None:
        self._config = config
        self._capture = cv2.VideoCapture(config.source)
        if not self._capture.isOpened():
            raise CameraError(f"无法打开摄像头 / cannot open camera {config.source!r}")

    def snapshot(self) -> Frame:
        image = None
        for _ in range(self._config.grab_frames):
            ok, image = self._capture.read()
            if not ok:
                image = None
        return _checked(image, str(self._config.source))

    def close(self) -> None:
        self._capture.release()


class SnapshotCamera(Camera):
    type_key: ClassVar[str] = "snapshot"

    def __init__(self, config: SnapshotCameraConfig) -> None:
        self._config = config

    def snapshot(self) -> Frame:
        try:
            # The URL scheme is restricted to http(s) by the config model.
            with urllib.request.urlopen(self._config.url, timeout=self._config.timeout_s) as response:  # noqa: S310
                body = response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise CameraError(f"摄像头无响应 / camera {self._config.url} unreachable: {exc}") from exc
        image = cv2.imdecode(np.frombuffer(body, dtype=np.uint8), cv2.IMREAD_COLOR)
        return _checked(image, self._config.url)


def create_camera(config: OpenCvCameraConfig | SnapshotCameraConfig) -> Camera:
    if isinstance(config, OpenCvCameraConfig):
        return OpenCvCamera(config)
    return SnapshotCamera(config)
