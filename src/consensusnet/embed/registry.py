"""Build the configured embedder from Settings."""

from __future__ import annotations

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError
from consensusnet.embed.port import Embedder


def make_embedder(settings: Settings) -> Embedder:
    """The embedder CONSENSUSNET_EMBEDDER names: `hashed` (offline, default) or `openai`."""
    if settings.embedder == "hashed":
        from consensusnet.embed.hashed import HashedEmbedder

        return HashedEmbedder(dims=settings.embed_dims)
    if settings.embedder == "openai":
        from consensusnet.embed.openai import OpenAIEmbedder

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        # Only OpenAI's text-embedding-3 family is known to shorten vectors on request; other
        # models answer in their native size, which the embedder learns.
        shortens = settings.embed_model.startswith("text-embedding-3")
        return OpenAIEmbedder(
            settings.embed_model,
            api_key=key,
            base_url=settings.openai_base_url,
            dims=settings.embed_dims if shortens else None,
        )
    raise ConfigError(
        f"Unknown embedder {settings.embedder!r}.",
        hint="Set CONSENSUSNET_EMBEDDER to hashed or openai.",
    )
