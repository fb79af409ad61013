"""Enrolling a guard's finger at a terminal (or a desk reader of the same family), sent to central.

Guided, as the module's makers intend: press, lift, press the same finger again;
the two captures are combined on the module (RegModel) and the template is read
out (UpChar) and stored centrally per guard and finger, from where every
terminal of the guard's sites receives it with its roster. The module keeps
nothing; the terminal keeps nothing but what central sends back.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from edge.drivers.fingerprint import FingerprintReader
from edge.errors import EdgeError, FingerprintError, NoFingerError

Prompt = Callable[[str, str], None]
STEPS = (
    ("请按手指", "place your finger on the reader"),
    ("请抬起手指", "lift your finger"),
    ("请再按同一手指", "place the same finger again"),
)


class EnrolmentRefused(EdgeError):
    """Central did not take the template (the reason as it said it), or could not be reached."""


def capture_finger(driver: FingerprintReader, prompt: Prompt, wait_s: float = 15.0) -> bytes:
    """Press, lift, press again; the combined template as the module uploads it.

    Raises NoFingerError when no finger comes within ``wait_s`` at a step, CombineFailedError when the
    two presses were not the same finger, another FingerprintError when the module fails.
    """
    prompt(*STEPS[0])
    driver.capture(buffer=1, timeout=wait_s)
    prompt(*STEPS[1])
    deadline = time.monotonic() + wait_s
    while driver.finger_present():
        if time.monotonic() > deadline:
            raise NoFingerError("手指未抬起 / the finger was not lifted", 0x02, "finger_not_lifted")
        time.sleep(0.1)  # polling the sensor: the module reports no lift by itself
    prompt(*STEPS[2])
    driver.capture(buffer=2, timeout=wait_s)
    driver.register_model()
    return driver.upload(1)


def send_to_central(central_url: str, api_key: str, guard_id: str, finger: int, template: bytes) -> dict[str, object]:
    """PUT the template to central's enrolment API; central's answer, or EnrolmentRefused with its reason."""
    url = f"{central_url.rstrip('/')}/api/guards/{urllib.parse.quote(guard_id)}/fingerprints/{finger}"
    body = json.dumps({"template_b64": base64.b64encode(template).decode("ascii")}).encode()
    request = urllib.request.Request(url, data=body, method="PUT", headers={  # noqa: S310 (the configured central)
        "Content-Type": "application/json", "X-API-Key": api_key,
    })  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            answer: dict[str, object] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise EnrolmentRefused(f"中心拒绝 / central refused ({exc.code}): {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise EnrolmentRefused(f"无法连接中心 / central not reached at {central_url}: {exc}") from exc


__all__ = ["STEPS", "EnrolmentRefused", "FingerprintError", "capture_finger", "send_to_central"]
