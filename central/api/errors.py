"""A domain error as the API answers it: the status and code the error carries, its text, its headers.

``{"code": "not_found.site", "detail": "场所不存在 / unknown site"}`` with the
error's status (and headers, e.g. ``Retry-After``). ``central.app`` installs
the one handler: this answer for ``/api/...``, the error page for pages.
A request that fails validation gets FastAPI's 422 without the values sent
(``invalid_request``).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from central.api.invalid_words import message
from central.errors import DomainError

# Paths for programs, not people, outside /api/: their refusals are JSON too.
_MACHINE_PATHS = frozenset({"/metrics", "/healthz"})


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in _MACHINE_PATHS


def error_json(exc: DomainError) -> JSONResponse:
    return JSONResponse({"code": exc.code, "detail": str(exc)}, status_code=exc.status, headers=exc.headers)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 for a request that fails validation: where and why (中文 / English), never the value sent
    (it may be huge, or a secret)."""
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(e["loc"]), "msg": message(e)[:300], "type": e["type"]} for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)
