"""The confirmed levels a roll-up is fitted on: read a file, keep one level per pair.

A confirmation is a row ``conversation_id, criterion, level`` (``evaluator`` optional), from
CSV, JSON or JSON Lines (:func:`read_confirmations`). :func:`confirmed_levels` checks them
against the grid (criteria, each criterion's levels) and keeps one level per (conversation,
criterion) that the conversations table holds; what it leaves out is counted in a
:class:`DataSummary`, which the model card reports.

(:func:`chatqa.evaluation.read_confirmations` reads evaluator workbooks; its ``table`` has the
columns these functions need.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chatqa.errors import ConfigError
from chatqa.evaluation.grid import NA, Grid

__all__ = ["CONFIRMATION_COLUMNS", "DataSummary", "confirmed_levels", "read_confirmations"]

CONFIRMATION_COLUMNS = ("conversation_id", "criterion", "level")


@dataclass(frozen=True)
class DataSummary:
    """What the confirmations held, before any criterion was fitted."""

    confirmation_rows: int
    conversations: int
    evaluators: int | None
    unmatched_rows: int
    conflicting_pairs: int


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


def confirmed_levels(
    confirmations: pd.DataFrame, grid: Grid, conversation_ids: pd.Index
) -> tuple[pd.DataFrame, DataSummary, dict[str, int]]:
    """One confirmed level per (conversation, criterion) that the conversations table holds.

    Pairs confirmed twice with different levels are conflicting: left out (and counted), since
    neither level is the evaluators' call.

    Returns:
        The rows (``conversation_id``, ``criterion``, ``level``), the summary and, per
        criterion, the rows whose conversation is not in the table.

    Raises:
        ConfigError: a column is missing or empty, or a criterion or level is not the grid's
            (each criterion's levels are its ``scale``, else the grid's, and ``na``).
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
    _check_against_grid(frame, grid)
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
    return (kept[matched].reset_index(drop=True), summary,
            {k: int(v) for k, v in unmatched.items()})


def _check_against_grid(frame: pd.DataFrame, grid: Grid) -> None:
    """Raise ConfigError on a criterion the grid lacks, or a level outside its criterion's."""
    unknown_criteria = sorted(set(frame["criterion"]) - set(grid.criteria))
    if unknown_criteria:
        raise ConfigError(
            f"The confirmations name criteria {unknown_criteria} that grid {grid.name!r} does "
            f"not have; its criteria: {list(grid.criteria)}. Were they made with another grid?"
        )
    bad: dict[str, set[str]] = {}
    for cid, levels in frame.groupby("criterion", sort=False)["level"]:
        allowed = {*grid.scale(cid).order, NA}
        outside = set(levels) - allowed
        if outside:
            bad[cid] = outside
    if bad:
        unknown = sorted(set().union(*bad.values()))
        where = "; ".join(f"{cid!r}: its levels {[*grid.scale(cid).order, NA]}"
                          for cid in bad)
        raise ConfigError(
            f"The confirmations hold levels {unknown} that grid {grid.name!r} does not have "
            f"for their criterion ({where})."
        )
