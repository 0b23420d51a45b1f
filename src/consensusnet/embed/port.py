"""The port every embedder implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to vectors of `dims` floats; similar meaning should give a high cosine."""

    name: str
    dims: int

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order; an empty text gives a zero vector."""
        ...
