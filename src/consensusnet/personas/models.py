"""The persona model, validated wherever a persona comes from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Persona(BaseModel):
    """An expert the board can seat: who they are, what they know, how they speak."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,47}$")
    name: str = Field(min_length=2, max_length=80)
    role: str = Field(min_length=2, max_length=80)
    domains: list[str] = Field(min_length=1, max_length=8)
    traits: list[str] = Field(min_length=1, max_length=6)
    communication_style: str = Field(min_length=5, max_length=300)
    system_prompt: str = Field(min_length=40, max_length=1500)
    model: str | None = Field(default=None, description="provider:model for mixed boards")
    source: str = "catalog"

    @field_validator("domains", "traits")
    @classmethod
    def _non_empty_items(cls, items: list[str]) -> list[str]:
        cleaned = [item.strip() for item in items]
        if any(not item for item in cleaned):
            raise ValueError("items must not be empty")
        return cleaned

    def profile(self) -> str:
        """The text selection embeds: role and domains (shared prompt wording would blur it)."""
        return " ".join([self.role, *self.domains, *self.domains])
