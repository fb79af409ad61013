"""1:1 fingerprint at the tap: the card holder's templates from the roster against one capture on the module.

The module (``edge.drivers.fingerprint``) holds no library for this: each
template central sent is written to char buffer 2 (DownChar), the finger is
captured into buffer 1 once (GenImg, Img2Tz), and Match scores the pair on the
module, as its makers intend. The first template that matches wins. A module
that stops answering is reopened at the next tap; the tap is recorded with the
reason either way (``NO_FINGERPRINT``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from edge.drivers.fingerprint import FingerprintConfig, FingerprintReader
from edge.errors import FingerprintError, NoFingerError, NoMatchError
from protocol.checkin import FingerprintResult, FingerprintStatus

logger = logging.getLogger(__name__)

PROMPT = ("请按手指", "place your finger on the reader")


class FingerprintCheck:
    """The terminal's module, opened at the first use and after a fault."""

    def __init__(self, config: FingerprintConfig, wait_s: float = 8.0) -> None:
        self._config, self._wait_s = config, wait_s
        self._driver: FingerprintReader | None = None

    def verify(self, templates: Sequence[bytes], prompt: Callable[[str, str], None]) -> FingerprintResult:
        """Ask for a finger and match it against ``templates`` (the card holder's)."""
        try:
            driver = self._open()
            prompt(*PROMPT)
            driver.capture(buffer=1, timeout=self._wait_s)
            return _best(driver, templates)
        except NoFingerError:
            return FingerprintResult(status=FingerprintStatus.NO_FINGER)
        except (FingerprintError, OSError) as exc:
            logger.warning("指纹模块故障 / fingerprint module fault: %s", exc)
            self.close()
            return FingerprintResult(status=FingerprintStatus.FAULT, reason=str(exc)[:200])

    def _open(self) -> FingerprintReader:
        if self._driver is None:
            self._driver = FingerprintReader(self._config)
            if self._config.password:
                self._driver.verify_password()
        return self._driver

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None


def _best(driver: FingerprintReader, templates: Sequence[bytes]) -> FingerprintResult:
    for template in templates:
        driver.download(2, template)
        try:
            score = driver.match()
        except NoMatchError:
            continue
        return FingerprintResult(status=FingerprintStatus.MATCHED, score=score)
    return FingerprintResult(status=FingerprintStatus.MISMATCH, score=0)
