"""A failed validation names the field and what is wrong, in Chinese first and English second, never the value."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from central.api.invalid_words import message
from central.watchlist.editor import EntryCreate


class _Form(BaseModel):
    name_zh: str = Field(min_length=1, max_length=4)
    limit: int = Field(default=1, ge=1)


def _errors(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [message({**e, "loc": ("body", *e["loc"])}) for e in caught.value.errors()]


def test_pydantic_words_get_chinese_first() -> None:
    assert _errors(_Form, {"name_zh": "超过四个字的名字", "limit": 0}) == [
        "姓名：长度不能超过 4 个字符 / name_zh: String should have at most 4 characters",
        "条数：不能小于 1 / limit: Input should be greater than or equal to 1",
    ]
    assert _errors(_Form, {}) == ["姓名：必须填写 / name_zh: Field required"]


def test_our_own_checks_keep_their_words_and_never_echo_the_value() -> None:
    bad = "110105198503120013"  # the check digit is off by one
    (words,) = _errors(EntryCreate, {"name_zh": "甲", "id_number": bad, "photos": ["eA=="]})
    assert words == "身份证号校验位错误 / the ID number's check digit is wrong (a digit mistyped?)"
    assert bad not in words


def test_an_unknown_type_still_says_something_in_both_languages() -> None:
    words = message({"loc": ("body", "x"), "msg": "Some new check failed", "type": "brand_new_type"})
    assert words == "x：不符合要求 / x: Some new check failed"
