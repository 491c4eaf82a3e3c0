"""What a roll-up model reads: a criterion's metrics and, optionally, counts of its findings.

A feature is a column of the ``conversations`` table (a metric, ``own_words``) or
``findings:<key>``, the number of the conversation's findings counted under ``key``: a code
(``conduct.denigration``), a code family (``grammar.*``) or a severity (``major``). A finding
counts under one key only, chosen as a ``weighted_score`` chooses its weight
(:meth:`~chatqa.evaluation.grid.Weights.weight_of`: its code, else its longest family, else its
severity), so the counts of a criterion fitted with its weights' keys are the rule's counts.

:func:`feature_frame` builds the features of a whole table (fitting, ``RollupModels.predict``);
:func:`feature_row` those of one conversation from its metrics and findings (the grid rule
``model``). Both count findings with :func:`finding_key`, so the two paths agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from chatqa.errors import ConfigError
from chatqa.evaluation.grid import Grid, Weights
from chatqa.model import Finding, Severity

__all__ = [
    "FINDINGS_PREFIX",
    "feature_frame",
    "feature_row",
    "features_of",
    "finding_features",
    "finding_key",
    "finding_keys",
    "metric_features",
]

#: Prefix of the finding-count features (``findings:grammar.*``).
FINDINGS_PREFIX = "findings:"
_SEVERITIES = frozenset(str(s) for s in Severity)


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


def features_of(
    grid: Grid, criterion: str, features: Sequence[str] | Mapping[str, Sequence[str]] | None,
    with_findings: bool,
) -> tuple[str, ...]:
    """The features given for ``criterion``, else its metrics (+ finding counts).

    Args:
        grid: the grid of the criterion.
        criterion: its id.
        features: one list for every criterion, a mapping per criterion, or None.
        with_findings: add :func:`finding_features` to the default.
    """
    if isinstance(features, Mapping):
        chosen = features.get(criterion)
        if chosen is not None:
            return tuple(chosen)
    elif features is not None:
        return tuple(features)
    names = tuple(grid.criteria[criterion].metric_names())
    return names + (finding_features(grid, criterion) if with_findings else ())


def finding_keys(features: Iterable[str]) -> tuple[str, ...]:
    """The keys of the ``findings:<key>`` features, in order."""
    return tuple(f.removeprefix(FINDINGS_PREFIX) for f in features
                 if f.startswith(FINDINGS_PREFIX))


def metric_features(features: Iterable[str]) -> tuple[str, ...]:
    """The features that are columns of the conversations table (not finding counts)."""
    return tuple(f for f in features if not f.startswith(FINDINGS_PREFIX))


def finding_key(keys: Sequence[str]) -> Callable[[str, str], str | None]:
    """``(code, severity) -> key`` the finding counts under among ``keys``, or None.

    The choice is :meth:`Weights.weight_of`'s over weights named by ``keys`` (a code, else its
    longest family, else its severity), so it is the rule's whatever the weights' values.
    """
    weights = Weights.model_construct(
        metrics={},
        codes={k: 1.0 for k in keys if k not in _SEVERITIES},
        severities={Severity(k): 1.0 for k in keys if k in _SEVERITIES},
    )
    seen: dict[tuple[str, str], str | None] = {}

    def key_of(code: str, severity: str) -> str | None:
        pair = (code, str(severity))
        if pair not in seen:
            hit = weights.weight_of(*pair)
            seen[pair] = None if hit is None else hit[0]
        return seen[pair]

    return key_of


def feature_frame(
    table: pd.DataFrame, features: Sequence[str], findings: pd.DataFrame | None,
    criterion: str,
) -> pd.DataFrame:
    """The ``features`` of every conversation of ``table``, as float64 columns in order.

    Args:
        table: the conversations table, indexed by conversation id (as text).
        features: metric columns and ``findings:<key>`` counts.
        findings: the findings table (``conversation_id``, ``code``, ``severity``); needed
            when ``features`` counts findings. A conversation without findings counts 0.
        criterion: the criterion the features are for (named in errors).

    Raises:
        ConfigError: a metric column is missing, or finding counts are asked without a
            findings table (or of one without its columns).
    """
    keys = finding_keys(features)
    absent = [f for f in metric_features(features) if f not in table.columns]
    if keys and findings is None:
        absent += [f"{FINDINGS_PREFIX}{k}" for k in keys]
    if absent:
        counts = any(f.startswith(FINDINGS_PREFIX) for f in absent)
        raise ConfigError(
            f"Criterion {criterion!r}: the conversations table has no column(s) {absent}, "
            "which its features include" + (" (finding counts: pass findings=, the run's "
                                             "findings table)" if counts else "")
            + f"; its columns: {list(table.columns)}."
        )
    columns = {f: table[f].astype("float64") for f in metric_features(features)}
    if keys:
        assert findings is not None
        columns.update(_count_columns(table.index, findings, keys))
    return pd.DataFrame({f: columns[f] for f in features}, index=table.index)


def _count_columns(
    index: pd.Index, findings: pd.DataFrame, keys: Sequence[str]
) -> dict[str, pd.Series]:
    """``findings:<key>`` -> the number of each conversation's findings counted under key."""
    missing = [c for c in ("conversation_id", "code", "severity") if c not in findings.columns]
    if missing:
        raise ConfigError(f"The findings table lacks the column(s) {missing}.")
    key_of = finding_key(keys)
    counted = pd.DataFrame({
        "conversation_id": findings["conversation_id"].astype(str).to_numpy(),
        "key": [key_of(c, s) for c, s in zip(findings["code"].astype(str),
                                             findings["severity"].astype(str), strict=True)],
    }).dropna()
    per_key = counted.groupby(["conversation_id", "key"]).size().unstack(fill_value=0)
    out = {}
    for key in keys:
        column = per_key[key] if key in per_key.columns else pd.Series(dtype=float)
        out[f"{FINDINGS_PREFIX}{key}"] = column.reindex(index, fill_value=0).astype("float64")
    return out


def feature_row(
    features: Sequence[str], metrics: Mapping[str, Any], findings: Sequence[Finding]
) -> tuple[pd.DataFrame, tuple[Finding, ...]]:
    """One conversation's ``features`` (a one-row frame) and the findings they counted.

    A metric absent from ``metrics`` (or None) is NaN: the model's imputer fills it, as it
    filled missing values when it was fitted.
    """
    keys = finding_keys(features)
    key_of = finding_key(keys)
    counts: dict[str, int] = dict.fromkeys(keys, 0)
    counted = []
    for f in findings:
        key = key_of(f.code, f.severity) if keys else None
        if key is not None:
            counts[key] += 1
            counted.append(f)
    values = [
        float(counts[name.removeprefix(FINDINGS_PREFIX)]) if name.startswith(FINDINGS_PREFIX)
        else _number(metrics.get(name))
        for name in features
    ]
    return pd.DataFrame([values], columns=list(features), dtype="float64"), tuple(counted)


def _number(value: Any) -> float:
    """A metric value as a float; NaN when missing."""
    if value is None or value is pd.NA:
        return math.nan
    return float(value)
