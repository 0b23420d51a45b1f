"""Consensus and deliberation maths: pure functions, no I/O."""
