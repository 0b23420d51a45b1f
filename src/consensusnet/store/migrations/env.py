"""Alembic environment: always run with a connection handed in by `store.db.migrate`."""

from __future__ import annotations

from alembic import context

from consensusnet.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded for people running bare `alembic`
    raise RuntimeError("Run migrations with `consensusnet db upgrade`, not bare alembic.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
