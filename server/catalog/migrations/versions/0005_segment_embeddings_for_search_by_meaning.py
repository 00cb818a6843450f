"""segment embeddings for search by meaning

`segment_embedding`: one vector per segment (float32 bytes), the model that made it and the hash
of the text it was made from. Existing segments get none here: the next indexing of their
webinar (`webinar-archive reindex`, or the app's catch-up) embeds them once and stores them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 17:38:05.447649
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segment_embedding",
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("text_hash", sa.String(length=32), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["segment_id"], ["segment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("segment_id"),
    )


def downgrade() -> None:
    op.drop_table("segment_embedding")
