"""`/api/v1/personas`: the shipped catalog plus your own; create, update, delete yours."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from consensusnet.api.deps import PersonasDep
from consensusnet.api.errors import responses
from consensusnet.api.schemas import PersonaIn, PersonaOut

router = APIRouter(
    prefix="/api/v1/personas", tags=["personas"], responses=responses(401, 404, 422, 429, 503)
)


@router.get("")
async def list_personas(personas: PersonasDep) -> list[PersonaOut]:
    """The personas your boards choose from: the shipped catalog and yours."""
    return await personas.all()


@router.get("/{persona_id}")
async def get_persona(persona_id: str, personas: PersonasDep) -> PersonaOut:
    """One persona (yours replace a shipped one with the same id)."""
    return await personas.get(persona_id)


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(400, 409))
async def create_persona(body: PersonaIn, personas: PersonasDep) -> PersonaOut:
    """Add a persona of your own; your boards may seat or pin it."""
    return await personas.create(body)


@router.put("/{persona_id}", responses=responses(400))
async def replace_persona(persona_id: str, body: PersonaIn, personas: PersonasDep) -> PersonaOut:
    """Replace one of your personas."""
    return await personas.replace(persona_id, body)


@router.delete("/{persona_id}", status_code=204, response_class=Response)
async def delete_persona(persona_id: str, personas: PersonasDep) -> Response:
    """Delete one of your personas."""
    await personas.delete(persona_id)
    return Response(status_code=204)
