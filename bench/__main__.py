"""`make bench`: run every benchmark module in this package and print its figures.

Each module `bench/<name>.py` exposes `run() -> None` that prints its own figures against the
targets in the issues. `python -m bench NAME …` runs only those.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from time import perf_counter

import bench


def main(selected: list[str]) -> int:
    names = sorted(
        info.name for info in pkgutil.iter_modules(bench.__path__) if not info.name.startswith("_")
    )
    unknown = set(selected) - set(names)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}")
        return 2
    for name in selected or names:
        print(f"== {name}")
        started = perf_counter()
        importlib.import_module(f"bench.{name}").run()
        print(f"   ({perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
