from __future__ import annotations

from pathlib import Path

import pytest

from store.ingest.csv_reader import LayoutError, open_csv, sniff_delimiter
from tests.store.ingest.conftest import write


def test_bom_semicolon_and_quoted_newlines_keep_physical_line_numbers(tmp_path: Path) -> None:
    text = 'id;note\n1;"two\nlines"\n2;plain\n\n3;last\n'
    path = write(tmp_path, "x.csv", text, bom=True)
    with open_csv(path) as csv_file:
        assert csv_file.encoding == "utf-8-sig"
        assert csv_file.delimiter == ";"
        assert csv_file.header == ["id", "note"]  # BOM not glued to the first name
        got = list(csv_file.rows())
    # line 1 header; record "1" spans lines 2-3; "2" on line 4; blank line 5; "3" on line 6
    assert got == [(2, ["1", "two\nlines"]), (4, ["2", "plain"]), (6, ["3", "last"])]


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("a,b\n1,é\n".encode("utf-16"))
    with open_csv(path) as csv_file:
        assert list(csv_file.rows()) == [(2, ["1", "é"])]


def test_wrong_encoding_is_refused_with_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name\nRenée\n".encode("latin-1"))  # é = 0xe9, at offset 5 + 3 = 8
    with pytest.raises(LayoutError) as err:
        open_csv(path)
    assert "latin1.csv" in str(err.value) and "0xe9" in str(err.value)
    assert "offset 8" in str(err.value)
    with open_csv(path, encoding="cp1252") as csv_file:  # a preset can declare it
        assert list(csv_file.rows()) == [(2, ["Renée"])]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(LayoutError, match=r"empty\.csv: the file is empty"):
        open_csv(path)


def test_delimiter_sniffing_ignores_quoted_delimiters() -> None:
    assert sniff_delimiter('"a,b";c;d\n') == ";"
    assert sniff_delimiter("a\tb\tc\n") == "\t"
    assert sniff_delimiter("single\n") == ","
