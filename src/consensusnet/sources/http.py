"""HTTP for online sources: one httpx client, responses cached by request, errors made plain."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

import httpx

from consensusnet import __version__
from consensusnet.domain.errors import ConsensusNetError

USER_AGENT = f"consensusnet/{__version__} (fact verification; +https://github.com/consensusnet)"


class SourceError(ConsensusNetError):
    """An online source failed to answer; the claim is judged on what other sources gave."""


class HttpCache(Protocol):
    """Where response bodies are kept (implemented by `store.knowledge.HttpCacheStore`)."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, url: str, status: int, body: str) -> None: ...


class MemoryHttpCache:
    """A per-process cache, for tests and for running without a database."""

    def __init__(self) -> None:
        self.bodies: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.bodies.get(key)

    async def put(self, key: str, url: str, status: int, body: str) -> None:
        self.bodies[key] = body


def request_key(method: str, url: str, params: dict[str, Any] | None, body: Any = None) -> str:
    """A cache key for a request; credentials travel in headers and are never part of it."""
    material = json.dumps([method, url, params or {}, body], sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


class CachedHttp:
    """GET/POST returning the body text, served from the cache when the same request was made."""

    def __init__(
        self,
        cache: HttpCache,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.cache = cache
        self.transport = transport
        self.timeout = timeout
        self.requests = 0  # requests that went to the network (not the cache)

    async def fetch(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        source: str = "",
    ) -> str:
        """The response body; raises SourceError on a network error or a non-2xx status."""
        method = "POST" if json_body is not None else "GET"
        key = request_key(method, url, params, json_body)
        cached = await self.cache.get(key)
        if cached is not None:
            return cached
        self.requests += 1
        try:
            async with httpx.AsyncClient(
                transport=self.transport,
                timeout=self.timeout,
                headers={"User-Agent": USER_AGENT},
                follow_redirects=True,
            ) as client:
                response = await client.request(
                    method, url, params=params, headers=headers, json=json_body
                )
        except httpx.HTTPError as error:
            raise SourceError(f"{source or url} did not answer: {error}") from None
        if response.status_code >= 400:
            raise SourceError(
                f"{source or url} answered HTTP {response.status_code}.",
                hint="Check the API key." if response.status_code in (401, 403) else "",
            )
        await self.cache.put(key, str(response.request.url), response.status_code, response.text)
        return response.text
