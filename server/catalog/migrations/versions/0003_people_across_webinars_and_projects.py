"""people across webinars (slug, role, links, photo, aliases) and projects

Existing people get the slug their page already had (the name folded as webinar slugs are,
`-2`... on a clash); each distinct `person.project` text becomes a project row linked to them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 15:40:57.605229
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.catalog.slugs import slugify

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug", name="uq_project_slug"),
    )
    op.create_table(
        "person_alias",
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name="fk_person_alias_person", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slug"),
    )
    with op.batch_alter_table("person_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_alias_person_id"), ["person_id"], unique=False)

    # Added nullable, filled, then made NOT NULL and unique: the table may already hold people.
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("role", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("links", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("photo_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
    _fill_people()
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("slug", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("links", existing_type=sa.JSON(), nullable=False)
        batch_op.create_index(batch_op.f("ix_person_project_id"), ["project_id"], unique=False)
        batch_op.create_unique_constraint("uq_person_slug", ["slug"])
        batch_op.create_foreign_key(
            "fk_person_project", "project", ["project_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_resource_project_id"), ["project_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_resource_project", "project", ["project_id"], ["id"], ondelete="SET NULL"
        )


def _unique(base: str, taken: set[str]) -> str:
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _fill_people() -> None:
    """Slugs for the people already stored, and a project row for each project name they carry."""
    bind = op.get_bind()
    person = sa.table(
        "person",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("project", sa.Text()),
        sa.column("slug", sa.String()),
        sa.column("links", sa.JSON()),
        sa.column("project_id", sa.Integer()),
    )
    project = sa.table(
        "project",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("slug", sa.String()),
    )
    people = bind.execute(sa.select(person.c.id, person.c.name, person.c.project).order_by(person.c.id)).all()
    slugs: set[str] = set()
    projects: dict[str, int] = {}
    project_slugs: set[str] = set()
    for person_id, name, project_name in people:
        project_id = None
        if project_name and project_name.strip():
            key = slugify(project_name)
            if key not in projects:
                slug = _unique(key, project_slugs)
                projects[key] = bind.execute(
                    sa.insert(project)
                    .values(name=project_name.strip()[:300], slug=slug)
                    .returning(project.c.id)
                ).scalar_one()
            project_id = projects[key]
        bind.execute(
            sa.update(person)
            .where(person.c.id == person_id)
            .values(slug=_unique(slugify(name), slugs), links=[], project_id=project_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_constraint("fk_resource_project", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_resource_project_id"))
        batch_op.drop_column("project_id")

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint("fk_person_project", type_="foreignkey")
        batch_op.drop_constraint("uq_person_slug", type_="unique")
        batch_op.drop_index(batch_op.f("ix_person_project_id"))
        batch_op.drop_column("project_id")
        batch_op.drop_column("photo_url")
        batch_op.drop_column("links")
        batch_op.drop_column("role")
        batch_op.drop_column("slug")

    with op.batch_alter_table("person_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_alias_person_id"))
    op.drop_table("person_alias")
    op.drop_table("project")
