"""Parameters the controllers share, with the bounds that keep a request out of the database's way.

A row id in a path (`/api/jobs/{job_id}`, `/staff/people/{person_id}`) is an integer column:
SQLite cannot bind a Python int past 64 bits (the driver raises OverflowError, which would be a
500), and PostgreSQL's `integer` stops at 2**31 - 1. Bounded here, a larger or a negative id is
refused with a 400 by Litestar's validation before any query runs, and the OpenAPI document
says so (minimum and maximum), so generated clients never send one. Ids inside JSON bodies
(a person to merge into, a question answered) are checked where they are looked up
(`server.catalog.db.is_row_id`).
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar.params import PathParameter

from server.catalog.db import MAX_ROW_ID

RowId: TypeAlias = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID, description="a row's id")]
"""A path parameter naming a stored row by its id (job, person, project, segment, history entry)."""
