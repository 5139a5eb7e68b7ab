"""Generate `evals/datasets/briefing.jsonl` and `outreach.jsonl` (run: `python -m
evals.generate_datasets`). Deterministic: the same code gives the same files.

- briefing: a small demo practice (seed 11, 1,500 patients) on a throw-away SQLite file; the
  tools gather each scope (the organization and every location) on several days and `rank`
  makes the outline. Each case is the writer's input (`Outline` + `Gathered`) plus hand-written
  adversarial cases (`evals.adversarial`): hostile names, missing data, a day where nothing
  changed.
- outreach: patient situations built from the candidate fact shapes of `agent.outreach
  .candidates` (purpose × channel × consent), plus adversarial ones.

Patients appear in the briefing inputs only as pseudonyms; no name, phone or e-mail is written.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from evals.adversarial import briefing_adversarial, outreach_cases

DATASETS = Path(__file__).resolve().parent / "datasets"
DATASET_VERSION = 1
DEMO_SEED, DEMO_PATIENTS = 11, 1500
DAYS_BACK = (0, 7, 28, 91)


def _write(path: Path, cases: list[dict[str, Any]]) -> None:
    lines = [json.dumps(case, sort_keys=True, default=str) for case in cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pruned(gathered: Any) -> Any:
    """`gathered` without chart series and raw candidates (the writers read the outline and
    the facts only): keeps the dataset small. Every fact stays — the verifier grounds numbers
    in all of them (benchmark ranges quoted in a title are facts the outline does not cite)."""
    return gathered.model_copy(update={"series": {}, "candidates": [], "at_risk": []})


def briefing_from_demo() -> list[dict[str, Any]]:
    """Writer inputs gathered from a small demo practice."""
    from sqlalchemy import create_engine, select
    from sqlmodel import SQLModel

    import store.models  # noqa: F401  (registers the tables)
    from agent.briefing.gather_tools import ToolsGatherer
    from agent.briefing.rank import rank
    from store import tables as t
    from store.demo import DemoConfig, build_demo

    cases: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/demo.db")
        SQLModel.metadata.create_all(engine)
        config = DemoConfig(seed=DEMO_SEED, patients=DEMO_PATIENTS)
        build_demo(engine, config)
        with engine.connect() as connection:
            org_id = connection.execute(select(t.organization.c.id)).scalar_one()
            locations = list(connection.execute(select(t.location.c.id)).scalars())
        gatherer = ToolsGatherer(persist=False)
        for back in DAYS_BACK:
            day = config.as_of - timedelta(days=back)
            for location_id in [None, *locations]:
                gathered = gatherer(
                    engine, organization_id=org_id, location_id=location_id, as_of=day
                )
                outline, gathered = rank(gathered)
                gathered = _pruned(gathered)
                scope = "org" if location_id is None else f"loc{location_id}"
                cases.append(
                    {
                        "id": f"demo-{scope}-{day.isoformat()}",
                        "version": DATASET_VERSION,
                        "tags": ["demo", scope],
                        "input": {
                            "outline": outline.model_dump(mode="json"),
                            "gathered": gathered.model_dump(mode="json"),
                        },
                        "expect": {"max_points": 5, "verifies": True},
                    }
                )
        engine.dispose()
    return cases


def main() -> None:
    demo = briefing_from_demo()
    _write(DATASETS / "briefing.jsonl", demo + briefing_adversarial(date(2026, 11, 24)))
    _write(DATASETS / "outreach.jsonl", outreach_cases())


if __name__ == "__main__":
    main()
