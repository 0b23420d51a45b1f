"""What the processes of `bench load` cost (RSS, CPU), and its database."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from consensusnet.testing.cluster import ProcessCluster


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


async def admin(url: str, sql: str) -> None:
    """Run one statement on the PostgreSQL server (CREATE or DROP the bench database)."""
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def wait_ready(cluster: ProcessCluster, workers: int, timeout: float = 120) -> None:
    """Until the API answers /ready and the workers had time to poll the queue."""
    await cluster.wait_ready(timeout)
    await asyncio.sleep(max(2.0, workers * 1.0))  # workers launch and start polling the queue
    cluster.check_alive()
