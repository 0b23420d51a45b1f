"""What each board role must return: small schemas, so a small model can fill them validly."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from consensusnet.domain.events_board import ModeratorKind

# Every string and list is bounded, so the longest valid answer fits its call's max_tokens:
# constrained decoding then never runs out of tokens mid-JSON.
CHARS_PER_TOKEN = 2.5  # sizes schemas: a typical ratio for short English words and JSON
# Caps max_tokens: a small model can write text far denser in tokens ("a a a", digits,
# punctuation runs), and a reply cut off mid-string is invalid JSON, so the cap is generous.
CEILING_CHARS_PER_TOKEN = 1.0
Item30 = Annotated[str, Field(min_length=1, max_length=30)]
Item60 = Annotated[str, Field(min_length=1, max_length=60)]
Item100 = Annotated[str, Field(min_length=1, max_length=100)]


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(item) for item in node]
    return node


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The schema without docstrings: a small model copies them into its answers."""
        schema: dict[str, Any] = _without_descriptions(super().model_json_schema(*args, **kwargs))
        return schema


class ClarifyingQuestion(_Out):
    """A question about a critical gap and the assumption to make without an answer."""

    question: str = Field(min_length=3, max_length=120)
    assumption: str = Field(min_length=3, max_length=120)


class ClarifierOut(_Out):
    """At most three questions; none when nothing critical is missing."""

    questions: list[ClarifyingQuestion] = Field(default_factory=list, max_length=3)


class SubProblemOut(_Out):
    """One part of the decision, as the decomposer states it."""

    title: str = Field(min_length=3, max_length=60)
    question: str = Field(min_length=5, max_length=150)
    domains: list[Item30] = Field(min_length=1, max_length=3)
    options: list[Item60] = Field(min_length=2, max_length=3)
    depends_on: list[int] = Field(default_factory=list, max_length=3)


class DecompositionOut(_Out):
    """The decision split into parts (the bound on how many is set per session)."""

    sub_problems: list[SubProblemOut] = Field(min_length=1, max_length=4)


@lru_cache(maxsize=8)
def decomposition_model(max_parts: int) -> type[DecompositionOut]:
    """A decomposition schema that allows at most `max_parts` sub-problems."""
    return create_model(
        f"Decomposition{max_parts}",
        __base__=DecompositionOut,
        sub_problems=(list[SubProblemOut], Field(min_length=1, max_length=max_parts)),
    )


class ContributionOut(_Out):
    """A persona's turn: a one-line position, the argument for it, and the option favoured."""

    position: str = Field(min_length=3, max_length=160)
    argument: str = Field(min_length=3, max_length=420)
    option: int = Field(ge=1, le=3)


class VoteOut(_Out):
    """A persona's vote."""

    option: int = Field(ge=1, le=3)
    recommendation: str = Field(min_length=3, max_length=200)
    confidence: float = Field(ge=0.0, le=1.0)
    conditions: list[Item100] = Field(default_factory=list, max_length=2)
    key_risk: str = Field(min_length=3, max_length=150)


@lru_cache(maxsize=64)
def contribution_model(options: int, max_tokens: int = 260) -> type[ContributionOut]:
    """A contribution schema bounded by the number of options and by the turn's token budget."""
    argument_chars = max(80, int((max_tokens - 16) * CHARS_PER_TOKEN) - 220)
    return create_model(
        f"Contribution{options}",
        __base__=ContributionOut,
        option=(int, Field(ge=1, le=options)),
        argument=(str, Field(min_length=3, max_length=argument_chars)),
    )


@lru_cache(maxsize=8)
def vote_model(options: int) -> type[VoteOut]:
    """A vote schema whose option number is bounded by how many options there are."""
    return create_model(f"Vote{options}", __base__=VoteOut, option=(int, Field(ge=1, le=options)))


class SummaryOut(_Out):
    """A round in a few sentences: agreements, disagreements, open points."""

    summary: str = Field(min_length=3, max_length=300)


class FacilitatorOut(_Out):
    """The facilitator's call after a round."""

    decision: Literal["continue", "moderator", "vote"]
    moderator: ModeratorKind | Literal["none"]
    reason: str = Field(min_length=3, max_length=150)


class ModeratorOut(_Out):
    """A moderator's challenge to the board."""

    challenge: str = Field(min_length=3, max_length=250)


class RiskOut(_Out):
    """A risk and its mitigation."""

    risk: str = Field(min_length=3, max_length=150)
    mitigation: str = Field(min_length=3, max_length=150)


class SynthesisOut(_Out):
    """The synthesis of one sub-problem."""

    executive_summary: str = Field(min_length=3, max_length=300)
    recommendation: str = Field(min_length=3, max_length=200)
    rationale: str = Field(min_length=3, max_length=300)
    risks: list[RiskOut] = Field(min_length=1, max_length=2)
    conditions: list[Item100] = Field(default_factory=list, max_length=2)
    open_questions: list[Item100] = Field(default_factory=list, max_length=2)
    confidence: float = Field(ge=0.0, le=1.0)


class ActionOut(_Out):
    """One step of the action plan."""

    action: str = Field(min_length=3, max_length=120)
    priority: Literal["high", "medium", "low"]
    owner_role: str = Field(min_length=2, max_length=40)
    timeline: str = Field(min_length=2, max_length=40)
    success_metric: str = Field(min_length=3, max_length=100)


class MetaOut(_Out):
    """The answer across sub-problems, with an action plan."""

    summary: str = Field(min_length=3, max_length=300)
    recommendation: str = Field(min_length=3, max_length=200)
    action_plan: list[ActionOut] = Field(min_length=1, max_length=3)
    confidence: float = Field(ge=0.0, le=1.0)


def _max_chars(node: dict[str, Any], defs: dict[str, Any]) -> int:
    """The longest JSON text a bounded schema allows (strings, numbers, arrays, objects)."""
    if "$ref" in node:
        return _max_chars(defs[node["$ref"].split("/")[-1]], defs)
    if "anyOf" in node:
        return max(_max_chars(option, defs) for option in node["anyOf"])
    if "enum" in node or "const" in node:
        values = node.get("enum", [node.get("const")])
        return max(len(str(v)) + 2 for v in values)
    kind = node.get("type")
    if kind == "string":
        return int(node.get("maxLength", 1000)) + 2
    if kind in ("integer", "number"):
        return 8
    if kind == "array":
        return 2 + int(node.get("maxItems", 10)) * (_max_chars(node.get("items", {}), defs) + 2)
    properties: dict[str, Any] = node.get("properties", {})
    return 2 + sum(len(name) + 6 + _max_chars(sub, defs) for name, sub in properties.items())


def token_ceiling(model: type[BaseModel]) -> int:
    """max_tokens that always fits the longest valid answer of `model`."""
    schema = model.model_json_schema()
    chars = _max_chars(schema, schema.get("$defs", {}))
    return int(chars / CEILING_CHARS_PER_TOKEN) + 16
