"""Board fixtures; the harness itself lives in board_support.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from board_support import BoardRunner, BoardScript, no_questions, one_sub_problem

from consensusnet.domain.config import Settings


@pytest.fixture
def script() -> BoardScript:
    """A script whose clarifier asks nothing and whose decomposer gives one sub-problem."""
    s = BoardScript()
    s.on("ClarifierOut", no_questions)
    s.on("Decomposition", lambda r, t: one_sub_problem())
    return s


@pytest.fixture
async def board(settings: Settings, script: BoardScript) -> AsyncIterator[BoardRunner]:
    runner = BoardRunner(settings, script)
    yield runner
    await runner.close()


@pytest.fixture
def data_dir(settings: Settings) -> Path:
    return settings.data_dir
