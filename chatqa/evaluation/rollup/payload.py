"""The ``.joblib`` file of one criterion's model: what it holds, reading it, checking it.

A payload is a dict: the fitted :class:`~chatqa.evaluation.rollup.estimator.OrdinalClassifier`,
its features and levels, and what the model card needs (grid name and sha256, criterion,
training counts, cross-validation). :func:`payload_problem` says what makes a payload unfit for
a criterion of a grid: another grid name or criterion, an estimator that reads other columns
than the payload lists, or levels outside the criterion's scale. The grid's sha256 is *not*
part of it: :meth:`RollupModels.load` checks it on top, the grid rule ``model`` does not (its
own ``rule = "model"`` line changes the grid's sha256).

A ``.joblib`` file is a pickle, which runs code when loaded: load only files from a trusted
source.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import sklearn

from chatqa.evaluation.grid import Grid

if TYPE_CHECKING:
    from chatqa.evaluation.rollup.models import CriterionModel, RollupModels

__all__ = ["PAYLOAD_FORMAT", "PayloadError", "grid_fingerprint", "make_payload", "payload_problem",
           "read_payload"]

#: Version of the ``.joblib`` payload; a file of another format is refused.
PAYLOAD_FORMAT = 1


class PayloadError(ValueError):
    """A model file that cannot be read as a roll-up payload; the message says why.

    Internal: callers turn it into their own error (``ConfigError``, or ``GridError`` E321
    for a grid's ``model`` criterion).
    """


def grid_fingerprint(grid: Grid) -> str:
    """The grid file's sha256; for a grid built in memory, the sha256 of its JSON dump."""
    if grid.sha256:
        return grid.sha256
    return hashlib.sha256(grid.model_dump_json().encode("utf-8")).hexdigest()


def make_payload(models: RollupModels, model: CriterionModel) -> dict[str, Any]:
    """The dict saved as ``<criterion>.joblib`` for ``model``, one of ``models``."""
    return {
        "format": PAYLOAD_FORMAT,
        "grid": models.grid.name,
        "grid_sha256": grid_fingerprint(models.grid),
        "criterion": model.criterion,
        "features": list(model.features),
        "classes": [str(c) for c in model.estimator.classes_],
        "estimator": model.estimator,
        "level_counts": dict(model.level_counts),
        "na_rows": model.na_rows,
        "cv": model.cv.__dict__ | {"brier": dict(model.cv.brier)},
        "data": None if models.data is None else models.data.__dict__,
        "skipped": dict(models.skipped),
        "created": models.created,
        "chatqa_version": models.chatqa_version,
        "sklearn_version": sklearn.__version__,
        "licence": models.licence,
        "settings": dict(models.settings),
    }


def read_payload(path: Path) -> dict[str, Any]:
    """Load a ``.joblib`` payload (a pickle: trusted files only).

    Raises:
        PayloadError: the file is missing, cannot be unpickled, or is not a roll-up payload
            of :data:`PAYLOAD_FORMAT`.
    """
    if not path.is_file():
        raise PayloadError("no such file" if not path.exists() else "it is not a file")
    try:
        payload = joblib.load(path)
    except Exception as exc:  # a damaged pickle raises many kinds (EOFError, KeyError, ...)
        raise PayloadError(f"it cannot be read ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != PAYLOAD_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise PayloadError(f"it is not a chatqa roll-up model of format {PAYLOAD_FORMAT} "
                           f"(found {found!r})")
    return payload


def payload_problem(payload: dict[str, Any], grid: Grid, criterion: str | None = None) -> str:
    """What makes ``payload`` unfit for ``criterion`` of ``grid``; ``""`` when it fits.

    Checked: the grid name, the criterion (``criterion``, else any of the grid's), that the
    estimator was fitted on the features the payload lists, and that its levels are in the
    criterion's scale, in order. The phrase follows "the model ... " or "it ...".
    """
    cid = payload["criterion"]
    if payload["grid"] != grid.name and payload["grid"] not in grid.grid.lineage:
        extends = f" (nor for a grid it extends: {list(grid.grid.lineage)})" \
            if grid.grid.lineage else ""
        return f"was fitted for grid {payload['grid']!r}, not for grid {grid.name!r}{extends}"
    if criterion is not None and cid != criterion:
        return f"was fitted for criterion {cid!r}, not for {criterion!r}"
    if cid not in grid.criteria:
        return f"was fitted for criterion {cid!r}, which grid {grid.name!r} does not have"
    estimator = payload["estimator"]
    fitted = [str(f) for f in getattr(estimator, "feature_names_in_", [])]
    if fitted != list(payload["features"]):
        return f"holds an estimator fitted on {fitted}, not on its features {payload['features']}"
    order = list(grid.scale(cid).order)
    classes = list(payload["classes"])
    if [str(c) for c in getattr(estimator, "classes_", [])] != classes:
        return (f"holds an estimator of levels {list(getattr(estimator, 'classes_', []))}, "
                f"not of its levels {classes}")
    if any(c not in order for c in classes) or classes != sorted(classes, key=order.index):
        return (f"proposes the levels {classes}, not levels of criterion {cid!r}'s scale "
                f"{order} in its order (worst to best)")
    return ""
