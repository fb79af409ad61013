"""How every refusal looks in the OpenAPI schema: one shape for a domain's refusal and a failed validation.

A domain refusal is ``{"code", "detail": "中文 / English"}`` (``central.api.errors``);
a request that fails validation is ``{"detail": [{"loc", "msg", "type"}]}``.
``REFUSALS`` documents both, under every status central refuses with, on
every route of the API, so that a client (and a schema checker) finds each
answer it can get in the schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Refusal(BaseModel):
    code: str | None = None  # absent on a failed validation
    detail: str | list[ValidationIssue]


_STATUSES = {
    401: "需要登录或 API 密钥 / not logged in",
    403: "无权访问 / not allowed for this account",
    404: "无此记录（或不属于本账号）/ no such record (or not this account's)",
    405: "不可删除 / kept by law",
    409: "与已有记录冲突 / conflicts with what is stored",
    413: "请求体过大 / request body too large",
    422: "请求无效 / the request is invalid",
    429: "尝试次数过多 / too many attempts",
    502: "依赖的服务未响应 / a service central depends on did not answer",
}
REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": Refusal, "description": text} for status, text in _STATUSES.items()
}
