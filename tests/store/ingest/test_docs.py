"""docs/import.md documents exactly the columns the code accepts."""

from __future__ import annotations

import re
from pathlib import Path

from store.ingest.formats import FORMATS
from store.ingest.presets import available_presets

DOC = Path(__file__).resolve().parents[3] / "docs" / "import.md"


def documented_columns() -> dict[str, set[str]]:
    """Canonical format sections (`### <format>`) and the column names of their tables."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split("## Canonical formats", 1)[1].split("\n## ", 1)[0]
    sections: dict[str, set[str]] = {}
    for block in re.split(r"^### ", body, flags=re.M)[1:]:
        name, _, rest = block.partition("\n")
        sections[name.strip()] = set(re.findall(r"^\| `([a-z_]+)` \|", rest, flags=re.M))
    return sections


def test_every_format_is_documented_and_nothing_else() -> None:
    assert set(documented_columns()) == set(FORMATS)


def test_documented_columns_equal_accepted_columns() -> None:
    documented = documented_columns()
    for name, fmt in FORMATS.items():
        accepted = set(fmt.column_names)
        assert documented[name] == accepted, (
            f"{name}: undocumented {sorted(accepted - documented[name])}, "
            f"documented but not accepted {sorted(documented[name] - accepted)}"
        )


def test_every_preset_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in available_presets():
        assert f"`{name}`" in text
