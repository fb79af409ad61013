"""What central keeps of a payload it could not accept: the bytes and the reason, ID numbers masked.

A dead letter is kept for someone to find out what a terminal sent wrong; the
resident ID numbers in it are not needed for that and are not kept in clear.
Every run of 15 or more digits (an 18-character number may end in X) is
masked as everywhere else (``1101**********0012``), in the payload and in
the reason. The payload is read in the encoding JSON would read it in (UTF-8,
-16 or -32), or byte by byte when it is in none, and written back in the same
one; a payload with no such run is kept byte for byte.
"""

from __future__ import annotations

import json
import re

from central.access.scope import mask_id_number

_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{14,}[0-9Xx](?![0-9])")


def mask_numbers(text: str) -> str:
    """``text`` with every run of 15 or more digits masked."""
    return _LONG_NUMBER.sub(lambda m: mask_id_number(m.group()), text)


def mask_payload(payload: bytes) -> bytes:
    """``payload`` with every run of 15 or more digits masked, in the payload's own encoding."""
    for encoding in (json.detect_encoding(payload), "utf-8", "latin-1"):
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        masked = mask_numbers(text)
        return payload if masked == text else masked.encode(encoding)
    return payload  # latin-1 decodes any bytes: not reached
