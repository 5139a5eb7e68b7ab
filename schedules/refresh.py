"""Data refresh before a briefing: exports dropped in a location's folder are imported once.

Layout: `VAR_DIR/drop/location-<id>/<kind>/*.csv`, where `<kind>` is a canonical import format
(`sales`, `appointments`, …: see `clarity ingest --help`) or a mapping preset
(`generic_emr_sales`, `payroll_register`, …: `clarity ingest --list-presets`). Rows without a
location column belong to the folder's location.

**Once per content**: a file is identified by the SHA-256 of its bytes (and the location); a
file whose content was imported before (a `JobRun` of kind `import`, key
`location:<id>:<sha256>`, status `ok`) is not imported again, whatever its name. Rejected rows
do not fail the import: the run records how many (see `clarity ingest --show-rejects`),
and the briefing that imported them says so in its footer (`rejected_notes`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from clarity.settings import Settings
from schedules.runs import finish_run, one_line, start_run
from store.models import JobRun
from store.tables import table_of

log = logging.getLogger(__name__)

IMPORT = "import"
SHOW_REJECTS = "clarity ingest --show-rejects"


@dataclass(frozen=True)
class ImportedFile:
    path: Path
    kind: str
    status: str  # ok, failed
    inserted: int = 0
    rejected: int = 0
    ingest_run: int | None = None  # the import's run (`clarity ingest --show-rejects <id>`)


def drop_folder(settings: Settings, location_id: int) -> Path:
    """Where exports for `location_id` are dropped."""
    return settings.var_dir / "drop" / f"location-{location_id}"


def content_key(location_id: int, path: Path) -> str:
    return f"location:{location_id}:{hashlib.sha256(path.read_bytes()).hexdigest()}"


def _imported(engine: Engine, key: str) -> bool:
    runs = table_of(JobRun)
    with engine.connect() as conn:
        found = conn.execute(
            select(runs.c.id).where(runs.c.kind == IMPORT, runs.c.key == key, runs.c.status == "ok")
        ).first()
    return found is not None


def _table_and_preset(kind: str) -> tuple[str, str | None] | None:
    from store.ingest.formats import get_format
    from store.ingest.presets import available_presets

    presets = available_presets()
    if kind in presets:
        return presets[kind].format, kind
    try:
        return get_format(kind).name, None
    except (KeyError, ValueError):
        return None


def refresh_location(
    engine: Engine, settings: Settings, location_id: int, *, now: datetime
) -> list[ImportedFile]:
    """Import the new files in `location_id`'s drop folder (by folder, then file name)."""
    from store.ingest import ingest_csv

    folder = drop_folder(settings, location_id)
    if not folder.is_dir():
        return []
    done: list[ImportedFile] = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        target = _table_and_preset(sub.name)
        if target is None:
            log.warning("drop folder %s: %r is not an import format or preset", folder, sub.name)
            continue
        table, preset = target
        for path in sorted(sub.glob("*.csv")):
            key = content_key(location_id, path)
            if _imported(engine, key):
                continue
            run_id = start_run(engine, IMPORT, key, scheduled_for=None, now=now)
            try:
                result = ingest_csv(
                    engine,
                    table,
                    path,
                    preset=preset,
                    location=str(location_id),
                    now=now,
                    default_timezone=settings.default_timezone,
                )
            except Exception as exc:
                finish_run(engine, run_id, "failed", error=one_line(f"{path.name}: {exc}"))
                done.append(ImportedFile(path, sub.name, "failed"))
                continue
            note = (
                f"{path.name}: {result.inserted} inserted, {result.rejected} rejected; "
                f"{SHOW_REJECTS} {result.run_id}"
            )
            finish_run(engine, run_id, "ok", error=note if result.rejected else None)
            done.append(
                ImportedFile(path, sub.name, "ok", result.inserted, result.rejected, result.run_id)
            )
    return done


def rejected_notes(imported: list[ImportedFile], *, at: datetime) -> list[str]:
    """Footer lines for the imports (made at `at`) that rejected rows: how many, and the
    command that lists them. No file names (an export's name may carry a patient's)."""
    notes: list[str] = []
    for item in imported:
        if item.status != "ok" or not item.rejected:
            continue
        rows_were = "row was" if item.rejected == 1 else "rows were"
        notes.append(
            f"Data refresh: {item.rejected} {rows_were} rejected from an export imported "
            # No backticks: the note is Markdown-escaped like any inserted text (a code span
            # would show its backticks), so the command reads as plain words.
            f"{at:%Y-%m-%d %H:%M} UTC (list them: {SHOW_REJECTS} {item.ingest_run})."
        )
    return notes
