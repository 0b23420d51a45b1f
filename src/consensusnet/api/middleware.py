"""Pure ASGI middleware: per-IP rate limits and HTTP metrics (streams pass through untouched)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consensusnet.api.errors import ErrorBody, error_response

if TYPE_CHECKING:
    from consensusnet.api.state import ApiState

UNLIMITED_PATHS = frozenset({"/health", "/ready", "/metrics"})


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
