"""Mapping presets: YAML files that describe how a real export maps to a canonical format.

A preset is data, not code. Built-in presets live in `store/ingest/presets/*.yaml`; a user adds
one by dropping a YAML file there or passing its path to `--preset`. Keys (see docs/import.md):

    name: square_items            # defaults to the file name
    format: sales                 # canonical format the rows become
    description: ...
    source: square                # default `source` of imported rows
    encoding: utf-8               # optional; BOMs are always honoured
    delimiter: ","                # optional; sniffed from the header otherwise
    skip_lines: 0                 # title lines before the header (Google Ads reports)
    decimal_comma: false          # "1.234,50" style amounts
    phone_region: US              # for phone numbers without a country code
    date_formats: ["%m/%d/%Y"]    # tried after ISO 8601, in order
    datetime_formats: ["%m/%d/%Y %I:%M %p"]
    timezones: {"Pacific Time (US & Canada)": America/Los_Angeles}
    columns:                      # canonical column: how to get it from the export
      external_id: Transaction ID           # a column
      net: [Net Sales, Net]                 # the first of these present in the file
      paid_at: {template: "{Date} {Time}"}  # several columns joined
      channel: {value: meta_ads}            # a constant
      first_name: {column: Employee, name_part: first}   # "Lopez, Maya" or "Maya Lopez"
    values:                       # vocabularies, per canonical column
      status: {"Checked Out": completed, "NS": no_show}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from store.ingest.csv_reader import LayoutError
from store.ingest.formats import FORMATS, get_format
from store.ingest.values import ParseOptions, vocab_key

PRESET_DIR = Path(__file__).parent / "presets"


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical column is read: exactly one of the fields is set."""

    columns: tuple[str, ...] = ()
    template: str | None = None
    value: str | None = None
    name_part: str | None = None


@dataclass(frozen=True)
class Preset:
    name: str
    format: str
    description: str = ""
    source: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    skip_lines: int = 0
    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    options: ParseOptions = field(default_factory=ParseOptions)
    path: Path | None = None


class PresetError(LayoutError):
    """A preset file is malformed; the message names the file and key."""


def _spec(where: str, raw: Any) -> ColumnSpec:
    if isinstance(raw, str):
        return ColumnSpec(columns=(raw,))
    if isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
        return ColumnSpec(columns=tuple(raw))
    if isinstance(raw, dict):
        if "template" in raw:
            return ColumnSpec(template=str(raw["template"]))
        if "value" in raw:
            return ColumnSpec(value=str(raw["value"]))
        if "name_part" in raw and "column" in raw:
            part = str(raw["name_part"])
            if part not in ("first", "last"):
                raise PresetError(f"{where}: name_part must be first or last, got {part!r}")
            column = raw["column"]
            names = (column,) if isinstance(column, str) else tuple(column)
            return ColumnSpec(columns=names, name_part=part)
    raise PresetError(
        f"{where}: expected a column name, a list of names, or one of "
        "{template: ...}, {value: ...}, {column: ..., name_part: first|last}"
    )


def parse_preset(data: Any, *, default_name: str, path: Path | None = None) -> Preset:
    """Validate a preset's YAML content; raises `PresetError` naming the problem."""
    where = str(path or default_name)
    if not isinstance(data, dict):
        raise PresetError(f"{where}: a preset is a YAML mapping")
    fmt_name = data.get("format")
    try:
        fmt = get_format(str(fmt_name))
    except KeyError as exc:
        raise PresetError(f"{where}: format: {exc.args[0]}") from None
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        raise PresetError(f"{where}: columns must be a mapping of canonical name → source")
    columns: dict[str, ColumnSpec] = {}
    for canonical, raw in raw_columns.items():
        if canonical not in fmt.column_names:
            raise PresetError(
                f"{where}: columns: {canonical!r} is not a column of {fmt.name} "
                f"({', '.join(fmt.column_names)})"
            )
        columns[canonical] = _spec(f"{where}: columns.{canonical}", raw)
    vocabulary: dict[str, dict[str, str]] = {}
    for canonical, mapping in (data.get("values") or {}).items():
        if not isinstance(mapping, dict):
            raise PresetError(f"{where}: values.{canonical} must map source value → canonical")
        vocabulary[str(canonical)] = {vocab_key(str(k)): str(v) for k, v in mapping.items()}
    options = ParseOptions(
        date_formats=tuple(str(x) for x in data.get("date_formats") or ()),
        datetime_formats=tuple(str(x) for x in data.get("datetime_formats") or ()),
        decimal_comma=bool(data.get("decimal_comma", False)),
        phone_region=str(data.get("phone_region", "US")),
        vocabulary=vocabulary,
        timezones={str(k): str(v) for k, v in (data.get("timezones") or {}).items()},
    )
    return Preset(
        name=str(data.get("name") or default_name),
        format=fmt.name,
        description=str(data.get("description") or "").strip(),
        source=str(data["source"]) if data.get("source") else None,
        encoding=str(data["encoding"]) if data.get("encoding") else None,
        delimiter=str(data["delimiter"]) if data.get("delimiter") else None,
        skip_lines=int(data.get("skip_lines") or 0),
        columns=columns,
        options=options,
        path=path,
    )


def load_preset_file(path: Path) -> Preset:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PresetError(f"{path}: cannot read preset ({exc})") from None
    return parse_preset(data, default_name=path.stem, path=path)


def available_presets(directory: Path = PRESET_DIR) -> dict[str, Preset]:
    """Every preset file in `directory`, by name."""
    presets: dict[str, Preset] = {}
    for file in sorted(directory.glob("*.y*ml")):
        preset = load_preset_file(file)
        presets[preset.name] = preset
    return presets


def load_preset(name_or_path: str, directory: Path = PRESET_DIR) -> Preset:
    """A preset by name (from `directory`) or by path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return load_preset_file(candidate)
    presets = available_presets(directory)
    if name_or_path in presets:
        return presets[name_or_path]
    raise PresetError(
        f"unknown preset {name_or_path!r}; available: {', '.join(sorted(presets)) or 'none'}"
    )


def canonical_preset(table: str) -> Preset:
    """The identity mapping: the file already uses the canonical column names."""
    fmt = FORMATS[get_format(table).name]
    return Preset(name="canonical", format=fmt.name, columns={})
