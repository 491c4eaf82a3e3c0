"""Learned roll-up: a criterion's level from a conversation's metrics, fitted on confirmed forms.

The grid's rules (``thresholds``, ``weighted_score``) are hand-set bands. Once evaluators have
confirmed a few hundred forms, the roll-up can be learned instead: for each criterion, an
ordinal classifier from the metrics the criterion reads to the level the evaluators chose.

Modules, one job each:

- :mod:`~chatqa.evaluation.rollup.estimator`: :class:`OrdinalClassifier`, cumulative binary
  logistic regressions (Frank & Hall, 2001), a scikit-learn estimator;
- :mod:`~chatqa.evaluation.rollup.features`: what a model reads (metrics, finding counts), for
  a table or one conversation;
- :mod:`~chatqa.evaluation.rollup.confirmations`: :func:`read_confirmations`, one confirmed
  level per conversation and criterion;
- :mod:`~chatqa.evaluation.rollup.crossval`: stratified cross-validation, kappa, calibration
  (:func:`expected_calibration_error`);
- :mod:`~chatqa.evaluation.rollup.fitting`: :func:`fit_rollup`;
- :mod:`~chatqa.evaluation.rollup.models`: :class:`RollupModels` (save, load, predict);
- :mod:`~chatqa.evaluation.rollup.payload`: the ``.joblib`` file of one criterion's model;
- :mod:`~chatqa.evaluation.rollup.card`: :func:`cv_table` and :func:`model_card`;
- :mod:`~chatqa.evaluation.rollup.command`: ``chatqa fit-rollup``
  (:func:`add_fit_rollup_arguments`, :func:`fit_rollup_command`);
- :mod:`~chatqa.evaluation.rollup.grid_rule`: a grid criterion with ``rule = "model"``.

The names below are imported on first use (PEP 562), so ``chatqa --help``, which declares the
``fit-rollup`` arguments, does not load scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatqa.evaluation.rollup.card import DEFAULT_LICENCE, cv_table, model_card
    from chatqa.evaluation.rollup.command import add_fit_rollup_arguments, fit_rollup_command
    from chatqa.evaluation.rollup.confirmations import DataSummary, read_confirmations
    from chatqa.evaluation.rollup.crossval import CVReport, expected_calibration_error
    from chatqa.evaluation.rollup.estimator import OrdinalClassifier
    from chatqa.evaluation.rollup.features import finding_features
    from chatqa.evaluation.rollup.fitting import fit_rollup
    from chatqa.evaluation.rollup.models import CriterionModel, RollupModels
    from chatqa.evaluation.rollup.payload import grid_fingerprint

#: Public name -> the module of the package that defines it.
_EXPORTS = {
    "CVReport": "crossval",
    "CriterionModel": "models",
    "DEFAULT_LICENCE": "card",
    "DataSummary": "confirmations",
    "OrdinalClassifier": "estimator",
    "RollupModels": "models",
    "add_fit_rollup_arguments": "command",
    "cv_table": "card",
    "expected_calibration_error": "crossval",
    "finding_features": "features",
    "fit_rollup": "fitting",
    "fit_rollup_command": "command",
    "grid_fingerprint": "payload",
    "model_card": "card",
    "read_confirmations": "confirmations",
}

__all__ = [
    "DEFAULT_LICENCE",
    "CVReport",
    "CriterionModel",
    "DataSummary",
    "OrdinalClassifier",
    "RollupModels",
    "add_fit_rollup_arguments",
    "cv_table",
    "expected_calibration_error",
    "finding_features",
    "fit_rollup",
    "fit_rollup_command",
    "grid_fingerprint",
    "model_card",
    "read_confirmations",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
