"""segment language

`segment.language`: the ISO 639-1 code of a segment spoken in another language than its
webinar's (null: the webinar's), so search indexes and filters it in its own language.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("segment") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("segment") as batch:
        batch.drop_column("language")
