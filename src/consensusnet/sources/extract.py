"""Text out of the files people add to the knowledge base: txt, md, html, pdf."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from consensusnet.domain.errors import ConsensusNetError, MissingDependencyError

MEDIA_TYPES = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
}
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}


@dataclass
class ExtractedText:
    """A file's title and plain text."""

    title: str
    text: str
    media_type: str


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str]:
    """(title, visible text) of an HTML page, scripts and styles dropped."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join(collector.title.split()), "".join(collector.parts)


def _markdown_title(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def _pdf_text(path: Path) -> tuple[str, str]:
    try:
        from pypdf import PdfReader
    except ImportError as error:  # pragma: no cover - pypdf is a dependency
        raise MissingDependencyError(
            "Reading PDF files needs the `pypdf` package.", hint="Install it: uv add pypdf"
        ) from error
    reader = PdfReader(str(path))
    title = str(reader.metadata.title) if reader.metadata and reader.metadata.title else ""
    return title, "\n\n".join(page.extract_text() or "" for page in reader.pages)


def extract_file(path: Path) -> ExtractedText:
    """Read a txt, md, html or pdf file as plain text with a title."""
    media_type = MEDIA_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise ConsensusNetError(
            f"Cannot read {path.name}: unsupported file type {path.suffix or '(none)'}.",
            hint="Supported: " + ", ".join(sorted(MEDIA_TYPES)),
        )
    if not path.is_file():
        raise ConsensusNetError(f"No such file: {path}")
    if media_type == "application/pdf":
        title, text = _pdf_text(path)
    else:
        raw = path.read_text(encoding="utf-8", errors="replace")
        if media_type == "text/html":
            title, text = html_to_text(raw)
        else:
            title, text = (_markdown_title(raw) if media_type == "text/markdown" else ""), raw
    return ExtractedText(title=title or path.stem, text=text, media_type=media_type)
