"""The environment of the service tests' processes (an API, workers) on PostgreSQL and Redis;
`consensusnet.testing.cluster.ProcessCluster` runs them."""

from __future__ import annotations

import os
from pathlib import Path


def service_env(
    tmp_path: Path, database_url: str, redis_url: str | None, port: int, **extra: str
) -> dict[str, str]:
    """The environment of every process of one test's cluster (scripted provider, fast beats)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENSUSNET_")}
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=database_url,
        CONSENSUSNET_DATA_DIR=str(tmp_path / "data"),
        CONSENSUSNET_PROVIDER="scripted",
        CONSENSUSNET_SCRIPTED_TTFT="0.4",
        CONSENSUSNET_HOST="127.0.0.1",
        CONSENSUSNET_PORT=str(port),
        CONSENSUSNET_WORKER_HEARTBEAT="0.5",
        CONSENSUSNET_WORKER_DEAD_AFTER="3",
        CONSENSUSNET_WORKER_DRAIN="60",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env
