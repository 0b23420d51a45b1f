"""Claim extraction, query writing, retrieval and ranking: the steps before the panel."""

from __future__ import annotations

import asyncio
from typing import Any

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events_verify import Claim, Evidence, EvidenceRetrieved, SourceDocument
from consensusnet.embed.port import Embedder
from consensusnet.evidence.ports import EvidenceSource
from consensusnet.evidence.ranking import rank_evidence
from consensusnet.evidence.text import split_sentences
from consensusnet.llm.gateway import CallContext, LLMGateway
from consensusnet.verify.prompts import extraction_request, query_request
from consensusnet.verify.schemas import ExtractedClaims, SearchQueries

MAX_CLAIM_CHARS = 400


def is_single_claim(text: str) -> bool:
    """One sentence is one claim: it passes through unchanged, with no model call."""
    return len(split_sentences(text)) <= 1


async def extract_claims(
    gateway: LLMGateway, text: str, max_claims: int, session_id: str
) -> tuple[list[Claim], str]:
    """The claims of a text and the method that found them."""
    text = text.strip()
    if not text:
        raise ConsensusNetError("There is no text to verify.", hint="Pass a claim or --file.")
    if is_single_claim(text):
        return [Claim(id="c1", text=text)], "passthrough"
    reply = await gateway.structured(
        extraction_request(text, max_claims),
        ExtractedClaims,
        CallContext(role="extractor", session_id=session_id, call_key="extract"),
    )
    seen: set[str] = set()
    claims: list[str] = []
    for raw in reply.value.claims:
        claim = " ".join(raw.split())[:MAX_CLAIM_CHARS]
        if len(claim) >= 8 and claim.lower() not in seen:
            seen.add(claim.lower())
            claims.append(claim)
    method = "model"
    if not claims:
        # The model found nothing usable: check each sentence instead, and say so in the log.
        claims, method = split_sentences(text)[:max_claims], "sentences"
    return [Claim(id=f"c{i}", text=c) for i, c in enumerate(claims[:max_claims], start=1)], method


async def write_queries(
    gateway: LLMGateway, claim: Claim, session_id: str, key: str, model_written: bool
) -> list[str]:
    """The claim itself, plus up to two model-written keyword queries."""
    queries = [claim.text]
    if model_written:
        reply = await gateway.structured(
            query_request(claim.text),
            SearchQueries,
            CallContext(role="query_writer", session_id=session_id, call_key=key),
        )
        for query in reply.value.queries:
            query = " ".join(query.split())[:200]
            if query and query.lower() not in {q.lower() for q in queries}:
                queries.append(query)
    return queries[:3]


async def search_source(
    source: EvidenceSource, queries: list[str], per_query: int
) -> dict[str, Any]:
    """Every query against one source, merged; an unreachable source reports its error."""
    documents: list[SourceDocument] = []
    seen: set[tuple[str, str]] = set()
    try:
        results = await asyncio.gather(*(source.search(q, per_query) for q in queries))
    except ConsensusNetError as error:
        return {"documents": [], "error": str(error)}
    for batch in results:
        for document in batch:
            key = (document.title, document.text)
            if key not in seen:
                seen.add(key)
                documents.append(document)
    return {"documents": [d.model_dump(mode="json") for d in documents], "error": None}


def retrieved_event(claim_id: str, source: str, found: dict[str, Any]) -> EvidenceRetrieved:
    """The event recording what one source gave."""
    titles = list(dict.fromkeys(d["title"] for d in found["documents"]))[:10]
    return EvidenceRetrieved(
        claim_id=claim_id,
        source=source,
        documents=len(found["documents"]),
        titles=titles,
        error=found["error"],
    )


async def rank(
    claim: Claim,
    found: list[dict[str, Any]],
    embedder: Embedder,
    credibility: dict[str, float],
    k: int,
) -> dict[str, Any]:
    """Top-k evidence sentences for a claim from every source's documents."""
    documents = [SourceDocument.model_validate(d) for f in found for d in f["documents"]]
    evidence, candidates = await rank_evidence(claim.text, documents, embedder, credibility, k=k)
    return {"evidence": [e.model_dump(mode="json") for e in evidence], "candidates": candidates}


def parse_evidence(ranked: dict[str, Any]) -> list[Evidence]:
    """Evidence back from a step's JSON result."""
    return [Evidence.model_validate(e) for e in ranked["evidence"]]
