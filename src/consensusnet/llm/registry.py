"""One registry of LLM adapters; built-ins arrive through the entry points a plugin uses."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError
from consensusnet.llm.port import LLMProvider

ProviderFactory = Callable[[Settings], LLMProvider]
ENTRY_POINT_GROUP = "consensusnet.llm"


class ProviderRegistry:
    """Maps a provider name to the factory that builds it from Settings."""

    def __init__(self) -> None:
        self._factories: dict[str, ProviderFactory] = {}

    def add(self, name: str, factory: ProviderFactory) -> None:
        """Register (or replace) a provider factory under `name`."""
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Every registered provider name, sorted."""
        return sorted(self._factories)

    def create(self, name: str, settings: Settings) -> LLMProvider:
        """Build the named provider, or say which names exist."""
        try:
            factory = self._factories[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(
                f"Unknown LLM provider {name!r}.",
                hint=f"Set CONSENSUSNET_PROVIDER (or --provider) to one of: {known}.",
            ) from None
        return factory(settings)


def load_registry() -> ProviderRegistry:
    """A registry filled from every installed `consensusnet.llm` entry point."""
    registry = ProviderRegistry()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        register = entry.load()
        register(registry)
    return registry
