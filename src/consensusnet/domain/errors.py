"""Errors that carry a message a user can act on; interfaces print them without a traceback."""

from __future__ import annotations


class ConsensusNetError(Exception):
    """Base class: `str(error)` says what went wrong, `hint` says what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(ConsensusNetError):
    """The settings are missing or contradictory."""


class ProviderError(ConsensusNetError):
    """An LLM or embedding provider failed; `retryable` says whether trying again may help."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class StructuredOutputError(ProviderError):
    """A model's reply did not validate against the requested schema, even after one repair."""


class MissingDependencyError(ConfigError):
    """An optional package an adapter needs is not installed."""


class NotFoundError(ConsensusNetError):
    """A session, persona or document with that id does not exist (or is not yours)."""


class BudgetExceededError(ConsensusNetError):
    """A call would take a session past its budget."""
