"""Learned roll-up: a criterion's level from a conversation's metrics, fitted on confirmed forms.

The grid's rules (``thresholds``, ``weighted_score``) are hand-set bands. Once evaluators have
confirmed a few hundred forms, the roll-up can be learned instead: for each criterion, an
ordinal classifier from the metrics the criterion reads to the level the evaluators chose.

- :class:`OrdinalClassifier` is the estimator: Frank & Hall (2001) cumulative binary logistic
  regressions, one per threshold "level > k" of the ordered levels, on median-imputed,
  standardised features. ``P(y = k) = P(y > k-1) - P(y > k)``, negative differences clipped to
  0 and the row renormalised, so the probabilities are valid and sum to 1. It follows the
  scikit-learn estimator contract (``parametrize_with_checks`` passes).
- :func:`fit_rollup` joins the confirmed levels with the ``conversations`` table, fits one
  classifier per criterion that has at least 2 confirmed levels and enough rows, and measures
  it by stratified cross-validation: quadratic-weighted kappa, exact agreement, and
  calibration (Brier score per level, expected calibration error of the max probability),
  each with its number of rows. A criterion it cannot fit is in ``skipped`` with the reason.
- :class:`RollupModels` saves ``<folder>/<grid>/<criterion>.joblib`` and ``MODEL_CARD.md``,
  loads them back only for the grid (sha256) and features they were fitted on, and predicts a
  level and a confidence (the max probability) per conversation and criterion.
- :func:`fit_rollup_command` is ``chatqa fit-rollup``; :func:`add_fit_rollup_arguments`
  declares its arguments.

``na`` confirmations are left out of the fit (and counted): applicability stays the grid's
``applicable_if``, which :meth:`RollupModels.predict` applies before the model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

try:
    from sklearn.utils.validation import validate_data
except ImportError as exc:  # pragma: no cover - scikit-learn < 1.6
    raise ImportError(
        "chatqa.evaluation.rollup needs scikit-learn >= 1.6 (sklearn.utils.validation."
        f"validate_data); found scikit-learn {sklearn.__version__}. Upgrade it with "
        "`pip install -U scikit-learn`."
    ) from exc

from chatqa.errors import ConfigError
from chatqa.evaluation.grid import NA, Grid, load_grid

__all__ = [
    "DEFAULT_LICENCE",
    "CriterionModel",
    "CVReport",
    "OrdinalClassifier",
    "RollupModels",
    "add_fit_rollup_arguments",
    "cv_table",
    "fit_rollup",
    "finding_features",
    "fit_rollup_command",
    "model_card",
    "read_confirmations",
]

#: The licence of the training data written in a model card unless another is given.
DEFAULT_LICENCE = "the client's own confirmations"
#: Version of the ``.joblib`` payload; :meth:`RollupModels.load` refuses another.
PAYLOAD_FORMAT = 1
#: Equal-width bins of the max probability for the expected calibration error.
ECE_BINS = 10
CONFIRMATION_COLUMNS = ("conversation_id", "criterion", "level")
#: Prefix of the finding-count features (``findings:grammar.*``), built from a findings table.
FINDINGS_PREFIX = "findings:"
MODEL_CARD = "MODEL_CARD.md"


# -- the estimator ---------------------------------------------------------------------------
class OrdinalClassifier(ClassifierMixin, BaseEstimator):
    """Ordinal classification by cumulative binary logistic regressions (Frank & Hall, 2001).

    For ordered classes ``c_0 < c_1 < ... < c_{K-1}``, one ``LogisticRegression`` per
    threshold ``k < K-1`` learns ``P(y > c_k)``; then ``P(y = c_k) = P(y > c_{k-1}) -
    P(y > c_k)`` (with ``P(y > c_{-1}) = 1`` and ``P(y > c_{K-1}) = 0``). The regressions are
    fitted separately, so their curves may cross: a negative difference is clipped to 0 and
    the row renormalised (the unclipped differences sum to 1, so the sum is never 0).

    Features are median-imputed (a missing metric is NaN) and standardised by a Pipeline
    fitted once and shared by the thresholds. A threshold that no training row crosses
    (``classes`` names a level that ``y`` lacks at an end) is a constant 0 or 1.

    Args:
        C: inverse L2 regularisation strength of each logistic regression.
        class_weight: None, ``"balanced"`` (``n_samples / (n_classes * count)``) or a mapping
            class -> weight; it weights each row by its class in every threshold's regression.
        classes: the classes from worst to best; None sorts the labels of ``y``
            (``np.unique``). Labels of ``y`` must all be in it; a class ``y`` lacks gets the
            probability the thresholds leave it (0 at an end).
        max_iter: iterations of each regression's solver.

    Attributes:
        classes_: the ordered classes.
        preprocessor_: the fitted imputer and scaler (a ``Pipeline``).
        estimators_: one fitted ``LogisticRegression`` per threshold, or the constant
            probability (0.0 or 1.0) of a threshold no training row crosses.
        n_iter_: solver iterations per threshold (0 for a constant one).
        n_features_in_, feature_names_in_: as in scikit-learn.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "classes": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        C: float = 1.0,
        class_weight: dict[Any, float] | str | None = None,
        classes: Sequence[Any] | None = None,
        max_iter: int = 1000,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.classes = classes
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # imputed by the preprocessor
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> OrdinalClassifier:
        """Fit the preprocessor and one logistic regression per threshold.

        Args:
            X: array-like of shape (n_samples, n_features); NaN is a missing value.
            y: labels, each one of ``classes`` when it is given.

        Returns:
            self.

        Raises:
            ValueError: fewer than 2 classes in ``y``, a label outside ``classes``, or a
                ``classes`` / ``class_weight`` that does not fit the labels.
        """
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        present = np.unique(y)
        if len(present) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y to fit; got one class: "
                f"{present.tolist()!r}"
            )
        self.classes_ = self._ordered_classes(present)
        position = {c: i for i, c in enumerate(self.classes_.tolist())}
        codes = np.array([position[v] for v in y.tolist()])
        sample_weight = self._sample_weight(codes)
        self.preprocessor_ = Pipeline([
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
        ])
        Z = self.preprocessor_.fit_transform(X)
        self.estimators_: list[LogisticRegression | float] = []
        for k in range(len(self.classes_) - 1):
            above = codes > k
            if above.all() or not above.any():
                self.estimators_.append(float(above[0]))
                continue
            lr = LogisticRegression(C=self.C, max_iter=self.max_iter)
            self.estimators_.append(lr.fit(Z, above, sample_weight=sample_weight))
        self.n_iter_ = np.array([
            0 if isinstance(e, float) else int(np.max(e.n_iter_)) for e in self.estimators_
        ])
        return self

    def _ordered_classes(self, present: np.ndarray) -> np.ndarray:
        if self.classes is None:
            return present
        classes = np.asarray(self.classes)
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(f"classes must be a list of at least 2 labels; got {self.classes!r}")
        listed = classes.tolist()
        if len(set(listed)) != len(listed):
            raise ValueError(f"classes lists a label twice: {listed!r}")
        unknown = [v for v in present.tolist() if v not in set(listed)]
        if unknown:
            raise ValueError(f"y has labels {unknown!r} that are not in classes {listed!r}")
        return classes

    def _sample_weight(self, codes: np.ndarray) -> np.ndarray | None:
        if self.class_weight is None:
            return None
        n_classes = len(self.classes_)
        if self.class_weight == "balanced":
            counts = np.bincount(codes, minlength=n_classes).astype(float)
            weights = np.where(counts > 0, len(codes) / (np.count_nonzero(counts) * counts), 0)
        else:
            known = set(self.classes_.tolist())
            unknown = [c for c in self.class_weight if c not in known]
            if unknown:
                raise ValueError(
                    f"class_weight names {unknown!r}, not among the classes "
                    f"{self.classes_.tolist()!r}"
                )
            weights = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])
        return weights[codes]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class (columns in ``classes_`` order); rows sum to 1."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        Z = self.preprocessor_.transform(X)
        n = Z.shape[0]
        above = np.column_stack([
            np.full(n, e) if isinstance(e, float) else e.predict_proba(Z)[:, 1]
            for e in self.estimators_
        ])
        upper = np.column_stack([np.ones(n), above])   # P(y > c_{k-1})
        lower = np.column_stack([above, np.zeros(n)])  # P(y > c_k)
        proba = np.clip(upper - lower, 0.0, None)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        proba = self.predict_proba(X)  # checks that the model is fitted first
        return self.classes_[np.argmax(proba, axis=1)]


# -- reports -----------------------------------------------------------------------------------
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


@dataclass
class CriterionModel:
    """One criterion's fitted classifier, its features, training counts and CV report."""

    criterion: str
    features: tuple[str, ...]
    estimator: OrdinalClassifier
    level_counts: Mapping[str, int]
    na_rows: int
    cv: CVReport

    @property
    def rows(self) -> int:
        """Confirmed rows the model was fitted on (``na`` left out)."""
        return int(sum(self.level_counts.values()))


@dataclass(frozen=True)
class DataSummary:
    """What the confirmations held, before any criterion was fitted."""

    confirmation_rows: int
    conversations: int
    evaluators: int | None
    unmatched_rows: int
    conflicting_pairs: int


# -- reading the confirmations ------------------------------------------------------------------
def read_confirmations(path: str | Path) -> pd.DataFrame:
    """Read a confirmations file: CSV, JSON (a list of objects) or JSON Lines.

    Columns: ``conversation_id``, ``criterion``, ``level`` and optionally ``evaluator``; ids
    are read as text (``007`` stays ``007``).

    Raises:
        ConfigError: the file is missing, of another format, or not a list of objects.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Confirmations file not found: '{path}'.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if suffix in (".json", ".jsonl"):
        text = path.read_text(encoding="utf-8-sig")
        try:
            if suffix == ".jsonl":
                records = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                records = json.loads(text)
                if isinstance(records, dict) and "confirmations" in records:
                    records = records["confirmations"]
        except json.JSONDecodeError as exc:
            raise ConfigError(f"'{path}' is not valid JSON ({exc}).") from None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ConfigError(
                f"'{path}' must hold a list of objects {{conversation_id, criterion, level, "
                "evaluator}} (or {\"confirmations\": [...]})."
            )
        frame = pd.DataFrame.from_records(records)
        # text, with a missing value kept missing (not the string "None")
        return frame.astype({c: "string" for c in frame.columns
                             if c in (*CONFIRMATION_COLUMNS, "evaluator")})
    raise ConfigError(
        f"Cannot read confirmations from '{path}': suffix {suffix!r}; use .csv, .json or .jsonl."
    )


def _confirmed_levels(
    confirmations: pd.DataFrame, grid: Grid, conversation_ids: pd.Index
) -> tuple[pd.DataFrame, DataSummary, dict[str, int]]:
    """One confirmed level per (conversation, criterion) that the conversations table holds.

    Pairs confirmed twice with different levels are conflicting: left out (and counted), since
    neither level is the evaluators' call. Returns the rows, the summary and, per criterion,
    the rows whose conversation is not in the table.
    """
    missing = [c for c in CONFIRMATION_COLUMNS if c not in confirmations.columns]
    if missing:
        raise ConfigError(
            f"The confirmations lack the column(s) {missing}; found {list(confirmations.columns)}."
            " Expected conversation_id, criterion, level (and evaluator)."
        )
    frame = pd.DataFrame({
        c: confirmations[c].astype("string").str.strip() for c in CONFIRMATION_COLUMNS
    })
    empty = frame.isna().any(axis=1) | (frame == "").any(axis=1)
    if empty.any():
        first = int(np.flatnonzero(empty.to_numpy())[0])
        raise ConfigError(
            f"{int(empty.sum())} confirmation row(s) have an empty conversation_id, criterion "
            f"or level (the first is row {first}: {frame.iloc[first].to_dict()}). Fill or "
            "remove them."
        )
    unknown_criteria = sorted(set(frame["criterion"]) - set(grid.criteria))
    if unknown_criteria:
        raise ConfigError(
            f"The confirmations name criteria {unknown_criteria} that grid {grid.name!r} does "
            f"not have; its criteria: {list(grid.criteria)}. Were they made with another grid?"
        )
    allowed = [*grid.levels.order, NA]
    unknown_levels = sorted(set(frame["level"]) - set(allowed))
    if unknown_levels:
        raise ConfigError(
            f"The confirmations hold levels {unknown_levels} that grid {grid.name!r} does not "
            f"have; its levels: {allowed}."
        )
    evaluators = (
        int(confirmations["evaluator"].nunique()) if "evaluator" in confirmations else None
    )
    pairs = frame.groupby(["conversation_id", "criterion"], sort=False)["level"]
    n_levels = pairs.transform("nunique")
    conflicting = int(frame.loc[n_levels > 1, ["conversation_id", "criterion"]]
                      .drop_duplicates().shape[0])
    kept = frame[n_levels == 1].drop_duplicates(["conversation_id", "criterion"])
    matched = kept["conversation_id"].isin(conversation_ids)
    unmatched = kept.loc[~matched, "criterion"].value_counts().to_dict()
    summary = DataSummary(
        confirmation_rows=len(frame),
        conversations=int(kept.loc[matched, "conversation_id"].nunique()),
        evaluators=evaluators,
        unmatched_rows=int((~matched).sum()),
        conflicting_pairs=conflicting,
    )
    return kept[matched].reset_index(drop=True), summary, {k: int(v) for k, v in
                                                           unmatched.items()}


# -- fitting -----------------------------------------------------------------------------------
def _as_grid(grid: Grid | str | Path) -> Grid:
    return grid if isinstance(grid, Grid) else load_grid(grid)


def grid_fingerprint(grid: Grid) -> str:
    """The grid file's sha256; for a grid built in memory, the sha256 of its JSON dump."""
    if grid.sha256:
        return grid.sha256
    return hashlib.sha256(grid.model_dump_json().encode("utf-8")).hexdigest()


def finding_features(grid: Grid, criterion: str) -> tuple[str, ...]:
    """``findings:<key>`` per key the criterion's weights count findings by.

    A key is a code (``conduct.denigration``), a code family (``grammar.*``) or a severity
    (``major``): the feature is the number of the conversation's findings the rule's
    :meth:`~chatqa.evaluation.grid.Weights.weight_of` assigns to that key.
    """
    weights = grid.criteria[criterion].weights
    if weights is None:
        return ()
    keys = [*weights.codes, *(str(s) for s in weights.severities)]
    return tuple(f"{FINDINGS_PREFIX}{k}" for k in keys)


def _features_of(
    grid: Grid, criterion: str, features: Sequence[str] | Mapping[str, Sequence[str]] | None,
    with_findings: bool,
) -> tuple[str, ...]:
    """The features given for ``criterion``, else its metrics (+ finding counts)."""
    if isinstance(features, Mapping):
        chosen = features.get(criterion)
        if chosen is not None:
            return tuple(chosen)
    elif features is not None:
        return tuple(features)
    names = tuple(grid.criteria[criterion].metric_names())
    return names + (finding_features(grid, criterion) if with_findings else ())


def _with_finding_counts(
    table: pd.DataFrame, findings: pd.DataFrame | None, grid: Grid, criteria: Iterable[str],
) -> pd.DataFrame:
    """``table`` (indexed by conversation id) plus the ``findings:<key>`` count columns.

    A conversation without findings counts 0. Every finding of the table counts: a criterion's
    ``exclude_macros`` (findings in canned replies left out) is not replicated here.
    """
    if findings is None:
        return table
    missing = [c for c in ("conversation_id", "code", "severity") if c not in findings.columns]
    if missing:
        raise ConfigError(f"The findings table lacks the column(s) {missing}.")
    codes = findings["code"].astype(str).to_numpy()
    severities = findings["severity"].astype(str).to_numpy()
    owners = findings["conversation_id"].astype(str).to_numpy()
    columns: dict[str, pd.Series] = {}
    for cid in criteria:
        weights = grid.criteria[cid].weights
        if weights is None:
            continue
        key_of = {pair: (weights.weight_of(*pair) or (None, 0.0))[0]
                  for pair in set(zip(codes, severities, strict=True))}
        keyed = [key_of[pair] for pair in zip(codes, severities, strict=True)]
        counted = pd.DataFrame({"conversation_id": owners, "key": keyed}).dropna()
        per_key = counted.groupby(["conversation_id", "key"]).size().unstack(fill_value=0)
        for name in finding_features(grid, cid):
            key = name.removeprefix(FINDINGS_PREFIX)
            column = per_key[key] if key in per_key.columns else pd.Series(dtype=float)
            columns[name] = column.reindex(table.index, fill_value=0).astype("float64")
    return table.assign(**columns) if columns else table


def _kappa(confirmed: Sequence[str], proposed: Sequence[str], order: Sequence[str]) -> float:
    """Quadratic-weighted kappa with the grid's levels as the scale (NaN when undefined)."""
    if len(set(confirmed)) < 2 and set(proposed) == set(confirmed):
        return math.nan  # one level on both sides: no disagreement to expect
    return float(cohen_kappa_score(confirmed, proposed, labels=list(order),
                                   weights="quadratic"))


def _cross_validate(
    estimator: OrdinalClassifier, X: pd.DataFrame, y: np.ndarray, cv: int, seed: int,
    order: Sequence[str],
) -> CVReport:
    """Stratified K-fold predictions and their kappa, agreement and calibration.

    Kappa is on the grid's whole scale ``order``, so a model's kappa and its rule's compare.
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
        kappa=_kappa(y, predicted, order),
        agreement=float(correct.mean()),
        majority=majority,
        brier={c: float(np.mean((proba[:, i] - onehot[:, i]) ** 2))
               for i, c in enumerate(classes)},
        ece=expected_calibration_error(confidence, correct),
        mean_confidence=float(confidence.mean()),
        note=note,
    )


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


def _rule_comparison(
    forms: pd.DataFrame | None, criterion: str, rows: pd.DataFrame, order: Sequence[str]
) -> dict[str, Any]:
    """Agreement and kappa of the grid's rule (the run's forms) with the confirmed levels."""
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
        "rule_kappa": _kappa(both["level"].tolist(), both["level_rule"].tolist(), order),
    }


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
        grid: the grid (or its name or path) whose levels order the classes.
        criteria: the criteria to fit; default every criterion of the grid.
        features: metric columns, for every criterion (a list) or per criterion (a mapping);
            default the metrics each criterion reads (``metric_names()``), plus, when
            ``findings`` is given, the counts of the findings its weights count
            (:func:`finding_features`).
        cv: folds of the stratified cross-validation; fewer when a level has fewer rows,
            none when a level has a single row (said in the report's note).
        seed: shuffles the folds.
        min_rows: a criterion with fewer confirmed levels (``na`` aside) is skipped.
        C: regularisation of the classifiers (inverse strength).
        class_weight: passed to the classifiers (None, ``"balanced"`` or a mapping).
        forms: the run's ``forms`` table, to report how well the grid's rule agrees with the
            same confirmations (optional).
        findings: the run's ``findings`` table: adds the ``findings:<key>`` count features
            of criteria that weigh finding codes (``weighted_score``). Without it, such a
            criterion's model sees only its metrics, and its report says so.

    Returns:
        The fitted models, with ``skipped`` criteria and why.

    Raises:
        ConfigError: missing columns, criteria or levels the grid lacks, duplicate
            conversation ids, or feature columns the conversations table lacks.
        ValueError: ``cv < 2`` or ``min_rows < 2``.
    """
    grid = _as_grid(grid)
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
    confirmed, summary, unmatched = _confirmed_levels(
        confirmations, grid, pd.Index(table["conversation_id"])
    )
    table = _with_finding_counts(table.set_index("conversation_id"), findings, grid, wanted)
    models: dict[str, CriterionModel] = {}
    skipped: dict[str, str] = {}
    for cid in wanted:
        names = _features_of(grid, cid, features, findings is not None)
        absent = [n for n in names if n not in table.columns]
        if absent:
            raise ConfigError(
                f"Criterion {cid!r}: the conversations table has no column(s) {absent}; "
                f"its metric columns: {[c for c in table.columns if c != 'conversation_id']}."
            )
        rows = confirmed[confirmed["criterion"] == cid]
        reason = _skip_reason(rows, names, grid, min_rows, unmatched.get(cid, 0))
        if reason:
            skipped[cid] = reason
            continue
        na_rows = int((rows["level"] == NA).sum())
        rows = rows[rows["level"] != NA]
        order = [lvl for lvl in grid.levels.order if lvl in set(rows["level"])]
        X = table.loc[rows["conversation_id"], list(names)].astype("float64")
        X.index.name = None
        y = rows["level"].to_numpy(dtype=object)
        estimator = OrdinalClassifier(C=C, class_weight=class_weight, classes=order)
        report = _cross_validate(estimator, X, y, cv, seed, grid.levels.order)
        rule = _rule_comparison(forms, cid, rows, grid.levels.order)
        unseen = [k.removeprefix(FINDINGS_PREFIX) for k in finding_features(grid, cid)
                  if k not in names]
        if unseen:
            rule["note"] = "; ".join(filter(None, [
                report.note, f"the rule also counts findings {unseen}, which are not features "
                             "(pass the findings table)",
            ]))
        report = CVReport(**{**report.__dict__, **rule})
        counts = rows["level"].value_counts()
        models[cid] = CriterionModel(
            criterion=cid, features=names, estimator=clone(estimator).fit(X, y),
            level_counts={lvl: int(counts.get(lvl, 0)) for lvl in grid.levels.order},
            na_rows=na_rows, cv=report,
        )
    from chatqa import __version__

    return RollupModels(
        grid=grid, models=models, skipped=skipped, data=summary,
        created=datetime.now(UTC).date().isoformat(), chatqa_version=__version__,
        settings={"cv": cv, "seed": seed, "min_rows": min_rows,
                  "findings": findings is not None},
    )


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _skip_reason(
    rows: pd.DataFrame, features: Sequence[str], grid: Grid, min_rows: int, unmatched: int
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
    distinct = [lvl for lvl in grid.levels.order if lvl in set(levels)]
    if len(distinct) < 2:
        what = f"only level {distinct[0]!r}" if distinct else "no level but na"
        return (f"{what} confirmed ({_rows(len(levels))}{na_note}){away}: a model needs at "
                "least 2 levels")
    if len(levels) < min_rows:
        return (f"{_rows(len(levels))} confirmed{na_note}, fewer than min_rows={min_rows}"
                f"{away}")
    return ""


# -- the fitted models -------------------------------------------------------------------------
@dataclass
class RollupModels:
    """The learned roll-up of one grid: a model per criterion, and the criteria skipped."""

    grid: Grid
    models: dict[str, CriterionModel]
    skipped: dict[str, str] = field(default_factory=dict)
    data: DataSummary | None = None
    created: str = ""
    chatqa_version: str = ""
    licence: str = DEFAULT_LICENCE
    settings: dict[str, Any] = field(default_factory=dict)

    def predict(
        self, conversations: pd.DataFrame, findings: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Each conversation's level per modelled criterion, and the model's confidence.

        The grid's ``applicable_if`` comes first: a conversation where the criterion does not
        apply is ``na`` (confidence 1, the condition's reason), as the rules propose it.

        Args:
            conversations: a ``conversations`` table with every model's feature columns.
            findings: the findings table, needed by models fitted with finding counts.

        Returns:
            A DataFrame with ``conversation_id``, ``criterion``, ``level``, ``confidence``
            (the max probability) and ``reason``, per conversation in the grid's criteria
            order.

        Raises:
            ConfigError: a feature column is missing.
        """
        ids = conversations["conversation_id"].astype(str).to_numpy()
        table = _with_finding_counts(conversations.set_index(pd.Index(ids)), findings,
                                     self.grid, self.models)
        records = None
        parts = []
        for cid, model in self.models.items():
            absent = [f for f in model.features if f not in table.columns]
            if absent:
                counts = any(f.startswith(FINDINGS_PREFIX) for f in absent)
                raise ConfigError(
                    f"Criterion {cid!r}: the conversations table has no column(s) {absent}, "
                    "which its model reads" + (" (pass findings=)" if counts else "") + "."
                )
            X = table[list(model.features)].astype("float64").reset_index(drop=True)
            proba = model.estimator.predict_proba(X)
            level = model.estimator.classes_[proba.argmax(axis=1)].astype(object)
            confidence = proba.max(axis=1)
            reason = np.array(["model"] * len(ids), dtype=object)
            condition = self.grid.criteria[cid].applicable_if
            if condition is not None:
                if records is None:
                    records = conversations.to_dict("records")
                for i, metrics in enumerate(records):
                    unmet = condition.unmet(
                        {k: v for k, v in metrics.items() if isinstance(v, int | float)},
                        self.grid.criteria[cid].na_reason,
                    )
                    if unmet is not None:
                        level[i], confidence[i], reason[i] = NA, 1.0, unmet[0]
            parts.append(pd.DataFrame({
                "conversation_id": ids, "criterion": cid, "level": level,
                "confidence": confidence, "reason": reason, "_row": np.arange(len(ids)),
            }))
        if not parts:
            return pd.DataFrame(columns=["conversation_id", "criterion", "level", "confidence",
                                         "reason"])
        out = pd.concat(parts, ignore_index=True).sort_values("_row", kind="stable")
        return out.drop(columns="_row").reset_index(drop=True)

    def save(self, folder: str | Path, *, licence: str | None = None) -> list[Path]:
        """Write ``<folder>/<grid>/<criterion>.joblib`` per model and ``MODEL_CARD.md``.

        Args:
            folder: the models folder (``models/``); the grid's name is a subfolder.
            licence: the licence of the confirmations, for the model card; default the
                models' own (``"the client's own confirmations"``).

        Returns:
            The paths written, the model card last.
        """
        if licence is not None:
            self.licence = licence
        out = Path(folder) / self.grid.name
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for cid, model in self.models.items():
            path = out / f"{cid}.joblib"
            joblib.dump(self._payload(model), path)
            written.append(path)
        card = out / MODEL_CARD
        card.write_text(model_card(self), encoding="utf-8")
        written.append(card)
        return written

    def _payload(self, model: CriterionModel) -> dict[str, Any]:
        return {
            "format": PAYLOAD_FORMAT,
            "grid": self.grid.name,
            "grid_sha256": grid_fingerprint(self.grid),
            "criterion": model.criterion,
            "features": list(model.features),
            "classes": [str(c) for c in model.estimator.classes_],
            "estimator": model.estimator,
            "level_counts": dict(model.level_counts),
            "na_rows": model.na_rows,
            "cv": model.cv.__dict__ | {"brier": dict(model.cv.brier)},
            "data": None if self.data is None else self.data.__dict__,
            "skipped": dict(self.skipped),
            "created": self.created,
            "chatqa_version": self.chatqa_version,
            "sklearn_version": sklearn.__version__,
            "licence": self.licence,
            "settings": dict(self.settings),
        }

    @classmethod
    def load(
        cls,
        folder: str | Path,
        grid: Grid | str | Path,
        *,
        features: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    ) -> RollupModels:
        """Load the models saved for ``grid`` from ``<folder>/<grid>/``.

        Only files from a trusted source: a ``.joblib`` file is a pickle, which runs code when
        loaded.

        Args:
            folder: the models folder given to :meth:`save`.
            grid: the grid the models must have been fitted for (same sha256).
            features: the features the models must read, as in :func:`fit_rollup`; default
                each criterion's metrics in the grid (and its finding counts, for a model
                fitted with them).

        Raises:
            ConfigError: no models there, or a model fitted for another grid (name or
                sha256), another feature list, another level order, or by another payload
                format.
        """
        grid = _as_grid(grid)
        where = Path(folder) / grid.name
        paths = sorted(where.glob("*.joblib")) if where.is_dir() else []
        if not paths:
            raise ConfigError(
                f"No roll-up models for grid {grid.name!r} in '{where}': fit them with "
                "`chatqa fit-rollup`."
            )
        sha = grid_fingerprint(grid)
        payloads = {}
        for path in paths:
            payload = joblib.load(path)
            _check_payload(payload, path, grid, sha, features)
            payloads[payload["criterion"]] = payload
        models = {
            cid: CriterionModel(
                criterion=cid, features=tuple(p["features"]), estimator=p["estimator"],
                level_counts=p["level_counts"], na_rows=p["na_rows"], cv=CVReport(**p["cv"]),
            )
            for cid in grid.criteria if (p := payloads.get(cid)) is not None
        }
        first = next(iter(payloads.values()))
        return cls(
            grid=grid, models=models,
            skipped={**first["skipped"], **{c: "no model saved" for c in grid.criteria
                                            if c not in models and c not in first["skipped"]}},
            data=None if first["data"] is None else DataSummary(**first["data"]),
            created=first["created"], chatqa_version=first["chatqa_version"],
            licence=first["licence"], settings=first["settings"],
        )


def _check_payload(
    payload: Any, path: Path, grid: Grid, sha: str,
    features: Sequence[str] | Mapping[str, Sequence[str]] | None,
) -> None:
    """Raise ConfigError unless ``payload`` is a model of ``grid`` on the expected features."""
    def refuse(problem: str) -> ConfigError:
        return ConfigError(f"Refusing the roll-up model '{path}': {problem}. Refit it with "
                           "`chatqa fit-rollup` for this grid.")

    if not isinstance(payload, dict) or payload.get("format") != PAYLOAD_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise refuse(f"not a chatqa roll-up model of format {PAYLOAD_FORMAT} (found {found!r})")
    if payload["grid"] != grid.name or payload["grid_sha256"] != sha:
        raise refuse(
            f"it was fitted for grid {payload['grid']!r} with sha256 {payload['grid_sha256']}, "
            f"and the grid given is {grid.name!r} with sha256 {sha}: its criteria, levels or "
            "analyzer parameters may differ"
        )
    cid = payload["criterion"]
    if cid not in grid.criteria:
        raise refuse(f"grid {grid.name!r} has no criterion {cid!r}")
    with_findings = any(f.startswith(FINDINGS_PREFIX) for f in payload["features"])
    expected = list(_features_of(grid, cid, features, with_findings))
    if payload["features"] != expected:
        raise refuse(
            f"it reads the features {payload['features']}, not {expected} "
            f"({'the features given' if features is not None else 'what the grid reads'})"
        )
    fitted = list(getattr(payload["estimator"], "feature_names_in_", []))
    if fitted != payload["features"]:
        raise refuse(f"its estimator was fitted on {fitted}, not on {payload['features']}")
    order = list(grid.levels.order)
    classes = payload["classes"]
    if any(c not in order for c in classes) or classes != sorted(classes, key=order.index):
        raise refuse(f"its levels {classes} are not in the grid's order {order}")


# -- tables and the model card -----------------------------------------------------------------
def _num(x: float, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def cv_table(models: RollupModels) -> pd.DataFrame:
    """One row per fitted criterion: rows, levels, folds, kappa, agreement, calibration."""
    rows = []
    for cid, m in models.models.items():
        cv = m.cv
        rows.append({
            "criterion": cid,
            "rows": m.rows,
            "na": m.na_rows,
            "levels": " / ".join(f"{lvl}:{n}" for lvl, n in m.level_counts.items() if n),
            "folds": cv.folds,
            "qw_kappa": cv.kappa,
            "agreement": cv.agreement,
            "majority": cv.majority,
            "rule_agreement": cv.rule_agreement,
            "rule_kappa": cv.rule_kappa,
            "ece": cv.ece,
            "brier": " / ".join(f"{lvl}:{_num(v)}" for lvl, v in cv.brier.items()) or "–",
            "note": cv.note,
        })
    columns = ["criterion", "rows", "na", "levels", "folds", "qw_kappa", "agreement", "majority",
               "rule_agreement", "rule_kappa", "ece", "brier", "note"]
    return pd.DataFrame(rows, columns=columns)


def _markdown(frame: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        text = _num(v) if isinstance(v, float) else str(v)
        return (text or " ").replace("|", "\\|")

    lines = ["| " + " | ".join(frame.columns) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def model_card(models: RollupModels) -> str:
    """The model card of a grid's roll-up, in the usual headings (Mitchell et al., 2019)."""
    grid = models.grid
    data = models.data
    first = next(iter(models.models.values()), None)
    params = first.estimator.get_params() if first is not None else {}
    table = cv_table(models)
    lines = [
        f"# Model card: learned roll-up of grid `{grid.name}`",
        "",
        "## Model details",
        "",
        f"- Date: {models.created}; chatqa {models.chatqa_version}, scikit-learn "
        f"{sklearn.__version__}.",
        f"- Grid: `{grid.name}` ({grid.grid.label or 'no label'}), sha256 "
        f"`{grid_fingerprint(grid)}`{f' ({grid.source})' if grid.source else ''}.",
        "- Estimator: `chatqa.evaluation.rollup.OrdinalClassifier`, one per criterion: "
        "cumulative binary logistic regressions (Frank & Hall, 2001), one per threshold "
        "\"level > k\", on median-imputed, standardised metrics; P(level) is the difference "
        "of consecutive thresholds, clipped at 0 and renormalised.",
        "- Parameters: " + ", ".join(f"`{k}={v!r}`" for k, v in params.items()
                                     if k != "classes") + "; classes: each criterion's "
        f"confirmed levels in the grid's order {list(grid.levels.order)}.",
        "- Fitting: " + (", ".join(f"`{k}={v!r}`" for k, v in models.settings.items())
                         or "not recorded") + " (`findings`: whether finding counts were "
        "features).",
        "- Files: one `<criterion>.joblib` per criterion (a pickle: load only from a trusted "
        "source); `RollupModels.load` refuses a model fitted for another grid sha256 or "
        "feature list.",
        "",
        "## Intended use",
        "",
        "Proposes a level per criterion for a scored conversation, with a confidence (the max "
        "probability), in place of the grid's hand-set bands, for an evaluator to confirm. It "
        "is not meant to grade advisors without a person reviewing the form, nor to be used "
        "on conversations unlike those it was fitted on (another client, channel or language).",
        "",
        "## Training data",
        "",
        f"- Licence: {models.licence}.",
    ]
    if data is not None:
        evaluators = "not recorded" if data.evaluators is None else str(data.evaluators)
        lines += [
            f"- {data.confirmation_rows} confirmation rows on {data.conversations} conversations "
            f"of the conversations table; evaluators: {evaluators}.",
            f"- Left out: {data.unmatched_rows} rows whose conversation is not in the table, "
            f"{data.conflicting_pairs} (conversation, criterion) pairs confirmed with two "
            "different levels, and every `na` (applicability stays the grid's "
            "`applicable_if`).",
        ]
    lines += ["", "Confirmed rows per criterion and level:", ""]
    if len(table):
        lines.append(_markdown(table[["criterion", "rows", "na", "levels"]]))
    else:
        lines.append("(no criterion fitted)")
    lines += ["", "## Features", "",
              "Columns of the `conversations` table; `findings:<key>` is the number of the "
              "conversation's findings the criterion's weights count under that code, code "
              "family or severity.", ""]
    for cid, m in models.models.items():
        lines.append(f"- `{cid}`: " + ", ".join(f"`{f}`" for f in m.features))
    lines += [
        "",
        "## Evaluation",
        "",
        "Stratified K-fold cross-validation (each row predicted by a model that did not see "
        "it). `qw_kappa`: Cohen's quadratic-weighted kappa; `agreement`: share of levels "
        "predicted exactly; `majority`: agreement of always proposing the most frequent level "
        "(the baseline to beat); `rule_agreement` / `rule_kappa`: the grid's own rule against "
        "the same confirmations (where it proposed a level; not cross-validated, it is not "
        "fitted); `ece`: expected calibration error of the max probability over "
        f"{ECE_BINS} equal-width bins; `brier`: Brier score per level. Every number is over "
        "`rows` conversations: with a few dozen rows, a kappa or an ECE moves by 0.1 or more "
        "from one sample to another.",
        "",
    ]
    if len(table):
        lines.append(_markdown(table[["criterion", "rows", "folds", "qw_kappa", "agreement",
                                      "majority", "rule_agreement", "rule_kappa", "ece",
                                      "brier", "note"]]))
    else:
        lines.append("(no criterion fitted)")
    lines += ["", "## Skipped criteria", ""]
    lines += [f"- `{cid}`: {why}" for cid, why in models.skipped.items()] or ["(none)"]
    lines += [
        "",
        "## Ethical considerations",
        "",
        "The model learns the evaluators' confirmations, their habits and biases included, "
        "and proposes them back; metrics can be wrong on a conversation (a misread message, "
        "a customer's typo counted as the advisor's). Keep an evaluator in the loop and "
        "look at the evidence of each proposal.",
        "",
        "## Caveats and recommendations",
        "",
        "- Use it once a criterion has a few hundred confirmed forms, spread over its levels; "
        "below that, keep the grid's rule, and compare `qw_kappa` with `rule_kappa`.",
        "- A level never confirmed for a criterion is never proposed for it.",
        "- Refit after the grid, the analyzers or the evaluators' guidelines change: a model is "
        "tied to the grid's sha256.",
        "",
    ]
    return "\n".join(lines)


# -- command line ------------------------------------------------------------------------------
def add_fit_rollup_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Declare the arguments of ``chatqa fit-rollup`` on ``parser``.

    Wiring into ``chatqa/cli.py`` (in ``_parser()``, then in ``main()``)::

        from chatqa.evaluation.rollup import add_fit_rollup_arguments
        add_fit_rollup_arguments(sub.add_parser(
            "fit-rollup", help="learn each criterion's roll-up from confirmed forms"))
        ...
        if args.command == "fit-rollup":
            from chatqa.evaluation.rollup import fit_rollup_command
            return fit_rollup_command(args)

    ``main()`` already turns a ``ChatQAError`` into exit code 2.
    """
    parser.add_argument("folder", metavar="OUT_FOLDER",
                        help="folder written by `chatqa score` (its conversations table)")
    parser.add_argument("confirmations", metavar="CONFIRMATIONS",
                        help="confirmed levels: .csv, .json or .jsonl with conversation_id, "
                             "criterion, level (and evaluator)")
    parser.add_argument("--grid", default="fr_chat", help="packaged grid name or .toml path")
    parser.add_argument("--models", default="models",
                        help="models folder; writes <models>/<grid>/<criterion>.joblib")
    parser.add_argument("--criterion", action="append", default=None, metavar="ID",
                        help="fit only this criterion (repeatable; default: all)")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold shuffling")
    parser.add_argument("--min-rows", type=int, default=20,
                        help="skip a criterion with fewer confirmed levels (na aside)")
    parser.add_argument("--C", type=float, default=1.0, dest="C",
                        help="inverse regularisation strength")
    parser.add_argument("--class-weight", default=None, choices=["balanced"],
                        help="weight rows by the inverse frequency of their level")
    parser.add_argument("--licence", default=DEFAULT_LICENCE,
                        help="licence of the confirmations, for the model card")
    return parser


def fit_rollup_command(args: argparse.Namespace) -> int:
    """Run ``chatqa fit-rollup``: fit, save, print the cross-validation table.

    Returns:
        0 when at least one criterion was fitted and saved; 1 when none could be (the
        reasons are printed).

    Raises:
        ChatQAError: the run folder or the confirmations cannot be read, or do not fit the
            grid (``chatqa.cli.main`` prints it and exits with 2).
    """
    from chatqa.io.tables import read_tables

    grid = load_grid(args.grid)
    tables = read_tables(args.folder)
    run_sha = tables.meta.get("grid_sha256")
    if run_sha and run_sha != grid_fingerprint(grid):
        print(f"chatqa: warning: {args.folder} was scored with grid {tables.meta.get('grid')!r} "
              f"sha256 {run_sha[:12]}…, not {grid.name!r} sha256 {grid_fingerprint(grid)[:12]}…:"
              " its metrics may have been computed with other analyzer parameters",
              file=sys.stderr)
    confirmations = read_confirmations(args.confirmations)
    models = fit_rollup(
        tables.conversations, confirmations, grid, criteria=args.criterion, cv=args.cv,
        seed=args.seed, min_rows=args.min_rows, C=args.C, class_weight=args.class_weight,
        forms=tables.forms, findings=tables.findings,
    )
    data = models.data
    print(f"grid {grid.name} (sha256 {grid_fingerprint(grid)[:12]}…): "
          f"{data.confirmation_rows} confirmation rows on {data.conversations} conversations; "
          f"{len(models.models)} criteria fitted, {len(models.skipped)} skipped")
    if models.models:
        table = cv_table(models)
        print(table.drop(columns=["levels", "brier", "note"]).to_string(
            index=False, float_format=lambda x: f"{x:.2f}", na_rep="–"))
        for cid, note in zip(table["criterion"], table["note"], strict=True):
            if note:
                print(f"note {cid}: {note}")
    for cid, why in models.skipped.items():
        print(f"skipped {cid}: {why}")
    if not models.models:
        print("chatqa: no criterion could be fitted; nothing written", file=sys.stderr)
        return 1
    for path in models.save(args.models, licence=args.licence):
        print(f"wrote {path}")
    return 0
