"""The grid side of rule ``model``: find, load (once), check and apply a criterion's model.

A criterion with ``rule = "model"`` names the ``.joblib`` file ``chatqa fit-rollup`` wrote for
it (``model = "models/fr_chat/empathie.joblib"``, relative to the grid file's folder, or
absolute). The file is loaded once per process, cached by path and modification time, and
checked against the grid:

- when the grid is loaded (:func:`check_grid_models`): the file exists and is a roll-up model
  (E321), fitted for this grid name and criterion, with levels of the criterion's scale in
  order, and an estimator fitted on the features it lists (E322);
- when a pipeline is built (:func:`check_model_features`, from ``Grid.check_inputs``): the
  grid's analyzers declare every metric it reads and emit the codes it counts (E323).

The grid's sha256 is not compared with the one the model was fitted for: writing
``rule = "model"`` into a grid changes its sha256 by itself. :func:`predict_criterion` gives
one conversation's prediction; the rule in :mod:`chatqa.evaluation.rules` turns it into a
proposal.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatqa.errors import Errors, GridError
from chatqa.evaluation.grid import Grid
from chatqa.evaluation.rollup.estimator import OrdinalClassifier
from chatqa.evaluation.rollup.features import (
    FINDINGS_PREFIX,
    feature_row,
    finding_keys,
    metric_features,
)
from chatqa.evaluation.rollup.payload import PayloadError, payload_problem, read_payload
from chatqa.model import Finding, Severity

__all__ = ["GridModel", "ModelPrediction", "check_grid_models", "check_model_features",
           "grid_model", "model_path", "predict_criterion"]

#: (resolved path, modification time in ns) -> payload: each file is unpickled once.
_PAYLOADS: dict[tuple[str, int], dict[str, Any]] = {}
#: (path, mtime, grid name, criterion, scale, exclude_macros) -> the checked model.
_CHECKED: dict[tuple[Any, ...], GridModel] = {}


@dataclass(frozen=True)
class GridModel:
    """A criterion's fitted model, checked against its grid."""

    criterion: str
    path: Path
    features: tuple[str, ...]
    estimator: OrdinalClassifier


@dataclass(frozen=True)
class ModelPrediction:
    """One conversation's prediction by a criterion's model.

    ``level`` is None when every metric the model reads is missing (nothing to predict from);
    ``probabilities`` is then empty. ``metrics`` holds the value of each metric feature (NaN
    when missing: the model imputes it with the median of its training rows), ``counts`` the
    finding counts by key, and ``counted`` the findings they counted.
    """

    path: Path
    level: str | None
    probabilities: Mapping[str, float]
    metrics: Mapping[str, float]
    counts: Mapping[str, float]
    counted: tuple[Finding, ...]

    @property
    def imputed(self) -> tuple[str, ...]:
        """The metric features without a value, which the model imputed."""
        return tuple(n for n, v in self.metrics.items() if math.isnan(v))


#: A ``model`` starting with this names a file shipped inside chatqa (``chatqa:models/...``):
#: a copy of a packaged grid, anywhere, still finds the packaged model.
PACKAGED = "chatqa:"


def model_path(grid: Grid, criterion_id: str) -> Path:
    """The criterion's ``model`` file: shipped with chatqa, absolute, or relative to the grid.

    ``chatqa:models/fr_chat/clarte.joblib`` is inside the installed package; a relative path
    is from the grid file's folder (from the current folder for a grid built in memory).
    """
    raw = grid.criteria[criterion_id].model
    if raw is None:
        raise ValueError(f"criterion {criterion_id!r} has no model (its rule is "
                         f"{grid.criteria[criterion_id].rule!r})")
    if raw.startswith(PACKAGED):
        return (Path(__file__).resolve().parents[2] / raw[len(PACKAGED):]).resolve()
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (Path(grid.source).parent if grid.source else Path.cwd()) / path
    return path.resolve()


def _error(code: str, grid: Grid, criterion_id: str, path: Path, **fields: Any) -> GridError:
    """The GridError ``code`` about the criterion's model, naming the grid and its file."""
    name = f"{grid.name!r}" + (f" ('{grid.source}')" if grid.source else "")
    message = getattr(Errors, code).format(criterion=criterion_id, grid=name, path=path,
                                           **fields)
    return GridError(message, location=f"criteria -> {criterion_id} -> model")


def grid_model(grid: Grid, criterion_id: str) -> GridModel:
    """The criterion's model, loaded once per file version and checked against ``grid``.

    Raises:
        GridError: E321, the file is missing, unreadable or not a roll-up model; E322, it was
            fitted for another grid name or criterion, its levels are not the criterion's, or
            it counts findings while the criterion leaves canned replies out.
    """
    path = model_path(grid, criterion_id)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        problem = ("no such file" if isinstance(exc, FileNotFoundError)
                   else f"it cannot be read ({exc.strerror})")
        raise _error("E321", grid, criterion_id, path, problem=problem) from None
    criterion = grid.criteria[criterion_id]
    key = (str(path), mtime, grid.name, criterion_id, grid.scale(criterion_id).order,
           criterion.exclude_macros)
    if key in _CHECKED:
        return _CHECKED[key]
    if (str(path), mtime) not in _PAYLOADS:
        try:
            payload = read_payload(path)
        except PayloadError as exc:
            raise _error("E321", grid, criterion_id, path, problem=str(exc)) from None
        _forget(str(path))   # an older version of the file
        _PAYLOADS[str(path), mtime] = payload
    payload = _PAYLOADS[str(path), mtime]
    problem = payload_problem(payload, grid, criterion_id)
    if not problem and criterion.exclude_macros and finding_keys(payload["features"]):
        problem = (f"counts findings {list(finding_keys(payload['features']))} in every "
                   "message, as fit_rollup counted them, while the criterion has "
                   "exclude_macros = true (canned replies left out): set exclude_macros = "
                   "false for it")
    if problem:
        raise _error("E322", grid, criterion_id, path, problem=problem)
    model = GridModel(criterion_id, path, tuple(payload["features"]), payload["estimator"])
    _CHECKED[key] = model
    return model


def _forget(path: str) -> None:
    """Drop the cached versions of ``path``."""
    for key in [k for k in _PAYLOADS if k[0] == path]:
        del _PAYLOADS[key]
    for key in [k for k in _CHECKED if k[0] == path]:
        del _CHECKED[key]


def check_grid_models(grid: Grid) -> None:
    """Load and check the model of every ``rule = "model"`` criterion of ``grid`` (E321, E322)."""
    for cid, criterion in grid.criteria.items():
        if criterion.rule == "model":
            grid_model(grid, cid)


def check_model_features(
    grid: Grid, criterion_id: str, metrics: Collection[str], codes: Collection[str]
) -> None:
    """Raise E323 unless the grid's analyzers give every feature the criterion's model reads.

    Args:
        grid: the grid.
        criterion_id: a criterion with ``rule = "model"``.
        metrics: the metrics the grid's analyzers declare (and the conversation's counts).
        codes: the finding codes they may emit.
    """
    model = grid_model(grid, criterion_id)
    absent = [m for m in metric_features(model.features) if m not in metrics]
    if absent:
        raise _error("E323", grid, criterion_id, model.path, features=absent,
                     detail=f"declared metrics: {sorted(metrics)}")
    severities = {str(s) for s in Severity}
    unknown = [
        f"{FINDINGS_PREFIX}{k}" for k in finding_keys(model.features)
        if k not in severities and k not in codes
        and not (k.endswith(".*") and any(c.startswith(k[:-1]) for c in codes))
    ]
    if unknown:
        raise _error("E323", grid, criterion_id, model.path, features=unknown,
                     detail=f"codes emitted: {sorted(codes)}")


def predict_criterion(
    grid: Grid, criterion_id: str, metrics: Mapping[str, float], findings: Sequence[Finding]
) -> ModelPrediction:
    """The criterion's model applied to one conversation's metrics and findings.

    A missing metric is imputed by the model (the median of its training rows, as when it was
    fitted); when every metric it reads is missing, there is nothing to predict from and the
    prediction's ``level`` is None. Finding counts are never missing (no finding counts 0).
    """
    model = grid_model(grid, criterion_id)
    row, counted = feature_row(model.features, metrics, findings)
    values = dict(zip(model.features, (float(v) for v in row.iloc[0]), strict=True))
    measured = {n: values[n] for n in metric_features(model.features)}
    counts = {n.removeprefix(FINDINGS_PREFIX): v for n, v in values.items() if n not in measured}
    if measured and all(math.isnan(v) for v in measured.values()):
        return ModelPrediction(model.path, None, {}, measured, counts, counted)
    proba = model.estimator.row_proba(row.to_numpy()[0])
    classes = [str(c) for c in model.estimator.classes_]
    level = classes[int(proba.argmax())]
    return ModelPrediction(model.path, level, dict(zip(classes, map(float, proba), strict=True)),
                           measured, counts, counted)
