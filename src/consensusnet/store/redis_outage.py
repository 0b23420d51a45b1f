"""What Redis's optional users (wake-ups, rate limits) remember while it is down.

They can do without Redis, so during an outage they skip it for a short cool-down instead of
paying a failed connection on every call, and log the outage once when it starts and once when
it ends instead of on every call.
"""

from __future__ import annotations

import logging
import time


class RedisOutage:
    """Whether Redis failed recently, for one user of it that can carry on without it."""

    def __init__(
        self, log: logging.Logger, user: str, fallback: str, *, cooldown: float = 1.0
    ) -> None:
        self._log = log
        self._user = user  # who relies on Redis, e.g. "Rate limiter"
        self._fallback = fallback  # what it does meanwhile, e.g. "every request is allowed"
        self._cooldown = cooldown
        self._retry_at: float | None = None  # monotonic; None while Redis answers

    def skip(self) -> bool:
        """True within the cool-down after a failure: do not try Redis now."""
        return self._retry_at is not None and time.monotonic() < self._retry_at

    def failed(self, error: BaseException) -> None:
        """Redis failed: warn if this starts an outage, and cool down before the next try."""
        if self._retry_at is None:
            self._log.warning(
                "%s: Redis unavailable (%s); %s until it is back.",
                self._user,
                error,
                self._fallback,
            )
        self._retry_at = time.monotonic() + self._cooldown

    def succeeded(self) -> None:
        """Redis answered: end the outage, if there was one."""
        if self._retry_at is not None:
            self._retry_at = None
            self._log.info("%s: Redis reachable again.", self._user)
