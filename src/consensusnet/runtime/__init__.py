"""Durable runtime adapters (DBOS) behind the engine's runtime port."""
