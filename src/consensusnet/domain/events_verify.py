"""Events of the verify workflow (see ARCHITECTURE.md: every deliberation step is an event)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class VerifyNoted(BaseModel):
    """Placeholder until the verify workflow defines its events."""

    v: int = 1
    type: Literal["verify.noted"] = "verify.noted"
    text: str = ""


VerifyEvent = VerifyNoted
