"""The board workflow: an expert board deliberates a decision and recommends what to do."""

from consensusnet.board.workflow import KIND, build_board_workflow

__all__ = ["KIND", "build_board_workflow"]
