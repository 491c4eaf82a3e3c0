"""How good a criterion's model is: stratified cross-validation, kappa and calibration.

:func:`cross_validate` predicts every confirmed row with a model that did not see it and
measures the out-of-fold predictions in a :class:`CVReport`: quadratic-weighted kappa on the
criterion's whole scale, exact agreement, the majority baseline, the Brier score per level and
the expected calibration error of the max probability (:func:`expected_calibration_error`).
:func:`rule_comparison` measures the grid's own rule against the same confirmations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import StratifiedKFold

from chatqa.evaluation.grid import NA
from chatqa.evaluation.rollup.estimator import OrdinalClassifier

__all__ = ["ECE_BINS", "CVReport", "cross_validate", "expected_calibration_error", "kappa",
           "rule_comparison"]

#: Equal-width bins of the max probability for the expected calibration error.
ECE_BINS = 10


@dataclass(frozen=True)
class CVReport:
    """Cross-validated quality of one criterion's model; NaN where no CV could run.

    ``kappa`` is Cohen's quadratic-weighted kappa between the confirmed and the predicted
    levels, ``agreement`` the share predicted exactly, ``majority`` the agreement of always
    proposing the most frequent level (the baseline to beat), ``brier`` the Brier score per
    level and ``ece`` the expected calibration error of the max probability over
    ``ECE_BINS`` equal-width bins. ``rule_agreement`` / ``rule_kappa`` compare the grid's own
    rule with the same confirmations, on the ``rule_rows`` where it proposed a level.
    """

    rows: int
    folds: int
    kappa: float = math.nan
    agreement: float = math.nan
    majority: float = math.nan
    brier: Mapping[str, float] = field(default_factory=dict)
    ece: float = math.nan
    mean_confidence: float = math.nan
    rule_rows: int = 0
    rule_agreement: float = math.nan
    rule_kappa: float = math.nan
    note: str = ""


def kappa(confirmed: Sequence[str], proposed: Sequence[str], order: Sequence[str]) -> float:
    """Quadratic-weighted kappa with ``order`` as the scale (NaN when undefined)."""
    if len(set(confirmed)) < 2 and set(proposed) == set(confirmed):
        return math.nan  # one level on both sides: no disagreement to expect
    return float(cohen_kappa_score(confirmed, proposed, labels=list(order),
                                   weights="quadratic"))


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> float:
    """Σ over equal-width bins of ``share of rows × |accuracy − mean confidence|``."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def cross_validate(
    estimator: OrdinalClassifier, X: pd.DataFrame, y: np.ndarray, cv: int, seed: int,
    order: Sequence[str],
) -> CVReport:
    """Stratified K-fold predictions and their kappa, agreement and calibration.

    Kappa is on the criterion's whole scale ``order``, so a model's kappa and its rule's
    compare. A level with fewer rows than ``cv`` gives fewer folds; a level with one row, none
    (the note says so).
    """
    classes = list(estimator.classes)
    values, counts = np.unique(y, return_counts=True)
    majority = float(counts.max() / len(y))
    smallest = int(counts.min())
    rarest = str(values[np.argmin(counts)])
    folds = min(cv, smallest)
    if folds < 2:
        return CVReport(
            rows=len(y), folds=0, majority=majority,
            note=f"not cross-validated: level {rarest!r} has a single confirmed row, and "
                 "stratified folds need at least 2 of every level (confirm more forms)",
        )
    note = "" if folds == cv else (
        f"{folds} folds, not {cv}: level {rarest!r} has only {smallest} confirmed rows"
    )
    proba = np.zeros((len(y), len(classes)))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        model = clone(estimator).fit(X.iloc[train], y[train])
        proba[test] = model.predict_proba(X.iloc[test])
    predicted = np.asarray(classes)[proba.argmax(axis=1)]
    onehot = (y[:, None] == np.asarray(classes)[None, :]).astype(float)
    confidence = proba.max(axis=1)
    correct = (predicted == y).astype(float)
    return CVReport(
        rows=len(y), folds=folds,
        kappa=kappa(y, predicted, order),
        agreement=float(correct.mean()),
        majority=majority,
        brier={c: float(np.mean((proba[:, i] - onehot[:, i]) ** 2))
               for i, c in enumerate(classes)},
        ece=expected_calibration_error(confidence, correct),
        mean_confidence=float(confidence.mean()),
        note=note,
    )


def rule_comparison(
    forms: pd.DataFrame | None, criterion: str, rows: pd.DataFrame, order: Sequence[str]
) -> dict[str, Any]:
    """Agreement and kappa of the grid's rule (the run's forms) with the confirmed levels.

    Returns the :class:`CVReport` fields ``rule_rows``, ``rule_agreement`` and ``rule_kappa``
    (none without a usable forms table).
    """
    if forms is None or not {"conversation_id", "criterion", "level"} <= set(forms.columns):
        return {}
    rule = forms.loc[forms["criterion"].astype(str) == criterion, ["conversation_id", "level"]]
    rule = rule.astype(str).drop_duplicates("conversation_id")
    both = rows.merge(rule, on="conversation_id", suffixes=("", "_rule"))
    both = both[both["level_rule"] != NA]
    if both.empty:
        return {"rule_rows": 0}
    return {
        "rule_rows": len(both),
        "rule_agreement": float((both["level"] == both["level_rule"]).mean()),
        "rule_kappa": kappa(both["level"].tolist(), both["level_rule"].tolist(), order),
    }
