"""Knowledge-base documents, verdict feedback and source credibility on behalf of one caller."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path, PurePath

from fastapi import UploadFile

from consensusnet.api.errors import ApiError
from consensusnet.api.schemas import DocumentOut, FeedbackIn, SourceOut
from consensusnet.api.service import SessionService
from consensusnet.domain.errors import ConfigError, ConsensusNetError, NotFoundError
from consensusnet.domain.events_verify import FeedbackRecorded
from consensusnet.evidence.credibility import CredibilityRecord, credibility, prior_credibility
from consensusnet.evidence.knowledge import ingest
from consensusnet.sources.extract import MEDIA_TYPES, ExtractedText, extract_file
from consensusnet.store.documents import OwnedDocuments
from consensusnet.store.knowledge import KnowledgeStore
from consensusnet.verify.feedback import record_claim_feedback
from consensusnet.verify.ports import SOURCE_NAMES

READ_CHUNK = 64 * 1024


def _suffix(upload: UploadFile) -> str:
    suffix = PurePath(upload.filename or "").suffix.lower()
    if suffix not in MEDIA_TYPES:
        raise ApiError(
            415,
            f"Unsupported file type {suffix or '(none)'!r}.",
            hint="Upload one of: " + ", ".join(sorted(MEDIA_TYPES)) + ".",
        )
    return suffix


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes; 413 as soon as it passes `limit`."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ApiError(
                413,
                f"The file is larger than {limit} bytes.",
                hint="Split it, or raise CONSENSUSNET_MAX_UPLOAD_BYTES.",
            )
        parts.append(chunk)
    return b"".join(parts)


def _extract(content: bytes, suffix: str, name: str) -> ExtractedText:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{Path(name).stem or 'upload'}{suffix}"
        path.write_bytes(content)
        return extract_file(path)


class KnowledgeService:
    """What a caller may do with the knowledge base and with verdict feedback."""

    def __init__(self, sessions: SessionService) -> None:
        self.sessions = sessions
        self.services = sessions.services
        self.user = sessions.user

    def _store(self) -> KnowledgeStore:
        if self.services.knowledge is None:
            raise ConfigError("The knowledge base is not configured.")
        return self.services.knowledge

    def _documents(self) -> OwnedDocuments:
        return OwnedDocuments(self._store(), self.user.id)

    async def upload(self, upload: UploadFile) -> DocumentOut:
        """Extract, chunk, embed and store one uploaded file as the caller's document."""
        suffix = _suffix(upload)
        content = await _read_limited(upload, self.services.settings.max_upload_bytes)
        name = PurePath(upload.filename or "upload").name
        try:
            extracted = await asyncio.to_thread(_extract, content, suffix, name)
        except ConsensusNetError:
            raise
        except Exception as error:  # a malformed PDF fails inside pypdf in many ways
            raise ApiError(
                400, f"Cannot read {name}: {type(error).__name__}.", hint="Is the file intact?"
            ) from None
        document, new = await ingest(
            self._documents(),
            self.services.embedder,
            title=extracted.title,
            text=extracted.text,
            path=name,
            media_type=extracted.media_type,
        )
        return DocumentOut(**document.model_dump(), new=new)

    async def documents(self) -> list[DocumentOut]:
        """The caller's documents, oldest first."""
        return [DocumentOut(**d.model_dump()) for d in await self._documents().list_documents()]

    async def remove(self, document_id: str) -> None:
        """Delete one of the caller's documents; another's does not exist for them."""
        if not await self._documents().remove_document(document_id):
            raise NotFoundError(f"No document {document_id!r}.")

    async def feedback(self, body: FeedbackIn) -> FeedbackRecorded:
        """Record the true label of a claim in one of the caller's verifications."""
        await self.sessions.owned(body.session_id)
        return await record_claim_feedback(
            self.services.log, self._store(), body.session_id, body.claim_id, body.label
        )

    async def sources(self) -> list[SourceOut]:
        """Each known source's credibility: its prior, updated by recorded feedback."""
        counts = await self._store().credibility_counts()
        out = []
        for source in sorted(set(SOURCE_NAMES) | set(counts)):
            confirmed, contradicted = counts.get(source, (0.0, 0.0))
            record = CredibilityRecord(
                source=source, confirmed=confirmed, contradicted=contradicted
            )
            out.append(
                SourceOut(
                    source=source,
                    prior=prior_credibility(source),
                    credibility=round(credibility(source, record), 6),
                    confirmed=confirmed,
                    contradicted=contradicted,
                )
            )
        return out
