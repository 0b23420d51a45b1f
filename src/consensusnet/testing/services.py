"""Where the test suite finds this machine's PostgreSQL and Redis, and what to do without them."""

from __future__ import annotations

import os
import socket

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PG_ADMIN_URL = os.environ.get(
    "CONSENSUSNET_TEST_PG_URL", f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
)
REDIS_TEST_URL = os.environ.get(
    "CONSENSUSNET_TEST_REDIS_URL", f"redis://{REDIS_HOST}:{REDIS_PORT}/15"
)


def reachable(host: str, port: int) -> bool:
    """True when a TCP connection to host:port opens within two seconds."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require(available: bool, message: str) -> None:
    """Fail under CI (a missing service is a broken run), skip on a developer's laptop."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(message + " (CI=true: integration services are required)")
    pytest.skip(message)


def require_service(name: str, host: str, port: int) -> None:
    """A TCP service on host:port, or fail (CI) / skip (laptop)."""
    require(reachable(host, port), f"{name} is not reachable on {host}:{port}")


def require_postgres() -> None:
    """This machine's PostgreSQL, or fail (CI) / skip (laptop)."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)


def require_redis() -> None:
    """This machine's Redis, or fail (CI) / skip (laptop)."""
    require_service("Redis", REDIS_HOST, REDIS_PORT)
