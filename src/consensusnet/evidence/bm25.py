"""Okapi BM25 over a small corpus of token lists."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


class BM25:
    """Scores documents against a query; higher is more relevant, 0 when no term matches."""

    def __init__(
        self, corpus: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75
    ) -> None:
        self.k1, self.b = k1, b
        self.counts = [Counter(doc) for doc in corpus]
        self.lengths = [len(doc) for doc in corpus]
        self.average = (sum(self.lengths) / len(corpus)) if corpus else 0.0
        frequency: Counter[str] = Counter()
        for counts in self.counts:
            frequency.update(counts.keys())
        n = len(corpus)
        self.idf = {
            term: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()
        }

    def scores(self, query: Sequence[str]) -> list[float]:
        """One score per document, in corpus order."""
        terms = set(query)
        results: list[float] = []
        for counts, length in zip(self.counts, self.lengths, strict=True):
            norm = self.k1 * (1.0 - self.b + self.b * length / (self.average or 1.0))
            parts = [
                self.idf[term] * counts[term] * (self.k1 + 1.0) / (counts[term] + norm)
                for term in terms
                if counts.get(term)
            ]
            results.append(math.fsum(parts))
        return results
