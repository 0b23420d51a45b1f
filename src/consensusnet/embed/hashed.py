"""An embedder that needs no model and no download: signed feature hashing of words and bigrams.

Similarity here is lexical, not semantic, but it is deterministic, instant and good enough to
tell a repeated argument from a new one, which is what convergence and novelty need offline.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

# Function words carry little of what a text is about; dropping them also makes bigrams span
# content words ("capital of france" -> "capital france"). "no", "nor" and "not" stay: they flip
# a claim's meaning.
_STOPWORD_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself now of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, with plurals folded to a common form."""
    words = (_fold_plural(word) for word in _WORD.findall(text.lower()))
    return [word for word in words if word not in STOPWORDS]


def _fold_plural(word: str) -> str:
    # A crude fold, enough for "claims"/"claim" to share a feature; it need not be English-
    # correct, only the same on both sides of a comparison.
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def features(text: str) -> Counter[str]:
    """Unigram and bigram counts of a text; bigrams are prefixed so they never clash with words."""
    words = tokenize(text)
    counts: Counter[str] = Counter(words)
    counts.update(f"{left}\x1f{right}" for left, right in itertools.pairwise(words))
    return counts


def feature_hash(feature: str) -> int:
    """A 64-bit hash that is the same in every process (unlike the built-in, salted `hash`)."""
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")


class HashedEmbedder:
    """Sublinear-tf (optionally tf-idf) vectors of hashed words and bigrams, L2-normalized."""

    name = "hashed"

    def __init__(self, dims: int = 512, *, bigram_weight: float = 0.5) -> None:
        if dims < 1:
            raise ValueError("dims must be positive")
        self.dims = dims
        self.bigram_weight = bigram_weight
        self._idf: dict[int, float] = {}
        self._unseen_idf = 1.0

    def fit(self, corpus: Iterable[str]) -> HashedEmbedder:
        """Learn inverse document frequencies from `corpus`, so common terms count less."""
        document_frequency: Counter[int] = Counter()
        documents = 0
        for document in corpus:
            documents += 1
            document_frequency.update({feature_hash(f) for f in features(document)})
        # Smoothed idf (as scikit-learn does): never zero, and highest for unseen terms.
        self._idf = {
            key: math.log((1 + documents) / (1 + count)) + 1.0
            for key, count in document_frequency.items()
        }
        self._unseen_idf = math.log(1 + documents) + 1.0
        return self

    @property
    def fitted(self) -> bool:
        """True once `fit` has learned an idf table."""
        return bool(self._idf)

    def vector(self, text: str) -> NDArray[np.float64]:
        """The embedding of one text as a numpy array (zeros for a text with no content words)."""
        vector = np.zeros(self.dims, dtype=np.float64)
        for feature, count in features(text).items():
            key = feature_hash(feature)
            weight = 1.0 + math.log(count)
            if "\x1f" in feature:
                weight *= self.bigram_weight
            if self._idf:
                weight *= self._idf.get(key, self._unseen_idf)
            # The top bit picks the sign so that collisions cancel out on average.
            sign = -1.0 if key >> 63 else 1.0
            vector[key % self.dims] += sign * weight
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0.0 else vector

    def embed_sync(self, texts: list[str]) -> list[list[float]]:
        """The embeddings of `texts`, computed on the calling thread."""
        return [self.vector(text).tolist() for text in texts]

    async def embed(self, texts: list[str]) -> list[list[float]]:
        # Microseconds per text: cheaper to compute inline than to hop to a thread.
        return self.embed_sync(texts)
