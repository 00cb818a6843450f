"""Parameters the controllers share, with the bounds that keep a request out of the database's way.

A row id in a path (`/api/jobs/{job_id}`, `/staff/people/{person_id}`) is an integer column:
SQLite cannot bind a Python int past 64 bits (the driver raises OverflowError, which would be a
500), and PostgreSQL's `integer` stops at 2**31 - 1. Bounded here, a larger or a negative id is
refused with a 400 by Litestar's validation before any query runs, and the OpenAPI document
says so (minimum and maximum), so generated clients never send one.
"""

from __future__ import annotations

from typing import Annotated, Final, TypeAlias

from litestar.params import PathParameter

MAX_ROW_ID: Final = 2**31 - 1
"""The largest id any table can hold on either engine (PostgreSQL `integer`)."""

RowId: TypeAlias = Annotated[int, PathParameter(ge=1, le=MAX_ROW_ID, description="a row's id")]
"""A path parameter naming a stored row by its id (job, person, project, segment, history entry)."""


def is_row_id(value: object) -> bool:
    """Whether a value from a JSON body can name a row (an int, not a bool, inside the bounds)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ROW_ID
