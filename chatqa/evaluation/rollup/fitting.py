"""Fit a grid's roll-up on confirmed forms: one ordinal classifier per criterion.

:func:`fit_rollup` joins the confirmed levels with the ``conversations`` table, fits one
:class:`~chatqa.evaluation.rollup.estimator.OrdinalClassifier` per criterion that has at least
2 confirmed levels and enough rows, and measures it by stratified cross-validation
(:mod:`~chatqa.evaluation.rollup.crossval`). A criterion it cannot fit is in ``skipped`` with
the reason. ``na`` confirmations are left out of the fit (and counted): applicability stays the
grid's ``applicable_if``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sklearn.base import clone

from chatqa.errors import ConfigError
from chatqa.evaluation.grid import NA, Grid
from chatqa.evaluation.rollup.confirmations import confirmed_levels
from chatqa.evaluation.rollup.crossval import cross_validate, rule_comparison
from chatqa.evaluation.rollup.estimator import OrdinalClassifier
from chatqa.evaluation.rollup.features import (
    FINDINGS_PREFIX,
    feature_frame,
    features_of,
    finding_features,
)
from chatqa.evaluation.rollup.models import CriterionModel, RollupModels, as_grid

__all__ = ["fit_rollup"]


def fit_rollup(
    conversations: pd.DataFrame,
    confirmations: pd.DataFrame,
    grid: Grid | str | Path,
    *,
    criteria: Iterable[str] | None = None,
    features: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    cv: int = 5,
    seed: int = 0,
    min_rows: int = 20,
    C: float = 1.0,
    class_weight: dict[str, float] | str | None = None,
    forms: pd.DataFrame | None = None,
    findings: pd.DataFrame | None = None,
) -> RollupModels:
    """Fit one :class:`OrdinalClassifier` per criterion on the evaluators' confirmed levels.

    Args:
        conversations: the run's ``conversations`` table (``conversation_id`` + metrics).
        confirmations: ``conversation_id``, ``criterion``, ``level`` (``evaluator``
            optional). ``na`` rows are left out of the fit and counted; a pair confirmed with
            two different levels is left out; rows of conversations absent from the table
            are counted.
        grid: the grid (or its name or path) whose scales order the classes.
        criteria: the criteria to fit; default every criterion of the grid.
        features: columns of the conversations table and ``findings:<key>`` counts, for
            every criterion (a list) or per criterion (a mapping); default the metrics each
            criterion reads (``metric_names()``), plus, when ``findings`` is given, the
            counts of the findings its weights count (:func:`finding_features`).
        cv: folds of the stratified cross-validation; fewer when a level has fewer rows,
            none when a level has a single row (said in the report's note).
        seed: shuffles the folds.
        min_rows: a criterion with fewer confirmed levels (``na`` aside) is skipped.
        C: regularisation of the classifiers (inverse strength).
        class_weight: passed to the classifiers (None, ``"balanced"`` or a mapping).
        forms: the run's ``forms`` table, to report how well the grid's rule agrees with the
            same confirmations (optional).
        findings: the run's ``findings`` table: needed by ``findings:<key>`` features, and
            adds those of criteria that weigh finding codes (``weighted_score``) by default.
            Without it, such a criterion's model sees only its metrics, and its report says
            so.

    Returns:
        The fitted models, with ``skipped`` criteria and why.

    Raises:
        ConfigError: missing columns, criteria or levels the grid lacks, duplicate
            conversation ids, or feature columns the conversations table lacks.
        ValueError: ``cv < 2`` or ``min_rows < 2``.
    """
    grid = as_grid(grid)
    if cv < 2:
        raise ValueError(f"cv must be at least 2 folds; got {cv!r}")
    if min_rows < 2:
        raise ValueError(f"min_rows must be at least 2; got {min_rows!r}")
    if "conversation_id" not in conversations.columns:
        raise ConfigError("The conversations table has no conversation_id column.")
    table = conversations.assign(conversation_id=conversations["conversation_id"].astype(str))
    duplicated = table["conversation_id"][table["conversation_id"].duplicated()]
    if len(duplicated):
        raise ConfigError(
            f"The conversations table holds conversation ids twice: "
            f"{sorted(set(duplicated))[:5]}; pass one run's table."
        )
    wanted = list(grid.criteria) if criteria is None else list(criteria)
    unknown = [c for c in wanted if c not in grid.criteria]
    if unknown:
        raise ConfigError(
            f"Grid {grid.name!r} has no criteria {unknown}; its criteria: {list(grid.criteria)}."
        )
    confirmed, summary, unmatched = confirmed_levels(
        confirmations, grid, pd.Index(table["conversation_id"])
    )
    table = table.set_index("conversation_id")
    models: dict[str, CriterionModel] = {}
    skipped: dict[str, str] = {}
    for cid in wanted:
        names = features_of(grid, cid, features, findings is not None)
        frame = feature_frame(table, names, findings, cid)
        rows = confirmed[confirmed["criterion"] == cid]
        reason = _skip_reason(rows, names, grid.scale(cid).order, min_rows,
                              unmatched.get(cid, 0))
        if reason:
            skipped[cid] = reason
            continue
        models[cid] = _fit_criterion(cid, names, frame, rows, grid, forms, cv, seed, C,
                                     class_weight)
    from chatqa import __version__

    return RollupModels(
        grid=grid, models=models, skipped=skipped, data=summary,
        created=datetime.now(UTC).date().isoformat(), chatqa_version=__version__,
        settings={"cv": cv, "seed": seed, "min_rows": min_rows,
                  "findings": findings is not None},
    )


def _fit_criterion(
    cid: str, names: tuple[str, ...], frame: pd.DataFrame, rows: pd.DataFrame, grid: Grid,
    forms: pd.DataFrame | None, cv: int, seed: int, C: float,
    class_weight: dict[str, float] | str | None,
) -> CriterionModel:
    """Cross-validate, then fit on every row, one criterion's classifier."""
    scale = grid.scale(cid).order
    na_rows = int((rows["level"] == NA).sum())
    rows = rows[rows["level"] != NA]
    order = [lvl for lvl in scale if lvl in set(rows["level"])]
    X = frame.loc[rows["conversation_id"]]
    X.index.name = None
    y = rows["level"].to_numpy(dtype=object)
    estimator = OrdinalClassifier(C=C, class_weight=class_weight, classes=order)
    report = cross_validate(estimator, X, y, cv, seed, scale)
    rule = rule_comparison(forms, cid, rows, scale)
    unseen = [k.removeprefix(FINDINGS_PREFIX) for k in finding_features(grid, cid)
              if k not in names]
    if unseen:
        rule["note"] = "; ".join(filter(None, [
            report.note, f"the rule also counts findings {unseen}, which are not features "
                         "(pass the findings table)",
        ]))
    counts = rows["level"].value_counts()
    return CriterionModel(
        criterion=cid, features=names, estimator=clone(estimator).fit(X, y),
        level_counts={lvl: int(counts.get(lvl, 0)) for lvl in scale},
        na_rows=na_rows, cv=replace(report, **rule),
    )


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _skip_reason(
    rows: pd.DataFrame, features: Sequence[str], scale: Sequence[str], min_rows: int,
    unmatched: int,
) -> str:
    """Why a criterion cannot be fitted, or '' when it can."""
    away = (f" ({unmatched} more confirmed for conversations not in the table)"
            if unmatched else "")
    if rows.empty:
        return f"no confirmed level{away}"
    if not features:
        return "the criterion reads no metric (rule 'na'): pass features= to give it some"
    levels = rows.loc[rows["level"] != NA, "level"]
    n_na = len(rows) - len(levels)
    na_note = f", {n_na} na left out" if n_na else ""
    distinct = [lvl for lvl in scale if lvl in set(levels)]
    if len(distinct) < 2:
        what = f"only level {distinct[0]!r}" if distinct else "no level but na"
        return (f"{what} confirmed ({_rows(len(levels))}{na_note}){away}: a model needs at "
                "least 2 levels")
    if len(levels) < min_rows:
        return (f"{_rows(len(levels))} confirmed{na_note}, fewer than min_rows={min_rows}"
                f"{away}")
    return ""
