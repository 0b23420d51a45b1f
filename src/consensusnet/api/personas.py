"""Personas on behalf of one caller: the shipped catalog plus their own, which only they edit."""

from __future__ import annotations

from pydantic import ValidationError

from consensusnet.api.errors import ApiError
from consensusnet.api.schemas import PersonaIn, PersonaOut
from consensusnet.compose import Services
from consensusnet.domain.accounts import User
from consensusnet.domain.errors import NotFoundError
from consensusnet.personas.loader import PersonaCatalog, load_catalog, parse_personas
from consensusnet.personas.models import Persona
from consensusnet.store.personas import PersonaStore


def _validated(body: PersonaIn) -> Persona:
    """The persona as the board will load it (422 names the field the loader rejects)."""
    try:
        return Persona.model_validate({**body.model_dump(), "source": "user"})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ApiError(
            422, f"{field}: {first['msg']}", code="validation_error", field=field
        ) from None


class PersonaService:
    """What a caller may do with personas; another user's personas do not exist for them."""

    def __init__(self, services: Services, user: User) -> None:
        self.services = services
        self.user = user
        self.store = PersonaStore(services.engine)

    async def catalog(self) -> PersonaCatalog:
        """The catalog the caller's boards choose from: shipped, then theirs (which win)."""
        shipped = load_catalog(self.services.settings.data_dir).all()
        own = parse_personas(await self.store.list_for(self.user.id), "your personas", "user")
        return PersonaCatalog([*shipped, *own])

    async def all(self) -> list[PersonaOut]:
        """Every persona the caller can seat."""
        return [PersonaOut.of(p) for p in (await self.catalog()).all()]

    async def get(self, persona_id: str) -> PersonaOut:
        """One persona the caller can seat."""
        return PersonaOut.of((await self.catalog()).get(persona_id))

    async def create(self, body: PersonaIn) -> PersonaOut:
        """Add a persona of the caller's own (409 if they already have this id)."""
        persona = _validated(body)
        await self.store.create(self.user.id, persona.id, body.model_dump(mode="json"))
        return PersonaOut.of(persona)

    async def replace(self, persona_id: str, body: PersonaIn) -> PersonaOut:
        """Replace one of the caller's own personas (the id in the path wins)."""
        if body.id != persona_id:
            raise ApiError(
                422, "The body's id must match the path.", code="validation_error", field="id"
            )
        persona = _validated(body)
        if not await self.store.replace(self.user.id, persona_id, body.model_dump(mode="json")):
            raise NotFoundError(f"You have no persona {persona_id!r}.")
        return PersonaOut.of(persona)

    async def delete(self, persona_id: str) -> None:
        """Delete one of the caller's own personas (shipped ones cannot be deleted)."""
        if not await self.store.delete(self.user.id, persona_id):
            raise NotFoundError(f"You have no persona {persona_id!r}.")
