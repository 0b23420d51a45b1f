"""ConsensusNet: a panel of LLM agents that deliberates to a consensus."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("consensusnet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
