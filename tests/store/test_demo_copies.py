"""`DemoConfig(location_copies=N)`: a bigger practice for benchmarks, default output untouched."""

from __future__ import annotations

from collections import Counter

from store.demo import DemoConfig, generate_rows


def test_copies_replicate_locations_and_providers_without_plants() -> None:
    single, _ = generate_rows(DemoConfig(seed=3, patients=600))
    explicit, _ = generate_rows(DemoConfig(seed=3, patients=600, location_copies=1))
    assert explicit == single  # the option's default changes nothing
    rows, manifest = generate_rows(DemoConfig(seed=3, patients=1200, location_copies=2))
    names = [loc["name"] for loc in rows["location"]]
    assert names == [
        "Back Bay",
        "Greenwich",
        "Austin Domain",
        "Back Bay 2",
        "Greenwich 2",
        "Austin Domain 2",
    ]
    assert len(rows["provider"]) == 2 * len(single["provider"])
    ids = [p["external_id"] for p in rows["provider"]]
    assert len(set(ids)) == len(ids)
    # Every location gets patients; planted patterns stay on the original three locations.
    homes = Counter(p["home_location_id"] for p in rows["patient"])
    assert set(homes) == {1, 2, 3, 4, 5, 6}
    located = [p["location_id"] for p in manifest["patterns"] if p.get("location_id")]
    assert located and all(lid <= 3 for lid in located)
    assert sum(1 for p in manifest["patterns"] if p["kind"] == "rebooking_drop") == 1
