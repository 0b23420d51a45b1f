"""The API and the workers of `bench load` as child processes, and what they cost (RSS, CPU)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def peak_rss_mb(pid: int) -> float:
    """The most resident memory a process has used, in MB (VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) a process has used: `pid`, or this one."""
    if pid is None:
        return time.process_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used by the cluster's processes, this driver and the whole machine over a window."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "driver": None}
        self.start = {name: _cpu_s(pid) for name, pid in self.pids.items()}
        self.machine = _machine_jiffies()

    def read(self) -> tuple[dict[str, float], float]:
        """CPU seconds per process since the start, and the machine's busy share in percent."""
        used = {name: round(_cpu_s(pid) - self.start[name], 1) for name, pid in self.pids.items()}
        busy, total = (
            now - then for now, then in zip(_machine_jiffies(), self.machine, strict=True)
        )
        return used, round(100 * busy / total, 1) if total else 0.0


class Cluster:
    """The API and the workers as child processes of this one.

    They run in the logs folder, so a developer's `.env` never changes what is measured.
    """

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._files: list[Any] = []

    def cli(self, *args: str) -> str:
        """Run one `consensusnet` command against the cluster's database; its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "consensusnet", *args],
            env=self.env,
            cwd=self.logs,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode()[-2000:])
        return done.stdout.decode()

    def start(self, name: str, *args: str, **extra: str) -> None:
        """Start a long-running `consensusnet` command, logging to `<logs>/<name>.log`."""
        log = (self.logs / f"{name}.log").open("wb")
        self._files.append(log)
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "consensusnet", *args],
            env={**self.env, **extra},
            cwd=self.logs,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def check_alive(self) -> None:
        """Raise with the tail of its log if a process has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self) -> None:
        """SIGTERM every process (workers drain), SIGKILL what is left after 30 s."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._files:
            log.close()


async def admin(url: str, sql: str) -> None:
    """Run one statement on the PostgreSQL server (CREATE or DROP the bench database)."""
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def wait_ready(base: str, cluster: Cluster, workers: int, timeout: float = 120) -> None:
    """Until the API answers /ready and the workers had time to poll the queue."""
    async with httpx.AsyncClient(base_url=base) as client, asyncio.timeout(timeout):
        while True:
            cluster.check_alive()
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/ready")).status_code == 200:
                    break
            await asyncio.sleep(0.2)
    await asyncio.sleep(max(2.0, workers * 1.0))  # workers launch and start polling the queue
    cluster.check_alive()
