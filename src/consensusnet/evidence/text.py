"""Sentence splitting and chunking: the units evidence is retrieved and quoted in."""

from __future__ import annotations

import re

_ABBREVIATIONS = (
    "e.g.",
    "i.e.",
    "et al.",
    "etc.",
    "vs.",
    "Dr.",
    "Mr.",
    "Mrs.",
    "Ms.",
    "Fig.",
    "No.",
)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_SPACES = re.compile(r"[ \t]+")


def normalize_whitespace(text: str) -> str:
    """Collapse runs of spaces; keep paragraph breaks as single newlines."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


def split_sentences(text: str) -> list[str]:
    """Sentences, verbatim (only surrounding whitespace trimmed), paragraph by paragraph."""
    sentences: list[str] = []
    for paragraph in normalize_whitespace(text).split("\n"):
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            candidate = paragraph[start : match.start()].strip()
            if candidate.endswith(_ABBREVIATIONS):
                continue
            if candidate:
                sentences.append(candidate)
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def chunk_text(text: str, *, max_chars: int = 700, overlap: int = 1) -> list[str]:
    """Whole sentences packed into chunks of at most ~`max_chars`, overlapping by sentences."""
    sentences = split_sentences(text)
    chunks: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join([*current, sentence])) > max_chars:
            chunks.append(" ".join(current))
            current = current[-overlap:] if overlap else []
            if len(" ".join([*current, sentence])) > max_chars:
                current = []
        current.append(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks
