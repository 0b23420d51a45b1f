"""PubMed: abstracts through NCBI E-utilities (esearch for ids, efetch for abstracts)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from consensusnet.domain.events_verify import SourceDocument
from consensusnet.sources.http import CachedHttp, SourceError

API = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"


class PubMedSource:
    """Abstracts of the PubMed articles that best match the query."""

    name = "pubmed"

    def __init__(self, http: CachedHttp, *, api: str = API) -> None:
        self.http = http
        self.api = api

    async def search(self, query: str, limit: int) -> list[SourceDocument]:
        found = await self.http.fetch(
            f"{self.api}/esearch.fcgi",
            params={"db": "pubmed", "term": query, "retmax": str(limit), "retmode": "json"},
            source="PubMed",
        )
        try:
            ids = json.loads(found)["esearchresult"]["idlist"]
        except (ValueError, KeyError):
            raise SourceError("PubMed search answered in an unexpected shape.") from None
        if not ids:
            return []
        body = await self.http.fetch(
            f"{self.api}/efetch.fcgi",
            params={"db": "pubmed", "id": ",".join(ids), "retmode": "xml"},
            source="PubMed",
        )
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise SourceError("PubMed fetch answered with something that is not XML.") from None
        documents = []
        for i, article in enumerate(root.iter("PubmedArticle")):
            pmid = article.findtext(".//PMID") or ""
            title_node = article.find(".//ArticleTitle")
            title = (
                " ".join("".join(title_node.itertext()).split()) if title_node is not None else pmid
            )
            abstract = " ".join(
                " ".join("".join(part.itertext()).split()) for part in article.iter("AbstractText")
            )
            if abstract:
                documents.append(
                    SourceDocument(
                        source=self.name,
                        title=title,
                        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
                        text=abstract,
                        score=1.0 / (1 + i),
                    )
                )
        return documents[:limit]
