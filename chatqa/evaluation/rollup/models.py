"""A grid's fitted roll-up: one model per criterion, saved, loaded back and applied to a table.

:class:`RollupModels` is what :func:`~chatqa.evaluation.rollup.fit_rollup` returns. It saves
``<folder>/<grid>/<criterion>.joblib`` and ``MODEL_CARD.md``, loads them back only for the grid
(name and sha256) and features they were fitted on, and predicts a level and a confidence (the
max probability) per conversation and criterion of a ``conversations`` table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from chatqa.errors import ConfigError
from chatqa.evaluation.grid import NA, Grid, load_grid
from chatqa.evaluation.rollup import card
from chatqa.evaluation.rollup.confirmations import DataSummary
from chatqa.evaluation.rollup.crossval import CVReport
from chatqa.evaluation.rollup.estimator import OrdinalClassifier
from chatqa.evaluation.rollup.features import FINDINGS_PREFIX, feature_frame, features_of
from chatqa.evaluation.rollup.payload import (
    PayloadError,
    grid_fingerprint,
    make_payload,
    payload_problem,
    read_payload,
)

__all__ = ["CriterionModel", "RollupModels", "as_grid"]

PREDICTION_COLUMNS = ["conversation_id", "criterion", "level", "confidence", "reason"]


def as_grid(grid: Grid | str | Path) -> Grid:
    """``grid``, loaded when it is a name or a path."""
    return grid if isinstance(grid, Grid) else load_grid(grid)


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


@dataclass
class RollupModels:
    """The learned roll-up of one grid: a model per criterion, and the criteria skipped."""

    grid: Grid
    models: dict[str, CriterionModel]
    skipped: dict[str, str] = field(default_factory=dict)
    data: DataSummary | None = None
    created: str = ""
    chatqa_version: str = ""
    licence: str = card.DEFAULT_LICENCE
    settings: dict[str, Any] = field(default_factory=dict)

    def cv_table(self) -> pd.DataFrame:
        """One row per fitted criterion: rows, levels, folds, kappa, agreement, calibration.

        The same as :func:`~chatqa.evaluation.rollup.cv_table` ``(self)``.
        """
        return card.cv_table(self)

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
            ConfigError: a feature column is missing (``pass findings=`` for finding counts).
        """
        ids = conversations["conversation_id"].astype(str).to_numpy()
        table = conversations.set_index(pd.Index(ids))
        records = None
        parts = []
        for cid, model in self.models.items():
            X = feature_frame(table, model.features, findings, cid).reset_index(drop=True)
            proba = model.estimator.predict_proba(X)
            level = model.estimator.classes_[proba.argmax(axis=1)].astype(object)
            confidence = proba.max(axis=1)
            reason = np.array(["model"] * len(ids), dtype=object)
            criterion = self.grid.criteria[cid]
            if criterion.applicable_if is not None:
                if records is None:
                    records = conversations.to_dict("records")
                for i, metrics in enumerate(records):
                    unmet = criterion.applicable_if.unmet(
                        {k: v for k, v in metrics.items() if isinstance(v, int | float)},
                        criterion.na_reason,
                    )
                    if unmet is not None:
                        level[i], confidence[i], reason[i] = NA, 1.0, unmet[0]
            parts.append(pd.DataFrame({
                "conversation_id": ids, "criterion": cid, "level": level,
                "confidence": confidence, "reason": reason, "_row": np.arange(len(ids)),
            }))
        if not parts:
            return pd.DataFrame(columns=PREDICTION_COLUMNS)
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
            joblib.dump(make_payload(self, model), path)
            written.append(path)
        path = out / card.MODEL_CARD
        path.write_text(card.model_card(self), encoding="utf-8")
        written.append(path)
        return written

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
            features: the features the models must read, as in ``fit_rollup``; default
                each criterion's metrics in the grid (and its finding counts, for a model
                fitted with them).

        Raises:
            ConfigError: no models there, or a model fitted for another grid (name or
                sha256), another feature list, another level order, or by another payload
                format.
        """
        grid = as_grid(grid)
        where = Path(folder) / grid.name
        paths = sorted(where.glob("*.joblib")) if where.is_dir() else []
        if not paths:
            raise ConfigError(
                f"No roll-up models for grid {grid.name!r} in '{where}': fit them with "
                "`chatqa fit-rollup`."
            )
        payloads = {}
        for path in paths:
            payload = _checked_payload(path, grid, features)
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


def _checked_payload(
    path: Path, grid: Grid, features: Sequence[str] | Mapping[str, Sequence[str]] | None,
) -> dict[str, Any]:
    """The payload of ``path``; ConfigError unless it fits ``grid`` (sha256 and features too)."""

    def refuse(problem: str) -> ConfigError:
        return ConfigError(f"Refusing the roll-up model '{path}': {problem}. Refit it with "
                           "`chatqa fit-rollup` for this grid.")

    try:
        payload = read_payload(path)
    except PayloadError as exc:
        raise refuse(str(exc)) from None
    problem = payload_problem(payload, grid)
    if problem:
        raise refuse(f"it {problem}")
    sha = grid_fingerprint(grid)
    if payload["grid_sha256"] != sha:
        raise refuse(
            f"it was fitted for grid {payload['grid']!r} with sha256 {payload['grid_sha256']}, "
            f"and the grid given is {grid.name!r} with sha256 {sha}: its criteria, levels or "
            "analyzer parameters may differ"
        )
    cid = payload["criterion"]
    with_findings = any(f.startswith(FINDINGS_PREFIX) for f in payload["features"])
    expected = list(features_of(grid, cid, features, with_findings))
    if payload["features"] != expected:
        raise refuse(
            f"it reads the features {payload['features']}, not {expected} "
            f"({'the features given' if features is not None else 'what the grid reads'})"
        )
    return payload
