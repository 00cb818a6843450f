"""key messages, summary and the editorial draft on webinar

Staff-written `summary` (Markdown) and `key_messages` (a list of short Markdown items), and
`editorial_draft`, the machine draft kept apart for staff only. Existing webinars get no key
messages (`[]`): the column is added nullable, filled, then made NOT NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 16:44:10.384874
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webinar", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("key_messages", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("editorial_draft", sa.JSON(), nullable=True))
    webinar = sa.table("webinar", sa.column("key_messages", sa.JSON()))
    op.get_bind().execute(sa.update(webinar).values(key_messages=[]))
    with op.batch_alter_table("webinar", schema=None) as batch_op:
        batch_op.alter_column("key_messages", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("webinar", schema=None) as batch_op:
        batch_op.drop_column("editorial_draft")
        batch_op.drop_column("key_messages")
        batch_op.drop_column("summary")
