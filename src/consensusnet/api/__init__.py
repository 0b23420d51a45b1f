"""The HTTP API (FastAPI) over the composition root."""
