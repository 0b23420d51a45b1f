"""arXiv: titles and abstracts from the arXiv Atom API."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from consensusnet.domain.events_verify import SourceDocument
from consensusnet.sources.http import CachedHttp, SourceError

API = "https://export.arxiv.org/api/query"
_ATOM = "{http://www.w3.org/2005/Atom}"


def _text(node: ET.Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


class ArxivSource:
    """Preprint abstracts matching the query."""

    name = "arxiv"

    def __init__(self, http: CachedHttp, *, api: str = API) -> None:
        self.http = http
        self.api = api

    async def search(self, query: str, limit: int) -> list[SourceDocument]:
        params = {"search_query": f"all:{query}", "start": "0", "max_results": str(limit)}
        body = await self.http.fetch(self.api, params=params, source="arXiv")
        try:
            feed = ET.fromstring(body)
        except ET.ParseError:
            raise SourceError("arXiv answered with something that is not Atom XML.") from None
        documents = []
        for i, entry in enumerate(feed.findall(f"{_ATOM}entry")):
            summary = _text(entry.find(f"{_ATOM}summary"))
            if summary:
                documents.append(
                    SourceDocument(
                        source=self.name,
                        title=_text(entry.find(f"{_ATOM}title")),
                        url=_text(entry.find(f"{_ATOM}id")),
                        text=summary,
                        score=1.0 / (1 + i),
                    )
                )
        return documents[:limit]
