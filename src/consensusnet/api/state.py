"""What one API process holds: the composition root, the limiter, metrics, readiness."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from dataclasses import dataclass, field
from typing import Any

from consensusnet.api.metrics import ApiMetrics
from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.store.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

log = logging.getLogger("consensusnet.api")
RETRY_START_AFTER = 2.0


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (the only place no-auth mode may listen)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ApiState:
    """Per-process API state, stored on `FastAPI.state.cn`."""

    app: App
    limiter: RateLimiter
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    runtime_ready: bool = False
    runtime_error: str = ""
    redis: Any = None

    @property
    def settings(self) -> Settings:
        """The process settings."""
        return self.app.settings

    @property
    def no_auth(self) -> bool:
        """Requests without a key act as the local admin (explicit, loopback only)."""
        return self.settings.allow_no_auth and is_loopback(self.settings.host)

    @property
    def sse_poll(self) -> float:
        """How long a stream waits for a wake-up before re-reading the log anyway."""
        return min(2.0, self.settings.sse_heartbeat)

    def redis_client(self) -> Any:
        """A Redis client for readiness checks (None when Redis is not configured)."""
        if self.redis is None and self.settings.redis_url:
            from redis.asyncio import Redis

            self.redis = Redis.from_url(
                self.settings.redis_url, socket_connect_timeout=2, socket_timeout=2
            )
        return self.redis

    async def start_runtime(self) -> None:
        """Launch the runtime, retrying while the database is unreachable."""
        while not self.runtime_ready:
            try:
                await self.app.start()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.runtime_error = f"{type(error).__name__}: {error}"[:300]
                log.warning("Runtime not started yet (%s); retrying.", type(error).__name__)
                await asyncio.sleep(RETRY_START_AFTER)
            else:
                self.runtime_ready, self.runtime_error = True, ""

    async def close(self) -> None:
        """Release the runtime, connections and clients."""
        await self.app.close()
        for client in (self.redis, self.limiter):
            closer = getattr(client, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()


def make_state(app: App) -> ApiState:
    """The state for one API process: Redis-backed limits when REDIS_URL is set."""
    redis_url = app.settings.redis_url
    limiter: RateLimiter = RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
    return ApiState(app=app, limiter=limiter)
