"""Users' own personas, and an owner for knowledge-base documents.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personas",
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", "id", name="pk_personas"),
    )
    # Plain ALTERs, not a batch copy: recreating kb_documents would cascade-delete its chunks.
    op.add_column("kb_documents", sa.Column("owner", sa.String(64), nullable=True))
    op.create_index("ix_kb_documents_owner", "kb_documents", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_kb_documents_owner", table_name="kb_documents")
    op.drop_column("kb_documents", "owner")
    op.drop_table("personas")
