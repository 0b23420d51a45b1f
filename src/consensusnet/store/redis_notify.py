"""Redis pub/sub as the wake-up signal for session tails, so any API replica streams any session.

Redis carries only "session S reached seq N"; the events themselves are always read from the
database. A lost message therefore costs latency, never data: tails also wake on a timeout and
re-read the log, and resuming by `Last-Event-ID` is exact whatever Redis did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from consensusnet.store.redis_outage import RedisOutage


class Wakeups(Protocol):
    """This process's waiters (the engine's LocalNotifier), handed in by the composition root."""

    async def publish(self, session_id: str, seq: int) -> None: ...

    async def wait(self, session_id: str, after: int, timeout: float) -> None: ...


CHANNEL_PREFIX = "consensusnet:session:"
log = logging.getLogger(__name__)


class RedisNotifier:
    """Publishes appends to Redis and wakes local waiters when any process appends."""

    def __init__(
        self,
        url: str,
        local: Wakeups,
        *,
        reconnect_delay: float = 0.5,
        max_reconnect_delay: float = 5.0,
    ) -> None:
        self._url = url
        self._local = local  # this process's waiters, woken by every message
        self._redis: Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max_reconnect_delay
        self._publishing = RedisOutage(log, "Session wake-ups", "tails re-read the event log")
        self._subscription = RedisOutage(log, "Session tails", "they re-read the event log")
        self.connected = asyncio.Event()

    def _client(self) -> Redis:
        if self._redis is None:
            # Every append awaits a publish: a Redis that hangs rather than refuses must not
            # stall a workflow. (Subscription reads pass their own timeout.)
            self._redis = Redis.from_url(self._url, socket_connect_timeout=2, socket_timeout=2)
        return self._redis

    async def publish(self, session_id: str, seq: int) -> None:
        await self._local.publish(session_id, seq)
        if self._publishing.skip():
            return
        try:
            await self._client().publish(CHANNEL_PREFIX + session_id, str(seq))
        except (RedisError, OSError) as error:
            self._publishing.failed(error)
        else:
            self._publishing.succeeded()

    async def wait(self, session_id: str, after: int, timeout: float) -> None:
        self._ensure_listener()
        await self._local.wait(session_id, after, timeout)

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="redis-notifier")

    async def _listen(self) -> None:
        delay = self._reconnect_delay
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                # Back off while Redis stays down; start over once a subscription held.
                was_connected = self.connected.is_set()
                self.connected.clear()
                self._subscription.failed(error)
                delay = self._reconnect_delay if was_connected else delay
                await asyncio.sleep(delay)
                delay = min(2 * delay, self._max_reconnect_delay)

    async def _listen_once(self) -> None:
        pubsub = self._client().pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.psubscribe(CHANNEL_PREFIX + "*")
            self._subscription.succeeded()
            self.connected.set()
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is None or message.get("type") != "pmessage":
                    continue
                channel = message["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else channel
                data = message["data"]
                seq = int(data.decode() if isinstance(data, bytes) else data)
                await self._local.publish(channel[len(CHANNEL_PREFIX) :], seq)
        finally:
            with contextlib.suppress(RedisError, OSError, RuntimeError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def aclose(self) -> None:
        """Stop listening and close the connection."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await self._listener
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.aclose()
