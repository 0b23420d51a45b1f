"""Service tests: Redis on a db of its own (its keys removed afterwards)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from consensusnet.testing.services import require_redis

REDIS_URL = "redis://127.0.0.1:6379/14"


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
