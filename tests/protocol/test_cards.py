"""Card numbers: the worked examples of docs/cards.md both ways, the reading rules, and matching by keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.cards import (
    FORM_LABELS,
    CardNumber,
    CardNumberError,
    CardTech,
    Understood,
    agrees,
    from_tap,
    lookup_keys,
    match_keys,
    parse_card,
    tap_key,
)
from protocol.checkin import CardKind
from tests.fixtures.readers import FUZZ

EM, ISO = CardTech.EM4100, CardTech.ISO14443A
FOB = CardNumber(EM, 0x67003B51C6, 40)  # the EM4100 fob of docs/cards.md
FOB_FORMS = {
    "hex": "67003B51C6",
    "decimal": "0003887558",
    "facility_card": "059,20934",
    "wiegand26": "3B51C6",
    "wiegand34": "003B51C6",
}
MIFARE = CardNumber(ISO, 0xB0864D25, 32)  # the MIFARE card of docs/cards.md


def test_the_fob_in_every_form() -> None:
    assert FOB.canonical == "em4100:67003B51C6"
    assert FOB.forms() == FOB_FORMS
    assert list(FOB.forms()) == list(FOB_FORMS)  # stable key order


@pytest.mark.parametrize(
    ("text", "form", "number"),
    [
        ("67003B51C6", "hex", FOB),
        ("0003887558", "decimal", CardNumber(EM, 0x003B51C6, 32)),
        ("059,20934", "facility_card", CardNumber(EM, 0x3B51C6, 24)),
        ("3B51C6", "wiegand26", CardNumber(EM, 0x3B51C6, 24)),
        ("003B51C6", "wiegand34", CardNumber(EM, 0x003B51C6, 32)),
    ],
)
def test_each_form_of_the_fob_reads_back(text: str, form: str, number: CardNumber) -> None:
    assert parse_card(text, EM) == Understood(number, form)
    assert agrees(number, FOB)
    assert {key: value for key, value in FOB.forms().items() if key in number.forms()} == number.forms()


def test_what_each_reader_makes_of_the_fob() -> None:
    assert from_tap(CardKind.EM4100, "67003B51C6") == FOB
    assert from_tap(CardKind.WIEGAND26, "3B51C6") == CardNumber(EM, 0x3B51C6, 24)
    assert from_tap(CardKind.WIEGAND34, "003B51C6") == CardNumber(EM, 0x003B51C6, 32)


def test_the_mifare_card_in_every_form() -> None:
    assert MIFARE.canonical == "iso14443a:B0864D25"
    assert MIFARE.forms() == {"uid": "B0864D25", "reversed_decimal": "0625837744", "decimal": "2961591589"}
    assert parse_card("0625837744", ISO) == Understood(MIFARE, "reversed_decimal")
    assert parse_card("B0864D25", ISO) == Understood(MIFARE, "uid")
    assert parse_card("2961591589", ISO, form="decimal") == Understood(MIFARE, "decimal")
    assert from_tap(CardKind.MIFARE, "B0864D25") == MIFARE
    assert match_keys(MIFARE) == lookup_keys(MIFARE) == ["iso14443a:B0864D25"]


def test_long_uids_have_only_the_uid_form() -> None:
    seven = CardNumber(ISO, 0x04A1B2C3D4E5F6, 56)
    assert seven.forms() == {"uid": "04A1B2C3D4E5F6"}
    assert parse_card("04:a1:b2:c3:d4:e5:f6", ISO) == Understood(seven, "uid")
    assert parse_card("0102030405060708090A", ISO).number.bits == 80


def test_forms_only_from_known_bits() -> None:
    assert CardNumber(EM, 0x003B51C6, 32).forms() == {k: v for k, v in FOB_FORMS.items() if k != "hex"}
    assert CardNumber(EM, 0x3B51C6, 24).forms() == {"facility_card": "059,20934", "wiegand26": "3B51C6"}
    assert set(FORM_LABELS) == {"hex", "decimal", "facility_card", "wiegand26", "wiegand34", "uid", "reversed_decimal"}
    assert FORM_LABELS["decimal"] == "卡面号(十进制)"


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("67:00:3B:51:C6", "hex"),
        ("67-00-3b-51-c6", "hex"),
        ("  67 00 3B 51 C6 ", "hex"),
        ("0x67003b51c6", "hex"),
        ("em4100:67003B51C6", "hex"),
        ("059，20934", "facility_card"),  # Chinese comma
        ("59, 20934", "facility_card"),
        ("00 3B 51 C6", "wiegand34"),
    ],
)
def test_separators_prefixes_and_commas(text: str, form: str) -> None:
    understood = parse_card(text, EM)
    assert understood.form == form
    assert agrees(understood.number, FOB)


def test_ten_decimal_digits_are_the_printed_number_unless_marked_as_hex() -> None:
    assert parse_card("0100345678", EM) == Understood(CardNumber(EM, 100345678, 32), "decimal")
    as_hex = Understood(CardNumber(EM, 0x0100345678, 40), "hex")
    assert parse_card("0x0100345678", EM) == as_hex
    assert parse_card("01 00 34 56 78", EM) == as_hex
    assert parse_card("0100345678", EM, form="hex") == as_hex
    assert parse_card("em4100:0100345678", EM) == as_hex


def test_eight_and_six_digit_numbers_are_hex() -> None:
    assert parse_card("00123456", EM) == Understood(CardNumber(EM, 0x00123456, 32), "wiegand34")
    assert parse_card("123456", EM) == Understood(CardNumber(EM, 0x123456, 24), "wiegand26")
    assert parse_card("12345678", ISO) == Understood(CardNumber(ISO, 0x12345678, 32), "uid")


@pytest.mark.parametrize(
    ("text", "tech", "message"),
    [
        ("3887558", EM, "10位"),  # the printed number without its leading zeros
        ("9999999999", EM, "4294967295"),
        ("256,20934", EM, "255"),
        ("059,65536", EM, "65535"),
        ("059,20934", ISO, "iso14443a"),
        ("67003B51C6", ISO, "accepted"),  # 5 bytes: no UID
        ("3B51C", EM, "accepted"),
        ("0003 887 558", EM, "whole bytes"),
        ("67003B51CG", EM, "not hex"),
        ("", EM, "not hex"),
        ("iso14443a:B0864D25", EM, "not em4100"),
        ("em4100:3B51C", EM, "20 bits"),
        ("B0864D25", EM, "accepted"),  # read as "hex" (10 digits) by request
    ],
)
def test_what_is_refused(text: str, tech: CardTech, message: str) -> None:
    form = "hex" if text == "B0864D25" else None
    with pytest.raises(CardNumberError, match=message) as raised:
        parse_card(text, tech, form=form)
    zh, _, en = str(raised.value).partition(" / ")
    assert any("\u4e00" <= char <= "\u9fff" for char in zh)  # Chinese first, then English
    assert en


def test_a_form_of_another_tech_is_refused() -> None:
    with pytest.raises(CardNumberError, match="no form 'uid'"):
        parse_card("B0864D25", EM, form="uid")


def test_canonical_round_trip_and_refusals() -> None:
    for number in (FOB, MIFARE, CardNumber(EM, 0x3B51C6, 24), CardNumber(EM, 0, 32)):
        assert CardNumber.from_canonical(number.canonical) == number
    assert CardNumber(EM, 0, 32).canonical == "em4100:00000000"
    for bad in ("67003B51C6", "nfc:01020304", "em4100:", "iso14443a:0102030405"):
        with pytest.raises(CardNumberError):
            CardNumber.from_canonical(bad)
    with pytest.raises(CardNumberError, match="does not fit"):
        CardNumber(EM, 1 << 24, 24)


def test_match_keys_of_the_fob_and_of_less_precise_registrations() -> None:
    assert match_keys(FOB) == ["em4100/40:67003B51C6", "em4100/32:003B51C6", "em4100/24:3B51C6"]
    printed = parse_card("0003887558", EM).number
    assert match_keys(printed) == ["em4100/32:003B51C6", "em4100/24:3B51C6", "em4100=32:003B51C6"]
    assert tap_key(FOB) == "em4100/40:67003B51C6"
    assert lookup_keys(FOB) == ["em4100/40:67003B51C6", "em4100=32:003B51C6", "em4100=24:3B51C6"]


def _finds(tap: CardNumber, registered: CardNumber) -> bool:
    return bool(set(lookup_keys(tap)) & set(match_keys(registered)))


def test_every_reader_finds_the_fob_registered_in_any_form() -> None:
    taps = [from_tap(CardKind.EM4100, "67003B51C6"), from_tap(CardKind.WIEGAND26, "3B51C6"),
            from_tap(CardKind.WIEGAND34, "003B51C6"), from_tap(CardKind.ASCII, "67003B51C6")]  # fmt: skip
    for text in FOB_FORMS.values():
        registered = parse_card(text, EM).number
        for tap in taps:
            assert tap is not None
            assert _finds(tap, registered), (text, tap)
    other_version = CardNumber(EM, 0x11003B51C6, 40)
    assert not _finds(FOB, other_version)  # a 40-bit tap tells them apart
    assert _finds(CardNumber(EM, 0x003B51C6, 32), other_version)  # a Wiegand 34 tap cannot


def test_from_tap_of_each_family() -> None:
    assert from_tap(CardKind.RESIDENT_ID, "11010119900307123X") is None
    assert from_tap(CardKind.ASCII, "003b51c6") == CardNumber(EM, 0x003B51C6, 32)
    assert from_tap(CardKind.ASCII, "3B51C6") == CardNumber(EM, 0x3B51C6, 24)
    assert from_tap(CardKind.ASCII, "04A1B2C3D4E5F6") == CardNumber(ISO, 0x04A1B2C3D4E5F6, 56)
    assert from_tap(CardKind.MIFARE, "0102030405060708090A") == CardNumber(ISO, 0x0102030405060708090A, 80)
    for kind, uid in [(CardKind.EM4100, "3B51C6"), (CardKind.MIFARE, "67003B51C6"), (CardKind.ASCII, "CAFE"),
                      (CardKind.WIEGAND26, "003B51C6"), (CardKind.WIEGAND34, "00ZZ51C6")]:  # fmt: skip
        with pytest.raises(CardNumberError, match="does not deliver"):
            from_tap(kind, uid)


@pytest.mark.parametrize("kind", sorted(set(CardKind) - {CardKind.RESIDENT_ID}))
def test_every_card_kind_has_a_rule(kind: CardKind) -> None:
    with pytest.raises(CardNumberError, match="does not deliver"):  # not a KeyError
        from_tap(kind, "?")


def test_agrees() -> None:
    assert agrees(FOB, CardNumber(EM, 0x3B51C6, 24))
    assert not agrees(FOB, CardNumber(EM, 0x3B51C7, 24))
    assert not agrees(CardNumber(EM, 0xB0864D25, 32), MIFARE)  # another technology
    assert not agrees(MIFARE, CardNumber(ISO, 0x00B0864D25 << 24, 56))


em_numbers = st.integers(0, (1 << 40) - 1).map(lambda v: CardNumber(EM, v, 40))
levels = st.sampled_from([40, 32, 24])


@FUZZ
@given(em_numbers)
def test_every_form_of_a_random_fob_reads_back_as_the_same_card(number: CardNumber) -> None:
    for form, text in number.forms().items():
        assert agrees(parse_card(text, EM, form=form).number, number)
        understood = parse_card(text, EM)
        assert understood.number.forms()[understood.form] == text
        if form == "hex" and text.isdigit():  # the rule: ten decimal digits are the printed number
            assert understood.form == "decimal"
            continue
        assert understood.form == form
        assert agrees(understood.number, number)
    assert CardNumber.from_canonical(number.canonical) == number


@FUZZ
@given(em_numbers)
def test_every_tap_finds_a_registered_fob_by_tap_key(number: CardNumber) -> None:
    forms = number.forms()
    taps = [
        from_tap(CardKind.EM4100, forms["hex"]),
        from_tap(CardKind.WIEGAND26, forms["wiegand26"]),
        from_tap(CardKind.WIEGAND34, forms["wiegand34"]),
        from_tap(CardKind.ASCII, forms["hex"]),
        from_tap(CardKind.ASCII, forms["wiegand34"]),  # a decimal reader with uid_bytes = 4
    ]
    for tap in taps:
        assert tap is not None
        assert tap_key(tap) in match_keys(number)


@FUZZ
@given(st.binary(min_size=4, max_size=4) | st.binary(min_size=7, max_size=7) | st.binary(min_size=10, max_size=10))
def test_a_mifare_tap_finds_its_card_registered_by_uid_or_printed_number(uid: bytes) -> None:
    tap = from_tap(CardKind.MIFARE, uid.hex())
    assert tap is not None
    for form, text in tap.forms().items():
        assert parse_card(text, ISO, form=form).number == tap
        if form != "decimal":  # ten digits without a form are the reversed decimal
            assert parse_card(text, ISO) == Understood(tap, form)
    assert tap_key(tap) in match_keys(parse_card(uid.hex(), ISO).number)


@FUZZ
@given(em_numbers, levels, st.integers(0, (1 << 40) - 1), levels, st.booleans())
def test_a_tap_meets_a_registration_on_one_key_exactly_when_they_agree(
    card: CardNumber, tap_bits: int, other: int, registered_bits: int, same: bool
) -> None:
    tap = CardNumber(EM, card.value & ((1 << tap_bits) - 1), tap_bits)
    value = card.value if same else other
    registered = CardNumber(EM, value & ((1 << registered_bits) - 1), registered_bits)
    shared = set(lookup_keys(tap)) & set(match_keys(registered))
    assert len(shared) == (1 if agrees(tap, registered) else 0)
    assert lookup_keys(tap)[0] == tap_key(tap)
