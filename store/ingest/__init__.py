"""Importing practice data: canonical CSV formats, mapping presets for real exports, FHIR R4.

Entry points: `ingest_csv(engine, table, path, ...)` and `ingest_fhir(engine, path, ...)`, both
returning an `IngestResult`; `show_rejects(engine, run_id)` lists a run's rejected rows.
"""

from store.ingest.csv_reader import LayoutError
from store.ingest.fhir import ingest_fhir
from store.ingest.loader import IngestError, IngestResult, get_run, ingest_csv, show_rejects

__all__ = [
    "IngestError",
    "IngestResult",
    "LayoutError",
    "get_run",
    "ingest_csv",
    "ingest_fhir",
    "show_rejects",
]
