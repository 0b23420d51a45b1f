"""Service tests: Redis on a db of its own (its keys removed afterwards)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

REDIS_URL = "redis://127.0.0.1:6379/14"


def require_redis() -> None:
    """Fail under CI, skip on a laptop without Redis (as tests/conftest.py does)."""
    import os

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not reachable on 127.0.0.1:6379 (CI=true)")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """A Redis URL on db 14; the test's keys are deleted afterwards."""
    require_redis()
    yield REDIS_URL
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match="consensusnet:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
