"""Apply Alembic migrations programmatically (`clarity db upgrade`, and every CLI start).

Every `clarity` command checks the schema when it opens the store, so the check must cost one
query when the schema is current: `upgrade` reads `alembic_version` and compares it with the head
revision read from the migration files' `revision`/`down_revision` lines (no Alembic import, no
env.py, no migration module executed). Only when they differ, or when the files cannot be read
that way (several heads, an unusual header), does it run Alembic's full upgrade.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to an existing engine (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the database to `revision`; idempotent. Returns the revision now applied."""
    if revision == "head":
        head = script_head()
        if head is not None and _applied(engine) == [head]:
            return head
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
    return current_revision(engine)


def _applied(engine: Engine) -> list[str]:
    """The revisions in `alembic_version` ([] when the table does not exist yet)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return []
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return [str(v) for v in versions]


def script_head() -> str | None:
    """The single head revision, read from the migration files' header lines; None when it
    cannot be told that way (then callers ask Alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.findall(source)
        down = _DOWN.findall(source)
        if len(found) != 1 or len(down) != 1:
            return None
        revisions.add(found[0])
        parents.update(_QUOTED.findall(down[0]))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


FOREIGN_TABLE_PREFIXES = ("procrastinate_", "apscheduler_")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter for comparing the database with the models: the task queue's tables
    (`procrastinate_*`, migration 0007) and the scheduler's job store (`apscheduler_jobs`,
    created by APScheduler) are not models, so they are not a difference."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_TABLE_PREFIXES))


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The head according to Alembic itself (loads the migration scripts)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()
