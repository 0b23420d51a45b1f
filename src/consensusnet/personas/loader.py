"""Load the shipped persona catalog and a user's own personas, validating every one."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from consensusnet.domain.errors import ConfigError, NotFoundError
from consensusnet.personas.models import Persona

CATALOG_PACKAGE = "consensusnet.personas.catalog"
MIN_CATALOG_SIZE = 40


class PersonaCatalog:
    """Every persona by id; user personas with a shipped id replace the shipped one."""

    def __init__(self, personas: Iterable[Persona]) -> None:
        self._by_id: dict[str, Persona] = {}
        for persona in personas:
            self._by_id[persona.id] = persona

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, persona_id: object) -> bool:
        return persona_id in self._by_id

    def all(self) -> list[Persona]:
        """Every persona, in load order."""
        return list(self._by_id.values())

    def get(self, persona_id: str) -> Persona:
        """One persona; NotFoundError names close ids."""
        try:
            return self._by_id[persona_id]
        except KeyError:
            close = [pid for pid in self._by_id if persona_id.split("-")[0] in pid][:5]
            raise NotFoundError(
                f"No persona with id {persona_id!r}.",
                hint=("Did you mean: " + ", ".join(close) + "? " if close else "")
                + "List them with `consensusnet personas list`.",
            ) from None


def _entries(data: Any, origin: str) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "personas" in data:
        data = data["personas"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ConfigError(
            f"{origin}: expected a persona object, a list of them, or {{'personas': [...]}}."
        )
    return data


def parse_personas(data: Any, origin: str, source: str) -> list[Persona]:
    """Validate raw persona data; a ConfigError says which entry and field is wrong."""
    personas = []
    for index, entry in enumerate(_entries(data, origin)):
        try:
            personas.append(Persona.model_validate({**entry, "source": source}))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}"
                for item in error.errors()[:5]
            )
            ident = entry.get("id", f"#{index}")
            raise ConfigError(
                f"{origin}: persona {ident} is invalid: {problems}",
                hint="Each persona needs id, name, role, domains, traits, "
                "communication_style and system_prompt.",
            ) from None
    return personas


def _read_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml  # type: ignore[import-untyped]  # PyYAML: only for users who write YAML

    return yaml.safe_load(text)


def shipped_personas() -> list[Persona]:
    """The catalog that ships inside the package."""
    root = resources.files(CATALOG_PACKAGE)
    personas: list[Persona] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            personas.extend(parse_personas(data, f"catalog/{entry.name}", "catalog"))
    ids = [p.id for p in personas]
    duplicates = sorted({pid for pid in ids if ids.count(pid) > 1})
    if duplicates:
        raise ConfigError(f"The shipped catalog repeats persona ids: {', '.join(duplicates)}")
    return personas


def user_personas(directory: Path) -> list[Persona]:
    """Personas from `<data_dir>/personas/*.json|yaml|yml`, if the directory exists."""
    if not directory.is_dir():
        return []
    personas: list[Persona] = []
    for path in sorted(directory.iterdir()):
        if path.suffix not in (".json", ".yaml", ".yml"):
            continue
        try:
            data = _read_file(path)
        except (OSError, ValueError) as error:
            raise ConfigError(f"{path}: cannot read personas: {error}") from None
        personas.extend(parse_personas(data, str(path), "user"))
    return personas


def load_catalog(data_dir: Path | None = None) -> PersonaCatalog:
    """The shipped catalog plus, when given a data dir, the user's personas."""
    personas = shipped_personas()
    if data_dir is not None:
        personas.extend(user_personas(data_dir / "personas"))
    return PersonaCatalog(personas)
