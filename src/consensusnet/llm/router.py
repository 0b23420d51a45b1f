"""Route a role to a tier, a tier to a provider and model, with per-persona models and fallbacks."""

from __future__ import annotations

from typing import Literal

from consensusnet.domain.config import Settings
from consensusnet.domain.llm import Target

Tier = Literal["fast", "core"]

ROLE_TIERS: dict[str, Tier] = {
    "ask": "core",
    "persona": "core",
    "facilitator": "core",
    "moderator": "core",
    "synthesizer": "core",
    "decomposer": "core",
    "verifier": "core",
    "critic": "core",
    "clarifier": "fast",
    "summarizer": "fast",
    "selector": "fast",
    "extractor": "fast",
    "query_writer": "fast",
}


def parse_target(spec: str, default_provider: str, default_model: str | None) -> Target:
    """Read `provider:model`, `provider` or `model` (on the default provider)."""
    provider, sep, model = spec.partition(":")
    if not sep:
        if spec in KNOWN_PROVIDERS:
            return Target(provider=spec, model="")
        return Target(provider=default_provider, model=spec)
    return Target(provider=provider, model=model or (default_model or ""))


KNOWN_PROVIDERS = {"local", "openai", "anthropic", "scripted"}


class Router:
    """Turns (role, optional persona model) into the ordered targets to try."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def tier(self, role: str) -> Tier:
        """The tier a role runs on; unknown roles run on core."""
        return ROLE_TIERS.get(role, "core")

    def primary(self, role: str) -> Target:
        """The provider and model for a role before any override."""
        s = self.settings
        if self.tier(role) == "fast" and (s.fast_provider or s.fast_model):
            return Target(provider=s.fast_provider or s.provider, model=s.fast_model or "")
        return Target(provider=s.provider, model=s.model or "")

    def targets(self, role: str, model_override: str | None = None) -> list[Target]:
        """Primary target (or the persona's own model), then the configured fallbacks."""
        first = self.primary(role)
        if model_override:
            first = parse_target(model_override, first.provider, None)
        chain = [first]
        for spec in self.settings.fallbacks:
            target = parse_target(spec, first.provider, None)
            if target not in chain:
                chain.append(target)
        return chain
