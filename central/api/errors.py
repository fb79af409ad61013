"""Errors as the API answers them: the status, a stable code, and a message in Chinese and English.

``{"code": "not_found.site", "detail": "场所不存在 / unknown site"}`` with the
error's status (and headers, e.g. ``Retry-After``). ``central.app`` installs
the handlers: this answer for ``/api/...``, the error page for pages. The
framework's own refusals (an unknown path, a method not allowed) are worded the
same way; a request that fails validation gets 422 with where and why in both
languages, without the values sent (``invalid_request``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from central.api.invalid_words import message
from central.errors import DomainError

# Paths for programs, not people, outside /api/: their refusals are JSON too.
_MACHINE_PATHS = frozenset({"/metrics", "/healthz"})

# The framework's refusals by status: (code, Chinese, English).
HTTP_STATUS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求有误", "bad request"),
    401: ("unauthenticated", "需要登录", "log in first"),
    403: ("forbidden", "无权访问", "forbidden"),
    404: ("not_found", "未找到", "not found"),
    405: ("method_not_allowed", "不支持此操作", "method not allowed"),
    413: ("too_large", "内容过大", "request too large"),
    422: ("invalid_request", "请求参数有误", "invalid request"),
    429: ("too_many_attempts", "请求过于频繁，请稍后再试", "too many requests"),
}

# Why a field was refused, by pydantic's error type; others keep pydantic's English only.
_FIELD_WHY: dict[str, str] = {
    "missing": "缺少此项",
    "date_parsing": "日期格式应为 年-月-日（如 2026-03-01）",
    "date_from_datetime_parsing": "日期格式应为 年-月-日（如 2026-03-01）",
    "datetime_parsing": "时间格式有误",
    "datetime_from_date_parsing": "时间格式有误",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "uuid_parsing": "编号格式有误",
    "greater_than_equal": "数值或日期过小",
    "greater_than": "数值或日期过小",
    "less_than_equal": "数值或日期过大",
    "less_than": "数值或日期过大",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "string_pattern_mismatch": "格式不符",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式有误",
    "dict_type": "格式有误",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in _MACHINE_PATHS


def error_json(exc: DomainError) -> JSONResponse:
    return JSONResponse({"code": exc.code, "detail": str(exc)}, status_code=exc.status, headers=exc.headers)


def status_words(status: int) -> tuple[str, str, str]:
    """(code, Chinese, English) for an HTTP status the framework refuses with."""
    return HTTP_STATUS.get(status, ("error", "无法完成此请求", "request refused"))


def http_json(exc: HTTPException) -> JSONResponse:
    """The framework's refusal in the API's words; a detail a route set on purpose is kept."""
    code, zh, en = status_words(exc.status_code)
    default = exc.detail in (None, "") or exc.detail == _reason(exc.status_code)
    detail = f"{zh} / {en}" if default else exc.detail
    return JSONResponse({"code": code, "detail": detail}, status_code=exc.status_code, headers=exc.headers)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and why, in both languages, never the value sent (it may be huge, or a secret)."""
    return [
        {
            "loc": list(e["loc"]),
            "msg": message(e)[:300],  # 中文 / English, the field named in words
            "msg_zh": _FIELD_WHY.get(e["type"], "取值有误"),
            "type": e["type"],
        }
        for e in exc.errors()
    ]


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 for a request that fails validation: where and why (中文 / English), never the value sent."""
    assert isinstance(exc, RequestValidationError)
    _code, zh, en = status_words(422)
    body = {"code": "invalid_request", "message": f"{zh} / {en}", "detail": field_errors(exc)}
    return JSONResponse(body, status_code=422)
