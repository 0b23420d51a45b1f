"""Text extraction for knowledge-base files."""

from __future__ import annotations

from pathlib import Path

import pytest

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.sources.extract import extract_file, html_to_text


def test_markdown_title_comes_from_the_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Tower facts\n\nThe tower is tall.\n")
    extracted = extract_file(path)
    assert (extracted.title, extracted.media_type) == ("Tower facts", "text/markdown")
    assert "The tower is tall." in extracted.text


def test_plain_text_is_titled_by_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "moon.txt"
    path.write_text("The Moon orbits Earth.")
    assert extract_file(path).title == "moon"


def test_html_drops_scripts_and_styles_and_keeps_blocks_apart() -> None:
    title, text = html_to_text(
        "<html><head><title>Tower</title><style>p{}</style></head><body>"
        "<script>alert('x')</script><p>First &amp; foremost.</p><p>Second.</p></body></html>"
    )
    assert title == "Tower"
    assert "alert" not in text
    assert "p{}" not in text
    assert [line for line in text.splitlines() if line.strip()] == ["First & foremost.", "Second."]


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": "Blank report"})
    path = tmp_path / "blank.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    extracted = extract_file(path)
    assert (extracted.title, extracted.media_type) == ("Blank report", "application/pdf")


def test_unsupported_and_missing_files_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConsensusNetError, match="unsupported file type"):
        extract_file(tmp_path / "data.xlsx")
    with pytest.raises(ConsensusNetError, match="No such file"):
        extract_file(tmp_path / "missing.txt")
