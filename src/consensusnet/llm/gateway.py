"""Everything that wraps an LLM call once, around whichever adapter serves it.

Retries with jittered backoff (honouring Retry-After), timeouts, per-provider limits (this
process's concurrency, and the rate and concurrency every worker shares), structured output
validated against a pydantic model with one repair attempt, and the usage ledger. A call with
a `call_key` that the ledger already holds is answered from the ledger: a step re-run after a
crash never pays for the same call twice.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field, ValidationError

from consensusnet.domain.errors import ConsensusNetError, ProviderError, StructuredOutputError
from consensusnet.domain.llm import LLMRequest, LLMResponse, Message, StreamChunk, Target, Usage
from consensusnet.llm.limits import LocalProviderLimiter, ProviderLimiter
from consensusnet.llm.port import LLMProvider
from consensusnet.llm.pricing import PriceTable
from consensusnet.llm.router import Router

T = TypeVar("T", bound=BaseModel)


class CallRecord(BaseModel):
    """One LLM call as the ledger keeps it (the body of an `llm.call` event)."""

    session_id: str | None = None
    call_key: str | None = None
    role: str
    persona: str | None = None
    provider: str
    model: str
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    attempts: int = 1
    ok: bool = True
    error: str | None = None
    output: str = ""
    finish_reason: str | None = None


class Ledger(Protocol):
    """Where call records go, and where a re-run step finds the answer it already paid for."""

    async def record(self, record: CallRecord) -> None: ...

    async def lookup(self, session_id: str, call_key: str) -> CallRecord | None: ...


class NullLedger:
    """A ledger that keeps nothing (for one-off calls outside a session)."""

    async def record(self, record: CallRecord) -> None:
        return None

    async def lookup(self, session_id: str, call_key: str) -> CallRecord | None:
        return None


class CallContext(BaseModel):
    """Who is calling and why: the role picks the tier, the key makes the call idempotent."""

    role: str = "ask"
    session_id: str | None = None
    call_key: str | None = None
    persona: str | None = None
    model_override: str | None = None


class Structured(BaseModel, Generic[T]):
    """A validated structured answer and the response that carried it."""

    value: T
    response: LLMResponse


class LLMGateway:
    """The one way the rest of the system talks to models."""

    def __init__(
        self,
        router: Router,
        provider_for: Callable[[str], LLMProvider],
        *,
        ledger: Ledger | None = None,
        prices: PriceTable | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        concurrency: int = 8,
        backoff_base: float = 0.5,
        sleep: Callable[[float], Any] = asyncio.sleep,
        limits: ProviderLimiter | None = None,
    ) -> None:
        self.router = router
        self._provider_for = provider_for
        self.ledger: Ledger = ledger or NullLedger()
        self.prices = prices or PriceTable()
        self.timeout = timeout
        self.max_retries = max_retries
        self.concurrency = concurrency
        self.backoff_base = backoff_base
        self._sleep = sleep
        self._limits: dict[str, asyncio.Semaphore] = {}
        # Configured limits per provider name (CONSENSUSNET_LLM_LIMITS), shared across workers
        # when the composition root hands in the Redis limiter.
        self.limits: ProviderLimiter = limits or LocalProviderLimiter({})

    # -- public API -------------------------------------------------------------------------

    async def complete(self, request: LLMRequest, ctx: CallContext) -> LLMResponse:
        """One call with retries and fallbacks, recorded in the ledger."""
        cached = await self._recorded(ctx)
        if cached is not None:
            return cached
        return await self._call(request, ctx, streaming=None)

    async def stream(self, request: LLMRequest, ctx: CallContext) -> AsyncIterator[StreamChunk]:
        """Stream one call; retries only before the first token, recorded when it ends."""
        cached = await self._recorded(ctx)
        if cached is not None:
            yield StreamChunk(delta=cached.text)
            yield StreamChunk(response=cached)
            return
        queue: asyncio.Queue[StreamChunk | None] = asyncio.Queue()
        task = asyncio.create_task(self._call(request, ctx, streaming=queue))
        try:
            while True:
                chunk = await queue.get()
                if chunk is None:
                    break
                yield chunk
            yield StreamChunk(response=await task)
        finally:
            if not task.done():
                task.cancel()

    async def structured(
        self, request: LLMRequest, output: type[T], ctx: CallContext
    ) -> Structured[T]:
        """A call whose answer must validate as `output`; one repair attempt, then an error."""
        schema_request = request.model_copy(
            update={"response_schema": output.model_json_schema(), "schema_name": output.__name__}
        )
        response = await self.complete(schema_request, ctx)
        try:
            value = output.model_validate_json(response.text)
            return Structured[output](value=value, response=response)  # type: ignore[valid-type]
        except ValidationError as first_error:
            repair = schema_request.model_copy(
                update={
                    "messages": [
                        *schema_request.messages,
                        Message(role="assistant", content=response.text),
                        Message(role="user", content=_repair_prompt(first_error)),
                    ]
                }
            )
            repair_ctx = ctx.model_copy(
                update={"call_key": f"{ctx.call_key}:repair" if ctx.call_key else None}
            )
            fixed = await self.complete(repair, repair_ctx)
            try:
                value = output.model_validate_json(fixed.text)
            except ValidationError as second_error:
                raise StructuredOutputError(
                    f"The model's reply for {output.__name__} did not match the schema, even "
                    f"after one repair: {_short_errors(second_error)}",
                    hint="Try a larger model (--model) or a provider with constrained decoding.",
                ) from None
            return Structured[output](value=value, response=fixed)  # type: ignore[valid-type]

    # -- internals --------------------------------------------------------------------------

    async def _recorded(self, ctx: CallContext) -> LLMResponse | None:
        if not (ctx.session_id and ctx.call_key):
            return None
        record = await self.ledger.lookup(ctx.session_id, ctx.call_key)
        if record is None or not record.ok:
            return None
        return LLMResponse(
            text=record.output,
            usage=record.usage,
            model=record.model,
            provider=record.provider,
            finish_reason=record.finish_reason,
            latency_s=record.latency_s,
        )

    def _limit(self, name: str, provider: LLMProvider) -> asyncio.Semaphore:
        # A provider that serves one call at a time (a local model) says so; queueing here,
        # before the timeout starts, keeps waiting time from counting as a slow call.
        if name not in self._limits:
            own = getattr(provider, "max_concurrency", None)
            limit = min(self.concurrency, own) if own else self.concurrency
            self._limits[name] = asyncio.Semaphore(limit)
        return self._limits[name]

    async def _call(
        self,
        request: LLMRequest,
        ctx: CallContext,
        streaming: asyncio.Queue[StreamChunk | None] | None,
    ) -> LLMResponse:
        errors: list[str] = []
        try:
            for target in self.router.targets(ctx.role, ctx.model_override):
                try:
                    return await self._call_target(request, ctx, target, streaming)
                except ProviderError as error:
                    errors.append(f"{target}: {error}")
            raise ProviderError(
                "Every configured model failed: " + "; ".join(errors),
                hint="Run `consensusnet providers` to see which providers answer.",
            )
        finally:
            if streaming is not None:
                streaming.put_nowait(None)

    async def _call_target(
        self,
        request: LLMRequest,
        ctx: CallContext,
        target: Target,
        streaming: asyncio.Queue[StreamChunk | None] | None,
    ) -> LLMResponse:
        try:
            provider = self._provider_for(target.provider)
        except ConsensusNetError as error:
            raise ProviderError(str(error), hint=error.hint) from None
        model = target.model or provider.default_model
        attempt = 0
        # Latency counts attempts and the backoff between them, not waiting for a slot: a call
        # queued behind others is not a slow call, and the critical path must not say it is.
        started = time.perf_counter()
        while True:
            attempt += 1
            emitted: list[bool] = []
            queued = time.perf_counter()
            try:
                async with (
                    self._limit(target.provider, provider),
                    self.limits.slot(target.provider),
                ):
                    started += time.perf_counter() - queued
                    async with asyncio.timeout(self.timeout):
                        response = await self._once(provider, request, model, streaming, emitted)
            except (TimeoutError, ProviderError) as raw:
                failure = _as_provider_error(raw, self.timeout)
                # Once tokens reached the caller, a retry would repeat them: give up instead.
                if not failure.retryable or attempt > self.max_retries or emitted:
                    await self._record_failure(
                        ctx, target.provider, model, attempt, failure, started
                    )
                    raise failure from None
                await self._sleep(self._backoff(attempt, failure.retry_after))
                continue
            response.latency_s = time.perf_counter() - started
            response.provider = target.provider  # the name it was configured under
            await self._record_success(ctx, response, attempt)
            return response

    @staticmethod
    async def _once(
        provider: LLMProvider,
        request: LLMRequest,
        model: str,
        streaming: asyncio.Queue[StreamChunk | None] | None,
        emitted: list[bool],
    ) -> LLMResponse:
        if streaming is None:
            return await provider.complete(request, model)
        response: LLMResponse | None = None
        async for chunk in provider.stream(request, model):
            if chunk.response is not None:
                response = chunk.response
            elif chunk.delta:
                emitted.append(True)
                streaming.put_nowait(chunk)
        if response is None:
            raise ProviderError("The stream ended without a final response.", retryable=True)
        return response

    async def _record_success(self, ctx: CallContext, response: LLMResponse, attempts: int) -> None:
        await self.ledger.record(
            CallRecord(
                session_id=ctx.session_id,
                call_key=ctx.call_key,
                role=ctx.role,
                persona=ctx.persona,
                provider=response.provider,
                model=response.model,
                usage=response.usage,
                cost_usd=self.prices.cost(response.provider, response.model, response.usage),
                latency_s=response.latency_s,
                attempts=attempts,
                output=response.text,
                finish_reason=response.finish_reason,
            )
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, 60.0)
        ceiling = self.backoff_base * 2 ** (attempt - 1)
        return min(30.0, random.uniform(ceiling / 2, ceiling * 1.5))

    async def _record_failure(
        self,
        ctx: CallContext,
        provider: str,
        model: str,
        attempts: int,
        error: ProviderError,
        started: float,
    ) -> None:
        await self.ledger.record(
            CallRecord(
                session_id=ctx.session_id,
                call_key=ctx.call_key,
                role=ctx.role,
                persona=ctx.persona,
                provider=provider,
                model=model,
                latency_s=time.perf_counter() - started,
                attempts=attempts,
                ok=False,
                error=str(error),
            )
        )


def _as_provider_error(raw: Exception, timeout: float) -> ProviderError:
    if isinstance(raw, ProviderError):
        return raw
    return ProviderError(
        f"The call timed out after {timeout:.0f} s.",
        hint="Raise CONSENSUSNET_LLM_TIMEOUT or use a faster model.",
        retryable=True,
    )


def _short_errors(error: ValidationError) -> str:
    parts = [
        f"{'.'.join(str(p) for p in item['loc']) or 'reply'}: {item['msg']}"
        for item in error.errors()[:5]
    ]
    return "; ".join(parts)


def _repair_prompt(error: ValidationError) -> str:
    return (
        "Your previous reply did not match the required JSON schema ("
        + _short_errors(error)
        + "). Reply again with only the corrected JSON object, nothing else."
    )
