"""Fingers as the mock sees them: a template per finger, a variation per capture, and a match score.

A finger's template is 512 bytes derived from its id; every capture changes 10
to 40 of its bytes, a different set each time. The score is the share of equal
bytes from 0 (chance) to 300 (identical): two captures of one finger score
about 250 or more, two fingers about 0; below 50 is no match, as on the module.
"""

from __future__ import annotations

import hashlib

TEMPLATE_BYTES = 512
MAX_SCORE, THRESHOLD = 300, 50


def finger_template(finger: str) -> bytes:
    """The finger's own 512 bytes, the same in every run."""
    return hashlib.shake_256(b"finger:" + finger.encode()).digest(TEMPLATE_BYTES)


def capture_template(finger: str, capture: int) -> bytes:
    """The template of capture number ``capture``: 10 to 40 bytes of the finger's changed."""
    noise = hashlib.shake_256(f"capture:{finger}:{capture}".encode()).digest(1 + 3 * 40)
    out = bytearray(finger_template(finger))
    for k in range(10 + noise[0] % 31):
        at = int.from_bytes(noise[1 + 3 * k : 3 + 3 * k], "big") % TEMPLATE_BYTES
        out[at] ^= noise[3 + 3 * k] | 1  # never 0: the byte always changes
    return bytes(out)


def match_score(a: bytes | None, b: bytes | None) -> int:
    """0 (no more alike than chance) to 300 (identical)."""
    if not a or not b or len(a) != len(b):
        return 0
    same = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
    chance = 1 / 256
    return max(0, round(MAX_SCORE * (same - chance) / (1 - chance)))
