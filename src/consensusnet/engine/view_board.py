"""The board part of a session's view, folded from board events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class BoardView(BaseModel):
    """A board deliberation as of its last event."""

    notes: list[str] = Field(default_factory=list)


def _noted(view: Any, event: Any) -> None:
    board = view.board or BoardView()
    board.notes.append(event.text)
    view.board = board


BOARD_APPLIERS: dict[str, Any] = {"board.noted": _noted}
