"""Expert personas: the shipped catalog, user additions, and panel selection."""

from consensusnet.personas.loader import PersonaCatalog, load_catalog
from consensusnet.personas.models import Persona
from consensusnet.personas.selection import select_panel

__all__ = ["Persona", "PersonaCatalog", "load_catalog", "select_panel"]
