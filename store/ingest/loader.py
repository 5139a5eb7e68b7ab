"""Batched, idempotent loading of canonical rows into the store.

One import = one `IngestRun`. Rows are processed in batches; each batch is one transaction that
writes its rows, its `RejectedRow`s and the run's counters together, so a crash leaves whole
batches or nothing, and running the same file again resumes: rows already stored compare equal
and are counted `unchanged`, the rest are written.

Counting (every row read lands in exactly one bucket):
- inserted: a new `(source, external_id)`;
- updated: an existing row whose values changed (or a patient merged into one from another
  system whose empty fields were filled);
- unchanged: an existing row with the same values (a re-import is all unchanged);
- rejected: a row that cannot be imported (reason in `RejectedRow`);
- skipped: a row repeated later in the same batch (the later one wins).
"""

from __future__ import annotations

import csv
import gc
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from store import tables as t
from store.db import refresh_statistics
from store.ingest.bounds import DEFAULT_BOUNDS, Bounds
from store.ingest.csv_reader import MAX_CELL_CHARS, LayoutError, open_csv
from store.ingest.formats import Format, get_format
from store.ingest.keys import existing_raw, existing_rows, sqlite_max_parameters
from store.ingest.mapping import Converter, Mapper
from store.ingest.matching import fill_blanks, find_matches
from store.ingest.presets import Preset, canonical_preset, load_preset
from store.ingest.refs import Resolver
from store.ingest.rows import BUILDERS, PATIENT_REFS, Context, external_id
from store.ingest.runs import import_lock, liveness, lock_name, mark_interrupted
from store.ingest.values import RowError
from store.models import pseudonym

ProgressCallback = Callable[[int, int], None]
DEFAULT_SOURCE = "import"
_WRITTEN_LIMIT = 5_000_000
DEFAULT_BATCH_ROWS = 50_000
"""Rows per transaction. Large transactions matter on SQLite: each commit rewrites every index
page the batch touched (random patient ids touch most of them), so 50,000-row commits write
about a tenth of what 5,000-row commits do."""
PIECE_ROWS = 5_000
SAMPLE_LIMIT = 50


class IngestError(RuntimeError):
    """An import stopped part-way (database error); committed batches stay, the run is failed."""

    def __init__(self, message: str, result: IngestResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class IngestResult:
    """What one import did; `to_dict()` is the `--json` output and the run's summary."""

    kind: str
    path: str
    source: str
    preset: str | None = None
    dry_run: bool = False
    run_id: int | None = None
    status: str = "running"
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    matched: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    warnings_by_reason: Counter[str] = field(default_factory=Counter)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def reject(self, file: str, line: int, column: str | None, code: str, reason: str) -> None:
        self.rejected += 1
        self.rejected_by_reason[code] += 1
        if len(self.rejects) < SAMPLE_LIMIT:
            self.rejects.append(
                {"file": file, "line": line, "column": column, "code": code, "reason": reason}
            )

    def skip(self, code: str, count: int = 1) -> None:
        self.skipped += count
        self.skipped_by_reason[code] += count

    _COUNTS = ("read", "inserted", "updated", "unchanged", "rejected", "skipped", "matched")

    def snapshot(self) -> dict[str, Any]:
        """Counters before a batch, so a batch that rolls back can be uncounted."""
        counts: dict[str, Any] = {name: getattr(self, name) for name in self._COUNTS}
        counts["by_reason"] = (
            Counter(self.rejected_by_reason),
            Counter(self.skipped_by_reason),
            Counter(self.warnings_by_reason),
            len(self.rejects),
            len(self.ambiguous),
        )
        return counts

    def restore(self, counts: dict[str, Any]) -> None:
        for name in self._COUNTS:
            setattr(self, name, counts[name])
        rejected, skipped, warnings, n_rejects, n_ambiguous = counts["by_reason"]
        self.rejected_by_reason, self.skipped_by_reason = rejected, skipped
        self.warnings_by_reason = warnings
        del self.rejects[n_rejects:]
        del self.ambiguous[n_ambiguous:]

    def summary(self) -> dict[str, Any]:
        return {
            "rejected_by_reason": dict(self.rejected_by_reason),
            "skipped_by_reason": dict(self.skipped_by_reason),
            "warnings_by_reason": dict(self.warnings_by_reason),
            "matched": self.matched,
            "unchanged": self.unchanged,
            "ambiguous": self.ambiguous[:SAMPLE_LIMIT],
            "ignored_columns": self.ignored_columns,
            "details": self.details,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "path": self.path,
            "preset": self.preset,
            "source": self.source,
            "dry_run": self.dry_run,
            "status": self.status,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "rejects": self.rejects,
            "error": self.error,
            **self.summary(),
        }


# --------------------------------------------------------------------------- runs


def start_run(conn: Connection, result: IngestResult) -> int:
    run_id = conn.execute(
        insert(t.ingest_run)
        .values(
            kind=result.kind,
            path=result.path,
            preset=result.preset,
            status="running",
            started_at=datetime.now(UTC),
            summary={"source": result.source, **liveness()},
        )
        .returning(t.ingest_run.c.id)
    ).scalar_one()
    return int(run_id)


def record_progress(conn: Connection, result: IngestResult) -> None:
    if result.run_id is None:
        return
    conn.execute(
        update(t.ingest_run)
        .where(t.ingest_run.c.id == result.run_id)
        .values(
            rows_read=result.read,
            inserted=result.inserted,
            updated=result.updated,
            rejected=result.rejected,
            skipped=result.skipped,
            summary={"source": result.source, **liveness()},
        )
    )


def finish_run(engine: Engine, result: IngestResult, status: str) -> None:
    result.status = status
    if result.run_id is None:
        return
    if status == "completed" and (result.inserted or result.updated):
        refresh_statistics(engine)
    with engine.begin() as conn:
        record_progress(conn, result)
        conn.execute(
            update(t.ingest_run)
            .where(t.ingest_run.c.id == result.run_id)
            .values(
                status=status,
                finished_at=datetime.now(UTC),
                error=result.error,
                summary={"source": result.source, **result.summary()},
            )
        )


def write_rejects(conn: Connection, run_id: int | None, rows: list[dict[str, Any]]) -> None:
    if rows and run_id is not None:
        conn.execute(insert(t.rejected_row), [{**r, "ingest_run_id": run_id} for r in rows])


# --------------------------------------------------------------------------- organization


def organization_id(conn: Connection) -> int:
    """The practice's organization: the only one, or a new one in an empty store."""
    ids = list(conn.execute(select(t.organization.c.id).order_by(t.organization.c.id)).scalars())
    if len(ids) > 1:
        raise LayoutError(
            f"the store holds {len(ids)} organizations; imports go to the first "
            "(multi-organization stores are not supported by ingest yet)"
        )
    if ids:
        return int(ids[0])
    return int(
        conn.execute(
            insert(t.organization)
            .values(name="Practice", slug="practice")
            .returning(t.organization.c.id)
        ).scalar_one()
    )


def location_option(conn: Connection, org_id: int, text: str) -> int:
    """`--location`: a Clarity location id, a location external id, or its name."""
    loc = t.location
    rows = conn.execute(
        select(loc.c.id, loc.c.name, loc.c.external_id).where(loc.c.organization_id == org_id)
    ).all()
    for predicate in (
        lambda r: text.isdigit() and r.id == int(text),
        lambda r: r.external_id == text,
        lambda r: r.name.casefold() == text.casefold(),
    ):
        found = [r.id for r in rows if predicate(r)]
        if len(found) == 1:
            return int(found[0])
    known = ", ".join(f"{r.id} ({r.name})" for r in rows) or "none — import locations first"
    raise LayoutError(f"--location {text!r} matches no location; known: {known}")


# --------------------------------------------------------------------------- writing


def _sqlite_datetime(value: datetime) -> str:
    # Same text SQLAlchemy's SQLite DATETIME stores: naive UTC with microseconds.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_encoder(column: Any) -> Callable[[Any], Any] | None:
    python_type = getattr(column.type, "impl", column.type).python_type
    if python_type is datetime:
        # Timestamps repeat (visit slots), and formatting one costs more than a dict lookup.
        memo: dict[datetime, str] = {}

        def encode(v: datetime | None) -> str | None:
            if v is None:
                return None
            text = memo.get(v)
            if text is None:
                text = _sqlite_datetime(v)
                if len(memo) >= 100_000:
                    memo.clear()
                memo[v] = text
            return text

        return encode
    if python_type is date:
        return lambda v: None if v is None else v.isoformat()
    return None


def _default_value(table: Table, name: str) -> Any:
    """The scalar Python-side default of a column (None when it has none)."""
    default: Any = table.c[name].default
    return getattr(default, "arg", None)


class Upserter:
    """INSERT … ON CONFLICT (source, external_id) DO UPDATE for one table and column list.

    The statement is built with SQLAlchemy Core's dialect `insert().on_conflict_do_update`; rows
    are encoded once and sent as multi-row `VALUES (…), (…)` statements of up to SQLite's
    parameter limit (SQLite) or COPY into a temporary table followed by one INSERT … SELECT …
    ON CONFLICT (PostgreSQL), which avoids per-row statement overhead.
    """

    def __init__(self, conn: Connection, table: Table, columns: list[str]) -> None:
        self.table = table
        self.columns = columns
        self.dialect = conn.dialect.name
        data = [c for c in columns if c not in ("source", "external_id")]
        if self.dialect == "sqlite":
            stmt: Any = sqlite.insert(table).values({c: bindparam(c) for c in columns})
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.source, table.c.external_id],
                set_={c: stmt.excluded[c] for c in data},
            )
            compiled = stmt.compile(dialect=conn.dialect)
            # Several rows per statement (`VALUES (…), (…), …`): the driver then runs the whole
            # chunk in one sqlite3_step with the GIL released, so the reading thread keeps
            # parsing meanwhile. executemany releases and re-takes the GIL around every row,
            # and a busy parsing thread makes each re-take wait (the GIL convoy).
            head, found, rest = str(compiled).partition(" VALUES (")
            group, closed, tail = rest.partition(")")
            if not (found and closed):  # pragma: no cover - SQLAlchemy's own rendering
                raise RuntimeError(f"unexpected upsert SQL: {compiled}")
            self._head, self._group, self._tail = f"{head} VALUES ", f"({group})", tail
            self._sql_by_rows: dict[int, str] = {}
            # Core adds columns with Python-side defaults (e.g. reminder_sent); send those.
            self.constants = {
                name: _default_value(table, name)
                for name in compiled.positiontup or ()
                if name not in columns
            }
            self.order = list(compiled.positiontup or ())
            self.encoders = {
                c: enc for c in self.order if (enc := _sqlite_encoder(table.c[c])) is not None
            }
        elif self.dialect == "postgresql":
            self.temp = f"ingest_{table.name}"
            quoted = ", ".join(f'"{c}"' for c in columns)
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{self.temp}"')
            conn.exec_driver_sql(
                f'CREATE TEMP TABLE "{self.temp}" AS SELECT {quoted} FROM "{table.name}" '
                "WITH NO DATA"
            )
            temp = sa_table(self.temp, *(sa_column(c) for c in columns))
            defaults = {
                c.name: _default_value(table, c.name)
                for c in table.columns
                if c.name not in columns
                and not c.primary_key
                and c.default is not None
                and c.default.is_scalar
            }
            stmt = postgresql.insert(table).from_select(
                [*columns, *defaults],
                select(
                    *(temp.c[c] for c in columns),
                    *(literal(v, table.c[k].type) for k, v in defaults.items()),
                ),
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.source, table.c.external_id],
                set_={c: stmt.excluded[c] for c in data},
            )
            # Python-side column defaults (reminder_sent) are rendered as literals.
            self.sql = str(
                stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            )
            self.copy_sql = f'COPY "{self.temp}" ({quoted}) FROM STDIN'
        else:  # pragma: no cover - make_engine only builds these two
            raise RuntimeError(f"unsupported database {self.dialect}")

    def _multi_row_sql(self, rows: int) -> str:
        sql = self._sql_by_rows.get(rows)
        if sql is None:
            sql = self._head + ", ".join([self._group] * rows) + self._tail
            self._sql_by_rows[rows] = sql
        return sql

    def write(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = self.columns
        if self.dialect == "sqlite":
            # Column by column: one C-level map per column instead of a Python call per cell.
            count = len(rows)
            vectors: list[Any] = []
            for c in self.order:
                if c not in columns:
                    vectors.append([self.constants[c]] * count)
                    continue
                values = [row[c] for row in rows]
                enc = self.encoders.get(c)
                vectors.append(list(map(enc, values)) if enc else values)
            flat = list(chain.from_iterable(zip(*vectors, strict=True)))
            width = len(self.order)
            per = max(1, sqlite_max_parameters(conn) // width)
            for start in range(0, count, per):
                rows_here = min(per, count - start)
                conn.exec_driver_sql(
                    self._multi_row_sql(rows_here),
                    tuple(flat[start * width : (start + rows_here) * width]),
                )
            return
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cursor:
            with cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            cursor.execute(self.sql)
            cursor.execute(f'TRUNCATE "{self.temp}"')


@dataclass
class Staged:
    line: int
    external_id: str
    row: dict[str, Any]


@dataclass
class Rejected:
    line: int
    column: str | None
    code: str
    reason: str
    fields: list[str]


@dataclass
class Converted:
    """One batch after mapping and parsing, handed from the reading to the writing thread."""

    read: int
    staged: list[Staged] = field(default_factory=list)
    rejects: list[Rejected] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    links: list[dict[str, Any]] = field(default_factory=list)
    bytes_read: int = 0


class CsvImport:
    """One CSV import: mapping, conversion, building and writing, batch by batch."""

    def __init__(
        self,
        engine: Engine,
        fmt: Format,
        preset: Preset,
        path: Path,
        result: IngestResult,
        *,
        location: str | None,
        now: datetime,
        default_timezone: str,
        batch_size: int,
        bounds: Bounds = DEFAULT_BOUNDS,
    ) -> None:
        self.engine = engine
        self.bounds = bounds
        self.fmt = fmt
        self.preset = preset
        self.path = path
        self.result = result
        self.location = location
        self.now = now
        self.default_timezone = default_timezone
        self.batch_size = batch_size
        self.table = t.__dict__[_TABLE_ATTR[fmt.table]]
        self.builder = BUILDERS[fmt.name]
        self.converter = Converter(fmt, preset.options)
        self.upserter: Upserter | None = None
        # External ids written by this import, while the table held no rows of this source
        # when it started (None otherwise): then a key not in it cannot be stored yet, and
        # the batch's existing-row lookup is only needed for keys that are.
        self._written: set[str] | None = None
        self._written_checked = False
        self.mapper: Mapper | None = None
        self.file_name = path.name
        self.delimiter = ","

    def run(self, progress: ProgressCallback | None) -> None:
        result = self.result
        with (
            open_csv(
                self.path,
                encoding=self.preset.encoding,
                delimiter=self.preset.delimiter,
                skip_lines=self.preset.skip_lines,
            ) as csv_file,
            self.engine.connect() as conn,
        ):
            lock: Any = nullcontext()
            if not result.dry_run:
                # One import per (organization, table, source) at a time: a second one waits,
                # then compares with what the first stored (truthful counts).
                with conn.begin():
                    org = organization_id(conn)
                lock = import_lock(conn, lock_name(org, self.fmt.name, result.source))
            with lock:
                self._run_locked(conn, csv_file, progress)

    def _run_locked(
        self, conn: Connection, csv_file: Any, progress: ProgressCallback | None
    ) -> None:
        """Set up (organization, location, mapping, run row), then stream the file."""
        result = self.result
        outer = conn.begin() if result.dry_run else None
        with nullcontext() if outer else conn.begin():
            if conn.dialect.name == "sqlite":
                # A 512 MiB page cache (a bound, reached only by large stores) keeps index
                # maintenance of million-row tables off the disk.
                conn.exec_driver_sql("PRAGMA cache_size=-524288")
                # Upserts into tables with foreign keys build temporary b-trees per
                # statement; on disk they cost ~15 µs a row, in memory a fraction of that.
                conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
            org = organization_id(conn)
            default_location = location_option(conn, org, self.location) if self.location else None
            provided = frozenset({"location_external_id"} if default_location else ())
            try:
                mapper = Mapper(self.fmt, self.preset, csv_file.header, provided=provided)
            except LayoutError as exc:
                raise LayoutError(f"{self.path.name}: {exc}") from None
            result.ignored_columns = mapper.ignored
            if not result.dry_run:
                result.run_id = start_run(conn, result)
                interrupted = mark_interrupted(conn, result.kind, result.source, result.run_id)
                if interrupted:
                    result.details["interrupted_runs"] = interrupted
            resolver = Resolver(
                conn,
                source=result.source,
                organization_id=org,
                default_location_id=default_location,
            )
        self.mapper = mapper
        self.file_name = self.path.name
        self.delimiter = csv_file.delimiter
        self.ctx = Context(
            resolver=resolver,
            source=result.source,
            now=self.now,
            default_timezone=self.default_timezone,
            phone_region=self.preset.options.phone_region,
            bounds=self.bounds,
            columns=mapper.present,
        )
        try:
            self._pipeline(conn, csv_file, outer is not None, progress)
        finally:
            if outer is not None:
                outer.rollback()

    def _pipeline(
        self, conn: Connection, csv_file: Any, dry_run: bool, progress: ProgressCallback | None
    ) -> None:
        """Read and convert batches on this thread while a writer thread resolves, builds and
        stores the previous one: the database work (with the GIL released inside the driver)
        overlaps the parsing."""
        pending: queue.Queue[Converted | None] = queue.Queue(maxsize=2)
        failure: list[BaseException] = []

        def writer() -> None:
            finished = False
            try:
                while not finished:
                    before = self.result.snapshot()
                    in_batch = 0
                    try:
                        with nullcontext() if dry_run else conn.begin():
                            while in_batch < self.batch_size:
                                item = pending.get()
                                if item is None:
                                    finished = True
                                    break
                                self._store(conn, item)
                                in_batch += item.read
                                if progress:
                                    progress(item.bytes_read, csv_file.size)
                            record_progress(conn, self.result)
                    except BaseException:
                        self.result.restore(before)  # the batch left nothing behind
                        raise
            except BaseException as exc:  # handed to the reading thread, re-raised there
                failure.append(exc)
                if not finished:
                    while pending.get() is not None:
                        pass

        thread = threading.Thread(target=writer, name="ingest-writer", daemon=True)
        thread.start()
        try:
            with self.engine.connect() as reader:
                for batch in _batches(csv_file.rows(), piece_size(self.batch_size)):
                    if failure:
                        break
                    item = self._prepare(reader, batch)
                    item.bytes_read = csv_file.bytes_read()
                    pending.put(item)
        finally:
            pending.put(None)
            thread.join()
        if failure:
            raise failure[0]

    # ------------------------------------------------------------------ one batch

    def load_values(
        self,
        conn: Connection,
        rows: list[tuple[int, list[str], dict[str, Any]]],
        *,
        default_location: int | None = None,
    ) -> None:
        """Load already-typed canonical values (used by the FHIR importer), batch by batch, on
        `conn` inside the caller's transaction handling (one savepoint per batch)."""
        org = organization_id(conn)
        self.ctx = Context(
            resolver=Resolver(
                conn,
                source=self.result.source,
                organization_id=org,
                default_location_id=default_location,
            ),
            source=self.result.source,
            now=self.now,
            default_timezone=self.default_timezone,
            bounds=self.bounds,
        )
        for start in range(0, len(rows), self.batch_size):
            chunk = []
            item = Converted(read=min(self.batch_size, len(rows) - start))
            for line, fields, values in rows[start : start + self.batch_size]:
                problem = _unstorable_text(values)
                if problem is None:
                    chunk.append((line, fields, values))
                else:
                    item.rejects.append(Rejected(line, problem[0], problem[1], problem[2], fields))
            # Inside the caller's transaction: a failure rolls the whole import back.
            self._build(conn, chunk, item)
            self._store(conn, item)

    def _reject_entry(self, line: int, fields: list[str], err: RowError) -> Rejected:
        column = self.mapper.label(err.column) if self.mapper else err.column
        return Rejected(line, column, err.code, err.message, fields)

    @staticmethod
    def _unexpected(line: int, fields: list[str], exc: Exception) -> Rejected:
        return Rejected(line, None, "out_of_range", f"a value is out of range ({exc})", fields)

    def _prepare(self, reader: Connection, batch: list[tuple[int, list[str]]]) -> Converted:
        """Map, parse, resolve and build one batch (reads only, on `reader`)."""
        mapper, convert = self.mapper, self.converter.convert
        assert mapper is not None  # set up by run() before any batch
        item = Converted(read=len(batch))
        converted: list[tuple[int, list[str], dict[str, Any]]] = []
        for line, fields in batch:
            try:
                converted.append((line, fields, convert(mapper.map(fields))))
            except RowError as err:
                item.rejects.append(self._reject_entry(line, fields, err))
            except (ArithmeticError, ValueError, OSError) as exc:
                item.rejects.append(self._unexpected(line, fields, exc))
        self._build(reader, converted, item)
        if reader.in_transaction():
            reader.rollback()  # the next batch reads a fresh snapshot
        return item

    def _build(
        self,
        reader: Connection,
        converted: list[tuple[int, list[str], dict[str, Any]]],
        item: Converted,
    ) -> None:
        """Resolve references and build store rows from typed values (reads only)."""
        builder, ctx = self.builder, self.ctx
        patient_cols = PATIENT_REFS.get(self.fmt.name, ())
        if patient_cols:
            ctx.resolver.prefetch_patients(
                reader, (v[c] for _, _, v in converted for c in patient_cols if c in v)
            )
        if self.fmt.name == "sales":
            ctx.resolver.prefetch_appointments(
                reader,
                (
                    v["appointment_external_id"]
                    for _, _, v in converted
                    if "appointment_external_id" in v
                ),
            )
        staged: dict[str, Staged] = {}
        for line, fields, values in converted:
            try:
                ext = external_id(self.fmt.name, values)
                row = builder(values, ctx)
            except RowError as err:
                ctx.warnings.clear()
                item.rejects.append(self._reject_entry(line, fields, err))
                continue
            except (ArithmeticError, ValueError, OSError) as exc:
                # A value that parsed but cannot be computed with (a date whose UTC instant or
                # end overflows): this row only.
                ctx.warnings.clear()
                item.rejects.append(self._unexpected(line, fields, exc))
                continue
            if ctx.warnings:
                for _column, code, _message in ctx.warnings:
                    item.warnings[code] += 1
                ctx.warnings.clear()
            previous = staged.pop(ext, None)
            if previous is not None:
                item.skipped["duplicate_row" if previous.row == row else "superseded_in_file"] += 1
            staged[ext] = Staged(line, ext, row)
        item.staged = list(staged.values())
        item.rejects.sort(key=lambda entry: entry.line)
        if self.fmt.name != "patients":
            item.links, ctx.resolver.new_links = ctx.resolver.new_links, []

    def _store(self, conn: Connection, item: Converted) -> None:
        """Classify and write one prepared batch, with its rejections and links."""
        result = self.result
        result.read += item.read
        rejects: list[dict[str, Any]] = []
        for entry in item.rejects:
            result.reject(self.file_name, entry.line, entry.column, entry.code, entry.reason)
            rejects.append(
                {
                    "file": self.file_name,
                    "line": entry.line,
                    "column": _storable(entry.column),
                    "reason": _storable(entry.reason),
                    "raw": _storable(self.delimiter.join(entry.fields)[:1000]),
                }
            )
        for code, count in item.skipped.items():
            result.skip(code, count)
        result.warnings_by_reason.update(item.warnings)
        if item.links:
            conn.execute(insert(t.external_link), item.links)
        if self.fmt.name == "patients":
            self._write_patients(conn, item.staged)
            self.ctx.resolver.flush_links(conn)
        else:
            self._write(conn, item.staged)
        write_rejects(conn, result.run_id, rejects)

    def _write(self, conn: Connection, staged: list[Staged]) -> None:
        if not staged:
            return
        result, source = self.result, self.result.source
        columns = list(staged[0].row)
        keys = [s.external_id for s in staged]
        written = self._known_new(conn)
        if written is not None:
            keys = [k for k in keys if k in written]
            written.update(s.external_id for s in staged)
            if len(written) > _WRITTEN_LIMIT:
                self._written = None  # bounded memory: look every key up from here on
        existing = existing_raw(conn, self.table, source, keys, columns)
        # Stored values come back as the driver returns them: encode ours the same way.
        encoders: list[Callable[[Any], Any] | None] = [
            _sqlite_encoder(self.table.c[c]) if conn.dialect.name == "sqlite" else None
            for c in columns
        ]
        to_write: list[dict[str, Any]] = []
        for item in staged:
            old = existing.get(item.external_id)
            if old is None:
                result.inserted += 1
            elif old == tuple(
                enc(item.row[c]) if enc else item.row[c]
                for c, enc in zip(columns, encoders, strict=True)
            ):
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            to_write.append({**item.row, "source": source, "external_id": item.external_id})
        if to_write:
            if self.upserter is None:
                self.upserter = Upserter(conn, self.table, list(to_write[0]))
            self.upserter.write(conn, to_write)

    def _known_new(self, conn: Connection) -> set[str] | None:
        """The external ids written so far when the import started on a table without rows of
        its source (checked once, on the writing connection), else None."""
        if not self._written_checked:
            self._written_checked = True
            table = self.table
            stored = conn.execute(
                select(table.c.id).where(table.c.source == self.result.source).limit(1)
            ).first()
            self._written = set() if stored is None else None
        return self._written

    def _write_patients(self, conn: Connection, staged: list[Staged]) -> None:
        """Own rows upsert as usual; new ones are matched to other systems' patients first."""
        if not staged:
            return
        result, source, resolver = self.result, self.result.source, self.ctx.resolver
        columns = list(staged[0].row)
        existing = existing_rows(conn, self.table, source, [s.external_id for s in staged], columns)
        resolver.prefetch_patients(conn, (s.external_id for s in staged if s.external_id))
        own = [s for s in staged if s.external_id in existing]
        linked = [
            s
            for s in staged
            if s.external_id not in existing and resolver.known_patient(s.external_id)
        ]
        linked_ids = {s.external_id for s in linked}
        fresh = [s for s in staged if s.external_id not in existing.keys() | linked_ids]
        self._write(conn, own)
        fills: list[tuple[int, dict[str, Any]]] = [
            (resolver.patient(s.external_id), s.row) for s in linked
        ]
        matches = find_matches(conn, source, [s.row for s in fresh])
        new_rows: list[Staged] = []
        for item, match in zip(fresh, matches, strict=True):
            if match.target is not None:
                result.matched += 1
                resolver.add_patient_link(item.external_id, match.target, match.matched_by or "")
                fills.append((match.target, item.row))
                continue
            if match.candidates:
                result.warnings_by_reason["ambiguous_match"] += 1
                result.ambiguous.append(
                    {
                        "line": item.line,
                        "external_id": item.external_id,
                        "candidates": [pseudonym(c) for c in match.candidates],
                    }
                )
            new_rows.append(item)
        self._write(conn, new_rows)
        if fills:
            pat = t.patient
            targets = sorted({target for target, _ in fills})
            current = {
                row.id: row for row in conn.execute(select(pat).where(pat.c.id.in_(targets)))
            }
            for target, incoming in fills:
                changes = fill_blanks(current[target], incoming)
                if changes:
                    conn.execute(update(pat).where(pat.c.id == target).values(**changes))
                    result.updated += 1
                    current[target] = conn.execute(select(pat).where(pat.c.id == target)).one()
                else:
                    result.unchanged += 1


_TABLE_ATTR = {
    "location": "location",
    "provider": "provider",
    "patient": "patient",
    "service": "service",
    "appointment": "appointment",
    "sale": "sale",
    "providershift": "provider_shift",
    "compensation": "compensation",
    "membership": "membership",
    "marketingspend": "marketing_spend",
    "lead": "lead",
}


def _storable(text: str | None) -> str | None:
    """Text of a rejected row as both databases store it: PostgreSQL text holds no NUL."""
    return None if text is None else text.replace("\x00", "\ufffd")


def _unstorable_text(values: dict[str, Any]) -> tuple[str, str, str] | None:
    """(column, code, reason) of a text value no database column may hold (a NUL character,
    over `MAX_CELL_CHARS`); CSV rows are checked cell by cell in `Mapper.check`."""
    for name, value in values.items():
        if isinstance(value, str):
            if "\x00" in value:
                return name, "nul_character", f"{name} holds a NUL character"
            if len(value) > MAX_CELL_CHARS:
                return name, "value_too_long", f"{name} is {len(value):,} characters long"
    return None


def piece_size(batch_size: int) -> int:
    """Rows handed from the reading to the writing thread at a time: `batch_size` split into
    equal pieces of at most `PIECE_ROWS`, so a transaction ends exactly on a batch boundary
    while memory depends on the piece, not the batch."""
    pieces = -(-batch_size // PIECE_ROWS)
    return -(-batch_size // pieces)


def _batches(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- entry point


def is_database_error(engine: Engine, exc: BaseException) -> bool:
    """A failure of the database itself (wrapped by SQLAlchemy or raised by the driver)."""
    return isinstance(exc, DBAPIError | engine.dialect.loaded_dbapi.Error)


def ingest_csv(
    engine: Engine,
    table: str,
    path: Path,
    *,
    preset: str | Preset | None = None,
    location: str | None = None,
    source: str | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_ROWS,
    now: datetime | None = None,
    default_timezone: str = "America/New_York",
    progress: ProgressCallback | None = None,
    bounds: Bounds | None = None,
) -> IngestResult:
    """Import one CSV file of `table` (a canonical format name) into the store.

    Raises `LayoutError` (nothing imported) when the file cannot be read as that table at all,
    and `IngestError` when the database fails part-way (earlier batches stay committed, the run
    is marked failed; running again resumes).
    """
    fmt = get_format(table)
    chosen = load_preset(preset) if isinstance(preset, str) else preset
    if chosen is None:
        chosen = canonical_preset(fmt.name)
    elif chosen.format != fmt.name:
        raise LayoutError(
            f"preset {chosen.name!r} maps {chosen.format}, not {fmt.name}; "
            f"run `clarity ingest {chosen.format} …`"
        )
    result = IngestResult(
        kind=fmt.name,
        path=str(path),
        source=source or chosen.source or DEFAULT_SOURCE,
        preset=None if chosen.name == "canonical" else chosen.name,
        dry_run=dry_run,
    )
    started = perf_counter()
    job = CsvImport(
        engine,
        fmt,
        chosen,
        Path(path),
        result,
        location=location,
        now=now or datetime.now(UTC),
        default_timezone=default_timezone,
        batch_size=batch_size,
        bounds=bounds or DEFAULT_BOUNDS,
    )
    # Millions of short-lived, acyclic row dicts would trigger the cyclic GC over and over.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        job.run(progress)
    except LayoutError:
        raise  # refused before anything was written
    except Exception as exc:
        if is_database_error(engine, exc):
            cause = exc.orig if isinstance(exc, DBAPIError) else exc
            result.error = f"database error after {result.read:,} rows: {cause}"
        elif isinstance(exc, csv.Error):
            result.error = f"{Path(path).name}: unreadable CSV after {result.read:,} rows: {exc}"
        else:
            result.error = f"{type(exc).__name__} after {result.read:,} rows: {exc}"
        result.seconds = perf_counter() - started
        finish_run(engine, result, "failed")
        if isinstance(exc, csv.Error) or is_database_error(engine, exc):
            raise IngestError(result.error, result) from exc
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    date_only_note(result, getattr(job, "ctx", None))
    result.seconds = perf_counter() - started
    finish_run(engine, result, "dry_run" if dry_run else "completed")
    return result


def date_only_note(result: IngestResult, ctx: Context | None) -> None:
    """Warn when every event time of the file was exactly midnight: the export probably holds
    dates only, and a midnight read in another zone (or as UTC) can move the local day."""
    if ctx is None or not ctx.times or ctx.midnights != ctx.times:
        return
    result.warnings_by_reason["times_all_midnight"] += ctx.times
    result.details.setdefault("notes", []).append(
        f"every event time in the file ({ctx.times:,}) is 00:00: the export may hold dates "
        "only; hours are then unknown, and if the midnights are UTC the local dates may be "
        "a day early"
    )


def show_rejects(engine: Engine, run_id: int, limit: int | None = None) -> list[dict[str, Any]]:
    """Rejected rows of a run, in file order."""
    rej = t.rejected_row
    query = (
        select(rej.c.file, rej.c.line, rej.c.column, rej.c.reason, rej.c.raw)
        .where(rej.c.ingest_run_id == run_id)
        .order_by(rej.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def get_run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.ingest_run).where(t.ingest_run.c.id == run_id)).first()
        if row is None:
            return None
        count = conn.execute(
            select(func.count())
            .select_from(t.rejected_row)
            .where(t.rejected_row.c.ingest_run_id == run_id)
        ).scalar_one()
    return {**dict(row._mapping), "rejected_rows": count}
