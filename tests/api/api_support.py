"""Constants and types the API tests share (a module name unique across the test tree)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

OVERHEAD = {"kind": "bench.overhead", "input": {"rounds": 2, "parallel": 2}}
MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]
MINE = {
    "id": "port-logistics-lead",
    "name": "Inês Duarte",
    "role": "Port logistics lead",
    "domains": ["logistics", "shipping"],
    "traits": ["practical"],
    "communication_style": "Short, numbers first.",
    "system_prompt": "You are Inês Duarte, a port logistics lead who judges plans by their "
    "throughput, berth schedules and the cost of a day of delay.",
}
