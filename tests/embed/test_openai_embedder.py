"""The OpenAI-compatible embedder against a minimal local `/v1/embeddings` server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from consensusnet.domain.errors import ConfigError, ProviderError
from consensusnet.embed import Embedder
from consensusnet.embed.openai import OpenAIEmbedder

API_KEY = "sk-embed-test"


class FakeEmbeddings:
    """Answers `/v1/embeddings` with a vector derived from each input; records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.fail_with: tuple[int, dict[str, str]] | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeEmbeddings:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @staticmethod
    def vector_for(text: str, dims: int) -> list[float]:
        return [float(len(text) + position) for position in range(dims)]

    def _answer(self, body: dict[str, Any]) -> dict[str, Any]:
        dims = int(body.get("dimensions") or 3)
        data = [
            {"object": "embedding", "index": index, "embedding": self.vector_for(text, dims)}
            for index, text in enumerate(body["input"])
        ]
        # Servers may answer out of order; `index` is what ties a vector to its text.
        data.reverse()
        return {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append(body)
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                if self.path != "/v1/embeddings":
                    self._send(404, {"error": {"message": "no such route"}})
                elif fake.fail_with is not None:
                    status, headers = fake.fail_with
                    self._send(status, {"error": {"message": f"failing with {status}"}}, headers)
                else:
                    self._send(200, fake._answer(body))

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


@pytest.fixture
def server() -> Iterator[FakeEmbeddings]:
    with FakeEmbeddings() as fake:
        yield fake


@pytest.fixture
async def embedder(server: FakeEmbeddings) -> AsyncIterator[OpenAIEmbedder]:
    adapter = OpenAIEmbedder(
        "text-embedding-3-small",
        api_key=API_KEY,
        base_url=server.base_url,
        dims=4,
        batch_size=2,
        timeout=5,
        max_retries=0,
    )
    yield adapter
    await adapter.aclose()


async def test_texts_are_sent_in_batches_and_come_back_in_order(
    server: FakeEmbeddings, embedder: OpenAIEmbedder
) -> None:
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]

    vectors = await embedder.embed(texts)

    assert vectors == [FakeEmbeddings.vector_for(text, 4) for text in texts]
    assert [request["input"] for request in server.requests] == [
        ["a", "bb"],
        ["ccc", "dddd"],
        ["eeeee"],
    ]
    first = server.requests[0]
    assert first["model"] == "text-embedding-3-small"
    assert first["dimensions"] == 4
    # Floats, not the SDK's default base64, which some compatible servers do not speak.
    assert first["encoding_format"] == "float"
    assert server.headers[0]["authorization"] == f"Bearer {API_KEY}"


async def test_empty_texts_become_zero_vectors_without_a_request(
    server: FakeEmbeddings, embedder: OpenAIEmbedder
) -> None:
    vectors = await embedder.embed(["", "word", "  "])

    assert vectors == [[0.0] * 4, FakeEmbeddings.vector_for("word", 4), [0.0] * 4]
    assert [request["input"] for request in server.requests] == [["word"]]
    assert await embedder.embed([]) == []
    assert len(server.requests) == 1


async def test_dims_are_learned_when_not_requested(server: FakeEmbeddings) -> None:
    adapter = OpenAIEmbedder("nomic-embed-text", base_url=server.base_url, max_retries=0)
    try:
        assert isinstance(adapter, Embedder)
        assert adapter.dims == 0
        vectors = await adapter.embed(["hello"])
    finally:
        await adapter.aclose()

    assert adapter.dims == 3
    assert len(vectors[0]) == 3
    assert "dimensions" not in server.requests[0]
    # No key configured: the SDK still needs one, and a placeholder never leaks a real one.
    assert server.headers[0]["authorization"] == "Bearer not-needed"


async def test_rate_limits_are_retryable_and_carry_retry_after(
    server: FakeEmbeddings, embedder: OpenAIEmbedder
) -> None:
    server.fail_with = (429, {"retry-after": "7"})

    with pytest.raises(ProviderError) as raised:
        await embedder.embed(["x"])

    assert raised.value.retryable
    assert raised.value.status == 429
    assert raised.value.retry_after == 7.0
    assert API_KEY not in str(raised.value)


async def test_a_rejected_key_is_not_retryable_and_says_what_to_check(
    server: FakeEmbeddings, embedder: OpenAIEmbedder
) -> None:
    server.fail_with = (401, {})

    with pytest.raises(ProviderError) as raised:
        await embedder.embed(["x"])

    assert not raised.value.retryable
    assert raised.value.status == 401
    assert "OPENAI_API_KEY" in raised.value.hint


async def test_an_unreachable_server_is_a_retryable_provider_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = OpenAIEmbedder(base_url=f"http://127.0.0.1:{port}/v1", timeout=2, max_retries=0)
    try:
        with pytest.raises(ProviderError) as raised:
            await adapter.embed(["x"])
    finally:
        await adapter.aclose()

    assert raised.value.retryable
    assert "OPENAI_BASE_URL" in raised.value.hint


def test_neither_key_nor_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        OpenAIEmbedder()
