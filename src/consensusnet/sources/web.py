"""Web search through Brave Search or Tavily (either needs an API key)."""

from __future__ import annotations

import json
from typing import Any, Literal

from consensusnet.domain.events_verify import SourceDocument
from consensusnet.sources.http import CachedHttp, SourceError

BRAVE_API = "https://api.search.brave.com/res/v1/web/search"
TAVILY_API = "https://api.tavily.com/search"


class WebSearchSource:
    """Snippets of the top web results from one search provider."""

    name = "web"

    def __init__(
        self,
        http: CachedHttp,
        *,
        provider: Literal["brave", "tavily"],
        api_key: str,
        api: str | None = None,
    ) -> None:
        self.http = http
        self.provider = provider
        self.api_key = api_key
        self.api = api or (BRAVE_API if provider == "brave" else TAVILY_API)

    async def search(self, query: str, limit: int) -> list[SourceDocument]:
        if self.provider == "brave":
            body = await self.http.fetch(
                self.api,
                params={"q": query, "count": str(limit)},
                headers={"X-Subscription-Token": self.api_key, "Accept": "application/json"},
                source="Brave Search",
            )
            results = _load(body).get("web", {}).get("results", [])
            rows = [(r.get("title", ""), r.get("url", ""), _brave_text(r)) for r in results]
        else:
            body = await self.http.fetch(
                self.api,
                json_body={"query": query, "max_results": limit, "search_depth": "basic"},
                headers={"Authorization": f"Bearer {self.api_key}"},
                source="Tavily",
            )
            results = _load(body).get("results", [])
            rows = [(r.get("title", ""), r.get("url", ""), r.get("content", "")) for r in results]
        return [
            SourceDocument(source=self.name, title=title, url=url, text=text, score=1.0 / (1 + i))
            for i, (title, url, text) in enumerate(rows[:limit])
            if text
        ]


def _load(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise SourceError("The web search answered with something that is not JSON.") from None
    if not isinstance(data, dict):
        raise SourceError("The web search answered in an unexpected shape.")
    return data


def _brave_text(result: dict[str, Any]) -> str:
    parts = [result.get("description", ""), *result.get("extra_snippets", [])]
    text = " ".join(p for p in parts if p)
    return text.replace("<strong>", "").replace("</strong>", "")
