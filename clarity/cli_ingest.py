"""`clarity ingest`: import CSV exports and FHIR R4 data into the practice store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from clarity.cli_common import fail, open_engine, settings
from clarity.literal import markup, terminal

if TYPE_CHECKING:
    from clarity.settings import Settings
    from store.ingest import IngestResult
    from store.ingest.bounds import Bounds

console = Console()
PROGRESS_BYTES = 512 * 1024  # files above ~5,000 rows get a progress bar

# The keys of store.ingest.formats.FORMATS, written out so that `clarity --help` does not import
# the importers (FHIR models among them); tests/clarity/test_cli_scope.py checks they agree.
CSV_TARGETS = (
    "locations",
    "providers",
    "patients",
    "services",
    "appointments",
    "sales",
    "shifts",
    "compensation",
    "memberships",
    "marketing_spend",
    "leads",
)
TARGET_HELP = f"What the file holds: {', '.join(CSV_TARGETS)}, or fhir."


def _print_summary(result: IngestResult) -> None:
    title = f"{result.kind} from {Path(result.path).name}"
    if result.dry_run:
        title += " (dry run: nothing was saved)"
    # The title as its own line: a table title wraps to the (narrow) table's width.
    console.print(f"[bold]{markup(title)}[/]", highlight=False)
    table = Table(show_edge=False, show_header=False)
    table.add_column("what")
    table.add_column("rows", justify="right")
    for label, value in (
        ("read", result.read),
        ("inserted", result.inserted),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("rejected", result.rejected),
        ("skipped", result.skipped),
    ):
        table.add_row(label, f"{value:,}")
    for code, count in result.rejected_by_reason.most_common():
        table.add_row(f"  rejected: {code}", f"{count:,}")
    for code, count in result.skipped_by_reason.most_common():
        table.add_row(f"  skipped: {code}", f"{count:,}")
    for code, count in result.warnings_by_reason.most_common():
        table.add_row(f"  warning: {code}", f"{count:,}")
    console.print(table)
    resources = result.details.get("resources")
    if resources:
        kinds = Table(title="FHIR resources", show_edge=False)
        for column in ("type", "read", "imported", "rejected", "skipped", "why skipped"):
            kinds.add_column(
                column, justify="left" if column in ("type", "why skipped") else "right"
            )
        for kind, counts in resources.items():
            kinds.add_row(
                kind,
                str(counts["read"]),
                str(counts["imported"]),
                str(counts["rejected"]),
                str(counts["skipped"]),
                "; ".join(counts["skip_reasons"]),
            )
        console.print(kinds)
    if result.ambiguous:
        console.print(
            f"[yellow]{len(result.ambiguous)} patient(s) matched several existing patients and "
            "were imported separately:[/]"
        )
        for item in result.ambiguous[:10]:
            console.print(
                terminal(f"  line {item['line']}: could be {', '.join(item['candidates'])}")
            )
    if result.rejects:
        shown = result.rejects[:10]
        console.print(f"first {len(shown)} rejected row(s):")
        for item in shown:
            column = f", column {item['column']}" if item["column"] else ""
            console.print(
                terminal(f"  {item['file']} line {item['line']}{column}: {item['reason']}")
            )
        if result.run_id is not None and result.rejected > len(shown):
            console.print(f"all of them: clarity ingest --show-rejects {result.run_id}")
    for note in result.details.get("notes", []):
        console.print(f"[yellow]note:[/] {markup(note)}", highlight=False)
    if result.run_id is not None:
        console.print(f"run {result.run_id} ({result.status}) in {result.seconds:.1f} s")


def import_bounds(current: Settings) -> Bounds:
    """The configured plausibility bounds (dollars → cents)."""
    from store.ingest.bounds import Bounds

    return Bounds(
        line_amount_cents=round(current.import_max_line_amount * 100),
        duration_minutes=current.import_max_duration_minutes,
        shift_minutes=current.import_max_shift_minutes,
        pay_cents=round(current.import_max_pay * 100),
        spend_cents=round(current.import_max_spend * 100),
    )


def _show_rejects(run_id: int, as_json: bool) -> None:
    from store.ingest import get_run, show_rejects

    engine = open_engine()
    run = get_run(engine, run_id)
    if run is None:
        fail(f"no ingest run {run_id}")
        return
    rows = show_rejects(engine, run_id)
    if as_json:
        sys.stdout.write(json.dumps(rows, default=str, indent=2) + "\n")
        return
    console.print(
        terminal(
            f"run {run_id}: {run['kind']} from {run['path']} — {run['status']}, "
            f"{run['rejected']:,} rejected"
        )
    )
    table = Table(show_edge=False)
    for column in ("file", "line", "column", "reason"):
        table.add_column(column, justify="right" if column == "line" else "left")
    for row in rows:
        table.add_row(
            terminal(row["file"]),
            str(row["line"]),
            terminal(row["column"] or ""),
            terminal(row["reason"]),
        )
    console.print(table)


def ingest(
    target: str | None = typer.Argument(None, help=TARGET_HELP, show_default=False),
    path: Path | None = typer.Argument(None, help="CSV file; for fhir a file or folder."),
    preset: str | None = typer.Option(
        None, "--preset", help="Mapping preset name or YAML path (see --list-presets)."
    ),
    location: str | None = typer.Option(
        None, "--location", help="Location (id, external id or name) for rows without one."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Name of the system the file comes from (default: preset's)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count; save nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    show_rejects_of: int | None = typer.Option(
        None, "--show-rejects", metavar="RUN_ID", help="List the rejected rows of a run."
    ),
    list_presets: bool = typer.Option(False, "--list-presets", help="List mapping presets."),
) -> None:
    """Import a CSV export (canonical or via a preset) or FHIR R4 data; re-running is safe."""
    from store.ingest import IngestError, LayoutError, ingest_fhir
    from store.ingest.presets import available_presets

    if show_rejects_of is not None:
        _show_rejects(show_rejects_of, as_json)
        return
    if list_presets:
        for name, found in available_presets().items():
            console.print(f"[bold]{name}[/] ({found.format}): {found.description}")
        return
    if target is None or path is None:
        fail("usage: clarity ingest <table|fhir> PATH [--preset NAME] (see --help)")
        return
    current = settings()
    engine = open_engine(current)
    bounds = import_bounds(current)
    try:
        if target == "fhir":
            result = ingest_fhir(
                engine,
                path,
                location=location,
                source=source,
                dry_run=dry_run,
                default_timezone=current.default_timezone,
                bounds=bounds,
            )
        else:
            result = _ingest_csv(
                engine,
                target,
                path,
                preset=preset,
                location=location,
                source=source,
                dry_run=dry_run,
                quiet=as_json,
                timezone=current.default_timezone,
                bounds=bounds,
            )
    except (LayoutError, KeyError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
        return
    except IngestError as exc:
        if as_json:
            sys.stdout.write(json.dumps(exc.result.to_dict(), default=str, indent=2) + "\n")
        fail(f"{exc} (run {exc.result.run_id} marked failed; run the same command to resume)", 1)
        return
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), default=str, indent=2) + "\n")
    else:
        _print_summary(result)


def _ingest_csv(
    engine: Any, target: str, path: Path, *, quiet: bool, timezone: str, **kw: Any
) -> IngestResult:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from store.ingest import ingest_csv

    size = path.stat().st_size if path.is_file() else 0
    if quiet or size < PROGRESS_BYTES:
        return ingest_csv(engine, target, path, default_timezone=timezone, **kw)
    with Progress(
        TextColumn(f"[bold]{path.name}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("import", total=size)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return ingest_csv(engine, target, path, default_timezone=timezone, progress=report, **kw)
