"""A small client side for the API: poll a session's status and read its SSE stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx


async def wait_status(
    client: httpx.AsyncClient, session_id: str, statuses: set[str], timeout: float = 30
) -> dict[str, Any]:
    """Poll the session until its status is one of `statuses`."""
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(f"/api/v1/sessions/{session_id}")
            body: dict[str, Any] = response.json()
            if body.get("status") in statuses:
                return body
            await asyncio.sleep(0.05)


@dataclass
class Frame:
    """One server-sent event (or a comment, for heartbeats)."""

    id: int | None = None
    event: str = "message"
    data: str = ""
    comment: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The data as JSON."""
        return json.loads(self.data)


async def read_frames(response: httpx.Response) -> AsyncIterator[Frame]:
    """Parse an SSE response into frames as they arrive."""
    frame = Frame()
    async for line in response.aiter_lines():
        if line == "":
            if frame.data or frame.comment or frame.extra or frame.id is not None:
                yield frame
            frame = Frame()
        elif line.startswith(":"):
            frame.comment = line[1:].strip()
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "id":
                frame.id = int(value)
            elif name == "event":
                frame.event = value
            elif name == "data":
                frame.data = value
            else:
                frame.extra[name] = value


async def collect_stream(
    client: httpx.AsyncClient, session_id: str, headers: dict[str, str] | None = None
) -> list[Frame]:
    """Every frame of a stream until the server ends it."""
    frames: list[Frame] = []
    url = f"/api/v1/sessions/{session_id}/stream"
    async with client.stream("GET", url, headers=headers or {}) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async for frame in read_frames(response):
            frames.append(frame)
    return frames
