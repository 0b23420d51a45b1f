"""Response schemas; the judgement schemas are built per claim so citations are an enum."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from consensusnet.domain.events_verify import Label

Weakness = Literal[
    "weak_evidence", "single_source", "missing_context", "overreach", "contradicting_evidence"
]


class ExtractedClaims(BaseModel):
    """Claims the extractor found in a text."""

    claims: list[Annotated[str, Field(min_length=8, max_length=300)]] = Field(
        min_length=1, max_length=8
    )


class SearchQueries(BaseModel):
    """Search queries for one claim."""

    queries: list[Annotated[str, Field(min_length=3, max_length=120)]] = Field(
        min_length=1, max_length=2
    )


class CriticReply(BaseModel):
    """The critic's attack on the leading label."""

    challenge: str = Field(max_length=300)
    weaknesses: list[Weakness] = Field(default_factory=list, max_length=3)
    suggested_label: Label


def _cited_field(evidence_ids: list[str]) -> tuple[Any, Any]:
    choice: Any = Literal[tuple(evidence_ids)]  # type: ignore[valid-type]
    return list[choice], Field(min_length=1, max_length=3)


def judgement_schema(evidence_ids: list[str], *, strict: bool = True) -> type[BaseModel]:
    """A panel member's reply for one claim: `cited` may only name these evidence ids.

    With no evidence there is nothing to cite, so the schema has no `cited` field. The lenient
    variant (`strict=False`) accepts any string, so invalid ids can be found and dropped.
    """
    fields: dict[str, Any] = {
        "label": (Label, ...),
        "confidence": (float, Field(ge=0.0, le=1.0)),
    }
    if evidence_ids:
        fields["cited"] = (
            _cited_field(evidence_ids) if strict else (list[str], Field(default_factory=list))
        )
    fields["rationale"] = (str, Field(max_length=200))
    return create_model("Judgement", **fields)


def revision_schema(evidence_ids: list[str], *, strict: bool = True) -> type[BaseModel]:
    """A member's answer to the critic, citations constrained as in `judgement_schema`."""
    fields: dict[str, Any] = {
        "label": (Label, ...),
        "confidence": (float, Field(ge=0.0, le=1.0)),
    }
    if evidence_ids:
        fields["cited"] = (
            _cited_field(evidence_ids) if strict else (list[str], Field(default_factory=list))
        )
    fields["reason"] = (str, Field(max_length=200))
    return create_model("Revision", **fields)
