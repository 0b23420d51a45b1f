"""Fixed-window rate limits: in-process when embedded, shared through Redis in service mode."""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from consensusnet.store.redis_outage import RedisOutage

log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    """Counts hits per key; `hit` returns seconds to wait when over the limit, else None."""

    async def hit(self, key: str, limit: int, window: float) -> float | None: ...


class MemoryRateLimiter:
    """One process's counters (enough for a single embedded server)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, limit: int, window: float) -> float | None:
        if limit <= 0:
            return None
        now = time.time()
        slot = int(now // window)
        if len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= slot}
        count = self._counts.get((key, slot), 0) + 1
        self._counts[(key, slot)] = count
        if count > limit:
            return max(1.0, math.ceil((slot + 1) * window - now))
        return None


class RedisRateLimiter:
    """Counters in Redis, shared by every API replica; fails open if Redis is down."""

    def __init__(self, url: str, prefix: str = "consensusnet:rate:") -> None:
        self._redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._prefix = prefix
        self._outage = RedisOutage(log, "Rate limiter", "every request is allowed")

    async def hit(self, key: str, limit: int, window: float) -> float | None:
        if limit <= 0 or self._outage.skip():
            return None
        now = time.time()
        slot = int(now // window)
        name = f"{self._prefix}{key}:{slot}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, math.ceil(window) + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            self._outage.failed(error)
            return None
        self._outage.succeeded()
        if int(count) > limit:
            return max(1.0, math.ceil((slot + 1) * window - now))
        return None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
