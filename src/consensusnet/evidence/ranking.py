"""Evidence ranking: sentences scored by relevance x source credibility, diverse by source."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from consensusnet.domain.events_verify import Evidence, SourceDocument
from consensusnet.embed.hashed import tokenize
from consensusnet.embed.port import Embedder
from consensusnet.embed.similarity import cosine_matrix
from consensusnet.evidence.credibility import prior_credibility
from consensusnet.evidence.text import split_sentences

MIN_RELEVANCE = 0.12
SAME_DOCUMENT_DECAY = 0.6  # each further sentence from one document counts for less
SAME_SOURCE_DECAY = 0.85
DUPLICATE_COSINE = 0.92
MAX_SENTENCE_CHARS = 400


def _coverage(claim_terms: list[str], sentence_terms: set[str], idf: Mapping[str, float]) -> float:
    """The idf-weighted share of the claim's terms that the sentence contains."""
    total = math.fsum(idf.get(t, 1.0) for t in set(claim_terms))
    if total == 0.0:
        return 0.0
    return math.fsum(idf.get(t, 1.0) for t in set(claim_terms) if t in sentence_terms) / total


async def rank_evidence(
    claim: str,
    documents: list[SourceDocument],
    embedder: Embedder,
    credibility: Mapping[str, float],
    *,
    k: int = 5,
    min_relevance: float = MIN_RELEVANCE,
) -> tuple[list[Evidence], int]:
    """The top `k` evidence sentences and the number of candidate sentences considered."""
    candidates: list[tuple[SourceDocument, str]] = []
    seen: set[str] = set()
    for document in documents:
        for sentence in split_sentences(document.text):
            key = " ".join(tokenize(sentence))
            if key and key not in seen and len(sentence) <= MAX_SENTENCE_CHARS:
                seen.add(key)
                candidates.append((document, sentence))
    if not candidates:
        return [], 0
    token_sets = [set(tokenize(sentence)) for _, sentence in candidates]
    frequency: Counter[str] = Counter(t for tokens in token_sets for t in tokens)
    n = len(candidates)
    idf = {t: math.log(1.0 + n / df) for t, df in frequency.items()}
    claim_terms = tokenize(claim)
    vectors = await embedder.embed([claim] + [sentence for _, sentence in candidates])
    similarity = cosine_matrix(vectors[:1], vectors[1:])[0]
    scored: list[tuple[float, float, float, int]] = []
    for index, ((document, _), tokens) in enumerate(zip(candidates, token_sets, strict=True)):
        relevance = 0.5 * _coverage(claim_terms, tokens, idf) + 0.5 * max(
            0.0, float(similarity[index])
        )
        if relevance < min_relevance:
            continue
        cred = credibility.get(document.source, prior_credibility(document.source))
        scored.append((relevance * cred, relevance, cred, index))
    chosen = _diverse(scored, candidates, vectors[1:], k)
    evidence = [
        Evidence(
            id=f"E{rank}",
            source=candidates[index][0].source,
            title=candidates[index][0].title,
            url=candidates[index][0].url,
            document_id=candidates[index][0].document_id,
            sentence=candidates[index][1],
            relevance=round(relevance, 4),
            credibility=round(cred, 4),
            score=round(score, 4),
        )
        for rank, (score, relevance, cred, index) in enumerate(chosen, start=1)
    ]
    return evidence, n


def _diverse(
    scored: list[tuple[float, float, float, int]],
    candidates: list[tuple[SourceDocument, str]],
    vectors: list[list[float]],
    k: int,
) -> list[tuple[float, float, float, int]]:
    """Greedy pick: the best adjusted score, decayed by how often its document and source
    were picked already; near-duplicates of a picked sentence are skipped."""
    remaining = sorted(scored, key=lambda item: (-item[0], item[3]))
    chosen: list[tuple[float, float, float, int]] = []
    per_document: Counter[str] = Counter()
    per_source: Counter[str] = Counter()
    while remaining and len(chosen) < k:

        def adjusted(item: tuple[float, float, float, int]) -> float:
            document = candidates[item[3]][0]
            doc_key = document.document_id or document.url or document.title
            return (
                item[0]
                * SAME_DOCUMENT_DECAY ** per_document[doc_key]
                * SAME_SOURCE_DECAY ** per_source[document.source]
            )

        best = max(remaining, key=lambda item: (adjusted(item), -item[3]))
        remaining.remove(best)
        if chosen:
            picked = cosine_matrix([vectors[best[3]]], [vectors[c[3]] for c in chosen])[0]
            if float(picked.max()) >= DUPLICATE_COSINE:
                continue
        document = candidates[best[3]][0]
        per_document[document.document_id or document.url or document.title] += 1
        per_source[document.source] += 1
        chosen.append(best)
    return chosen
