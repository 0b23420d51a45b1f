"""The board test harness: a scripted board that answers by schema, and a runner."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.domain.events import SessionCreated
from consensusnet.domain.llm import LLMRequest
from consensusnet.engine.view import SessionView
from consensusnet.llm.schema_fill import fill_schema
from consensusnet.llm.scripted import FunctionProvider, request_digest

Handler = Callable[[LLMRequest, "Turn"], Any]

ROUND = re.compile(r"Round (\d+) \(")


class Turn:
    """What a scripted answer may depend on: role (schema), speaker and round."""

    def __init__(self, request: LLMRequest) -> None:
        self.request = request
        self.schema = request.schema_name
        self.system = request.system_text()
        self.user = request.messages[-1].content
        match = ROUND.search(self.user)
        self.round = int(match.group(1)) if match else 0
        first = request.system[0].text if request.system else ""
        found = re.match(r"You are ([^,]+),", first)
        self.speaker = found.group(1) if found else ""

    def default(self) -> Any:
        assert self.request.response_schema is not None
        return fill_schema(self.request.response_schema, request_digest(self.request))


class BoardScript:
    """Per-role handlers; anything without a handler gets deterministic schema-valid JSON."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.requests: list[Turn] = []

    def on(self, schema_prefix: str, handler: Handler) -> None:
        self.handlers[schema_prefix] = handler

    def __call__(self, request: LLMRequest) -> Any:
        turn = Turn(request)
        self.requests.append(turn)
        for prefix, handler in self.handlers.items():
            if turn.schema.startswith(prefix):
                return handler(request, turn)
        return turn.default()

    def of(self, schema_prefix: str) -> list[Turn]:
        return [t for t in self.requests if t.schema.startswith(schema_prefix)]


def one_sub_problem(options: list[str] | None = None) -> dict[str, Any]:
    return {
        "sub_problems": [
            {
                "title": "European expansion",
                "question": "Should we expand to Europe next year?",
                "domains": ["market entry", "finance"],
                "options": options or ["Expand now", "Wait a year", "Pilot in one country"],
                "depends_on": [],
            }
        ]
    }


def no_questions(request: LLMRequest, turn: Turn) -> dict[str, Any]:
    return {"questions": []}


class BoardRunner:
    """Runs board sessions on the memory runtime against a scripted function provider."""

    def __init__(self, settings: Settings, script: BoardScript) -> None:
        self.settings = settings
        self.script = script
        self.provider = FunctionProvider(script)
        self.apps: list[App] = []

    def app(self, **kwargs: Any) -> App:
        name = self.settings.provider
        app = App(self.settings, providers={name: self.provider}, **kwargs)
        self.apps.append(app)
        return app

    async def start(
        self, question: str = "Should we expand to Europe?", **options: Any
    ) -> tuple[App, str]:
        app = self.app()
        await app.start()
        created = SessionCreated(
            kind="board", title=question, input={"question": question}, options=options
        )
        return app, await app.create_session(created)

    async def run(
        self, question: str = "Should we expand to Europe?", **options: Any
    ) -> SessionView:
        app, session_id = await self.start(question, **options)
        await app.runtime.wait(session_id, timeout=60)
        services = await app.services()
        return await services.log.view(session_id)

    async def close(self) -> None:
        for app in self.apps:
            await app.close()
