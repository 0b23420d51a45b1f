"""Price table: US dollars per million tokens, overridable with CONSENSUSNET_LLM_PRICES."""

from __future__ import annotations

from consensusnet.domain.llm import Usage

# (input, output) per million tokens. Cache reads cost 10% of input, cache writes 125%.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-haiku-4": (1.0, 5.0),
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4.1-nano": (0.1, 0.4),
}
FREE_PROVIDERS = {"local", "scripted", "function"}


class PriceTable:
    """Looks up a model's price by longest matching prefix and turns usage into dollars."""

    def __init__(self, overrides: dict[str, tuple[float, float]] | None = None) -> None:
        self.prices = {**DEFAULT_PRICES, **(overrides or {})}

    def price(self, provider: str, model: str) -> tuple[float, float]:
        """Dollars per million (input, output) tokens; zero for local and unknown models."""
        if provider in FREE_PROVIDERS:
            return (0.0, 0.0)
        matches = [key for key in self.prices if model.startswith(key)]
        if not matches:
            return (0.0, 0.0)
        return self.prices[max(matches, key=len)]

    def cost(self, provider: str, model: str, usage: Usage) -> float:
        """The dollar cost of one call."""
        per_in, per_out = self.price(provider, model)
        dollars = (
            usage.input_tokens * per_in
            + usage.output_tokens * per_out
            + usage.cache_read_tokens * per_in * 0.1
            + usage.cache_write_tokens * per_in * 1.25
        )
        return round(dollars / 1_000_000, 8)
