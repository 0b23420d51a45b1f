"""LLM call limits every worker shares through Redis: a sliding window of starts, leased slots.

Each provider has a few sorted sets. `starts` holds the admission time of every call in the last
window (a sliding-window log, exact where a fixed window lets twice the rate through at a window
edge). `slots` holds one member per call in flight, scored by its lease expiry: a worker that
dies without releasing (SIGKILL, a lost host) stops renewing, and its slots are reclaimed once
their lease runs out. `queue` orders the waiting processes by arrival, so a worker that keeps
releasing and re-taking slots cannot starve the others; `alive` says by when each waiter must
ask again before it loses its place (a killed waiter blocks the line only briefly). One Lua
script does it all at once, on Redis's clock, so hosts with skewed clocks still agree.

Waiting never busy-loops Redis: in each process only the first waiter per provider asks, the
others queue behind it; a full window is retried when it frees, full slots on a release in this
process or after a short, growing, jittered pause. If Redis is unreachable the limiter logs a
warning and falls back to this process's own limits: a session never fails for want of Redis,
and a provider's own 429s are still retried by the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext, suppress
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from consensusnet.domain.config import ProviderLimit
from consensusnet.store.redis_outage import RedisOutage

log = logging.getLogger(__name__)

# KEYS: slots, starts, queue, alive. ARGV: ticket, concurrency (0 = none), lease s,
# requests (0 = none), per s, patience s (how late a waiter may ask again and keep its place).
# Returns {1, "0"} when taken, {0, "0"} when no slot is free for this waiter's place in line,
# or {-1, seconds until enough starts leave the window for its place in line}.
_ACQUIRE = """
local slots, starts, queue, alive = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local ticket = ARGV[1]
local concurrency, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
local requests, per = tonumber(ARGV[4]), tonumber(ARGV[5])
local patience = tonumber(ARGV[6])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local gone = redis.call('ZRANGEBYSCORE', alive, '-inf', now)
for _, stale in ipairs(gone) do
  redis.call('ZREM', queue, stale)
end
redis.call('ZREMRANGEBYSCORE', alive, '-inf', now)
redis.call('ZADD', queue, 'NX', now, ticket)
local rank = redis.call('ZRANK', queue, ticket)
local function refuse(status, wait)
  local ttl = math.ceil((per + patience) * 1000) + 1000
  redis.call('ZADD', alive, now + wait + patience, ticket)
  redis.call('PEXPIRE', queue, ttl)
  redis.call('PEXPIRE', alive, ttl)
  return {status, tostring(wait)}
end
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
  if rank >= concurrency - redis.call('ZCARD', slots) then
    return refuse(0, 0)
  end
end
if requests > 0 then
  redis.call('ZREMRANGEBYSCORE', starts, '-inf', now - per)
  local count = redis.call('ZCARD', starts)
  local room = requests - count
  if rank >= room then
    -- The waiters ahead take the room left; this one needs the next start to leave after that.
    local index = math.min(rank - room, count - 1)
    local nth = redis.call('ZRANGE', starts, index, index, 'WITHSCORES')
    local wait = per
    if #nth > 0 then
      wait = math.max(tonumber(nth[2]) + per - now, 0)
    end
    return refuse(-1, wait)
  end
end
redis.call('ZREM', queue, ticket)
redis.call('ZREM', alive, ticket)
if requests > 0 then
  redis.call('ZADD', starts, now, ticket)
  redis.call('PEXPIRE', starts, math.ceil(per * 1000) + 1000)
end
if concurrency > 0 then
  redis.call('ZADD', slots, now + lease, ticket)
  redis.call('PEXPIRE', slots, math.ceil(lease * 1000) + 1000)
end
return {1, '0'}
"""

# KEYS: slots. ARGV: holder, lease s. Returns 1 when the lease was extended, 0 when it was lost.
_RENEW = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
return 1
"""

LEASE = 30.0
LONG_WAIT = 5.0
MAX_PAUSE = 0.25
# Longer than any pause between two asks of a waiting process, with room for a slow loop.
PATIENCE = 3.0


class SlotSource(Protocol):
    """What the limiter falls back to while Redis is unreachable (this process's own limits)."""

    def slot(self, provider: str) -> AbstractAsyncContextManager[None]: ...


class RedisProviderLimiter:
    """Per-provider rate and concurrency shared by every process that uses the same Redis."""

    def __init__(
        self,
        url: str,
        limits: Mapping[str, ProviderLimit],
        *,
        fallback: SlotSource | None = None,
        lease: float = LEASE,
        long_wait: float = LONG_WAIT,
        prefix: str = "consensusnet:llm:",
    ) -> None:
        self.limits = dict(limits)
        self.lease = lease
        self.long_wait = long_wait
        self._fallback = fallback
        self._prefix = prefix
        self._redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._acquire_script = self._redis.register_script(_ACQUIRE)
        self._renew_script = self._redis.register_script(_RENEW)
        self._lines: dict[str, asyncio.Lock] = {}
        self._freed: dict[str, asyncio.Event] = {}
        self._outage = RedisOutage(
            log,
            "Shared LLM limits",
            "each process keeps to its own limits" if fallback else "calls are not limited",
        )

    @asynccontextmanager
    async def slot(self, provider: str) -> AsyncIterator[None]:
        """Wait for a shared slot, hold it (renewing its lease) until the block ends."""
        limit = self.limits.get(provider)
        if limit is None:
            yield
            return
        holder = await self._acquire(provider, limit)
        if holder is None:
            fallback = self._fallback.slot(provider) if self._fallback else nullcontext()
            async with fallback:
                yield
            return
        renewal = asyncio.create_task(self._renew(provider, holder)) if limit.concurrency else None
        try:
            yield
        finally:
            if renewal is not None:
                renewal.cancel()
                await asyncio.wait([renewal])
            if limit.concurrency:
                await self._release(provider, holder)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()

    # -- internals --------------------------------------------------------------------------

    def _key(self, provider: str, name: str) -> str:
        # The braces keep all keys of a provider in one Redis Cluster slot for the script.
        return f"{self._prefix}{{{provider}}}:{name}"

    async def _acquire(self, provider: str, limit: ProviderLimit) -> str | None:
        """Take a slot and return its holder id, or None when Redis cannot be asked."""
        if self._outage.skip():
            return None
        holder = uuid.uuid4().hex
        try:
            # Only the first waiter of this process asks Redis; the rest queue behind it.
            async with self._lines.setdefault(provider, asyncio.Lock()):
                if self._outage.skip():  # Redis failed for a call ahead of this one
                    return None
                await self._wait_for_slot(provider, limit, holder)
        except (RedisError, OSError) as error:
            self._outage.failed(error)
            return None
        except asyncio.CancelledError:
            # Leave the line; the script may also have granted the slot just as we were cancelled.
            await self._release(provider, holder)
            raise
        self._outage.succeeded()
        return holder

    async def _wait_for_slot(self, provider: str, limit: ProviderLimit, holder: str) -> None:
        freed = self._freed.setdefault(provider, asyncio.Event())
        started = time.monotonic()
        pause = 0.05
        logged = False
        while True:
            freed.clear()
            status, wait = await self._try(provider, limit, holder)
            if status == 1:
                return
            waited = time.monotonic() - started
            if not logged and waited >= self.long_wait:
                logged = True
                log.info(
                    "An LLM call has waited %.0f s for a slot shared by every worker: %s.",
                    waited,
                    _reason(provider, limit, full=status == 0),
                )
            until_log = math.inf if logged else self.long_wait - waited
            if status == 0:
                # Slots free when their holders finish, which only a local release announces.
                delay = min(pause, until_log) * random.uniform(1.0, 1.3)
                pause = min(pause * 2, MAX_PAUSE)
                with suppress(TimeoutError):
                    await asyncio.wait_for(freed.wait(), max(delay, 0.01))
            else:
                # The window frees at a known time; jitter keeps processes from asking at once.
                jitter = random.uniform(0, min(0.25, wait * 0.2))
                await asyncio.sleep(max(min(wait + jitter, until_log), 0.01))

    async def _try(self, provider: str, limit: ProviderLimit, holder: str) -> tuple[int, float]:
        keys = [self._key(provider, name) for name in ("slots", "starts", "queue", "alive")]
        args: list[str | int | float] = [
            holder,
            limit.concurrency or 0,
            self.lease,
            limit.requests or 0,
            limit.per if limit.requests else 0,
            PATIENCE,
        ]
        status, wait = await self._acquire_script(keys=keys, args=args)
        return int(status), float(wait)

    async def _renew(self, provider: str, holder: str) -> None:
        """Extend the lease while the call runs, so only a dead process's slots expire."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                kept = await self._renew_script(
                    keys=[self._key(provider, "slots")], args=[holder, self.lease]
                )
            except (RedisError, OSError) as error:
                log.debug("Could not renew a %s slot's lease: %s", provider, error)
                continue
            if not kept:
                log.warning(
                    "A %s call outlived its slot's lease (was this process paused?); "
                    "the call goes on, but the shared limit may be exceeded briefly.",
                    provider,
                )
                return

    async def _release(self, provider: str, holder: str) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in ("slots", "queue", "alive"):
                    pipe.zrem(self._key(provider, name), holder)
                await pipe.execute()
        except (RedisError, OSError) as error:
            log.debug("Could not release a %s slot (its lease will expire): %s", provider, error)
        freed = self._freed.get(provider)
        if freed is not None:
            freed.set()


def _reason(provider: str, limit: ProviderLimit, *, full: bool) -> str:
    if full:
        return f"all {limit.concurrency} concurrent {provider} calls are in use"
    return f"the {provider} rate limit ({limit.describe()}) is reached"
