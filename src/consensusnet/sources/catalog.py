"""The online sources by name, built over one cached HTTP client."""

from __future__ import annotations

import httpx

from consensusnet.domain.errors import ConfigError
from consensusnet.sources.arxiv import ArxivSource
from consensusnet.sources.http import CachedHttp, HttpCache, MemoryHttpCache
from consensusnet.sources.pubmed import PubMedSource
from consensusnet.sources.web import WebSearchSource
from consensusnet.sources.wikipedia import WikipediaSource

ONLINE_SOURCES = ("wikipedia", "arxiv", "pubmed", "web")
OnlineSource = WikipediaSource | ArxivSource | PubMedSource | WebSearchSource


class SourceCatalog:
    """Builds online evidence sources; `transport` lets tests replay recorded responses."""

    def __init__(
        self,
        cache: HttpCache | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        brave_api_key: str | None = None,
        tavily_api_key: str | None = None,
    ) -> None:
        self.http = CachedHttp(cache or MemoryHttpCache(), transport=transport)
        self.brave_api_key = brave_api_key
        self.tavily_api_key = tavily_api_key

    def build(self, name: str) -> OnlineSource:
        """The source called `name`; a ConfigError says what is missing when it cannot run."""
        if name == "wikipedia":
            return WikipediaSource(self.http)
        if name == "arxiv":
            return ArxivSource(self.http)
        if name == "pubmed":
            return PubMedSource(self.http)
        if name == "web":
            if self.brave_api_key:
                return WebSearchSource(self.http, provider="brave", api_key=self.brave_api_key)
            if self.tavily_api_key:
                return WebSearchSource(self.http, provider="tavily", api_key=self.tavily_api_key)
            raise ConfigError(
                "Web search needs a Brave Search or Tavily API key.",
                hint="Set BRAVE_API_KEY or TAVILY_API_KEY, or leave `web` out of --sources.",
            )
        raise ConfigError(
            f"Unknown evidence source {name!r}.",
            hint="Use local, " + ", ".join(ONLINE_SOURCES) + ".",
        )
