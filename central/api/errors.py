"""A domain error as the API answers it: the status and code the error carries, its text, its headers.

``{"code": "not_found.site", "detail": "场所不存在 / unknown site"}`` with the
error's status (and headers, e.g. ``Retry-After``). ``central.app`` installs
the one handler: this answer for ``/api/...``, the error page for pages.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from central.errors import DomainError


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(exc: DomainError) -> JSONResponse:
    return JSONResponse({"code": exc.code, "detail": str(exc)}, status_code=exc.status, headers=exc.headers)
