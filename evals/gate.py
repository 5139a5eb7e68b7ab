"""The eval gate: compare a candidate run with a baseline run (thresholds in `evals/gate.toml`).

Exit codes: 0 pass; 1 regression (pass rate below the minimum or dropped more than allowed,
or more cases newly failing than allowed); 2 error (a run could not be read, different suites,
or more cases errored than allowed); 3 incomplete (the candidate lacks cases of the baseline).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GATE_CONFIG = Path(__file__).resolve().parent / "gate.toml"
PASS, REGRESSION, ERROR, INCOMPLETE = 0, 1, 2, 3


@dataclass(frozen=True)
class Thresholds:
    min_pass_rate: float = 0.0
    max_pass_rate_drop: float = 0.0
    max_new_failures: int = 0
    max_errors: int = 0


@dataclass
class GateResult:
    code: int
    reasons: list[str] = field(default_factory=list)


def thresholds(suite: str, config: Path = GATE_CONFIG) -> Thresholds:
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    values: dict[str, Any] = {**data.get("default", {}), **data.get("suite", {}).get(suite, {})}
    known = Thresholds.__dataclass_fields__
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"{config}: unknown threshold(s) {', '.join(unknown)}")
    return Thresholds(**values)


def gate(candidate: dict[str, Any], baseline: dict[str, Any], limits: Thresholds) -> GateResult:
    if candidate["suite"] != baseline["suite"]:
        return GateResult(ERROR, [f"suites differ: {candidate['suite']} vs {baseline['suite']}"])
    if candidate.get("errors", 0) > limits.max_errors:
        return GateResult(ERROR, [f"{candidate['errors']} case(s) errored"])
    now = {r["id"]: r for r in candidate["results"]}
    before = {r["id"]: r for r in baseline["results"]}
    missing = sorted(set(before) - set(now))
    if missing:
        return GateResult(INCOMPLETE, [f"missing case(s): {', '.join(missing[:10])}"])
    reasons = []
    rate, base = candidate["pass_rate"], baseline["pass_rate"]
    if rate < limits.min_pass_rate:
        reasons.append(f"pass rate {rate:.1%} below the minimum {limits.min_pass_rate:.1%}")
    if base - rate > limits.max_pass_rate_drop + 1e-9:
        reasons.append(f"pass rate {rate:.1%} dropped from {base:.1%}")
    newly = sorted(cid for cid, r in before.items() if r["passed"] and not now[cid]["passed"])
    if len(newly) > limits.max_new_failures:
        reasons.append(f"{len(newly)} case(s) newly failing: {', '.join(newly[:10])}")
    return GateResult(REGRESSION if reasons else PASS, reasons)
