"""Wikipedia: search and article introductions through the MediaWiki API."""

from __future__ import annotations

import json
from urllib.parse import quote

from consensusnet.domain.events_verify import SourceDocument
from consensusnet.sources.http import CachedHttp, SourceError

API = "https://en.wikipedia.org/w/api.php"


class WikipediaSource:
    """Plain-text introductions of the articles Wikipedia's search ranks first."""

    name = "wikipedia"

    def __init__(self, http: CachedHttp, *, api: str = API) -> None:
        self.http = http
        self.api = api

    async def search(self, query: str, limit: int) -> list[SourceDocument]:
        params = {
            "action": "query",
            "format": "json",
            "formatversion": "2",
            "generator": "search",
            "gsrsearch": query,
            "gsrlimit": str(limit),
            "prop": "extracts",
            "exintro": "1",
            "explaintext": "1",
            "exlimit": "max",
        }
        body = await self.http.fetch(self.api, params=params, source="Wikipedia")
        try:
            pages = json.loads(body).get("query", {}).get("pages", [])
        except ValueError:
            raise SourceError("Wikipedia answered with something that is not JSON.") from None
        pages = sorted(pages, key=lambda page: page.get("index", 0))
        return [
            SourceDocument(
                source=self.name,
                title=page["title"],
                url="https://en.wikipedia.org/wiki/" + quote(page["title"].replace(" ", "_")),
                text=page.get("extract", ""),
                score=1.0 / (1 + i),
            )
            for i, page in enumerate(pages[:limit])
            if page.get("extract")
        ]
