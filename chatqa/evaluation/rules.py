"""Rules that turn metrics and findings into a proposed level for one criterion.

A rule is registered by name in the ``rules`` registry and called as
``rule(criterion_id, criterion, grid, metrics, findings) -> Proposal``. The grid says which rule
each criterion uses:

- ``na``: ``na`` with the grid's reason (a criterion nothing measures yet);
- ``thresholds``: the worst level over bands on metrics;
- ``weighted_score``: bands on a score, ``Σ weight × value`` over metrics and findings
  (weights per code, code family or severity), optionally per 100 words;
- ``model``: the level a roll-up model fitted on confirmed forms predicts
  (:mod:`chatqa.evaluation.rollup`), its max probability as the confidence.

The measuring rules first check ``applicable_if`` (:func:`not_applicable_proposal`), and never
give a level from nothing: a NaN input makes a band rule's proposal ``na`` with a reason naming
it, never the best level (a model imputes a missing metric, but is ``na`` when all are).
:func:`propose_form_levels` adds each level's points from the grid.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

import catalogue

from chatqa.errors import Errors, GridError
from chatqa.evaluation.form import Evidence, Proposal
from chatqa.evaluation.grid import NA, Criterion, Grid
from chatqa.model import Finding

rules = catalogue.create("chatqa", "rules", entry_points=True)


def get_rule(name: str):
    """Return the rule registered as ``name``, or raise E304 listing the others."""
    # a rule registered in this process is a dict lookup; only an unknown name pays for
    # catalogue's scan of the installed packages' entry points
    registered = catalogue.REGISTRY.get((*rules.namespace, name))
    if registered is not None:
        return registered
    try:
        return rules.get(name)
    except catalogue.RegistryError:
        raise GridError(
            Errors.E304.format(name=name, available=sorted(rules.get_all()))
        ) from None


def _finding_evidence(
    criterion: Criterion, findings: Sequence[Finding], codes: set[str] | None = None
) -> tuple[Evidence, ...]:
    wanted = set(criterion.evidence_codes) if codes is None else codes
    return tuple(_evidence_of(f) for f in findings if f.code in wanted)


def _evidence_of(f: Finding) -> Evidence:
    return Evidence(kind="finding", name=f.code, message_index=f.message_index, start=f.start,
                    end=f.end, text=f.text)


def not_applicable_proposal(
    criterion_id: str, criterion: Criterion, metrics: Mapping[str, float], rule: str
) -> Proposal | None:
    """``na`` with the failing condition's reason when ``applicable_if`` does not hold.

    Rules call it first; a third-party rule can too. None when the criterion applies.
    """
    if criterion.applicable_if is None:
        return None
    failed = criterion.applicable_if.unmet(metrics, criterion.na_reason)
    if failed is None:
        return None
    reason, values = failed
    evidence = tuple(
        Evidence("metric", name, value) for name, value in values.items() if not math.isnan(value)
    )
    return Proposal(criterion_id, NA, 1.0, evidence, reason, rule)


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


def band_level(bands: Mapping[str, tuple[float, float]], value: float) -> str | None:
    """The level whose band ``[lower, upper)`` holds ``value``; None in none (or NaN)."""
    for level, (lower, upper) in bands.items():
        if lower <= value < upper:
            return level
    return None


def edge_confidence(
    bands: Mapping[str, tuple[float, float]], soft_margin: float | None, value: float
) -> float:
    """0.5 on an edge between two bands, rising to 1 at ``soft_margin`` from it.

    The default margin is 10 % of the edge, at least 1; 0 makes every value a sure call.
    """
    edges = {lo for lo, _ in bands.values()} & {hi for _, hi in bands.values()}
    edges = {e for e in edges if math.isfinite(e)}
    if not edges:
        return 1.0
    nearest = min(edges, key=lambda e: abs(value - e))
    margin = soft_margin if soft_margin is not None else max(1.0, 0.1 * abs(nearest))
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

    NaN metrics are left out; when none is defined (a ``cap`` metric alone does not count), or
    ``applicable_if`` does not hold, the proposal is ``na`` with the reason. Confidence is the
    lowest edge confidence of the metrics used: a value close to a band edge could flip the
    level.
    """
    na = not_applicable_proposal(criterion_id, criterion, metrics, "thresholds")
    if na is not None:
        return na
    found: list[tuple[str, float, Evidence]] = []
    undefined: list[str] = []
    for mb in criterion.metrics:
        value = float(metrics.get(mb.name, math.nan))
        level = None if math.isnan(value) else band_level(mb.bands, value)
        if level is None:
            undefined.append(mb.name)
            continue
        confidence = edge_confidence(mb.bands, mb.soft_margin, value)
        found.append((level, confidence, Evidence("metric", mb.name, value)))
    caps = {mb.name for mb in criterion.metrics if mb.cap}
    if all(e.name in caps for _, _, e in found):
        missing = [name for name in undefined if name not in caps]
        reason = f"no value for {', '.join(missing)}" if missing else "no metric in the rule"
        return Proposal(criterion_id, NA, 1.0, (), reason, "thresholds")
    worst = min(found, key=lambda t: grid.level_rank(t[0], criterion_id))[0]
    confidence = round(min(c for _, c, _ in found), 2)
    decisive = [str(e) for lvl, _, e in found if lvl == worst]
    reason = f"{worst} by {', '.join(decisive)}"
    evidence = tuple(e for _, _, e in found) + _finding_evidence(criterion, findings)
    return Proposal(criterion_id, worst, confidence, evidence, reason, "thresholds")


def _g(x: float) -> str:
    return f"{x:.4g}"


@rules.register("weighted_score")
def weighted_score(
    criterion_id: str,
    criterion: Criterion,
    grid: Grid,
    metrics: Mapping[str, float],
    findings: Sequence[Finding],
) -> Proposal:
    """Propose the level whose band holds ``Σ weight × value``, optionally per 100 words.

    The sum runs over ``weights.metrics`` (weight × the metric's value) and the findings (each
    adds the weight of its code, else of its longest code family, else of its severity). With
    ``per_100``, the score is ``100 × sum / value of that metric``. A NaN input (a weighted
    metric, or the words metric, or words = 0) gives ``na`` with a reason naming it. The
    reason spells the arithmetic; the evidence is the metrics used and the findings that
    counted. Confidence is the score's edge confidence (``soft_margin`` of the criterion).
    """
    na = not_applicable_proposal(criterion_id, criterion, metrics, "weighted_score")
    if na is not None:
        return na
    weights = criterion.weights
    assert weights is not None  # the schema requires weights for this rule
    terms: list[str] = []
    evidence: list[Evidence] = []
    missing: list[str] = []
    total = 0.0
    for name, weight in weights.metrics.items():
        value = float(metrics.get(name, math.nan))
        if math.isnan(value):
            missing.append(name)
            continue
        total += weight * value
        terms.append(f"{_g(weight)} × {name}={_g(value)}")
        evidence.append(Evidence("metric", name, value))
    counts: dict[str, int] = {}
    key_weight: dict[str, float] = {}
    counted: list[Finding] = []
    for f in findings:
        hit = weights.weight_of(f.code, f.severity)
        if hit is None or hit[1] == 0:
            continue
        key, weight = hit
        counts[key] = counts.get(key, 0) + 1
        key_weight[key] = weight
        total += weight
        counted.append(f)
    order = [*weights.codes, *(str(s) for s in weights.severities)]
    terms.extend(f"{_g(key_weight[k])} × {counts[k]} {k}" for k in order if k in counts)
    if missing:
        reason = f"no value for {', '.join(missing)}: the score cannot be computed"
        return Proposal(criterion_id, NA, 1.0, tuple(evidence), reason, "weighted_score")
    arithmetic = " + ".join(terms) if terms else "0 (nothing counted)"
    score = total
    if criterion.per_100 is not None:
        words = float(metrics.get(criterion.per_100, math.nan))
        if math.isnan(words) or words <= 0:
            what = "no value" if math.isnan(words) else f"the value {_g(words)}"
            reason = f"{criterion.per_100} has {what}: no rate per 100 can be computed"
            return Proposal(criterion_id, NA, 1.0, tuple(evidence), reason, "weighted_score")
        score = 100.0 * total / words
        arithmetic = f"100 × ({arithmetic}) / {criterion.per_100}={_g(words)}"
        evidence.append(Evidence("metric", criterion.per_100, words))
    level = band_level(criterion.bands, score)
    if level is None:
        reason = f"score {_g(score)} = {arithmetic} falls in no band"
        return Proposal(criterion_id, NA, 1.0, tuple(evidence), reason, "weighted_score")
    confidence = round(edge_confidence(criterion.bands, criterion.soft_margin, score), 2)
    reason = f"{level} by score {_g(score)} = {arithmetic}"
    seen = {id(f) for f in counted}
    extra = [f for f in findings if f.code in set(criterion.evidence_codes) and id(f) not in seen]
    evidence.extend(_evidence_of(f) for f in [*counted, *extra])
    return Proposal(criterion_id, level, confidence, tuple(evidence), reason, "weighted_score")


@rules.register("model")
def model(
    criterion_id: str,
    criterion: Criterion,
    grid: Grid,
    metrics: Mapping[str, float],
    findings: Sequence[Finding],
) -> Proposal:
    """Propose the level the criterion's fitted roll-up model predicts (``model = "..."``).

    ``applicable_if`` comes first. The model reads the features it was fitted on: metrics (a
    missing one is imputed by the model, with the median of its training rows) and finding
    counts; when every metric it reads is missing, the proposal is ``na`` with the reason.
    The confidence is the model's max probability (``confidence_kind = "model"``), the reason
    spells each level's probability, the evidence is the metric values and the findings the
    model counted (then those of ``evidence_codes``).
    """
    na = not_applicable_proposal(criterion_id, criterion, metrics, "model")
    if na is not None:
        return na
    # scikit-learn loads only for a grid that uses a model
    from chatqa.evaluation.rollup.grid_rule import predict_criterion

    predicted = predict_criterion(grid, criterion_id, metrics, findings)
    name = predicted.path.name
    if predicted.level is None:
        reason = (f"no value for {', '.join(predicted.imputed)}: nothing for model {name} "
                  "to read")
        return Proposal(criterion_id, NA, 1.0, (), reason, "model")
    spread = ", ".join(f"{lvl} {p:.2f}" for lvl, p in predicted.probabilities.items())
    reason = f"{predicted.level} by model {name} (P: {spread})"
    if predicted.imputed:
        reason += f"; imputed (no value): {', '.join(predicted.imputed)}"
    evidence = [Evidence("metric", n, v) for n, v in predicted.metrics.items()
                if not math.isnan(v)]
    seen = {id(f) for f in predicted.counted}
    extra = [f for f in findings if f.code in set(criterion.evidence_codes) and id(f) not in seen]
    evidence.extend(_evidence_of(f) for f in [*predicted.counted, *extra])
    confidence = round(predicted.probabilities[predicted.level], 2)
    return Proposal(criterion_id, predicted.level, confidence, tuple(evidence), reason, "model",
                    confidence_kind="model")


def own_findings(findings: Sequence[Finding], macro_messages: Collection[int]) -> list[Finding]:
    """The findings not about a canned reply.

    Neither in one nor, by ``details["macro"]``, about one (a customer who did not understand it).
    """
    return [f for f in findings
            if f.message_index not in macro_messages and not f.details.get("macro")]


def propose_form_levels(
    grid: Grid,
    metrics: Mapping[str, float],
    findings: Sequence[Finding],
    macro_messages: Collection[int] = frozenset(),
) -> dict[str, Proposal]:
    """Apply each criterion's rule, in grid order; each proposal carries its level's points.

    A criterion with ``exclude_macros`` does not see the findings in or about
    ``macro_messages`` (the indices of the conversation's canned replies; :func:`own_findings`).
    """
    own = own_findings(findings, macro_messages)
    out = {}
    for cid, crit in grid.criteria.items():
        seen = own if crit.exclude_macros and macro_messages else findings
        proposal = get_rule(crit.rule)(cid, crit, grid, metrics, seen)
        out[cid] = replace(proposal, points=grid.points(proposal.level, cid))
    return out
