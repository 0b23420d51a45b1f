"""Fixtures: an App on the scripted panel with a two-document knowledge base."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from verify_helpers import EIFFEL, MOON, Script, add_documents

from consensusnet.compose import App
from consensusnet.domain.config import Settings
from consensusnet.llm.scripted import FunctionProvider


@pytest.fixture
def script() -> Script:
    return Script(judge={"*": "SUPPORTED"}, cite_word="1889")


@pytest.fixture
def provider(script: Script) -> FunctionProvider:
    return FunctionProvider(script)


@pytest.fixture
async def app(settings: Settings, provider: FunctionProvider) -> AsyncIterator[App]:
    app = App(settings, providers={"scripted": provider})
    await add_documents(app, ("Eiffel Tower", EIFFEL), ("Moon", MOON))
    yield app
    await app.close()
