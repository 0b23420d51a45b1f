"""Deterministic JSON that satisfies a JSON schema: the scripted provider's default answer."""

from __future__ import annotations

import hashlib
from typing import Any

_WORDS = [
    *("evidence", "suggests", "a", "measured", "approach", "with", "clear", "milestones"),
    *("and", "review", "points", "the", "main", "risk", "is", "execution", "capacity"),
    *("while", "the", "upside", "depends", "on", "demand"),
]


class _Filler:
    def __init__(self, root: dict[str, Any], seed: str) -> None:
        self.root = root
        self.seed = seed
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        digest = hashlib.sha256(f"{self.seed}:{self.counter}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not ref:
            return schema
        node: Any = self.root
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        merged = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        return self._resolve(merged)

    def value(self, schema: dict[str, Any], name: str = "") -> Any:
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            options = schema["enum"]
            return options[self._next() % len(options)]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if self._resolve(o).get("type") != "null"]
                return self.value(options[0] if options else schema[key][0], name)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], name)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return getattr(self, f"_{kind}")(schema, name)

    def _object(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties", {})
        return {key: self.value(sub, key) for key, sub in props.items()}

    def _array(self, schema: dict[str, Any], name: str) -> list[Any]:
        low = int(schema.get("minItems", 1))
        high = int(schema.get("maxItems", max(low, 2)))
        count = max(low, min(high, 2))
        items = schema.get("items", {"type": "string"})
        return [self.value(items, name) for _ in range(count)]

    def _string(self, schema: dict[str, Any], name: str) -> str:
        start = self._next() % len(_WORDS)
        words = [_WORDS[(start + i) % len(_WORDS)] for i in range(6)]
        text = f"{name.replace('_', ' ')}: {' '.join(words)}".strip(": ")
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", 10_000))
        while len(text) < low:
            text += " " + text
        return text[:high]

    def _number(self, schema: dict[str, Any], name: str) -> float:
        low = float(schema.get("minimum", schema.get("exclusiveMinimum", 0.0)))
        high = float(schema.get("maximum", schema.get("exclusiveMaximum", low + 1.0)))
        fraction = (self._next() % 1000) / 1000
        return round(low + (high - low) * (0.25 + 0.5 * fraction), 3)

    def _integer(self, schema: dict[str, Any], name: str) -> int:
        low = int(schema.get("minimum", 0))
        high = int(schema.get("maximum", low + 3))
        return low + self._next() % (high - low + 1)

    def _boolean(self, schema: dict[str, Any], name: str) -> bool:
        return self._next() % 2 == 0

    def _null(self, schema: dict[str, Any], name: str) -> None:
        return None


def fill_schema(schema: dict[str, Any], seed: str) -> Any:
    """Return JSON data valid for `schema`, the same every time for the same seed."""
    return _Filler(schema, seed).value(schema)
