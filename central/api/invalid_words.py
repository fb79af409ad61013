"""A failed validation said to a person: which field, what is wrong with it, in Chinese first and English second.

FastAPI's 422 carries pydantic's words, in English only. ``message`` turns one
of its errors into ``身份证号：长度不能超过 32 个字符 / id_number: String should
have at most 32 characters``. A check of our own (a ``ValueError`` raised by a
validator, e.g. ``protocol.id_number``) already speaks both languages: its
words are kept as they are. Never the value sent (it may be huge, or a secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Fields people fill in on the pages; any other is named as the API names it.
FIELDS: dict[str, str] = {
    "name_zh": "姓名",
    "name_en": "英文名",
    "id_number": "身份证号",
    "notes": "备注",
    "note": "说明",
    "photos": "照片",
    "jurisdiction": "辖区",
    "status": "状态",
    "username": "用户名",
    "password": "密码",
    "display_name": "显示名称",
    "role": "角色",
    "company_id": "单位",
    "full": "全量下发",
    "from": "开始日期",
    "to": "结束日期",
    "date": "日期",
    "site_id": "场所",
    "limit": "条数",
    "offset": "起始位置",
}

# pydantic's error types (pydantic_core ErrorType) and what they mean; ``{…}`` from the error's context.
WORDS: dict[str, str] = {
    "missing": "必须填写",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_type": "须为文本",
    "string_pattern_mismatch": "格式不符",
    "bool_type": "须为是或否",
    "bool_parsing": "须为是或否",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "extra_forbidden": "不是可接受的字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "model_type": "格式不符",
    "model_attributes_type": "格式不符",
    "dict_type": "格式不符",
    "list_type": "须为列表",
    "date_parsing": "须为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
    "datetime_parsing": "须为时间（RFC 3339）",
    "datetime_from_date_parsing": "须为时间（RFC 3339）",
    "timezone_aware": "须带时区",
    "uuid_parsing": "须为 UUID",
    "uuid_type": "须为 UUID",
}
VALUE_ERROR = "Value error, "


def field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """The field an error is about: the last name in its location (a list index names no field)."""
    names = [str(part) for part in loc if isinstance(part, str) and part not in ("body", "query", "path", "header")]
    return names[-1] if names else ""


def message(error: Mapping[str, Any]) -> str:
    """``error`` (one of ``RequestValidationError.errors()``) as ``字段：原因 / field: reason``."""
    field = field_of(error.get("loc", ()))
    english = str(error.get("msg", ""))
    own = english.removeprefix(VALUE_ERROR)
    if error.get("type") == "value_error" and " / " in own:
        return own  # our validators' words: already 中文 / English, naming what they check
    words = WORDS.get(str(error.get("type")), "不符合要求")
    try:
        words = words.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        words = words.split("{")[0].rstrip("：，") or "不符合要求"
    label = FIELDS.get(field, field)
    return f"{label}：{words} / {field}: {english}" if field else f"{words} / {english}"
