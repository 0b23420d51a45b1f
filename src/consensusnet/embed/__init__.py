"""Embeddings: turn texts into vectors for convergence, novelty, de-duplication and retrieval."""

from consensusnet.embed.port import Embedder
from consensusnet.embed.similarity import cosine, cosine_matrix

__all__ = ["Embedder", "cosine", "cosine_matrix"]
