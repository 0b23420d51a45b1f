"""`consensusnet` commands run as child processes (an API, workers): the service tests' cluster
and the one `bench load` measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ProcessCluster:
    """Named `consensusnet` processes sharing one environment, each logging to `<name>.log`.

    `cwd` is where they run: a folder of their own keeps a developer's `.env` out of them.
    """

    def __init__(self, env: dict[str, str], log_dir: Path, *, cwd: Path | None = None) -> None:
        self.env = env
        self.log_dir = log_dir
        self.cwd = cwd
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        self.url = f"http://127.0.0.1:{env.get('CONSENSUSNET_PORT', '8000')}"

    def cli(self, *args: str, timeout: float = 120) -> str:
        """Run one `consensusnet` command to completion; its output, or RuntimeError."""
        done = subprocess.run(
            [sys.executable, "-m", "consensusnet", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"consensusnet {args[0]} failed:\n{done.stderr.decode()[-2000:]}")
        return done.stdout.decode()

    def api_key(self, user: str) -> str:
        """A new user and a new API key for them."""
        self.cli("users", "create", user)
        return self.cli("keys", "create", user).strip().splitlines()[-1]

    def start(self, name: str, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """Start a long-running `consensusnet` command, its output logged under `name`."""
        log = (self.log_dir / f"{name}.log").open("wb")
        self._logs.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "consensusnet", *args],
            env={**self.env, **extra_env},
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs[name] = proc
        return proc

    def log(self, name: str, tail: int | None = 3000) -> str:
        """One process's output (its tail, by default, for error messages)."""
        text = (self.log_dir / f"{name}.log").read_text(errors="replace")
        return text[-tail:] if tail else text

    def check_alive(self) -> None:
        """Raise with the tail of its log if a process has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log(name)}")

    async def wait_ready(self, timeout: float = 60) -> None:
        """Until the API answers `/ready` with 200; every process must stay alive meanwhile."""
        async with (
            httpx.AsyncClient(base_url=self.url, timeout=10) as client,
            asyncio.timeout(timeout),
        ):
            while True:
                self.check_alive()
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.2)

    def stop(self, grace: float = 30) -> None:
        """SIGTERM every process (workers drain), SIGKILL what is left after `grace` seconds."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()
