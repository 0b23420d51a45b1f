"""One JSON error shape for every failure: `{"error": {"code", "message", "field"?, "hint"?}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from consensusnet.domain.errors import ConsensusNetError, NotFoundError
from consensusnet.store.users import ConflictError

log = logging.getLogger("consensusnet.api")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    """What went wrong, which field (if one), and what to do about it."""

    code: str
    message: str
    field: str | None = None
    hint: str | None = None


class ErrorResponse(BaseModel):
    """The body of every non-2xx response."""

    error: ErrorBody


class ApiError(Exception):
    """An HTTP-level failure raised by routes and dependencies."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(
            code=code or HTTP_CODES.get(status, "error"), message=message, field=field, hint=hint
        )
        self.headers = headers or {}


def error_response(
    status: int, body: ErrorBody, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON response for one error."""
    content = ErrorResponse(error=body).model_dump(exclude_none=True)
    return JSONResponse(content, status_code=status, headers=headers)


def unavailable(message: str = "The database is unreachable.") -> JSONResponse:
    """A clean 503 for when a backing service is down."""
    body = ErrorBody(
        code="unavailable",
        message=message,
        hint="Retry in a few seconds; `GET /ready` shows which dependency is down.",
    )
    return error_response(503, body, {"Retry-After": "5"})


def is_unavailable(error: BaseException) -> bool:
    """True for errors that mean a backing service is down, not that the request is wrong."""
    if isinstance(error, DBAPIError):
        text = str(error).lower()
        return (
            error.connection_invalidated
            or isinstance(error.orig, OSError)
            or "connect" in text
            or "too many clients" in text
        )
    return isinstance(error, (OSError, TimeoutError))


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


async def _api_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.body, error.headers)


async def _validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "Invalid request."}
    field = _field(tuple(first.get("loc", ())))
    message = str(first.get("msg", "Invalid request."))
    body = ErrorBody(
        code="validation_error",
        message=f"{field}: {message}" if field else message,
        field=field,
    )
    return error_response(422, body)


async def _http(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    body = ErrorBody(code=HTTP_CODES.get(error.status_code, "error"), message=str(error.detail))
    return error_response(error.status_code, body, dict(error.headers or {}))


async def _domain(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ConsensusNetError)
    status = (
        404
        if isinstance(error, NotFoundError)
        else 409
        if isinstance(error, ConflictError)
        else 400
    )
    body = ErrorBody(code=HTTP_CODES[status], message=str(error), hint=error.hint or None)
    return error_response(status, body)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    if is_unavailable(error):
        log.warning("Backing service unavailable on %s: %s", request.url.path, type(error).__name__)
        return unavailable()
    log.exception("Unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, ErrorBody(code="internal_error", message="Internal server error."))


def install_error_handlers(api: FastAPI) -> None:
    """Route every kind of failure to the one error shape."""
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(RequestValidationError, _validation)
    api.add_exception_handler(StarletteHTTPException, _http)
    api.add_exception_handler(ConsensusNetError, _domain)
    # Named classes are answered by the exception middleware; a bare `Exception` handler runs in
    # Starlette's outermost layer, which re-raises after answering: a logged traceback and a
    # dropped keep-alive connection for what is only a database outage.
    for outage in (DBAPIError, OSError, TimeoutError):
        api.add_exception_handler(outage, _unexpected)
    api.add_exception_handler(Exception, _unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route may answer."""
    return {
        status: {"model": ErrorResponse, "description": HTTP_CODES.get(status, "error")}
        for status in statuses
    }
