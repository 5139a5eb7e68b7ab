"""The schema check every command runs on start: one cheap query when the schema is current."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Engine, text

from store.migrate import head_revision, script_head, upgrade


def test_the_cheap_head_agrees_with_alembic() -> None:
    # script_head reads the files' header lines; Alembic loads the scripts: same answer.
    assert script_head() is not None
    assert script_head() == head_revision()


def test_a_current_schema_is_checked_without_loading_alembic(bare_engine: Engine) -> None:
    upgrade(bare_engine)
    schema = None
    if bare_engine.dialect.name == "postgresql":
        with bare_engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
    url = bare_engine.url.render_as_string(hide_password=False)
    script = (
        "import sys\n"
        "from store.db import make_engine\n"
        "from store.migrate import upgrade\n"
        f"print(upgrade(make_engine({url!r}, schema={schema!r})))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    revision, loaded = done.stdout.splitlines()
    assert revision == head_revision()
    assert loaded == "[]"


def test_an_outdated_schema_is_still_upgraded(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0001")
    assert upgrade(bare_engine) == head_revision()
