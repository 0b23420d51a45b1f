"""Per-provider limits on LLM calls: requests per window and calls in flight.

The gateway takes a slot before each attempt and outside the attempt's timeout, so time spent
waiting for a slot never counts as a slow call. This module holds the port and the in-process
limiter (embedded mode); `store/llm_limits.py` shares the same limits between every worker
through Redis.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Literal, Protocol

from consensusnet.domain.config import ProviderLimit

log = logging.getLogger(__name__)

LONG_WAIT = 5.0
Exhausted = Literal["concurrency", "rate"]


class ProviderLimiter(Protocol):
    """Hands out call slots per provider: `async with limiter.slot(name):` around one call."""

    def slot(self, provider: str) -> AbstractAsyncContextManager[None]:
        """Wait until `provider` may take one more call; the slot is held until the block ends."""
        ...

    async def aclose(self) -> None:
        """Release connections; slots still held are given back by their own blocks."""
        ...


def waiting_message(provider: str, limit: ProviderLimit, reason: Exhausted) -> str:
    """Why a call is queued, in words an operator can map to CONSENSUSNET_LLM_LIMITS."""
    if reason == "concurrency":
        return f"all {limit.concurrency} concurrent {provider} calls are in use"
    return f"the {provider} rate limit ({limit.describe()}) is reached"


@dataclass
class _Budget:
    """One provider's slots in this process: calls in flight and recent start times."""

    limit: ProviderLimit
    active: int = 0
    starts: deque[float] = field(default_factory=deque)
    line: asyncio.Lock = field(default_factory=asyncio.Lock)
    freed: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self, now: float) -> tuple[Exhausted, float] | None:
        """Take a slot, or say which limit is exhausted and when it frees (inf: on a release)."""
        limit = self.limit
        if limit.concurrency is not None and self.active >= limit.concurrency:
            return "concurrency", math.inf
        if limit.requests is not None:
            while self.starts and self.starts[0] <= now - limit.per:
                self.starts.popleft()
            if len(self.starts) >= limit.requests:
                return "rate", self.starts[0] + limit.per - now
            self.starts.append(now)
        self.active += 1
        return None


class LocalProviderLimiter:
    """This process's limits: embedded mode, and the fallback while Redis is unreachable."""

    def __init__(self, limits: Mapping[str, ProviderLimit], *, long_wait: float = LONG_WAIT):
        self.limits = dict(limits)
        self.long_wait = long_wait
        self._budgets: dict[str, _Budget] = {}

    @asynccontextmanager
    async def slot(self, provider: str) -> AsyncIterator[None]:
        """Wait for a slot (sliding window of starts, count of calls in flight), then hold it."""
        limit = self.limits.get(provider)
        if limit is None:
            yield
            return
        budget = self._budgets.get(provider)
        if budget is None:
            budget = self._budgets[provider] = _Budget(limit)
        await self._wait(provider, budget)
        try:
            yield
        finally:
            budget.active -= 1
            budget.freed.set()

    async def _wait(self, provider: str, budget: _Budget) -> None:
        started = time.monotonic()
        logged = False
        # Only the head of the line checks the budget; the rest queue behind it in order.
        async with budget.line:
            while (blocked := budget.take(time.monotonic())) is not None:
                reason, delay = blocked
                waited = time.monotonic() - started
                if not logged and waited >= self.long_wait:
                    logged = True
                    log.info(
                        "An LLM call has waited %.0f s for a slot: %s.",
                        waited,
                        waiting_message(provider, budget.limit, reason),
                    )
                budget.freed.clear()
                # A release wakes the head at once; a rate window frees at a known time.
                timeout = min(delay, 1.0 if logged else self.long_wait - waited)
                with suppress(TimeoutError):
                    await asyncio.wait_for(budget.freed.wait(), timeout)

    async def aclose(self) -> None:
        """Nothing to release: the limits live in this process."""
        return None
