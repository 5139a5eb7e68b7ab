"""Apply a preset to a file's header: which canonical column comes from which source column(s),
and turn each raw row into canonical text values, then into typed values.

Refusing a layout happens here: a required canonical column that neither the preset nor the
header provides makes the whole file fail with a message naming it and what was looked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from store.ingest.csv_reader import MAX_CELL_CHARS, BadRecord, LayoutError
from store.ingest.formats import Format, Kind
from store.ingest.presets import ColumnSpec, Preset
from store.ingest.values import (
    ParseOptions,
    RowError,
    check_year,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_int,
    parse_money,
    parse_number,
    parse_timezone,
    vocab_key,
)

_FIELD = re.compile(r"\{([^{}]+)\}")


def split_name(full: str, part: str) -> str:
    """`"Lopez, Maya"` or `"Maya Lopez"` → first `Maya` / last `Lopez`."""
    if "," in full:
        last, _, first = full.partition(",")
    else:
        first, _, last = full.strip().rpartition(" ")
        if not first:
            first, last = last, ""
    return (first if part == "first" else last).strip()


def _name_part(index: int, part: str) -> Callable[[list[str]], str]:
    def read(fields: list[str]) -> str:
        return split_name(fields[index], part)

    return read


class Mapper:
    """Maps raw rows of one file (given its header) to canonical text values."""

    def __init__(
        self, fmt: Format, preset: Preset, header: list[str], *, provided: frozenset[str]
    ) -> None:
        self.format = fmt
        self.preset = preset
        self.header = header
        self.width = len(header)
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            index.setdefault(name.strip().casefold(), i)
        by_key: dict[str, int] = {}
        for i, name in enumerate(header):
            by_key.setdefault(vocab_key(name), i)
        self._plain: list[tuple[str, int]] = []
        self._computed: list[tuple[str, Callable[[list[str]], str]]] = []
        self.labels: dict[str, str] = {}
        used: set[int] = set()
        problems: list[str] = []
        for column in fmt.columns:
            spec = preset.columns.get(column.name)
            if spec is None:
                same = by_key.get(column.name)
                if same is not None:
                    self._plain.append((column.name, same))
                    self.labels[column.name] = header[same]
                    used.add(same)
                continue
            found = self._compile(column.name, spec, index, used)
            if isinstance(found, str):
                problems.append(found)
        self.present = frozenset(self.labels)
        available = self.present | provided
        missing = [c for c in fmt.required if c not in available]
        group_ok = not fmt.one_of or any(all(c in available for c in g) for g in fmt.one_of)
        if missing or not group_ok:
            parts = [self._describe(c) for c in missing]
            if not group_ok:
                parts.append(
                    "one of "
                    + " or ".join("+".join(self._describe(c) for c in g) for g in fmt.one_of)
                )
            detail = f" ({'; '.join(problems)})" if problems else ""
            raise LayoutError(
                f"missing required column(s) for {fmt.name}: {', '.join(parts)}{detail}; "
                f"the file has: {', '.join(h for h in header if h) or 'no columns'}"
            )
        self.ignored = [h for i, h in enumerate(header) if i not in used and h]

    def _describe(self, canonical: str) -> str:
        spec = self.preset.columns.get(canonical)
        if spec is None or not spec.columns:
            return canonical
        looked = " / ".join(repr(c) for c in spec.columns)
        return f"{canonical} (from {looked})"

    def _compile(
        self, name: str, spec: ColumnSpec, index: dict[str, int], used: set[int]
    ) -> str | None:
        """Register how `name` is read; returns a problem description when it cannot be."""
        if spec.value is not None:
            constant = spec.value
            self._computed.append((name, lambda _fields: constant))
            self.labels[name] = f"{name} (preset value)"
            return None
        if spec.template is not None:
            refs = _FIELD.findall(spec.template)
            positions: dict[str, int] = {}
            absent = [r for r in refs if r.strip().casefold() not in index]
            if absent:
                return f"{name}: template needs {', '.join(repr(a) for a in absent)}"
            for ref in refs:
                positions[ref] = index[ref.strip().casefold()]
                used.add(positions[ref])
            template = spec.template

            def render(fields: list[str]) -> str:
                values = {ref: fields[i].strip() for ref, i in positions.items()}
                if not any(values.values()):
                    return ""
                return _FIELD.sub(lambda m: values[m.group(1)], template).strip()

            self._computed.append((name, render))
            self.labels[name] = template
            return None
        for candidate in spec.columns:
            i = index.get(candidate.strip().casefold())
            if i is None:
                continue
            used.add(i)
            self.labels[name] = self.header[i]
            if spec.name_part is None:
                self._plain.append((name, i))
            else:
                self._computed.append((name, _name_part(i, spec.name_part)))
            return None
        return f"{name}: none of {', '.join(repr(c) for c in spec.columns)} in the header"

    def label(self, canonical: str | None) -> str | None:
        """The file's column a canonical column came from, for error messages."""
        if canonical is None:
            return None
        source = self.labels.get(canonical)
        if source is None or source == canonical:
            return canonical
        return f"{source} ({canonical})"

    def check(self, fields: list[str]) -> None:
        """Refuse a row whose cells cannot be stored: a csv error, a NUL character (PostgreSQL
        text cannot hold one, so SQLite must not either), a cell over `MAX_CELL_CHARS`."""
        if isinstance(fields, BadRecord):
            raise RowError(None, "unreadable_row", f"cannot read the row: {fields.error}")
        joined = "".join(fields)
        if len(joined) <= MAX_CELL_CHARS and "\x00" not in joined:
            return
        for i, cell in enumerate(fields):
            name = self.header[i] if i < self.width else f"field {i + 1}"
            if "\x00" in cell:
                raise RowError(name, "nul_character", f"{name} holds a NUL character")
            if len(cell) > MAX_CELL_CHARS:
                raise RowError(
                    name,
                    "value_too_long",
                    f"{name} is {len(cell):,} characters long (at most {MAX_CELL_CHARS:,})",
                )

    def map(self, fields: list[str]) -> dict[str, str]:
        """Canonical text values of one row (empty cells left out)."""
        self.check(fields)
        if len(fields) != self.width:
            if any("\n" in f or "\r" in f for f in fields):
                raise RowError(
                    None,
                    "unterminated_quote",
                    f"a quoted value opened in this row is not closed where expected: the "
                    f"record runs over the following line(s) and has {len(fields)} field(s) "
                    f"instead of {self.width}",
                )
            if len(fields) < self.width:
                fields = fields + [""] * (self.width - len(fields))
            elif any(f.strip() for f in fields[self.width :]):
                raise RowError(
                    None,
                    "ragged_row",
                    f"row has {len(fields)} fields but the header has {self.width} "
                    "(an unquoted delimiter inside a value?)",
                )
        out: dict[str, str] = {}
        for name, i in self._plain:
            value = fields[i].strip()
            if value:
                out[name] = value
        for name, compute in self._computed:
            value = compute(fields)
            if value:
                out[name] = value
        return out


_CACHE_LIMIT = 100_000


def _cached(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` remembering its results by cell text: timestamps, amounts and statuses repeat
    across a file, and a dict lookup costs a fraction of parsing. Values that fail are not
    remembered (they raise every time, with the same message). The memory is bounded: it
    starts afresh after `_CACHE_LIMIT` distinct texts."""
    memo: dict[str, Any] = {}

    def parse_cached(text: str) -> Any:
        found = memo.get(text, memo)
        if found is not memo:
            return found
        value = parse(text)
        if len(memo) >= _CACHE_LIMIT:
            memo.clear()
        memo[text] = value
        return value

    return parse_cached


class Converter:
    """Turns canonical text values into typed values (`Kind` of each column)."""

    def __init__(self, fmt: Format, options: ParseOptions) -> None:
        self.options = options
        self.required = tuple(c for c in fmt.required if c != "location_external_id")
        # Text columns need no parsing; only the others get a parser call.
        self._parsers: dict[str, Callable[[str], Any]] = {
            c.name: _cached(self._parser(c.name, c.kind, c.choices))
            for c in fmt.columns
            if c.kind is not Kind.text
        }

    def _parser(self, name: str, kind: Kind, choices: tuple[str, ...]) -> Callable[[str], Any]:
        options = self.options
        if kind is Kind.date:
            return lambda text: parse_date(text, options, name)
        if kind is Kind.datetime:

            def parse_dt(text: str) -> datetime:
                try:
                    value = datetime.fromisoformat(text)
                except ValueError:
                    return parse_datetime(text, options, name)
                check_year(value, text, name)
                return value

            return parse_dt
        if kind is Kind.money:
            return lambda text: parse_money(text, options, name)
        if kind is Kind.integer:
            return lambda text: parse_int(text, name)
        if kind is Kind.number:
            return lambda text: parse_number(text, options, name)
        if kind is Kind.boolean:
            return lambda text: parse_bool(text, name)
        if kind is Kind.choice:
            return lambda text: parse_choice(text, options, name, choices)
        if kind is Kind.timezone:
            return lambda text: parse_timezone(text, options, name)
        return str

    def convert(self, text: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = dict(text)
        for name, parse in self._parsers.items():
            if name in values:
                values[name] = parse(values[name])
        for name in self.required:
            if name not in values:
                raise RowError(name, "missing_value", f"{name} is empty")
        return values


def as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
