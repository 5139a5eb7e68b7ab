"""Deterministic generator of the demo practice (`clarity demo build --seed N`).

One organization, three locations in two time zones, twelve providers, ~15,000 patients and
24 months of appointments, sales, shifts, payroll, memberships, marketing spend and leads,
ending on `as_of` with 30 days of already-booked appointments after it.

The data is a snapshot taken at the end of `as_of`: nothing booked after that moment exists,
appointments up to `as_of` carry their final status, later ones are `booked`.

Behaviour is shaped to look like a real medspa (seasonality, day of week, a VIP top decile,
no-shows, rebooking at checkout) and contains *planted patterns* that the tools must find. They
are described in the manifest returned by `build_demo` (also written to
`VAR_DIR/demo_manifest.json` and recorded in the `demo.build` audit event), each with kind,
scope ids, period and expected direction.

Same seed and config → the same rows, byte for byte (see `demo_digest`).

Modules, by domain: `config` (DemoConfig), `ingredients` and `names` (static data), `world`
(the state one build shares), `catalog`, `patients` (with `consent`: contact data and
messaging consent, shares documented there), `visits`, `sales` (with memberships), `payroll`
(with shifts), `marketing`, `planted`, and `build` (orchestration, writing to a database, the
manifest).
"""

from store.demo.build import (
    DEMO_TABLES,
    DemoExistsError,
    ProgressCallback,
    build_demo,
    clear_all,
    demo_digest,
    generate_rows,
    load_manifest,
    write_manifest,
)
from store.demo.config import DEFAULT_AS_OF, DEMO_SOURCE, DemoConfig

__all__ = [
    "DEFAULT_AS_OF",
    "DEMO_SOURCE",
    "DEMO_TABLES",
    "DemoConfig",
    "DemoExistsError",
    "ProgressCallback",
    "build_demo",
    "clear_all",
    "demo_digest",
    "generate_rows",
    "load_manifest",
    "write_manifest",
]
