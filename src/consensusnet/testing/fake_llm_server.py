"""A local HTTP server that speaks the OpenAI and Anthropic wire formats, for tests and docs.

Adapters are tested against it through their real SDKs, so the bytes on the wire are checked
without patching SDK internals. It answers `POST /v1/chat/completions` (OpenAI) and
`POST /v1/messages` (Anthropic), JSON or server-sent events, and records every request with
the times it started and finished, so tests can check limits from the server's side.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class FakeReply:
    """What the next successful call answers; `text` must be JSON for a structured request."""

    text: str = "Hello from the fake server."
    input_tokens: int = 12
    output_tokens: int = 5
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    finish_reason: str | None = None


@dataclass
class FakeFailure:
    """An error the server answers with instead of a reply; `mid_stream` sends it as an event."""

    status: int
    retry_after: float | None = None
    message: str = "fake failure"
    mid_stream: bool = False


@dataclass
class RecordedRequest:
    """One request the server received, as it arrived; times are `time.monotonic()`."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0
    finished: float | None = None


class FakeLLMServer:
    """Serves queued replies and failures on 127.0.0.1, in a background thread."""

    def __init__(self, *, chunk_delay: float = 0.0, reply_delay: float = 0.0) -> None:
        self.chunk_delay = chunk_delay
        self.reply_delay = reply_delay
        self.requests: list[RecordedRequest] = []
        self.peak_concurrency = 0
        self._active = 0
        self._replies: deque[FakeReply] = deque()
        self._failures: deque[FakeFailure] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Bind a free port and serve in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # Join handler threads on close so no socket outlives the server.
        server.daemon_threads = False
        self._server = server
        # A short poll interval keeps shutdown (once per test) from costing half a second.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-llm",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's root URL (an Anthropic base URL)."""
        if self._server is None:
            raise RuntimeError("The fake LLM server is not running; call start() first.")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base_url(self) -> str:
        """The server's OpenAI-style base URL (ending in /v1)."""
        return self.url + "/v1"

    # -- scripting --------------------------------------------------------------------------

    def reply(self, text: str = FakeReply.text, **fields: Any) -> None:
        """Queue the answer for the next successful call; unqueued calls get a default one."""
        with self._lock:
            self._replies.append(FakeReply(text=text, **fields))

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = None,
        mid_stream: bool = False,
    ) -> None:
        """Answer the next `count` requests with `status` (and a Retry-After header if given).

        With `mid_stream`, a streaming request gets a 200 whose events end in an error event,
        as providers do when a stream fails after it started.
        """
        failure = FakeFailure(status, retry_after, mid_stream=mid_stream)
        with self._lock:
            self._failures.extend(failure for _ in range(count))

    @property
    def last(self) -> RecordedRequest:
        """The most recent request."""
        with self._lock:
            return self.requests[-1]

    def forget(self) -> None:
        """Drop the requests recorded so far and the peak (a test's warm-up calls)."""
        with self._lock:
            self.requests.clear()
            self.peak_concurrency = self._active

    def most_started_within(self, seconds: float) -> int:
        """The largest number of requests that started within any span of `seconds`."""
        with self._lock:
            starts = sorted(r.started for r in self.requests)
        most, first = 0, 0
        for last, started in enumerate(starts):
            while started - starts[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    # -- used by the handler ----------------------------------------------------------------

    def _arrive(self) -> float:
        with self._lock:
            self._active += 1
            self.peak_concurrency = max(self.peak_concurrency, self._active)
        return time.monotonic()

    def _leave(self, request: RecordedRequest | None) -> None:
        with self._lock:
            self._active -= 1
            if request is not None:
                request.finished = time.monotonic()

    def _take(self, request: RecordedRequest) -> FakeReply | FakeFailure:
        with self._lock:
            self.requests.append(request)
            if self._failures:
                return self._failures.popleft()
            return self._replies.popleft() if self._replies else FakeReply()


class _Handler(BaseHTTPRequestHandler):
    """Answers one request from the fake's queues; `fake` is set per server."""

    fake: FakeLLMServer
    # HTTP/1.0: one request per connection, so streams end when the socket closes.
    protocol_version = "HTTP/1.0"
    recorded: RecordedRequest | None = None
    in_flight = False

    def log_message(self, format: str, *args: Any) -> None:
        return None  # keep test output quiet

    def do_POST(self) -> None:
        self.in_flight, started = True, self.fake._arrive()
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            headers = {key.lower(): value for key, value in self.headers.items()}
            self.recorded = RecordedRequest("POST", self.path, headers, body, started)
            self._answer(self.recorded)
        finally:
            self._finish_request()

    def _finish_request(self) -> None:
        # Called before the last bytes go out: a client cannot have its answer (and start
        # another call) before the request counts as finished, so the peak never overcounts.
        if self.in_flight:
            self.in_flight = False
            self.fake._leave(self.recorded)

    def _answer(self, recorded: RecordedRequest) -> None:
        body = recorded.body
        if self.path.endswith("/chat/completions"):
            wire: _Wire = _OpenAIWire()
        elif self.path.endswith("/messages"):
            wire = _AnthropicWire()
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        outcome = self.fake._take(recorded)
        if self.fake.reply_delay:
            time.sleep(self.fake.reply_delay)
        if isinstance(outcome, FakeFailure) and outcome.mid_stream and body.get("stream"):
            self._send_events(wire.broken_events(body, outcome))
        elif isinstance(outcome, FakeFailure):
            self._send_json(
                outcome.status,
                wire.error(outcome),
                {"Retry-After": f"{outcome.retry_after:g}"} if outcome.retry_after else {},
            )
        elif body.get("stream"):
            self._send_events(wire.events(body, outcome))
        else:
            self._send_json(200, wire.message(body, outcome))

    def _send_json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._finish_request()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_events(self, events: list[str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for index, event in enumerate(events):
            if index == len(events) - 1:
                self._finish_request()
            self.wfile.write(event.encode())
            self.wfile.flush()
            if self.fake.chunk_delay:
                time.sleep(self.fake.chunk_delay)


def _handler_for(fake: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"fake": fake})


def _pieces(text: str) -> list[str]:
    """Split text into word-sized deltas that concatenate back to the text."""
    words = text.split(" ")
    return [word if i == 0 else " " + word for i, word in enumerate(words)]


class _Wire:
    def error(self, failure: FakeFailure) -> dict[str, Any]:
        raise NotImplementedError

    def message(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        raise NotImplementedError

    def events(self, body: dict[str, Any], reply: FakeReply) -> list[str]:
        raise NotImplementedError

    def broken_events(self, body: dict[str, Any], failure: FakeFailure) -> list[str]:
        raise NotImplementedError


class _OpenAIWire(_Wire):
    def error(self, failure: FakeFailure) -> dict[str, Any]:
        kind = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(
            failure.status, "server_error" if failure.status >= 500 else "invalid_request_error"
        )
        return {"error": {"message": failure.message, "type": kind, "code": kind}}

    def broken_events(self, body: dict[str, Any], failure: FakeFailure) -> list[str]:
        start = self.events(body, FakeReply(text="partial"))[0]
        return [start, f"data: {json.dumps(self.error(failure))}\n\n"]

    def _usage(self, reply: FakeReply) -> dict[str, Any]:
        # OpenAI counts cached tokens inside prompt_tokens and details them separately.
        prompt = reply.input_tokens + reply.cache_read_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": reply.output_tokens,
            "total_tokens": prompt + reply.output_tokens,
            "prompt_tokens_details": {"cached_tokens": reply.cache_read_tokens},
        }

    def message(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": reply.finish_reason or "stop",
                }
            ],
            "usage": self._usage(reply),
        }

    def events(self, body: dict[str, Any], reply: FakeReply) -> list[str]:
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
        }
        chunks: list[dict[str, Any]] = []
        for index, piece in enumerate(_pieces(reply.text)):
            delta = {"content": piece, **({"role": "assistant"} if index == 0 else {})}
            chunks.append({**base, "choices": [{"index": 0, "delta": delta}]})
        finish = reply.finish_reason or "stop"
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": self._usage(reply)})
        return [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]


class _AnthropicWire(_Wire):
    def error(self, failure: FakeFailure) -> dict[str, Any]:
        kind = {
            401: "authentication_error",
            429: "rate_limit_error",
            529: "overloaded_error",
        }.get(failure.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": failure.message}}

    def broken_events(self, body: dict[str, Any], failure: FakeFailure) -> list[str]:
        start = self.events(body, FakeReply(text="partial"))[0]
        return [start, f"event: error\ndata: {json.dumps(self.error(failure))}\n\n"]

    @staticmethod
    def _forced_tool(body: dict[str, Any]) -> str | None:
        choice = body.get("tool_choice") or {}
        return str(choice["name"]) if choice.get("type") == "tool" else None

    def _usage(self, reply: FakeReply) -> dict[str, Any]:
        return {
            "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens,
            "cache_read_input_tokens": reply.cache_read_tokens,
            "cache_creation_input_tokens": reply.cache_write_tokens,
        }

    def message(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        tool = self._forced_tool(body)
        if tool:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": "toolu_fake",
                "name": tool,
                "input": json.loads(reply.text),
            }
        else:
            block = {"type": "text", "text": reply.text}
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake"),
            "content": [block],
            "stop_reason": reply.finish_reason or ("tool_use" if tool else "end_turn"),
            "stop_sequence": None,
            "usage": self._usage(reply),
        }

    def events(self, body: dict[str, Any], reply: FakeReply) -> list[str]:
        tool = self._forced_tool(body)
        start_usage = {**self._usage(reply), "output_tokens": 1}
        message = {**self.message(body, reply), "content": [], "stop_reason": None}
        message["usage"] = start_usage
        if tool:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": "toolu_fake",
                "name": tool,
                "input": {},
            }
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(reply.text)]
        else:
            block = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(reply.text)]
        stop = reply.finish_reason or ("tool_use" if tool else "end_turn")
        events: list[tuple[str, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": message}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": block},
            ),
            ("ping", {"type": "ping"}),
            *(
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": d})
                for d in deltas
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": reply.output_tokens},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]
