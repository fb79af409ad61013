"""Citizen identity numbers (GB 11643): the check character, the birth date, x and the 15-digit form."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.id_number import IdNumberError, check, check_character, from_15, is_valid, normalise
from tests.fixtures.identity import id_number


@pytest.mark.parametrize("number", ["11010519491231002X", "110105198503120012", "23010319780615341X"])
def test_valid_numbers_pass(number: str) -> None:
    assert check(number) == number


def test_a_lowercase_x_and_spaces_are_normalised() -> None:
    assert check(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105198503120013", "校验位"),  # last digit off by one
        ("11010519850312001", "18位"),
        ("1101051985031200AX", "18位"),
        ("110105198502300016", "出生日期"),  # 30 February
        ("110105189912310012", "出生日期"),  # before 1900
        ("010105198503120012", "地区码"),
    ],
)
def test_invalid_numbers_say_why_without_quoting_them(number: str, reason: str) -> None:
    with pytest.raises(IdNumberError, match=reason) as refused:
        check(number)
    assert number not in str(refused.value)


def test_a_birth_date_in_the_future_is_refused() -> None:
    first17 = "11010520300101001"
    with pytest.raises(IdNumberError, match="出生日期"):
        check(first17 + check_character(first17), today=date(2026, 12, 2))


def test_a_first_generation_number_becomes_its_18_digit_form() -> None:
    assert from_15("110105491231002") == "11010519491231002X"
    assert normalise("110105491231002") == "11010519491231002X"
    assert is_valid("110105491231002")


@given(st.integers(min_value=0, max_value=10**7))
def test_one_mistyped_digit_is_always_caught(n: int) -> None:
    number = id_number(n)
    assert is_valid(number)
    position = n % 17
    wrong = number[:position] + str((int(number[position]) + 1 + n % 9) % 10) + number[position + 1 :]
    assert wrong != number
    assert not is_valid(wrong)  # MOD 11-2 catches every single-digit error
