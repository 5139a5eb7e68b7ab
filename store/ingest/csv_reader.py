"""Streaming CSV reading: encoding and BOM detection, delimiter sniffing, physical line numbers.

The file is read row by row through `csv.reader` over a text stream, so memory does not depend
on file size. Before any row is handed out, the whole file is checked to decode in the chosen
encoding (a fast pass over raw chunks), so a file in the wrong encoding is refused as a whole
instead of failing halfway through an import.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DELIMITERS = (",", ";", "\t", "|")
MAX_CELL_CHARS = 10_000
"""Longest cell imported; a longer one (a 10 MB field) costs its row, not the file."""
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
# The csv module's own limit (131,072 by default) raises mid-file; above ours the row is
# rejected with its column. Beyond 64 MiB the csv error itself becomes the row's rejection.
csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
_CHUNK = 1 << 20
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class LayoutError(ValueError):
    """The file as a whole cannot be imported (empty, wrong encoding, missing columns)."""


class BadRecord(list[str]):
    """A record the csv module could not read (its `error`); rejected as one row."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


@dataclass
class CsvFile:
    """An open CSV: its header and an iterator of `(line, fields)` from the first data row.

    `line` is the physical line where the record starts (quoted newlines span several lines).
    `bytes_read()` reports progress through the raw file.
    """

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    size: int
    _text: io.TextIOWrapper
    _raw: io.BufferedReader
    _reader: Any = field(repr=False)
    _header_end_line: int = 1

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        offset = self._header_end_line
        previous = 0
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The reader resumes at the next physical line.
                start = offset + previous + 1
                previous = reader.line_num
                yield start, BadRecord(str(exc))
                continue
            start = offset + previous + 1
            previous = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            yield start, fields

    def bytes_read(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return self.size

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def detect_encoding(head: bytes, declared: str | None) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return declared or "utf-8"


def check_decodes(path: Path, encoding: str) -> None:
    """Refuse the file unless every byte decodes in `encoding`; names the offending offset."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as raw:
        while chunk := raw.read(_CHUNK):
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                bad = chunk[exc.start : exc.start + 1]
                raise LayoutError(
                    f"{path.name}: not {encoding} text (byte 0x{bad.hex()} at offset "
                    f"{offset + exc.start}); save the export as UTF-8 or set the preset's "
                    "`encoding` (e.g. cp1252)"
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise LayoutError(
                f"{path.name}: not {encoding} text (truncated character at the end)"
            ) from None


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header line (outside quotes)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_csv(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    skip_lines: int = 0,
) -> CsvFile:
    """Open `path` for streaming; raises `LayoutError` for missing, empty or undecodable files."""
    if not path.is_file():
        raise LayoutError(f"{path}: no such file")
    size = path.stat().st_size
    with path.open("rb") as probe:
        head = probe.read(64 * 1024)
    chosen = detect_encoding(head, encoding)
    try:
        codecs.lookup(chosen)
    except LookupError:
        raise LayoutError(f"{path.name}: unknown encoding {chosen!r}") from None
    check_decodes(path, chosen)
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=chosen, newline="")
    for _ in range(skip_lines):
        text.readline()
    first = text.readline()
    header_line = 1 + skip_lines
    while first and not first.strip():
        first = text.readline()
        header_line += 1
    if not first.strip():
        text.close()
        raise LayoutError(f"{path.name}: the file is empty (no header row)")
    sep = delimiter or sniff_delimiter(first)
    # Re-read the header through the csv module so quoted names are handled, then keep going.
    header_reader = csv.reader(io.StringIO(first), delimiter=sep)
    header = [name.strip() for name in next(header_reader)]
    if not any(header):
        text.close()
        raise LayoutError(f"{path.name}: the header row is blank")
    reader = csv.reader(text, delimiter=sep)
    return CsvFile(
        path=path,
        encoding=chosen,
        delimiter=sep,
        header=header,
        size=size,
        _text=text,
        _raw=raw,
        _reader=reader,
        _header_end_line=header_line,
    )
