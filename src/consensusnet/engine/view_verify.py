"""The verify part of a session's view, folded from verify events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class VerifyView(BaseModel):
    """A verification as of its last event."""

    notes: list[str] = Field(default_factory=list)


def _noted(view: Any, event: Any) -> None:
    verify = view.verify or VerifyView()
    verify.notes.append(event.text)
    view.verify = verify


VERIFY_APPLIERS: dict[str, Any] = {"verify.noted": _noted}
