"""Constants and types the API tests share (a module name unique across the test tree)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

OVERHEAD = {"kind": "bench.overhead", "input": {"rounds": 2, "parallel": 2}}
MakeClient = Callable[..., Awaitable[httpx.AsyncClient]]
