"""The service tests' harness: an API process and worker processes on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx


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


class Cluster:
    """An API process and named worker processes sharing PostgreSQL and Redis."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: list[IO[bytes]] = []
        self.url = f"http://127.0.0.1:{env['CONSENSUSNET_PORT']}"

    def cli(self, *args: str) -> str:
        """Run one `consensusnet` command to completion and return its output."""
        done = subprocess.run(
            [sys.executable, "-m", "consensusnet", *args],
            env=self.env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        return done.stdout.decode()

    def api_key(self, user: str) -> str:
        """A new user and a new API key for them."""
        self.cli("users", "create", user)
        return self.cli("keys", "create", user).strip().splitlines()[-1]

    def start(self, name: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """Start a long-running `consensusnet` process, its output logged under `name`."""
        log = (self.log_dir / f"{name}.log").open("wb")
        self.logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "consensusnet", *args],
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs[name] = proc
        return proc

    def log(self, name: str, tail: int | None = 3000) -> str:
        """One process's output (its tail, by default, for assertion messages)."""
        text = (self.log_dir / f"{name}.log").read_text(errors="replace")
        return text[-tail:] if tail else text

    async def wait_ready(self, timeout: float = 60) -> None:
        """Until the API answers `/ready` with 200 (it must stay alive meanwhile)."""
        async with (
            httpx.AsyncClient(base_url=self.url, timeout=10) as client,
            asyncio.timeout(timeout),
        ):
            while True:
                assert self.procs["api"].poll() is None, self.log("api")
                try:
                    if (await client.get("/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

    def stop_all(self) -> None:
        """SIGTERM every process, SIGKILL any that has not exited within 20 s."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()
