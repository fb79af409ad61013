"""Mock camera: serves real face images as HTTP snapshots, like an IP camera's snapshot URL.

``GET /snapshot.jpg`` returns the image on show (or the next image of the
folder, in turn). Faults on demand: ``dead`` (HTTP 503) and ``black`` frames.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

import cv2
import numpy as np
import numpy.typing as npt

from protocol.errors import ConfigError

logger = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".pgm", ".bmp"}
Fault = Literal["dead", "black"]


def load_image(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"not an image: {path}")
    return np.asarray(image, dtype=np.uint8)


def stage(face: npt.NDArray[np.uint8], width: int = 640, height: int = 480) -> npt.NDArray[np.uint8]:
    """Place a face image, scaled x2, on a grey frame: what a gate camera sees of a guard."""
    scaled = cv2.resize(face, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    canvas = np.full((height, width, 3), 128, dtype=np.uint8)
    h, w = scaled.shape[:2]
    top, left = (height - h) // 2, (width - w) // 2
    canvas[top : top + h, left : left + w] = scaled
    return canvas


class MockCamera:
    """An HTTP snapshot camera on 127.0.0.1; ``url`` is what a SnapshotCamera opens."""

    def __init__(self, images: list[Path] | None = None, port: int = 0, staged: bool = True) -> None:
        self._lock = threading.Lock()
        self._staged = staged
        self._cycle: Iterator[Path] | None = itertools.cycle(images) if images else None
        self._current: npt.NDArray[np.uint8] | None = None
        self._fault: Fault | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="mock-camera", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/snapshot.jpg"

    def start(self) -> None:
        self._thread.start()

    def show(self, image: Path | npt.NDArray[np.uint8]) -> None:
        """Serve this face photo (staged on a frame) or this whole BGR frame until told otherwise.

        Clears any injected fault."""
        if isinstance(image, Path):
            face = load_image(image)
            frame = stage(face) if self._staged else face
        else:
            frame = image
        with self._lock:
            self._current = frame
            self._fault = None

    def inject(self, fault: Fault | None) -> None:
        with self._lock:
            self._fault = fault

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _frame(self) -> tuple[Fault | None, npt.NDArray[np.uint8] | None]:
        with self._lock:
            if self._fault is None and self._current is None and self._cycle is not None:
                face = load_image(next(self._cycle))
                return None, stage(face) if self._staged else face
            return self._fault, self._current

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fault, frame = camera._frame()
                if self.path.split("?")[0] != "/snapshot.jpg":
                    self.send_error(404)
                elif fault == "dead" or frame is None:
                    self.send_error(503, "camera offline")
                else:
                    if fault == "black":
                        frame = np.zeros_like(frame)
                    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
                    body = jpeg.tobytes()
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - overrides base
                logger.debug("mock camera: %s", format % args)

        return Handler


def run(args: argparse.Namespace) -> int:
    """``guardpost mock camera`` (arguments in firmware_mocks/cli.py); ConfigError for a bad folder or port."""
    if not args.images.is_dir():
        raise ConfigError(f"图片文件夹不存在 / images folder {args.images} does not exist: check --images")
    images = sorted(p for p in args.images.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise ConfigError(f"文件夹中没有图片 / no images ({suffixes}) in {args.images}: check --images")
    try:
        camera = MockCamera(images, port=args.port, staged=not args.raw)
    except OSError as exc:  # the port is taken, or privileged
        raise ConfigError(f"无法监听端口 / cannot listen on port {args.port}: {exc.strerror}; "
                          "choose another with --port") from exc  # fmt: skip
    with camera:
        print(f"模拟摄像头已启动 / mock camera serving {len(images)} images at {camera.url}")
        threading.Event().wait()
    return 0
