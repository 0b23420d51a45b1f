"""Redis pub/sub wakes tails in other processes; Redis rate limits are shared by replicas."""

from __future__ import annotations

import asyncio
import time

import pytest

from consensusnet.engine.sessions import LocalNotifier
from consensusnet.store.ratelimit import RedisRateLimiter
from consensusnet.store.redis_notify import RedisNotifier

pytestmark = pytest.mark.integration


async def test_a_publish_on_one_replica_wakes_a_waiter_on_another(redis_url: str) -> None:
    api_replica, worker = (
        RedisNotifier(redis_url, LocalNotifier()),
        RedisNotifier(redis_url, LocalNotifier()),
    )
    try:
        waiter = asyncio.create_task(api_replica.wait("s-fanout", after=3, timeout=10))
        await asyncio.wait_for(api_replica.connected.wait(), 5)
        started = time.monotonic()
        await worker.publish("s-fanout", 4)
        await asyncio.wait_for(waiter, 5)
        assert time.monotonic() - started < 1.0
        # A wait for news already seen returns only on its timeout.
        started = time.monotonic()
        await api_replica.wait("s-fanout", after=4, timeout=0.3)
        assert time.monotonic() - started >= 0.29
    finally:
        await api_replica.aclose()
        await worker.aclose()


async def test_publish_survives_redis_being_unreachable() -> None:
    notifier = RedisNotifier("redis://127.0.0.1:1/0", LocalNotifier())
    try:
        await notifier.publish("s-down", 1)  # logged, not raised: the event is already durable
        started = time.monotonic()
        await notifier.wait("s-down", after=1, timeout=0.2)
        assert time.monotonic() - started < 3
    finally:
        await notifier.aclose()


async def test_rate_limit_is_shared_between_replicas(redis_url: str) -> None:
    first, second = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    try:
        results = [await first.hit("key:shared", 3, 60), await second.hit("key:shared", 3, 60)]
        results.append(await first.hit("key:shared", 3, 60))
        assert results == [None, None, None]
        retry = await second.hit("key:shared", 3, 60)
        assert retry is not None
        assert 1 <= retry <= 60
        assert await first.hit("key:other", 3, 60) is None
    finally:
        await first.aclose()
        await second.aclose()
