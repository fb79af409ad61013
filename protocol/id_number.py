"""Citizen identity numbers (公民身份号码, GB 11643-1999): what makes one valid, checked wherever one enters.

18 characters: a 6-digit administrative division code, the birth date as
YYYYMMDD, a 3-digit sequence, and a check character (ISO 7064 MOD 11-2: the
digits weighted, the sum modulo 11 indexing ``10X98765432``). Readers and
people write the check character ``X`` in either case; it is kept upper case.
A 15-digit number of the first generation (before 1999: 2-digit year, no
check character) is converted to its 18-digit form, as the police do.

Only the standard library: terminals, central and the commands import it.
"""

from __future__ import annotations

from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)


class IdNumberError(ValueError):
    """Not a citizen identity number; the message says why, in Chinese and English, without quoting it."""


def check_character(first17: str) -> str:
    """The check character of the first 17 digits."""
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def from_15(number: str) -> str:
    """The 18-digit form of a first-generation 15-digit number (born in the 1900s)."""
    first17 = f"{number[:6]}19{number[6:]}"
    return first17 + check_character(first17)


def normalise(number: str) -> str:
    """Spaces off, ``x`` as ``X``, a 15-digit number as 18 digits; not checked (see ``check``)."""
    text = "".join(number.split()).upper()
    return from_15(text) if len(text) == 15 and text.isdigit() else text


def check(number: str, *, today: date | None = None) -> str:
    """``number`` normalised, or IdNumberError saying what is wrong with it."""
    text = normalise(number)
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise IdNumberError("身份证号须为18位（末位可为X） / an ID number has 18 characters, the last a digit or X")
    if text[0] == "0":
        raise IdNumberError("身份证号地区码无效 / the ID number's region code is not valid")
    _birth(text, today or date.today())  # noqa: DTZ011  (a calendar date, no time zone in it)
    if text[17] != check_character(text[:17]):
        raise IdNumberError("身份证号校验位错误 / the ID number's check digit is wrong (a digit mistyped?)")
    return text


def _birth(text: str, today: date) -> date:
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise IdNumberError("身份证号出生日期无效 / the ID number's birth date is not a date") from exc
    if not EARLIEST_BIRTH <= born <= today:
        raise IdNumberError("身份证号出生日期不合理 / the ID number's birth date is out of range")
    return born


def is_valid(number: str) -> bool:
    try:
        check(number)
    except IdNumberError:
        return False
    return True
