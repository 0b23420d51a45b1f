"""`/api/v1/documents`, `/feedback`, `/sources`: the knowledge base and what verification learns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status

from consensusnet.api.deps import KnowledgeDep
from consensusnet.api.errors import responses
from consensusnet.api.schemas import DocumentOut, FeedbackIn, SourceOut
from consensusnet.domain.events_verify import FeedbackRecorded

router = APIRouter(prefix="/api/v1", tags=["knowledge"], responses=responses(401, 429, 503))


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    responses=responses(400, 409, 413, 415, 422),
)
async def upload_document(
    file: Annotated[UploadFile, File(description="A txt, md, html or pdf file.")],
    knowledge: KnowledgeDep,
) -> DocumentOut:
    """Add a document to your knowledge base: its text is chunked, embedded and stored."""
    return await knowledge.upload(file)


@router.get("/documents")
async def list_documents(knowledge: KnowledgeDep) -> list[DocumentOut]:
    """Your knowledge-base documents, oldest first."""
    return await knowledge.documents()


@router.delete(
    "/documents/{document_id}", status_code=204, response_class=Response, responses=responses(404)
)
async def delete_document(document_id: str, knowledge: KnowledgeDep) -> Response:
    """Remove one of your documents and its chunks."""
    await knowledge.remove(document_id)
    return Response(status_code=204)


@router.post("/feedback", status_code=201, responses=responses(400, 404, 422))
async def feedback(body: FeedbackIn, knowledge: KnowledgeDep) -> FeedbackRecorded:
    """The true label of a claim in your verification: reliabilities and credibilities learn."""
    return await knowledge.feedback(body)


@router.get("/sources")
async def sources(knowledge: KnowledgeDep) -> list[SourceOut]:
    """Evidence sources with their credibility (prior, updated by feedback)."""
    return await knowledge.sources()
