"""The shipped catalog, user personas from the data dir, and panel selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consensusnet.domain.errors import ConfigError, NotFoundError
from consensusnet.embed.hashed import HashedEmbedder
from consensusnet.personas import load_catalog, select_panel
from consensusnet.personas.loader import MIN_CATALOG_SIZE, shipped_personas

USER_PERSONA = {
    "id": "wine-expert",
    "name": "Camille Roux",
    "role": "Sommelier",
    "domains": ["wine", "hospitality"],
    "traits": ["refined"],
    "communication_style": "Elegant and brief.",
    "system_prompt": "You are Camille Roux, a sommelier who judges every plan by the guest.",
}


def test_shipped_catalog_is_large_distinct_and_valid() -> None:
    personas = shipped_personas()
    assert len(personas) >= MIN_CATALOG_SIZE
    assert len({p.id for p in personas}) == len(personas)
    assert len({p.name for p in personas}) == len(personas)
    assert len({p.system_prompt for p in personas}) == len(personas)
    assert all(p.name in p.system_prompt for p in personas)


def test_user_personas_join_the_catalog(tmp_path: Path) -> None:
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "mine.json").write_text(json.dumps([USER_PERSONA]))
    yaml_persona = {**USER_PERSONA, "id": "cfo", "name": "My Own CFO"}
    import yaml  # type: ignore[import-untyped]

    (folder / "override.yaml").write_text(yaml.safe_dump({"personas": [yaml_persona]}))
    catalog = load_catalog(tmp_path)
    assert catalog.get("wine-expert").source == "user"
    assert catalog.get("cfo").name == "My Own CFO"  # a user persona replaces a shipped one
    assert len(catalog) == len(shipped_personas()) + 1


def test_invalid_user_persona_names_file_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "bad.json").write_text(json.dumps({**USER_PERSONA, "id": "Bad Id", "domains": []}))
    with pytest.raises(ConfigError, match=r"bad\.json.*Bad Id.*(id|domains)"):
        load_catalog(tmp_path)


def test_unknown_id_is_not_found_with_a_hint() -> None:
    with pytest.raises(NotFoundError) as caught:
        load_catalog().get("cfo-typo")
    assert "cfo" in caught.value.hint


async def test_selection_covers_the_domains_with_little_overlap() -> None:
    catalog = load_catalog()
    text = "Should we enter the European market? Domains: market entry, EU regulation, tax."
    panel = await select_panel(HashedEmbedder(), catalog.all(), text, 4)
    ids = [m.persona_id for m in panel]
    assert len(ids) == 4 == len(set(ids))
    assert {"eu-regulatory", "intl-expansion"} <= set(ids)
    assert "tax-advisor" in ids
    assert all(m.reason and m.relevance > 0 for m in panel)
    assert all(m.overlap < 0.6 for m in panel)


async def test_pinned_personas_are_kept_first() -> None:
    catalog = load_catalog()
    pinned = [catalog.get("historian"), catalog.get("ethicist")]
    panel = await select_panel(
        HashedEmbedder(), catalog.all(), "What price will customers be willing to pay?", 3, pinned
    )
    assert [m.persona_id for m in panel[:2]] == ["historian", "ethicist"]
    assert panel[0].pinned
    assert not panel[2].pinned
    assert panel[2].persona_id not in {"historian", "ethicist"}
    assert panel[2].relevance > 0
