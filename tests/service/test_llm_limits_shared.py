"""Per-provider LLM limits hold across worker processes sharing one Redis.

Two OS processes, each with its own event loop and gateway, call the fake LLM server at once;
the server's own records prove the shared limits held.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

from consensusnet.compose import App
from consensusnet.domain.config import ProviderLimit, Settings
from consensusnet.domain.llm import LLMRequest, Message
from consensusnet.llm.gateway import CallContext
from consensusnet.llm.limits import LocalProviderLimiter
from consensusnet.store.llm_limits import RedisProviderLimiter
from consensusnet.testing.fake_llm_server import FakeLLMServer

pytestmark = pytest.mark.integration

REQUEST = LLMRequest(messages=[Message(role="user", content="hi")])

# A worker in miniature: a gateway wired as the composition root wires it (settings from the
# environment, the Redis limiter falling back to local limits), `calls` at once when told to go.
WORKER = """
import asyncio, sys
from consensusnet.domain.config import Settings
from consensusnet.domain.llm import LLMRequest, Message
from consensusnet.llm.gateway import CallContext, LLMGateway
from consensusnet.llm.limits import LocalProviderLimiter
from consensusnet.llm.openai import OpenAIProvider
from consensusnet.llm.router import Router
from consensusnet.store.llm_limits import RedisProviderLimiter

async def main(name: str, calls: int, prefix: str) -> None:
    settings = Settings(_env_file=None)
    provider = OpenAIProvider(base_url=settings.openai_base_url)
    limits = settings.llm_limits
    limiter = RedisProviderLimiter(
        settings.redis_url, limits, fallback=LocalProviderLimiter(limits), prefix=prefix
    )
    gateway = LLMGateway(
        Router(settings),
        {"openai": provider}.__getitem__,
        concurrency=settings.llm_concurrency,
        limits=limiter,
    )
    # Warm the HTTP client up, so the first limited call reaches the server as fast as the rest.
    request = LLMRequest(messages=[Message(role="user", content=name)])
    await provider.complete(request, provider.default_model)
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        await asyncio.gather(*(gateway.complete(request, CallContext()) for _ in range(calls)))
    finally:
        await limiter.aclose()
        await provider.aclose()
    print("done", flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
"""

# Takes the only slot and holds it until killed.
HOLDER = """
import asyncio, sys
from consensusnet.domain.config import ProviderLimit
from consensusnet.store.llm_limits import RedisProviderLimiter

async def main(url: str, lease: float, prefix: str) -> None:
    limits = {"openai": ProviderLimit(concurrency=1)}
    limiter = RedisProviderLimiter(url, limits, lease=lease, prefix=prefix)
    async with limiter.slot("openai"):
        print("holding", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3]))
"""


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    """Keys of this test alone: other tests' clean-up of `consensusnet:*` cannot reset them."""
    own = f"cn-test-llm-limits:{uuid.uuid4().hex}:"
    yield own
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=own + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def clean_env(**overrides: str) -> dict[str, str]:
    """This environment without any ConsensusNet setting, plus `overrides`."""
    own = {"DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"}
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CONSENSUSNET_") and k not in own
    }
    return {**env, **overrides}


@asynccontextmanager
async def python(
    script: str, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env or clean_env(),
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def read_line(process: asyncio.subprocess.Process, timeout: float = 30) -> str:
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout)).decode().strip()
    if not line and process.stderr is not None:
        error = (await asyncio.wait_for(process.stderr.read(), 10)).decode()
        pytest.fail(f"the child process exited early:\n{error[-3000:]}")
    return line


async def test_rate_and_concurrency_hold_across_two_worker_processes(
    redis_url: str, prefix: str
) -> None:
    calls = 6
    with FakeLLMServer(reply_delay=0.3) as server:
        env = {
            name: clean_env(
                REDIS_URL=redis_url,
                CONSENSUSNET_PROVIDER="openai",
                OPENAI_BASE_URL=server.openai_base_url,
                CONSENSUSNET_LLM_CONCURRENCY="8",
                CONSENSUSNET_LLM_LIMITS="openai=5/2s:2",
            )
            for name in ("A", "B")
        }
        async with (
            python(WORKER, "A", str(calls), prefix, env=env["A"]) as first,
            python(WORKER, "B", str(calls), prefix, env=env["B"]) as second,
        ):
            workers = [first, second]
            for worker in workers:
                assert await read_line(worker) == "ready"
            server.forget()  # the warm-up calls
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write(b"go\n")
                await worker.stdin.drain()
            for worker in workers:
                assert await read_line(worker, timeout=60) == "done"
            errors = [(await worker.communicate())[1].decode() for worker in workers]

        # Neither worker lost Redis and fell back to limits of its own.
        assert not any("Redis unavailable" in error for error in errors), errors

        assert len(server.requests) == 2 * calls
        # Six calls each could have run at once in each process; together they never ran
        # more than two at a time, nor started more than five in any two seconds (a margin of
        # half a second covers the hop from taking the slot to reaching the server).
        assert server.peak_concurrency == 2
        assert server.most_started_within(1.5) <= 5
        # Both processes were calling during the same stretch, so the limit really was shared.
        spans = {
            name: [r.started for r in server.requests if r.body["messages"][-1]["content"] == name]
            for name in ("A", "B")
        }
        assert min(spans["A"]) < max(spans["B"])
        assert min(spans["B"]) < max(spans["A"])


async def test_the_composition_root_shares_limits_through_redis_when_it_is_set(
    settings: Settings, redis_url: str
) -> None:
    limited = settings.model_copy(
        update={"llm_limits": {"scripted": ProviderLimit(requests=100, per=60, concurrency=2)}}
    )
    for configured, expected in [
        (limited.model_copy(update={"redis_url": redis_url}), RedisProviderLimiter),
        (limited, LocalProviderLimiter),
    ]:
        app = App(configured)
        try:
            gateway = (await app.services()).gateway
            assert type(gateway.limits) is expected
            assert (await gateway.complete(REQUEST, CallContext())).text
        finally:
            await app.close()


async def test_a_killed_holders_slot_returns_after_its_lease(redis_url: str, prefix: str) -> None:
    lease = 1.0
    limits = {"openai": ProviderLimit(concurrency=1)}
    limiter = RedisProviderLimiter(redis_url, limits, lease=lease, prefix=prefix)
    try:
        async with python(HOLDER, redis_url, str(lease), prefix) as holder:
            assert await read_line(holder) == "holding"
            # A live holder renews its lease: the slot stays taken well past one lease.
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(2.5 * lease), limiter.slot("openai"):
                    pass
            holder.send_signal(signal.SIGKILL)
            await holder.wait()
        killed = time.monotonic()
        async with asyncio.timeout(15), limiter.slot("openai"):
            reclaimed_after = time.monotonic() - killed
        assert reclaimed_after < 10
    finally:
        await limiter.aclose()


async def test_unreachable_redis_falls_back_to_this_processs_limits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = {"openai": ProviderLimit(concurrency=1)}
    limiter = RedisProviderLimiter(
        "redis://127.0.0.1:1/0", limits, fallback=LocalProviderLimiter(limits)
    )
    inside: list[int] = []
    peak: list[int] = []

    async def call() -> None:
        async with limiter.slot("openai"):
            inside.append(1)
            peak.append(len(inside))
            await asyncio.sleep(0.05)
            inside.pop()

    try:
        with caplog.at_level(logging.WARNING, logger="consensusnet.store.llm_limits"):
            await asyncio.wait_for(asyncio.gather(*(call() for _ in range(4))), 10)
    finally:
        await limiter.aclose()
    assert len(peak) == 4
    assert max(peak) == 1  # the fallback still limits this process
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Shared LLM limits: Redis unavailable" in warnings[0].getMessage()


async def test_a_long_wait_for_a_shared_slot_is_logged_once(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    limits = {"openai": ProviderLimit(concurrency=1)}
    holder, waiter = (
        RedisProviderLimiter(redis_url, limits, prefix=prefix),
        RedisProviderLimiter(redis_url, limits, long_wait=0.2, prefix=prefix),
    )

    async def hold() -> None:
        async with holder.slot("openai"):
            await asyncio.sleep(1.0)

    try:
        with caplog.at_level(logging.INFO, logger="consensusnet.store.llm_limits"):
            held = asyncio.create_task(hold())
            await asyncio.sleep(0.1)
            async with asyncio.timeout(10), waiter.slot("openai"):
                pass
            await held
    finally:
        await holder.aclose()
        await waiter.aclose()
    waits = [r for r in caplog.records if "waited" in r.getMessage()]
    assert [r.levelno for r in waits] == [logging.INFO]
    assert "all 1 concurrent openai calls are in use" in waits[0].getMessage()


async def test_a_busy_worker_does_not_starve_another(redis_url: str, prefix: str) -> None:
    limits = {"openai": ProviderLimit(concurrency=1)}
    busy, quiet = (
        RedisProviderLimiter(redis_url, limits, prefix=prefix),
        RedisProviderLimiter(redis_url, limits, prefix=prefix),
    )
    order: list[str] = []

    async def call(limiter: RedisProviderLimiter, name: str) -> None:
        async with limiter.slot("openai"):
            order.append(name)
            await asyncio.sleep(0.2)

    try:
        backlog = [asyncio.create_task(call(busy, "busy")) for _ in range(5)]
        await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(call(quiet, "quiet"), *backlog), 20)
    finally:
        await busy.aclose()
        await quiet.aclose()
    # The busy worker's next call wakes first on each release of its own, yet the quiet worker,
    # which asked earlier, is served next in line rather than after the whole backlog.
    assert order.index("quiet") <= 2, order
