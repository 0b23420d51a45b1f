"""Online sources against recorded responses (httpx.MockTransport): never the live services."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from consensusnet.domain.errors import ConfigError
from consensusnet.sources.catalog import SourceCatalog
from consensusnet.sources.http import MemoryHttpCache, SourceError

RECORDED = Path(__file__).parent / "recorded"


class Recorder:
    """Serves recorded bodies by host and path, and remembers every request."""

    def __init__(self, routes: dict[str, tuple[int, str]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, name = self.routes.get(f"{request.url.host}{request.url.path}", (404, ""))
        body = (RECORDED / name).read_text() if name else "not found"
        return httpx.Response(status, text=body)


def catalog(routes: dict[str, tuple[int, str]], **keys: str) -> tuple[SourceCatalog, Recorder]:
    recorder = Recorder(routes)
    return SourceCatalog(
        MemoryHttpCache(), transport=httpx.MockTransport(recorder), **keys
    ), recorder


async def test_wikipedia_returns_article_introductions_and_caches_them() -> None:
    sources, recorder = catalog({"en.wikipedia.org/w/api.php": (200, "wikipedia_search.json")})
    wikipedia = sources.build("wikipedia")
    found = await wikipedia.search("Eiffel Tower completion", 2)
    assert [d.title for d in found] == ["Eiffel Tower", "Gustave Eiffel"]
    assert found[0].url == "https://en.wikipedia.org/wiki/Eiffel_Tower"
    assert "1887 to 1889" in found[0].text
    assert recorder.requests[0].url.params["gsrsearch"] == "Eiffel Tower completion"
    again = await wikipedia.search("Eiffel Tower completion", 2)
    assert again == found
    assert len(recorder.requests) == 1  # the second answer came from the cache


async def test_arxiv_parses_atom_entries() -> None:
    sources, recorder = catalog({"export.arxiv.org/api/query": (200, "arxiv_search.xml")})
    found = await sources.build("arxiv").search("attention transformer", 2)
    assert found[0].title == "Attention Is All You Need"
    assert found[0].url == "http://arxiv.org/abs/1706.03762v7"
    assert found[0].text.startswith("The dominant sequence transduction models")
    assert recorder.requests[0].url.params["search_query"] == "all:attention transformer"


async def test_pubmed_searches_ids_then_fetches_abstracts() -> None:
    base = "eutils.ncbi.nlm.nih.gov/entrez/eutils"
    sources, recorder = catalog(
        {
            f"{base}/esearch.fcgi": (200, "pubmed_esearch.json"),
            f"{base}/efetch.fcgi": (200, "pubmed_efetch.xml"),
        }
    )
    found = await sources.build("pubmed").search("vitamin d fractures", 2)
    assert len(found) == 1  # the article without an abstract is skipped
    assert found[0].title == "Vitamin D supplementation and fractures: a meta-analysis."
    assert found[0].url == "https://pubmed.ncbi.nlm.nih.gov/31452104/"
    assert "did not reduce the risk" in found[0].text
    assert recorder.requests[1].url.params["id"] == "31452104,29104123"


async def test_brave_web_search_sends_the_key_in_a_header_not_the_cache_key() -> None:
    sources, recorder = catalog(
        {"api.search.brave.com/res/v1/web/search": (200, "brave_search.json")},
        brave_api_key="secret-brave",
    )
    found = await sources.build("web").search("eiffel tower height", 3)
    assert [d.url for d in found] == ["https://www.toureiffel.paris/en"]
    assert found[0].text == "The Eiffel Tower is 330 metres tall. It was completed in 1889."
    assert recorder.requests[0].headers["X-Subscription-Token"] == "secret-brave"
    cache = sources.http.cache
    assert isinstance(cache, MemoryHttpCache)
    assert all("secret" not in key for key in cache.bodies)


async def test_tavily_web_search_posts_the_query() -> None:
    sources, recorder = catalog(
        {"api.tavily.com/search": (200, "tavily_search.json")}, tavily_api_key="secret-tavily"
    )
    found = await sources.build("web").search("eiffel tower height", 3)
    assert found[0].title == "Eiffel Tower"
    assert json.loads(recorder.requests[0].content)["query"] == "eiffel tower height"
    assert recorder.requests[0].headers["Authorization"] == "Bearer secret-tavily"


async def test_http_errors_become_source_errors() -> None:
    sources, _ = catalog({"en.wikipedia.org/w/api.php": (503, "wikipedia_search.json")})
    with pytest.raises(SourceError, match="HTTP 503"):
        await sources.build("wikipedia").search("anything", 2)
    sources, _ = catalog({"export.arxiv.org/api/query": (200, "brave_search.json")})
    with pytest.raises(SourceError, match="not Atom XML"):
        await sources.build("arxiv").search("anything", 2)


def test_web_search_without_a_key_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="API key") as raised:
        SourceCatalog().build("web")
    assert "BRAVE_API_KEY" in raised.value.hint
    with pytest.raises(ConfigError, match="Unknown evidence source"):
        SourceCatalog().build("gossip")
