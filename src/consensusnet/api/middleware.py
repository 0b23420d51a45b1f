"""Pure ASGI middleware: body size and per-IP rate limits, HTTP metrics (streams pass through)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consensusnet.api.errors import ErrorBody, error_response

if TYPE_CHECKING:
    from consensusnet.api.state import ApiState

UNLIMITED_PATHS = frozenset({"/health", "/ready", "/metrics"})
# Room for a multipart envelope (boundaries, part headers) around the largest allowed file.
ENVELOPE_BYTES = 64 * 1024


class ObserveAndLimit:
    """Counts and times every request; answers 429 with Retry-After past the per-IP limit."""

    def __init__(self, app: ASGIApp, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        settings = self.state.settings
        if path not in UNLIMITED_PATHS:
            client = scope.get("client")
            ip = client[0] if client else "unknown"
            retry = await self.state.limiter.hit(
                f"ip:{ip}", settings.rate_limit_per_ip, settings.rate_limit_window
            )
            if retry is not None:
                seconds = str(int(retry))
                body = ErrorBody(
                    code="rate_limited",
                    message="Too many requests from this address.",
                    hint=f"Retry after {seconds} s.",
                )
                await error_response(429, body, {"Retry-After": seconds})(scope, receive, send)
                self._observe(scope, "429", 0.0)
                return
        max_body = settings.max_upload_bytes + ENVELOPE_BYTES
        if _declared_length(scope) > max_body:
            await error_response(413, _too_large(max_body))(scope, receive, send)
            self._observe(scope, "413", 0.0)
            return
        receive = _limited(receive, max_body)
        started = time.perf_counter()
        status = "500"

        async def observe_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe_send)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: str, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "")
        metrics = self.state.metrics
        metrics.requests.labels(method=method, route=template, status=status).inc()
        metrics.latency.labels(method=method, route=template).observe(seconds)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _too_large(max_body: int) -> ErrorBody:
    return ErrorBody(
        code="too_large",
        message=f"The request body is larger than {max_body} bytes.",
        hint="Send a smaller body, or raise CONSENSUSNET_MAX_UPLOAD_BYTES.",
    )


def _limited(receive: Receive, max_body: int) -> Receive:
    """`receive` that stops a body (chunked, or longer than declared) once it passes the limit."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_body:
                # FastAPI re-raises its own HTTPException from body parsing; the error
                # handlers render it in the one error shape.
                body = _too_large(max_body)
                raise HTTPException(413, f"{body.message} {body.hint}")
        return message

    return limited
