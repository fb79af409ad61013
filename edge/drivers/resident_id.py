"""Resident ID card (二代证) readers speaking the SAM protocol: frame codec, text decoding, driver.

Frames: ``AA AA AA 96 69 | Len (2, big-endian) | body | CHK``, where Len counts
body and CHK, and CHK is the XOR of Len and body. A request body is
``CMD Para [Data]``, a response body ``SW1 SW2 SW3 [Data]``. A card is read by
find (20 01), select (20 02) and read text + photo (30 01).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import xor
from typing import ClassVar, Literal

from pydantic import Field, ValidationError

from edge.drivers.base import CardRead, CardReader
from edge.drivers.framing import Debouncer, Rejected
from edge.drivers.serial_link import FrameStream, SerialLink, SerialReaderConfig
from edge.errors import FramingError, ReaderError
from protocol.checkin import CardKind, IdCardFields

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
MAX_LEN = 4096  # the longest reply (text, photo and fingerprints) is about 2.3 kB
FIND, SELECT, READ = b"\x20\x01", b"\x20\x02", b"\x30\x01"
SW3_TEXT = {0x90: "OK", 0x9F: "card found", 0x80: "find failed", 0x81: "select failed", 0x41: "read failed",
            0x10: "bad checksum", 0x11: "bad length", 0x21: "bad command", 0x60: "SAM self-test failed"}  # fmt: skip
# Byte ranges of the UTF-16LE text block.
TEXT_LAYOUT = {
    "name": (0, 30), "sex": (30, 32), "ethnicity": (32, 36), "birth_date": (36, 52), "address": (52, 122),
    "id_number": (122, 158), "issuer": (158, 188), "valid_from": (188, 204), "valid_to": (204, 220),
}  # fmt: skip
STEP_ZH = {"find": "寻卡", "select": "选卡", "read": "读卡"}
# 17 digits and a check character; ASCII digits only (``\d`` would also take full-width ones).
# Many readers send the check character X in lower case: accepted here, stored upper case.
ID_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]")
_IDLE_S = 0.1  # 1295 bytes take 112 ms at 115200 baud, but arrive in a steady stream


@dataclass(frozen=True, slots=True)
class SamFrame:
    body: bytes  # between Len and CHK


def checksum(data: bytes) -> int:
    return reduce(xor, data, 0)


def encode_frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def decode(buf: bytes) -> tuple[list[SamFrame | Rejected], bytes]:
    """Frames in ``buf`` and the bytes to keep. A bad Len or CHK is a Rejected; scanning resumes one byte on."""
    frames: list[SamFrame | Rejected] = []
    i = 0
    while (start := buf.find(PREAMBLE, i)) >= 0:
        head = buf[start + 5 : start + 7]
        if len(head) < 2:
            return frames, buf[start:]
        end = start + 7 + int.from_bytes(head, "big")
        if not 3 <= end - start - 7 <= MAX_LEN:
            frames.append(Rejected("SAM bad length", buf[start : start + 7]))
        elif len(buf) < end:
            return frames, buf[start:]
        elif checksum(buf[start + 5 : end - 1]) != buf[end - 1]:
            frames.append(Rejected("SAM bad checksum", buf[start : start + 10], checksum=True))
        else:
            frames.append(SamFrame(buf[start + 7 : end - 1]))
            i = end
            continue
        i = start + 1
    return frames, _preamble_prefix(buf)


def _preamble_prefix(buf: bytes) -> bytes:
    """The end of ``buf`` that could be the start of a preamble."""
    for size in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if PREAMBLE.startswith(buf[-size:]):
            return buf[-size:]
    return b""


def parse_text(text: bytes) -> IdCardFields:
    """Decode the 256-byte UTF-16LE text block; raises FramingError if a field is malformed."""
    if len(text) < 220:
        raise FramingError(f"ID card text of {len(text)} bytes, expected 256")
    values = {
        name: text[a:b].decode("utf-16-le", errors="replace").rstrip(" \x00") for name, (a, b) in TEXT_LAYOUT.items()
    }
    if not ID_NUMBER.fullmatch(values["id_number"]):
        raise FramingError("ID card number is malformed")
    values["id_number"] = values["id_number"].upper()  # the wire and the registry know only X
    birth = values.pop("birth_date")
    try:
        return IdCardFields(birth_date=date(int(birth[:4]), int(birth[4:6]), int(birth[6:8])), **values)
    except (ValueError, ValidationError) as exc:
        raise FramingError(f"ID card text is malformed: {exc}") from exc


def parse_read_reply(data: bytes) -> tuple[IdCardFields, bytes]:
    """Text fields and the raw WLT photo from a read reply's data (after SW1-SW3)."""
    text_len, photo_len = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if len(data) != 4 + text_len + photo_len:
        raise FramingError(f"ID card reply of {len(data)} bytes does not hold {text_len} + {photo_len}")
    return parse_text(data[4 : 4 + text_len]), data[4 + text_len :]


class ResidentIdConfig(SerialReaderConfig):
    type: Literal["resident_id"] = "resident_id"
    baud: int = Field(default=115200, gt=0)
    step_timeout_s: float = Field(default=1.0, gt=0, le=10, description="wait for one reply")
    retries: int = Field(default=2, ge=0, le=5, description="times the find-select-read sequence is retried")
    poll_interval_s: float = Field(default=0.1, ge=0, le=2, description="pause between finds without a card")
    debounce_s: float = Field(default=3.0, ge=0, le=60, description="the same card reads once while it stays")


class _StepFailed(ReaderError):
    """One command of the sequence failed; its message names the step."""


class ResidentIdReader(CardReader):
    """Reads the text of a resident ID card; ``uid`` is the ID number, ``id_card`` the decoded fields.

    A failed step (SW3 81/41, bad Len or CHK, truncated or missing reply)
    restarts the sequence up to ``retries`` times; then the last failure is
    raised as ReaderError (FramingError / ChecksumError for damaged bytes),
    naming the step. The WLT photo is not decoded (that needs a vendor library).
    """

    type_key: ClassVar[str] = "resident_id"

    def __init__(self, cfg: ResidentIdConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._cfg = cfg
        self._link = SerialLink(cfg.port, cfg.baud)
        self._frames = FrameStream(self._link, decode, _IDLE_S, partial=lambda rest: rest.startswith(PREAMBLE))
        self._debouncer = Debouncer(cfg.debounce_s, clock)

    def read(self, timeout: float) -> CardRead | None:
        deadline = time.monotonic() + timeout
        while True:
            card = self._read_sequence()
            if card is not None and self._debouncer.accept(card.uid):
                return card
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(self._cfg.poll_interval_s, remaining))  # polling rate of the SAM, not a wait for an event

    def close(self) -> None:
        self._link.close()

    def _read_sequence(self) -> CardRead | None:
        failure: ReaderError | None = None
        for _ in range(self._cfg.retries + 1):
            try:
                if self._step("find", FIND, {0x9F, 0x80})[0] == 0x80:
                    if failure is not None:
                        raise failure  # the card left during a failed read
                    return None
                self._step("select", SELECT, {0x90})
                fields, photo = self._parse("read", self._step("read", READ, {0x90})[1])
                return CardRead(kind=CardKind.RESIDENT_ID, uid=fields.id_number, id_card=fields, wlt_photo=photo)
            except ReaderError as exc:
                if not isinstance(exc, _StepFailed | FramingError):
                    raise
                failure = exc
        assert failure is not None
        raise failure

    @staticmethod
    def _parse(name: str, data: bytes) -> tuple[IdCardFields, bytes]:
        try:
            return parse_read_reply(data)
        except FramingError as exc:
            raise FramingError(f"二代证{STEP_ZH[name]}失败 / ID card {name}: {exc}") from exc

    def _step(self, name: str, command: bytes, accepted: set[int]) -> tuple[int, bytes]:
        self._frames.clear()
        self._link.write(encode_frame(command))
        item = self._frames.next(time.monotonic() + self._cfg.step_timeout_s)
        if item is None:
            raise _StepFailed(f"二代证{STEP_ZH[name]}无响应 / ID card {name}: no reply")
        if isinstance(item, Rejected):
            error = item.error()
            raise type(error)(f"二代证{STEP_ZH[name]}失败 / ID card {name}: {error}") from error
        if len(item.body) < 3:
            raise FramingError(f"二代证{STEP_ZH[name]}失败 / ID card {name}: reply of {len(item.body)} bytes")
        sw3 = item.body[2]
        if sw3 not in accepted:
            meaning = SW3_TEXT.get(sw3, "unknown")
            raise _StepFailed(f"二代证{STEP_ZH[name]}失败 / ID card {name} failed: SW3={sw3:02X} ({meaning})")
        return sw3, item.body[3:]
