"""Autogenerate an Alembic revision from the models: `make migration MSG="what changed"`.

    .venv/bin/python scripts/new_migration.py "add a language column to webinar"

A scratch SQLite database (in a temporary folder) is brought to the newest migration first, so
the revision holds exactly what `server/catalog/models.py` has and the migrations do not; no
real database is read or touched. Revision ids follow the existing numbering (0001, 0002, ...)
and the file lands in `server/catalog/migrations/versions/`. Nothing is written when the models
and the migrations already agree. Read and tidy what it writes: autogenerate cannot see renames
and some server-side defaults, and `tests/integration/test_catalog.py` checks the result.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.script import ScriptDirectory

from server.catalog.db import alembic_config, upgrade_database


def next_revision_id(config: Config) -> str | None:
    """The next number after the single head (`0001` -> `0002`); None lets Alembic pick one."""
    heads = ScriptDirectory.from_config(config).get_heads()
    if len(heads) > 1:
        raise SystemExit(f"new_migration: several heads ({', '.join(heads)}); merge them first")
    if not heads:
        return "0001"
    head = heads[0]
    return f"{int(head) + 1:0{len(head)}d}" if head.isdigit() else None


def format_with_ruff(config: Config) -> None:
    """Alembic post-write hooks: the revision comes out sorted and formatted like the code."""
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        return
    hooks = {
        "ruff_imports": "check --fix --select I --quiet REVISION_SCRIPT_FILENAME",
        "ruff_format": "format --quiet REVISION_SCRIPT_FILENAME",
    }
    config.set_section_option("post_write_hooks", "hooks", ", ".join(hooks))
    for name, options in hooks.items():
        config.set_section_option("post_write_hooks", f"{name}.type", "exec")
        config.set_section_option("post_write_hooks", f"{name}.executable", str(ruff))
        config.set_section_option("post_write_hooks", f"{name}.options", options)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message", help="what changed, in a few words (also names the file)")
    args = parser.parse_args(argv)
    message = args.message.strip()
    if not message:
        parser.error("the message is empty")

    empty = False

    def skip_if_empty(context: Any, revision: Any, directives: list[MigrationScript]) -> None:
        nonlocal empty
        if all(ops.is_empty() for ops in directives[0].upgrade_ops_list):
            empty = True
            directives.clear()

    with tempfile.TemporaryDirectory(prefix="migration-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        upgrade_database(url)
        config = alembic_config(url)
        format_with_ruff(config)
        result = command.revision(
            config,
            message=message,
            autogenerate=True,
            rev_id=next_revision_id(config),
            process_revision_directives=skip_if_empty,
        )
    if empty or result is None:
        print("new_migration: the models and the migrations agree; no revision written", file=sys.stderr)
        return 1
    for script in result if isinstance(result, list) else [result]:
        if script is not None:
            print(f"wrote {script.path}: read and tidy it, then run tests/integration/test_catalog.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
