"""How far the machine's proposals (or two evaluators) agree, per criterion.

For each criterion, over the pairs of levels given to one conversation:

- ``pairs``: every pair; ``graded``: pairs where both sides gave a level (not ``na``);
- ``exact``: the share of graded pairs with the same level;
- ``kappa``: Cohen's kappa with quadratic weights over the grid's levels, worst to best
  (``sklearn.metrics.cohen_kappa_score(..., weights="quadratic", labels=order)``): one level
  apart costs 1, two apart 4. It is NaN, with a ``note`` saying why, when either side used
  fewer than 2 distinct levels (kappa is then 0/0, not a measure of agreement);
- ``kappa_low`` / ``kappa_high``: a 95 % percentile bootstrap interval, resampling
  conversations (all pairs of a conversation together), with a fixed seed; resamples where
  kappa is undefined are left out, and the ``note`` says how many the interval rests on;
- ``na_pairs`` (either side said ``na``), ``na_both`` and ``na_agreement`` (their ratio):
  applicability, reported apart from the levels.

Several evaluators on one conversation give one pair each with the machine
(:func:`agreement`); :func:`evaluator_agreement` pairs evaluators with each other (calibration,
quality circles). An evaluator's latest confirmation of a criterion counts, whatever the run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chatqa.errors import ConfigError, Errors
from chatqa.evaluation.confirmations import Confirmations
from chatqa.evaluation.grid import NA, Grid
from chatqa.evaluation.workbook import level_labels

__all__ = ["STAT_COLUMNS", "AgreementReport", "agreement", "evaluator_agreement",
           "weighted_kappa"]

#: Columns of :meth:`AgreementReport.to_frame`, after the criterion (and the two raters).
STAT_COLUMNS = ("pairs", "graded", "exact", "kappa", "kappa_low", "kappa_high", "na_pairs",
                "na_both", "na_agreement", "note")
#: Pairs of the long table every report keeps.
PAIR_COLUMNS = ["criterion", "conversation_id", "rater_a", "rater_b", "level_a", "level_b"]
#: Conversations x bootstrap draws held in memory at once.
BOOTSTRAP_CELLS = 4_000_000


def weighted_kappa(confusion: np.ndarray) -> np.ndarray:
    """Quadratic-weighted Cohen's kappa of confusion matrices (``(..., k, k)``); NaN if 0/0.

    The formula of ``sklearn.metrics.cohen_kappa_score(weights="quadratic")``, on many
    matrices at once (the bootstrap): ``1 - Σ w·observed / Σ w·expected`` with
    ``w[i, j] = (i - j)²`` and ``expected`` the outer product of the margins over ``n``.
    """
    observed = np.asarray(confusion, dtype=float)
    k = observed.shape[-1]
    weights = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2
    n = observed.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (observed.sum(axis=-1)[..., :, None] * observed.sum(axis=-2)[..., None, :]
                    / n[..., None, None])
        disagreement = (weights * observed).sum(axis=(-2, -1))
        chance = (weights * expected).sum(axis=(-2, -1))
        return np.where(chance > 0, 1 - disagreement / chance, np.nan)


@dataclass(frozen=True, eq=False)
class AgreementReport:
    """Agreement per criterion (and per pair of raters), from the pairs of levels behind it.

    ``pairs`` is the long table (criterion, conversation_id, rater_a, rater_b, level_a,
    level_b); ``stats`` one row per criterion (machine report) or per criterion and pair of
    evaluators (calibration report).
    """

    pairs: pd.DataFrame
    stats: pd.DataFrame
    levels: tuple[str, ...]
    labels: dict[str, str]
    criteria: dict[str, str]
    side_a: str = "machine"
    side_b: str = "evaluator"

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion (and pair of raters): the statistics of the module docstring."""
        return self.stats.copy()

    def confusion(self, criterion: str, *, pair: tuple[str, str] | None = None,
                  include_na: bool = False) -> pd.DataFrame:
        """Counts of ``side_a`` level (rows) × ``side_b`` level (columns), worst to best.

        Args:
            criterion: a criterion id of the grid.
            pair: two evaluators (calibration report); all pairs are summed when None.
            include_na: add ``na`` as the last row and column.

        Raises:
            ConfigError: E316 for a criterion the grid does not have.
        """
        if criterion not in self.criteria:
            raise ConfigError(Errors.E316.format(criterion=criterion,
                                                 available=list(self.criteria)))
        pairs = self.pairs[self.pairs["criterion"] == criterion]
        if pair is not None:
            a, b = sorted(pair)
            pairs = pairs[(pairs["rater_a"] == a) & (pairs["rater_b"] == b)]
        order = [*self.levels, NA] if include_na else list(self.levels)
        index = {level: i for i, level in enumerate(order)}
        counts = np.zeros((len(order), len(order)), dtype="int64")
        for a, b in zip(pairs["level_a"], pairs["level_b"], strict=True):
            if a in index and b in index:
                counts[index[a], index[b]] += 1
        return pd.DataFrame(counts, index=pd.Index(order, name=self.side_a),
                            columns=pd.Index(order, name=self.side_b))

    def to_markdown(self) -> str:
        """The statistics as a plain-text (Markdown) table."""
        stats = self.stats
        raters = ["rater_a", "rater_b"] if "rater_a" in stats.columns else []
        header = ["criterion", *raters, "pairs", "graded", "exact", "kappa", "95 % interval",
                  "na pairs", "both na", "note"]
        lines = [header, ["---"] * len(header)]
        for row in stats.itertuples(index=False):
            interval = ("" if _missing(row.kappa_low)
                        else f"[{row.kappa_low:.2f}, {row.kappa_high:.2f}]")
            lines.append([
                row.criterion, *(getattr(row, r) for r in raters), str(row.pairs),
                str(row.graded), _number(row.exact), _number(row.kappa), interval,
                str(row.na_pairs), str(row.na_both), row.note,
            ])
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
        return "\n".join(
            "| " + " | ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True))
            + " |" for line in lines
        )

    def plot(self, path: str | Path, *, columns: int = 3) -> Path:
        """Save the confusion matrices (one per row of the report) as a PNG.

        Raises:
            ConfigError: E317 when matplotlib is not installed (``pip install matplotlib``).
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise ConfigError(Errors.E317.format(problem=exc)) from None
        path = Path(path)
        panels = list(self.stats.itertuples(index=False))
        n_cols = max(1, min(columns, len(panels)))
        n_rows = max(1, math.ceil(len(panels) / n_cols))
        figure = Figure(figsize=(4.2 * n_cols, 3.9 * n_rows), layout="constrained")
        axes = figure.subplots(n_rows, n_cols, squeeze=False)
        names = [self.labels.get(level, level) for level in self.levels]
        for ax in axes.flat[len(panels):]:
            ax.set_axis_off()
        for ax, row in zip(axes.flat, panels, strict=False):
            pair = (row.rater_a, row.rater_b) if "rater_a" in self.stats.columns else None
            counts = self.confusion(row.criterion, pair=pair).to_numpy()
            ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(1, counts.max()))
            for (i, j), count in np.ndenumerate(counts):
                ax.text(j, i, str(count), ha="center", va="center",
                        color="white" if count > counts.max() / 2 else "black")
            ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
            ax.set_yticks(range(len(names)), names, fontsize=8)
            ax.set_xlabel(pair[1] if pair else self.side_b, fontsize=8)
            ax.set_ylabel(pair[0] if pair else self.side_a, fontsize=8)
            kappa = "kappa n/a" if _missing(row.kappa) else f"kappa {row.kappa:.2f}"
            title = self.criteria.get(row.criterion, row.criterion)
            title = title if len(title) <= 38 else title[:37] + "…"
            ax.set_title(f"{title}\n{kappa}, {row.graded} graded", fontsize=9)
        figure.savefig(path, dpi=100)
        return path


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> str:
    return "" if _missing(value) else f"{value:.2f}"


def _confirmation_table(confirmations: Confirmations | pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """The confirmations as a table, checked, one row per evaluator, conversation and criterion."""
    table = (confirmations.table if isinstance(confirmations, Confirmations)
             else confirmations)
    needed = ["conversation_id", "criterion", "evaluator", "level"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ConfigError(Errors.E319.format(problem=f"has no column(s) {missing}",
                                             expected=needed))
    if "grid_sha256" in table.columns and grid.sha256:
        found = sorted({str(s) for s in table["grid_sha256"].dropna()} - {grid.sha256})
        if found:
            raise ConfigError(Errors.E309.format(found=found, grid=grid.name,
                                                 expected=grid.sha256))
    allowed = [*grid.levels.order, NA]
    unknown = sorted({str(v) for v in table["level"].dropna()} - set(allowed))
    if unknown:
        raise ConfigError(Errors.E319.format(
            problem=f"has levels {unknown} that the grid {grid.name!r} does not know "
            f"(its levels: {allowed}); levels are ids, as read_confirmations stores them",
            expected=needed))
    table = table.dropna(subset=needed)
    if "time" in table.columns:
        table = table.sort_values("time", kind="stable")
    keep = table.drop_duplicates(["conversation_id", "criterion", "evaluator"], keep="last")
    return keep[needed].astype("object").reset_index(drop=True)


def agreement(
    forms: pd.DataFrame,
    confirmations: Confirmations | pd.DataFrame,
    grid: Grid,
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> AgreementReport:
    """Agreement of the machine's proposals with the evaluators' confirmed levels.

    Args:
        forms: the ``forms`` table of the run (``conversation_id``, ``criterion``, ``level``).
        confirmations: :func:`~chatqa.evaluation.read_confirmations`'s result, or its table.
        grid: the grid of the run (level order, labels, criteria).
        n_boot: bootstrap resamples of the conversations for the kappa interval.
        seed: the bootstrap's seed (the same report every time).

    Returns:
        One row per criterion of the grid, in grid order; every evaluator's confirmation is a
        pair with the machine's proposal.

    Raises:
        ConfigError: E309 for confirmations of another grid version, E319 for a table without
            the needed columns or with unknown levels.
    """
    confirmed = _confirmation_table(confirmations, grid)
    machine = forms[["conversation_id", "criterion", "level"]].astype("object")
    machine = machine.dropna().drop_duplicates(["conversation_id", "criterion"])
    joined = confirmed.merge(machine, on=["conversation_id", "criterion"],
                             suffixes=("_b", "_a"))
    pairs = pd.DataFrame({
        "criterion": joined["criterion"], "conversation_id": joined["conversation_id"],
        "rater_a": "machine", "rater_b": joined["evaluator"],
        "level_a": joined["level_a"], "level_b": joined["level_b"],
    }, columns=PAIR_COLUMNS)
    rows = [{"criterion": cid, **_stats(pairs[pairs["criterion"] == cid], grid, n_boot, seed,
                                        ("the machine", "the evaluators"))}
            for cid in grid.criteria]
    return _report(pairs, rows, grid, ("machine", "evaluator"))


def evaluator_agreement(
    confirmations: Confirmations | pd.DataFrame,
    grid: Grid,
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> AgreementReport:
    """Agreement between evaluators who graded the same conversations (calibration).

    Each pair of evaluators (in alphabetical order: ``rater_a`` < ``rater_b``) is compared
    per criterion on the conversations both graded.

    Returns:
        One row per pair of evaluators that share a conversation and criterion of the grid.

    Raises:
        ConfigError: as :func:`agreement`.
    """
    confirmed = _confirmation_table(confirmations, grid)
    frames = []
    evaluators = sorted(confirmed["evaluator"].unique())
    by_evaluator = {e: confirmed[confirmed["evaluator"] == e] for e in evaluators}
    for a, b in combinations(evaluators, 2):
        joined = by_evaluator[a].merge(by_evaluator[b], on=["conversation_id", "criterion"],
                                       suffixes=("_a", "_b"))
        if len(joined):
            frames.append(pd.DataFrame({
                "criterion": joined["criterion"], "conversation_id": joined["conversation_id"],
                "rater_a": a, "rater_b": b,
                "level_a": joined["level_a"], "level_b": joined["level_b"],
            }, columns=PAIR_COLUMNS))
    pairs = (pd.concat(frames, ignore_index=True) if frames
             else pd.DataFrame(columns=PAIR_COLUMNS))
    rows = []
    for a, b in pairs[["rater_a", "rater_b"]].drop_duplicates().itertuples(index=False):
        of_pair = pairs[(pairs["rater_a"] == a) & (pairs["rater_b"] == b)]
        for cid in grid.criteria:
            rows.append({"criterion": cid, "rater_a": a, "rater_b": b,
                         **_stats(of_pair[of_pair["criterion"] == cid], grid, n_boot, seed,
                                  (a, b))})
    return _report(pairs, rows, grid, ("evaluator_a", "evaluator_b"))


def _report(pairs: pd.DataFrame, rows: Sequence[dict[str, Any]], grid: Grid,
            sides: tuple[str, str]) -> AgreementReport:
    raters = ["rater_a", "rater_b"] if sides[0] != "machine" else []
    columns = ["criterion", *raters, *STAT_COLUMNS]
    stats = pd.DataFrame(list(rows), columns=columns)
    for column in ("pairs", "graded", "na_pairs", "na_both"):
        stats[column] = stats[column].astype("int64")
    for column in ("exact", "kappa", "kappa_low", "kappa_high", "na_agreement"):
        stats[column] = stats[column].astype("float64")
    return AgreementReport(
        pairs=pairs.reset_index(drop=True), stats=stats, levels=tuple(grid.levels.order),
        labels=level_labels(grid), criteria={c: v.label or c for c, v in grid.criteria.items()},
        side_a=sides[0], side_b=sides[1],
    )


def _stats(pairs: pd.DataFrame, grid: Grid, n_boot: int, seed: int,
           sides: tuple[str, str]) -> dict[str, Any]:
    """The statistics of one criterion's pairs."""
    from sklearn.metrics import cohen_kappa_score

    order = list(grid.levels.order)
    na_a, na_b = pairs["level_a"] == NA, pairs["level_b"] == NA
    either, both = na_a | na_b, na_a & na_b
    graded = pairs[~either]
    out: dict[str, Any] = {
        "pairs": len(pairs), "graded": len(graded),
        "exact": (float((graded["level_a"] == graded["level_b"]).mean()) if len(graded)
                  else math.nan),
        "kappa": math.nan, "kappa_low": math.nan, "kappa_high": math.nan,
        "na_pairs": int(either.sum()), "na_both": int(both.sum()),
        "na_agreement": float(both.sum() / either.sum()) if either.any() else math.nan,
        "note": "",
    }
    if not len(graded):
        out["note"] = ("no pair graded on both sides" if len(pairs)
                       else "no confirmation")
        return out
    labels = level_labels(grid)
    for side, column in zip(sides, ("level_a", "level_b"), strict=True):
        used = sorted(set(graded[column]), key=order.index)
        if len(used) < 2:
            out["note"] = (f"kappa undefined: {side} gave one level only "
                           f"({labels[used[0]]}) on the {len(graded)} graded pair(s)")
            return out
    out["kappa"] = float(cohen_kappa_score(graded["level_a"], graded["level_b"],
                                           labels=order, weights="quadratic"))
    out["kappa_low"], out["kappa_high"], used = _bootstrap(graded, order, n_boot, seed)
    if 0 < n_boot and used < n_boot:
        out["note"] = (f"interval from {used} of {n_boot} resamples (the others had one level "
                       "only on a side)")
    return out


def _bootstrap(graded: pd.DataFrame, order: Sequence[str], n_boot: int,
               seed: int) -> tuple[float, float, int]:
    """95 % percentile interval of kappa, resampling conversations with replacement.

    Resamples where kappa is undefined (one level only on a side) are left out; the third
    value is how many resamples the interval rests on.
    """
    if n_boot < 1:
        return math.nan, math.nan, 0
    k = len(order)
    index = {level: i for i, level in enumerate(order)}
    clusters, _ = pd.factorize(graded["conversation_id"])
    m = int(clusters.max()) + 1
    per_cluster = np.zeros((m, k, k))
    np.add.at(per_cluster, (clusters, graded["level_a"].map(index).to_numpy(int),
                            graded["level_b"].map(index).to_numpy(int)), 1)
    flat = per_cluster.reshape(m, k * k)
    rng = np.random.default_rng(seed)
    batch = max(1, BOOTSTRAP_CELLS // m)
    kappas = []
    for start in range(0, n_boot, batch):
        size = min(batch, n_boot - start)
        counts = rng.multinomial(m, np.full(m, 1 / m), size=size)
        kappas.append(weighted_kappa((counts @ flat).reshape(size, k, k)))
    values = np.concatenate(kappas)
    values = values[~np.isnan(values)]
    if not len(values):
        return math.nan, math.nan, 0
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high), len(values)
