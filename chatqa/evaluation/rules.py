"""Rules that turn metrics and findings into a proposed level for one criterion.

A rule is registered by name in the ``rules`` registry and called as
``rule(criterion_id, criterion, grid, metrics, findings) -> Proposal``. The grid says which rule
each criterion uses: ``rule = "thresholds"`` or ``rule = "na"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import catalogue

from chatqa.errors import Errors, GridError
from chatqa.evaluation.form import Evidence, Proposal
from chatqa.evaluation.grid import NA, Criterion, Grid, MetricBands
from chatqa.model import Finding

rules = catalogue.create("chatqa", "rules", entry_points=True)


def get_rule(name: str):
    """Return the rule registered as ``name``, or raise E304 listing the others."""
    try:
        return rules.get(name)
    except catalogue.RegistryError:
        raise GridError(
            Errors.E304.format(name=name, available=sorted(rules.get_all()))
        ) from None


def _finding_evidence(criterion: Criterion, findings: Sequence[Finding]) -> tuple[Evidence, ...]:
    wanted = set(criterion.evidence_codes)
    return tuple(
        Evidence(
            kind="finding",
            name=f.code,
            message_index=f.message_index,
            start=f.start,
            end=f.end,
            text=f.text,
        )
        for f in findings
        if f.code in wanted
    )


@rules.register("na")
def not_applicable(
    criterion_id: str,
    criterion: Criterion,
    grid: Grid,
    metrics: Mapping[str, float],
    findings: Sequence[Finding],
) -> Proposal:
    """Propose ``na`` with the grid's reason (a criterion no analyzer measures yet)."""
    return Proposal(criterion_id, NA, 1.0, (), criterion.reason or "not measured", "na")


def _band_level(mb: MetricBands, value: float) -> str | None:
    for level, (lower, upper) in mb.bands.items():
        if lower <= value < upper:
            return level
    return None


def _edge_confidence(mb: MetricBands, value: float) -> float:
    """0.5 on an edge between two bands, rising to 1 at ``soft_margin`` from it."""
    edges = {lo for lo, _ in mb.bands.values()} & {hi for _, hi in mb.bands.values()}
    edges = {e for e in edges if math.isfinite(e)}
    if not edges:
        return 1.0
    nearest = min(edges, key=lambda e: abs(value - e))
    margin = mb.soft_margin if mb.soft_margin is not None else max(1.0, 0.1 * abs(nearest))
    if margin == 0:  # counts: 1 broken hold is no closer a call than 3
        return 1.0
    return 0.5 + 0.5 * min(1.0, abs(value - nearest) / margin)


@rules.register("thresholds")
def thresholds(
    criterion_id: str,
    criterion: Criterion,
    grid: Grid,
    metrics: Mapping[str, float],
    findings: Sequence[Finding],
) -> Proposal:
    """Propose the worst level over the criterion's metric bands.

    NaN metrics are left out; when none is defined, or ``applicable_if`` does not hold, the
    proposal is ``na`` with the reason. Confidence is the lowest edge confidence of the metrics
    used: a value close to a band edge could flip the level.
    """
    cond = criterion.applicable_if
    if cond is not None:
        value = float(metrics.get(cond.metric, math.nan))
        if not cond.holds(value):
            ev = (Evidence("metric", cond.metric, value),) if not math.isnan(value) else ()
            reason = criterion.na_reason or f"{cond.metric} outside its applicable range"
            return Proposal(criterion_id, NA, 1.0, ev, reason, "thresholds")
    found: list[tuple[str, float, Evidence]] = []
    undefined: list[str] = []
    for mb in criterion.metrics:
        value = float(metrics.get(mb.name, math.nan))
        level = None if math.isnan(value) else _band_level(mb, value)
        if level is None:
            undefined.append(mb.name)
            continue
        found.append((level, _edge_confidence(mb, value), Evidence("metric", mb.name, value)))
    if not found:
        reason = f"no value for {', '.join(undefined)}" if undefined else "no metric in the rule"
        return Proposal(criterion_id, NA, 1.0, (), reason, "thresholds")
    worst = min(found, key=lambda t: grid.level_rank(t[0]))[0]
    confidence = round(min(c for _, c, _ in found), 2)
    decisive = [str(e) for lvl, _, e in found if lvl == worst]
    reason = f"{worst} by {', '.join(decisive)}"
    evidence = tuple(e for _, _, e in found) + _finding_evidence(criterion, findings)
    return Proposal(criterion_id, worst, confidence, evidence, reason, "thresholds")


def propose_form_levels(
    grid: Grid, metrics: Mapping[str, float], findings: Sequence[Finding]
) -> dict[str, Proposal]:
    """Apply each criterion's rule, in grid order."""
    return {
        cid: get_rule(crit.rule)(cid, crit, grid, metrics, findings)
        for cid, crit in grid.criteria.items()
    }
