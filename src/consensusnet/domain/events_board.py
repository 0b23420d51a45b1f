"""Events of the board workflow (see ARCHITECTURE.md: every deliberation step is an event)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class BoardNoted(BaseModel):
    """Placeholder until the board workflow defines its events."""

    v: int = 1
    type: Literal["board.noted"] = "board.noted"
    text: str = ""


BoardEvent = BoardNoted
