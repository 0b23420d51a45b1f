"""Sentence splitting, chunking, BM25, hybrid retrieval, ranking and credibility."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consensusnet.domain.events_verify import KnowledgeChunk, SourceDocument
from consensusnet.embed.hashed import HashedEmbedder
from consensusnet.evidence.bm25 import BM25
from consensusnet.evidence.credibility import CredibilityRecord, credibility, prior_credibility
from consensusnet.evidence.ranking import rank_evidence
from consensusnet.evidence.retrieval import hybrid_search
from consensusnet.evidence.text import chunk_text, split_sentences


def test_sentences_are_split_verbatim_and_abbreviations_kept() -> None:
    text = "Dr. Smith measured it, e.g. twice. It is 330 m tall!  Is it? Yes.\n\nNew paragraph"
    assert split_sentences(text) == [
        "Dr. Smith measured it, e.g. twice.",
        "It is 330 m tall!",
        "Is it?",
        "Yes.",
        "New paragraph",
    ]


@given(st.lists(st.sampled_from(["Alpha beta.", "Gamma delta!", "Epsilon?"]), max_size=40))
def test_chunks_hold_every_sentence_and_respect_the_size(sentences: list[str]) -> None:
    text = " ".join(sentences)
    chunks = chunk_text(text, max_chars=60, overlap=1)
    assert all(len(c) <= 60 for c in chunks)
    covered = " ".join(chunks)
    assert all(s in covered for s in split_sentences(text))


def test_bm25_prefers_documents_with_rare_matching_terms() -> None:
    corpus = [["tower", "paris"], ["tower", "london"], ["bridge", "london"]]
    scores = BM25(corpus).scores(["paris", "tower"])
    assert scores[0] > scores[1] > scores[2] == 0.0


def _chunk(i: int, text: str) -> KnowledgeChunk:
    return KnowledgeChunk(id=f"d{i}-0", document_id=f"d{i}", title=f"doc {i}", ordinal=0, text=text)


async def test_hybrid_search_ranks_the_matching_chunk_first() -> None:
    embedder = HashedEmbedder(dims=256)
    texts = ["The Moon orbits Earth.", "The Eiffel Tower is in Paris.", "Bread needs yeast."]
    chunks = [_chunk(i, t) for i, t in enumerate(texts)]
    vectors = await embedder.embed(texts)
    for chunk, vector in zip(chunks, vectors, strict=True):
        chunk.embedding = vector
    found = await hybrid_search(chunks, "Where is the Eiffel Tower?", embedder, 2)
    assert found[0][0].text == "The Eiffel Tower is in Paris."
    assert all(score > 0 for _, score in found)
    assert await hybrid_search(chunks, "   ", embedder, 2) == []


async def test_ranking_prefers_credible_sources_and_diversity() -> None:
    documents = [
        SourceDocument(source="web", title="blog", text="The tower was completed in 1889."),
        SourceDocument(
            source="local",
            title="notes",
            text="The tower was completed in 1889 in Paris. The tower was built in 1889.",
        ),
        SourceDocument(source="wikipedia", title="wiki", text="Bananas are yellow."),
    ]
    credibility_table = {"web": 0.3, "local": 0.9, "wikipedia": 0.7}
    evidence, candidates = await rank_evidence(
        "The tower was completed in 1889.",
        documents,
        HashedEmbedder(dims=256),
        credibility_table,
        k=3,
    )
    assert candidates == 4
    assert evidence[0].source == "local"
    assert [e.id for e in evidence] == [f"E{i}" for i in range(1, len(evidence) + 1)]
    assert "Bananas are yellow." not in [e.sentence for e in evidence]  # irrelevant
    assert {e.source for e in evidence} >= {"local", "web"}
    for e in evidence:
        assert any(e.sentence in d.text for d in documents)  # verbatim
        assert e.score == pytest.approx(e.relevance * e.credibility, abs=1e-3)


async def test_ranking_with_nothing_relevant_returns_no_evidence() -> None:
    documents = [SourceDocument(source="local", title="x", text="Bananas are yellow.")]
    evidence, _ = await rank_evidence(
        "Quantum chromodynamics of penguins.", documents, HashedEmbedder(dims=256), {}, k=3
    )
    assert evidence == []


def test_credibility_moves_with_feedback_from_its_prior() -> None:
    assert prior_credibility("web:example.org") == prior_credibility("web")
    assert credibility("local") == prior_credibility("local")
    up = credibility("web", CredibilityRecord(source="web", confirmed=10))
    down = credibility("web", CredibilityRecord(source="web", contradicted=10))
    assert down < prior_credibility("web") < up
