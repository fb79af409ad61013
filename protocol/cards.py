"""Card numbers: how one card's number is written, read by each reader family, and matched.

The single home of card-number arithmetic, shared by the terminal (``guardpost
cards``) and central (the registry of cards). Pure: no I/O, standard library
only (``CardKind`` aside). docs/cards.md explains the forms with worked examples.

A card's number is held as the low ``bits`` bits that are known of it. An
EM4100 tag carries 40 bits (a version byte and a 32-bit id); the printed
decimal and Wiegand 34 know the low 32, ``FFF,CCCCC`` and Wiegand 26 the low
24. An ISO 14443A UID is 4, 7 or 10 bytes, held in the order a PN532 reports it.

Matching: a registered card is stored under ``match_keys``; a tap looks itself
up under ``lookup_keys`` (its own level first, which is ``tap_key``). A tap and a
registration meet on exactly one key when they ``agree``, and on none otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from protocol.checkin import CardKind


class CardTech(StrEnum):
    EM4100 = "em4100"  # 125 kHz: one version/customer byte + a 32-bit id
    ISO14443A = "iso14443a"  # 13.56 MHz (MIFARE etc.): a UID of 4, 7 or 10 bytes


class CardNumberError(ValueError):
    """Text or a tap that is no card number of the given technology; the message is ``中文 / English``."""


# Keys of CardNumber.forms() and Understood.form, with the labels operators know them by.
FORM_LABELS: dict[str, str] = {
    "hex": "十六进制",
    "decimal": "卡面号(十进制)",
    "facility_card": "区位号,卡号",
    "wiegand26": "韦根26",
    "wiegand34": "韦根34",
    "uid": "UID",
    "reversed_decimal": "卡面号(反序十进制)",
}

# Known bits a number of each technology may have, most first.
LEVELS: dict[CardTech, tuple[int, ...]] = {CardTech.EM4100: (40, 32, 24), CardTech.ISO14443A: (80, 56, 32)}

# Per reader family: the tech of a tap by the number of hex digits in its uid.
# ASCII-line readers report hex whatever their configured base (edge/drivers/ascii_line.py),
# so only the length is left to go by: up to 10 digits is 125 kHz, 14 or 20 digits a long UID.
_TAPS: dict[CardKind, dict[int, CardTech]] = {
    CardKind.EM4100: {10: CardTech.EM4100},
    CardKind.WIEGAND26: {6: CardTech.EM4100},
    CardKind.WIEGAND34: {8: CardTech.EM4100},
    CardKind.MIFARE: {8: CardTech.ISO14443A, 14: CardTech.ISO14443A, 20: CardTech.ISO14443A},
    CardKind.ASCII: {6: CardTech.EM4100, 8: CardTech.EM4100, 10: CardTech.EM4100,
                     14: CardTech.ISO14443A, 20: CardTech.ISO14443A},
}  # fmt: skip

# The form a run of hex digits is, by tech and number of digits.
_HEX_FORMS: dict[CardTech, dict[int, str]] = {
    CardTech.EM4100: {10: "hex", 8: "wiegand34", 6: "wiegand26"},
    CardTech.ISO14443A: {8: "uid", 14: "uid", 20: "uid"},
}
_FORMS_OF: dict[CardTech, tuple[str, ...]] = {
    CardTech.EM4100: ("hex", "decimal", "facility_card", "wiegand26", "wiegand34"),
    CardTech.ISO14443A: ("uid", "reversed_decimal", "decimal"),
}
_HEX = re.compile(r"[0-9A-F]+")
_DECIMAL10 = re.compile(r"[0-9]{10}")
_FACILITY_CARD = re.compile(r"([0-9]{1,3})\s*[,，]\s*([0-9]{1,5})")
_SEPARATOR = re.compile(r"[\s:\-]+")
_MAX32 = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class CardNumber:
    """The low ``bits`` bits of a card's number (for ISO 14443A: the whole UID, ``bits`` = 8 × its length)."""

    tech: CardTech
    value: int
    bits: int

    def __post_init__(self) -> None:
        if self.bits not in LEVELS[self.tech]:
            raise CardNumberError(f"{self.tech} 卡号不能是 {self.bits} 位 / a {self.tech} number cannot have "
                                  f"{self.bits} bits; it has one of {LEVELS[self.tech]}")  # fmt: skip
        if not 0 <= self.value < 1 << self.bits:
            raise CardNumberError(f"卡号超出 {self.bits} 位 / {self.value} does not fit {self.bits} bits")

    @property
    def digits(self) -> str:
        """The known bits as upper-case hex, zero-padded to ``bits / 4`` digits."""
        return f"{self.value:0{self.bits // 4}X}"

    @property
    def canonical(self) -> str:
        """``em4100:67003B51C6``, ``em4100:003B51C6`` (32 bits known), ``iso14443a:B0864D25``."""
        return f"{self.tech}:{self.digits}"

    @classmethod
    def from_canonical(cls, text: str) -> CardNumber:
        """The number ``canonical`` wrote; the number of hex digits gives the known bits."""
        tech, colon, digits = text.strip().partition(":")
        if not colon or tech.lower() not in set(CardTech) or not _HEX.fullmatch(digits.upper()):
            raise CardNumberError(f"不是规范卡号 / not a canonical card number (tech:hex): {text!r}")
        return cls(CardTech(tech.lower()), int(digits, 16), 4 * len(digits))

    def forms(self) -> dict[str, str]:
        """Every form people and readers write this number in that its known bits allow (keys: FORM_LABELS)."""
        if self.tech is CardTech.ISO14443A:
            out = {"uid": self.digits}
            if self.bits == 32:
                out["reversed_decimal"] = f"{int.from_bytes(self.value.to_bytes(4, 'big'), 'little'):010d}"
                out["decimal"] = f"{self.value:010d}"
            return out
        low32, low24 = self.value & _MAX32, self.value & 0xFFFFFF
        out = {"hex": self.digits} if self.bits == 40 else {}
        if self.bits >= 32:
            out["decimal"] = f"{low32:010d}"
        out["facility_card"] = f"{low24 >> 16:03d},{low24 & 0xFFFF:05d}"
        out["wiegand26"] = f"{low24:06X}"
        if self.bits >= 32:
            out["wiegand34"] = f"{low32:08X}"
        return out


@dataclass(frozen=True, slots=True)
class Understood:
    """What an operator's text was read as: the number, and which form (a key of FORM_LABELS) it was in."""

    number: CardNumber
    form: str


def parse_card(text: str, tech: CardTech, form: str | None = None) -> Understood:
    """Read a card number typed by an operator, in any form of ``tech`` (or only in ``form``, if given).

    Without ``form`` the text decides (docs/cards.md): ``tech:hex`` is canonical;
    a comma (``,`` or ``，``) is ``FFF,CCCCC``; ``0x`` or separators (space, colon,
    dash between whole bytes) mark hex; ten decimal digits are the printed
    decimal (EM4100) or the reversed decimal of a 4-byte UID (ISO 14443A); other
    hex is read by its number of digits, leading zeros included.
    """
    stripped = text.strip()
    if form is not None:
        if form not in _FORMS_OF[tech]:
            raise CardNumberError(f"{tech} 卡没有 {form!r} 格式 / {tech} cards have no form {form!r}; "
                                  f"one of {', '.join(_FORMS_OF[tech])}")  # fmt: skip
        return Understood(_read_as(form, stripped, tech, text), form)
    if stripped.lower().startswith(tuple(f"{t}:" for t in CardTech)):
        number = CardNumber.from_canonical(stripped)
        if number.tech is not tech:
            raise CardNumberError(f"这是 {number.tech} 卡号，不是 {tech} / {text!r}: the number of an "
                                  f"{number.tech} card, not {tech}")  # fmt: skip
        return Understood(number, _hex_form(number))
    if "," in stripped or "，" in stripped:
        return Understood(_read_as("facility_card", stripped, tech, text), "facility_card")
    if _DECIMAL10.fullmatch(stripped):
        printed = "decimal" if tech is CardTech.EM4100 else "reversed_decimal"
        return Understood(_read_as(printed, stripped, tech, text), printed)
    digits = _hex_digits(stripped, text)
    hex_form = _HEX_FORMS[tech].get(len(digits))
    if hex_form is None:
        raise CardNumberError(_unknown(text, tech))
    return Understood(_read_as(hex_form, digits, tech, text), hex_form)


def _read_as(form: str, text: str, tech: CardTech, original: str) -> CardNumber:
    """``text`` in the one form ``form`` of ``tech``."""
    if form in {"decimal", "reversed_decimal"}:
        if not _DECIMAL10.fullmatch(text):
            raise CardNumberError(f"卡面号应为10位数字 / {original!r}: a printed number has 10 digits")
        value = int(text)
        if value > _MAX32:
            raise CardNumberError(f"卡面号超出范围(最大4294967295) / {original!r} exceeds 4294967295")
        if form == "reversed_decimal":
            value = int.from_bytes(value.to_bytes(4, "little"), "big")
        return CardNumber(tech, value, 32)
    if form == "facility_card":
        if tech is not CardTech.EM4100 or not (match := _FACILITY_CARD.fullmatch(text)):
            raise CardNumberError(_unknown(original, tech))
        facility, card = int(match[1]), int(match[2])
        if facility > 0xFF or card > 0xFFFF:
            raise CardNumberError(f"区位号最大255、卡号最大65535 / {original!r}: facility is at most 255, "
                                  "card at most 65535")  # fmt: skip
        return CardNumber(tech, facility << 16 | card, 24)
    digits = _hex_digits(text, original)
    if _HEX_FORMS[tech].get(len(digits)) != form:
        raise CardNumberError(_unknown(original, tech))
    return CardNumber(tech, int(digits, 16), 4 * len(digits))


def _hex_digits(text: str, original: str) -> str:
    """The hex digits of ``text`` (upper case); separators may only stand between whole bytes."""
    body = text[2:] if text[:2].lower() == "0x" else text
    groups = [group for group in _SEPARATOR.split(body.upper()) if group]
    if len(groups) > 1 and any(len(group) % 2 for group in groups):
        raise CardNumberError(f"分隔的十六进制须按字节分组 / {original!r}: separated hex must come in whole bytes")
    digits = "".join(groups)
    if not _HEX.fullmatch(digits):
        raise CardNumberError(f"卡号含非法字符 / {original!r} is not a card number (not hex or decimal)")
    return digits


def _hex_form(number: CardNumber) -> str:
    return _HEX_FORMS[number.tech][number.bits // 4]


def _unknown(text: str, tech: CardTech) -> str:
    accepted = {
        CardTech.EM4100: "10 hex, 10-digit printed decimal, FFF,CCCCC, 8 hex (Wiegand 34), 6 hex (Wiegand 26)",
        CardTech.ISO14443A: "UID as 8, 14 or 20 hex, or the 10-digit reversed decimal of a 4-byte UID",
    }[tech]
    zh, en = "", ""
    if text.strip().isdigit():  # most likely the printed number without its leading zeros
        zh, en = "；卡面号须写满10位(含前导0)", "; type a printed number with all 10 digits, leading zeros included"
    return f"无法识别的{tech}卡号{zh} / {text!r} is no {tech} card number{en}; accepted: {accepted}"


def from_tap(kind: CardKind, uid: str) -> CardNumber | None:
    """The number a tap on a reader of family ``kind`` delivers; None for a resident ID card (matched by ID number).

    Raises CardNumberError for a uid that family cannot deliver (wrong length or not hex).
    """
    if kind is CardKind.RESIDENT_ID:
        return None
    digits = uid.upper()
    tech = _TAPS[kind].get(len(digits))
    if tech is None or not _HEX.fullmatch(digits):
        lengths = " or ".join(str(n) for n in _TAPS[kind])
        raise CardNumberError(f"{kind} 读卡器不会送出卡号 {uid!r} / a {kind} reader does not deliver {uid!r}: "
                              f"expected {lengths} hex digits")  # fmt: skip
    return CardNumber(tech, int(digits, 16), 4 * len(digits))


def agrees(a: CardNumber, b: CardNumber) -> bool:
    """Could ``a`` and ``b`` be the same card: same tech, equal on the bits both know (ISO 14443A: equal UIDs)."""
    if a.tech is not b.tech:
        return False
    if a.tech is CardTech.ISO14443A:
        return a == b
    mask = (1 << min(a.bits, b.bits)) - 1
    return a.value & mask == b.value & mask


def match_keys(n: CardNumber) -> list[str]:
    """Keys to store a registered card under, most specific first.

    ``em4100/L:…`` for each level L up to its own (found by taps of exactly L
    bits), and for fewer than 40 known bits ``em4100=L:…`` at its own level
    (found by taps that know more bits than the registration).
    """
    if n.tech is CardTech.ISO14443A:
        return [f"{n.tech}:{n.digits}"]
    keys = [_level_key(n, level) for level in LEVELS[n.tech] if level <= n.bits]
    if n.bits < LEVELS[n.tech][0]:
        keys.append(_exact_key(n, n.bits))
    return keys


def tap_key(n: CardNumber) -> str:
    """The key a tap looks up at its own level: it finds every registration knowing at least as many bits."""
    return lookup_keys(n)[0]


def lookup_keys(n: CardNumber) -> list[str]:
    """Every key a tap looks up: ``tap_key``, then registrations that know fewer bits than the tap."""
    if n.tech is CardTech.ISO14443A:
        return [f"{n.tech}:{n.digits}"]
    return [_level_key(n, n.bits)] + [_exact_key(n, level) for level in LEVELS[n.tech] if level < n.bits]


def _level_key(n: CardNumber, level: int) -> str:
    return f"{n.tech}/{level}:{n.value & ((1 << level) - 1):0{level // 4}X}"


def _exact_key(n: CardNumber, level: int) -> str:
    return f"{n.tech}={level}:{n.value & ((1 << level) - 1):0{level // 4}X}"
