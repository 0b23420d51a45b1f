"""Embeddings from OpenAI or any server that speaks its `/v1/embeddings` wire format."""

from __future__ import annotations

from typing import Any

from consensusnet.domain.errors import ConfigError, MissingDependencyError, ProviderError

OPENAI_URL = "https://api.openai.com/v1"
# Compatible servers such as Ollama ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed"


class OpenAIEmbedder:
    """Batches texts to an OpenAI-compatible embeddings endpoint; empty texts become zeros."""

    name = "openai"

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        dims: int | None = None,
        batch_size: int = 128,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        if not api_key and not base_url:
            raise ConfigError(
                "The openai embedder needs an API key or a base URL.",
                hint="Set OPENAI_API_KEY, or OPENAI_BASE_URL for a compatible server, or "
                "CONSENSUSNET_EMBEDDER=hashed for the offline embedder.",
            )
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise MissingDependencyError(
                "The openai embedder needs the `openai` package.", hint="uv add openai"
            ) from exc
        self.model = model
        # Asking for `dimensions` is only understood by models that can shorten their vectors;
        # otherwise `dims` is whatever the server returns, learned from the first answer.
        self._request_dims = dims
        self.dims = dims or 0
        self.batch_size = max(1, batch_size)
        # Always pass the URL so the SDK never reads the environment itself.
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        self._openai = openai
        # Embedders are not wrapped by the LLM gateway, so the SDK's retries (which honour
        # Retry-After) are the retry policy here.
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    def describe(self) -> str:
        """The endpoint and model; never the key."""
        return f"{self.base_url} ({self.model})"

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    async def embed(self, texts: list[str]) -> list[list[float]]:
        # Servers reject empty input, and an empty text has no meaning to embed anyway.
        wanted = [index for index, text in enumerate(texts) if text.strip()]
        vectors: dict[int, list[float]] = {}
        for start in range(0, len(wanted), self.batch_size):
            batch = wanted[start : start + self.batch_size]
            found = await self._embed_batch([texts[index] for index in batch])
            vectors.update(zip(batch, found, strict=True))
        zero = [0.0] * self.dims
        return [vectors.get(index, zero) for index in range(len(texts))]

    async def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        options: dict[str, Any] = {"encoding_format": "float"}
        if self._request_dims:
            options["dimensions"] = self._request_dims
        try:
            response = await self._client.embeddings.create(
                model=self.model, input=texts, **options
            )
        except self._openai.APIError as exc:
            raise self._error(exc) from exc
        rows = sorted(response.data, key=lambda row: row.index)
        if len(rows) != len(texts):
            raise ProviderError(
                f"{self.base_url} returned {len(rows)} embeddings for {len(texts)} texts."
            )
        vectors = [list(row.embedding) for row in rows]
        if not self.dims:
            self.dims = len(vectors[0])
        if any(len(vector) != self.dims for vector in vectors):
            raise ProviderError(
                f"{self.base_url} returned vectors that are not {self.dims}-dimensional.",
                hint="Set CONSENSUSNET_EMBED_DIMS to the model's size, or use a model that "
                "supports shortened embeddings.",
            )
        return vectors

    def _error(self, error: Any) -> ProviderError:
        openai = self._openai
        if isinstance(error, openai.APITimeoutError | openai.APIConnectionError):
            return ProviderError(
                f"Could not get embeddings from {self.base_url}: {error.message}",
                hint="Check that the server is running and OPENAI_BASE_URL is right.",
                retryable=True,
            )
        if isinstance(error, openai.APIStatusError):
            status = error.status_code
            retryable = status == 429 or status >= 500
            return ProviderError(
                f"{self.base_url} refused embeddings with {self.model!r} ({status}): "
                f"{error.message}",
                hint="Check OPENAI_API_KEY and CONSENSUSNET_EMBED_MODEL."
                if status in (401, 403, 404)
                else "",
                retryable=retryable,
                retry_after=_retry_after(error.response.headers.get("retry-after")),
                status=status,
            )
        return ProviderError(f"{self.base_url} sent an error: {error.message}")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (HTTP dates are left to the caller)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
