"""HTTP error mapping shared by the adapters that speak to remote model APIs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from consensusnet.domain.errors import ProviderError

Advice = dict[int, tuple[str, str]]


def status_error(
    status: int,
    headers: Mapping[str, str],
    detail: str,
    base_url: str,
    model: str,
    advice: Advice,
) -> ProviderError:
    """A ProviderError for an HTTP status: 429, 408/409 and 5xx (incl. 529) are retryable."""
    if status == 429:
        return ProviderError(
            f"{base_url} is rate limiting requests (429): {detail}",
            hint="Wait, or lower CONSENSUSNET_LLM_CONCURRENCY.",
            retryable=True,
            retry_after=retry_after(headers),
            status=status,
        )
    if status >= 500 or status in (408, 409):
        return ProviderError(
            f"{base_url} failed with status {status}: {detail}",
            hint="The server had a transient problem; the call is retried.",
            retryable=True,
            retry_after=retry_after(headers),
            status=status,
        )
    what, hint = advice.get(status, ("refused the call", "See the message for why."))
    return ProviderError(
        f"{base_url} {what} for model {model!r} ({status}): {detail}",
        hint=hint,
        retryable=False,
        status=status,
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or retry-after-ms."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def server_message(body: object) -> str:
    """The message inside an error body (`{"error": {"message": ...}}` or flat), short."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(body)[:300] if isinstance(body, str) else ""


def scrub(text: str, secret: str) -> str:
    """Hide the key: some servers echo the one they rejected."""
    return text.replace(secret, "***") if secret else text


def safe_name(name: str) -> str:
    """A schema or tool name both APIs accept: [a-zA-Z0-9_-]{1,64}."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "response"
