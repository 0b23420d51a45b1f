"""A one-question session: the smallest proof that a provider works, recorded like any other."""

from __future__ import annotations

from collections.abc import AsyncIterator

from consensusnet.domain.errors import ConsensusNetError
from consensusnet.domain.events import (
    SessionCompleted,
    SessionCreated,
    SessionFailed,
    SessionStarted,
)
from consensusnet.domain.llm import LLMRequest, Message, StreamChunk, SystemBlock
from consensusnet.engine.sessions import SessionLog
from consensusnet.llm.gateway import CallContext, LLMGateway

ASK_SYSTEM = "You are a helpful, concise assistant. Answer the question directly."


async def ask(
    log: SessionLog, gateway: LLMGateway, question: str, *, max_tokens: int = 256
) -> AsyncIterator[StreamChunk | str]:
    """Yield the session id first, then the streamed answer; the session records it all."""
    question = question.strip()
    if not question:
        raise ConsensusNetError("The question is empty.", hint='Try: consensusnet ask "..."')
    session_id = await log.create(
        SessionCreated(kind="ask", title=question[:120], input={"question": question})
    )
    yield session_id
    await log.append(session_id, SessionStarted(runtime="inline"))
    request = LLMRequest(
        system=[SystemBlock(text=ASK_SYSTEM, cache=True)],
        messages=[Message(role="user", content=question)],
        max_tokens=max_tokens,
        temperature=0.3,
    )
    ctx = CallContext(role="ask", session_id=session_id, call_key="answer")
    try:
        async for chunk in gateway.stream(request, ctx):
            yield chunk
            if chunk.response is not None:
                await log.append(
                    session_id, SessionCompleted(result={"answer": chunk.response.text})
                )
    except ConsensusNetError as error:
        await log.append(session_id, SessionFailed(error=str(error), hint=error.hint))
        raise
