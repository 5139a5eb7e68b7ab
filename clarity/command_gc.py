"""Garbage-collector settings for one `clarity` command: a short-lived process.

A command that writes a briefing imports ~1,500 modules (LangGraph, SQLAlchemy, matplotlib,
numpy) and allocates millions of objects that live until it exits, almost none of them in
reference cycles. With CPython's default thresholds (700, 10, 10) the cyclic collector ran
over that growing heap again and again: 0.3 s of a location briefing's 1.4 s of imports. At
exit, finalization collected the whole heap once more (0.4 s) just before the operating system
reclaimed the memory anyway. Measured with `python -m bench briefing` on the demo practice.

- `tune()`: a young-generation threshold of `YOUNG_THRESHOLD` allocations (older generations
  `OLDER_THRESHOLDS`), so collections are rarer while cycles are still reclaimed;
- `freeze()`: moves every object to the permanent generation before the process ends, so
  finalization does not walk them. Files, logging and temporary directories are flushed and
  removed by their own exit hooks, which do not depend on the cyclic collector.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
OLDER_THRESHOLDS = (20, 100)


def tune() -> None:
    """Collect less often for the rest of the process (module docstring)."""
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)


def freeze() -> None:
    """Leave the heap to the operating system at exit (module docstring)."""
    gc.freeze()
