"""`consensusnet kb add | list | remove | search`: the local knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from consensusnet.cli.common import console, load_settings, run
from consensusnet.compose import App, Services
from consensusnet.domain.errors import ConfigError
from consensusnet.evidence.knowledge import ingest
from consensusnet.evidence.retrieval import hybrid_search
from consensusnet.sources.extract import extract_file
from consensusnet.store.knowledge import KnowledgeStore

app = typer.Typer(help="The local knowledge base verification searches.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, nothing else.")]


def _knowledge(services: Services) -> KnowledgeStore:
    if services.knowledge is None:
        raise ConfigError("The knowledge base is not configured.")
    return services.knowledge


@app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="txt, md, html or pdf files.")],
    as_json: JsonOption = False,
) -> None:
    """Add documents: their text is chunked, embedded and stored in the database."""

    async def go() -> list[dict[str, object]]:
        app_ = App(load_settings(runtime="memory"))
        added = []
        try:
            services = await app_.services()
            for path in files:
                extracted = extract_file(path)
                document, new = await ingest(
                    _knowledge(services),
                    services.embedder,
                    title=extracted.title,
                    text=extracted.text,
                    path=str(path.resolve()),
                    media_type=extracted.media_type,
                )
                added.append({**document.model_dump(mode="json"), "new": new})
        finally:
            await app_.close()
        return added

    added = run(go)
    if as_json:
        typer.echo(json.dumps(added, indent=2))
        return
    for item in added:
        state = "added" if item["new"] else "already there"
        console.print(f"{item['id']}  {item['title']}  ({item['chunks']} chunks, {state})")


@app.command("list")
def list_documents(as_json: JsonOption = False) -> None:
    """List the documents in the knowledge base."""

    async def go() -> list[dict[str, object]]:
        app_ = App(load_settings(runtime="memory"))
        try:
            services = await app_.services()
            return [d.model_dump(mode="json") for d in await _knowledge(services).list_documents()]
        finally:
            await app_.close()

    documents = run(go)
    if as_json:
        typer.echo(json.dumps(documents, indent=2))
        return
    if not documents:
        console.print("The knowledge base is empty. Add files with: consensusnet kb add FILE...")
        return
    table = Table(title=f"Knowledge base ({len(documents)} documents)")
    for column in ("id", "title", "chunks", "chars", "path"):
        table.add_column(column)
    for d in documents:
        table.add_row(
            str(d["id"]), str(d["title"]), str(d["chunks"]), str(d["characters"]), str(d["path"])
        )
    console.print(table)


@app.command("remove")
def remove(document_id: Annotated[str, typer.Argument(help="Document id (or a prefix).")]) -> None:
    """Remove a document and its chunks."""

    async def go() -> bool:
        app_ = App(load_settings(runtime="memory"))
        try:
            return await _knowledge(await app_.services()).remove_document(document_id)
        finally:
            await app_.close()

    if not run(go):
        console.print(f"No document {document_id!r}. See: consensusnet kb list")
        raise typer.Exit(code=1)
    console.print(f"Removed {document_id}.")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    limit: Annotated[int, typer.Option(min=1, max=50)] = 5,
    as_json: JsonOption = False,
) -> None:
    """Hybrid (BM25 + embedding) search over the knowledge base's chunks."""

    async def go() -> list[dict[str, object]]:
        app_ = App(load_settings(runtime="memory"))
        try:
            services = await app_.services()
            chunks = await _knowledge(services).all_chunks()
            found = await hybrid_search(chunks, query, services.embedder, limit)
        finally:
            await app_.close()
        return [
            {"score": round(s, 4), "document_id": c.document_id, "title": c.title, "text": c.text}
            for c, s in found
        ]

    hits = run(go)
    if as_json:
        typer.echo(json.dumps(hits, indent=2))
        return
    if not hits:
        console.print("No matching passages.")
    for hit in hits:
        console.print(f"[bold]{hit['score']:.3f}[/] {hit['title']} ({hit['document_id']})")
        console.print(f"  {str(hit['text'])[:300]}", markup=False, highlight=False)
