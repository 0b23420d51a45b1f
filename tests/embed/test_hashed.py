"""The offline hashed embedder, the similarity helpers and the embedder registry."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError
from consensusnet.embed import Embedder, cosine, cosine_matrix
from consensusnet.embed.hashed import HashedEmbedder, feature_hash, features, tokenize
from consensusnet.embed.openai import OpenAIEmbedder
from consensusnet.embed.registry import make_embedder

EIFFEL = "The Eiffel Tower is located in Paris, the capital of France."
EIFFEL_AGAIN = "Paris, the French capital, is home to the Eiffel Tower."
PLANTS = "Photosynthesis converts sunlight into chemical energy in green plants."


async def test_similar_texts_score_higher_than_unrelated_ones() -> None:
    embedder = HashedEmbedder(dims=256)

    eiffel, again, plants = await embedder.embed([EIFFEL, EIFFEL_AGAIN, PLANTS])

    assert cosine(eiffel, again) > 0.4
    assert cosine(eiffel, again) > cosine(eiffel, plants) + 0.3
    assert cosine(again, plants) < 0.2


async def test_vectors_have_the_configured_dims_and_unit_length() -> None:
    for dims in (8, 64, 512):
        embedder = HashedEmbedder(dims=dims)
        vectors = await embedder.embed([EIFFEL, PLANTS])
        assert [len(vector) for vector in vectors] == [dims, dims]
        assert np.linalg.norm(vectors[0]) == pytest.approx(1.0)


async def test_empty_or_stopword_only_text_is_a_zero_vector() -> None:
    embedder = HashedEmbedder(dims=32)

    empty, blank, stop = await embedder.embed(["", "   \n", "it is of the and"])

    assert empty == [0.0] * 32
    assert blank == [0.0] * 32
    assert stop == [0.0] * 32
    assert cosine(empty, embedder.vector(EIFFEL)) == 0.0
    assert await embedder.embed([]) == []


async def test_same_text_gives_the_same_vector_across_calls_and_instances() -> None:
    first = await HashedEmbedder(dims=128).embed([EIFFEL])
    second = await HashedEmbedder(dims=128).embed([EIFFEL])

    assert first == second
    assert first == await HashedEmbedder(dims=128).embed([EIFFEL])


def test_feature_hash_is_a_fixed_function_not_the_salted_builtin() -> None:
    # Pinned values: a change here silently invalidates every stored vector.
    assert feature_hash("claim") == 11475594329749438055
    assert feature_hash("claim") % 512 == 103
    assert feature_hash("tower") % 512 == 381


@pytest.mark.slow
def test_vectors_are_identical_in_another_process() -> None:
    script = (
        "import json; from consensusnet.embed.hashed import HashedEmbedder; "
        f"print(json.dumps(HashedEmbedder(dims=64).vector({EIFFEL!r}).tolist()))"
    )
    # A different PYTHONHASHSEED would change the built-in hash; it must not change ours.
    env = {"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    ).stdout

    assert json.loads(output) == HashedEmbedder(dims=64).vector(EIFFEL).tolist()


def test_tokens_are_lowercased_content_words_and_bigrams_span_them() -> None:
    assert tokenize("The Claims of NASA aren't false!") == ["claim", "nasa", "aren't", "false"]
    assert tokenize("It is not true") == ["not", "true"]
    counts = features("capital of France, capital of France")
    assert counts["capital"] == 2
    assert counts["capital\x1ffrance"] == 2
    assert counts["france\x1fcapital"] == 1


def test_repeated_terms_count_sublinearly() -> None:
    embedder = HashedEmbedder(dims=1024, bigram_weight=0.0)

    vector = embedder.vector("tower tower tower tower bridge")

    tower = abs(vector[feature_hash("tower") % 1024])
    bridge = abs(vector[feature_hash("bridge") % 1024])
    assert tower / bridge == pytest.approx(1 + np.log(4))


def test_fitted_idf_discounts_terms_every_document_shares() -> None:
    corpus = [
        "tower report on paris",
        "tower report on rome",
        "tower report on oslo",
        "tower report on lima",
    ]
    plain = HashedEmbedder(dims=512)
    fitted = HashedEmbedder(dims=512).fit(corpus)

    assert fitted.fitted
    assert not plain.fitted
    shared_plain = cosine(plain.vector(corpus[0]), plain.vector(corpus[1]))
    shared_fitted = cosine(fitted.vector(corpus[0]), fitted.vector(corpus[1]))
    assert shared_fitted < shared_plain
    assert np.linalg.norm(fitted.vector(corpus[0])) == pytest.approx(1.0)


def test_hashed_embedder_satisfies_the_port() -> None:
    assert isinstance(HashedEmbedder(), Embedder)
    with pytest.raises(ValueError, match="dims"):
        HashedEmbedder(dims=0)


def test_cosine_handles_zero_vectors_and_shape_mismatches() -> None:
    assert cosine([1.0, 0.0], [1.0, 0.0]) == pytest.approx(1.0)
    assert cosine([1.0, 0.0], [-1.0, 0.0]) == pytest.approx(-1.0)
    assert cosine([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)
    assert cosine([0.0, 0.0], [1.0, 1.0]) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        cosine([1.0], [1.0, 2.0])


def test_cosine_matrix_matches_pairwise_cosine() -> None:
    embedder = HashedEmbedder(dims=128)
    rows = [embedder.vector(text) for text in (EIFFEL, EIFFEL_AGAIN, PLANTS, "")]

    matrix = cosine_matrix(rows)

    assert matrix.shape == (4, 4)
    for i, left in enumerate(rows):
        for j, right in enumerate(rows):
            assert matrix[i, j] == pytest.approx(cosine(left, right))
    assert matrix[3, 3] == 0.0
    assert cosine_matrix(rows[:2], rows[2:]).shape == (2, 2)
    assert cosine_matrix([]).shape == (0, 0)
    with pytest.raises(ValueError, match="dim"):
        cosine_matrix([[1.0, 0.0]], [[1.0, 0.0, 0.0]])


def test_registry_builds_the_configured_embedder() -> None:
    hashed = make_embedder(Settings(_env_file=None, embed_dims=96))  # type: ignore[call-arg]
    assert isinstance(hashed, HashedEmbedder)
    assert hashed.dims == 96

    with pytest.raises(ConfigError, match="API key or a base URL"):
        make_embedder(
            Settings(_env_file=None, embedder="openai", openai_api_key=None, openai_base_url=None)  # type: ignore[call-arg]
        )

    local = make_embedder(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            embedder="openai",
            embed_model="nomic-embed-text",
            openai_base_url="http://127.0.0.1:9/v1",
        )
    )
    assert isinstance(local, OpenAIEmbedder)
    assert local.model == "nomic-embed-text"
    assert local.dims == 0  # learned from the server's first answer
