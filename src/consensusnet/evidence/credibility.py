"""Source credibility: a prior per kind of source, updated from feedback (a Beta posterior)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

DEFAULT_CREDIBILITY: dict[str, float] = {
    "local": 0.8,  # documents the user chose to trust
    "pubmed": 0.85,
    "wikipedia": 0.7,
    "arxiv": 0.7,  # preprints: not peer reviewed
    "web": 0.5,
}
PRIOR_STRENGTH = 4.0


class CredibilityRecord(BaseModel):
    """Feedback seen for one source: how often its cited evidence backed a correct verdict."""

    source: str
    confirmed: float = 0.0
    contradicted: float = 0.0


def prior_credibility(source: str) -> float:
    """The credibility before any feedback (`web:example.org` falls back to `web`)."""
    return DEFAULT_CREDIBILITY.get(source, DEFAULT_CREDIBILITY.get(source.split(":")[0], 0.5))


def credibility(source: str, record: CredibilityRecord | None = None) -> float:
    """Posterior mean of a Beta prior centred on the source's default, given its feedback."""
    prior = prior_credibility(source)
    if record is None:
        return prior
    alpha = prior * PRIOR_STRENGTH + record.confirmed
    beta = (1.0 - prior) * PRIOR_STRENGTH + record.contradicted
    return alpha / (alpha + beta)


def credibility_table(
    sources: list[str], records: Mapping[str, CredibilityRecord]
) -> dict[str, float]:
    """Credibility of each named source under the recorded feedback."""
    return {source: credibility(source, records.get(source)) for source in sources}
