"""What a fitted roll-up says about itself: the cross-validation table and the model card.

:func:`cv_table` is one row per fitted criterion (rows, levels, folds, kappa, agreement,
calibration); :func:`model_card` is ``MODEL_CARD.md``, in the usual headings (Mitchell et al.,
2019), written beside the models by :meth:`RollupModels.save`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd
import sklearn

from chatqa.evaluation.rollup.crossval import ECE_BINS
from chatqa.evaluation.rollup.payload import grid_fingerprint

if TYPE_CHECKING:
    from chatqa.evaluation.rollup.models import RollupModels

__all__ = ["DEFAULT_LICENCE", "MODEL_CARD", "cv_table", "model_card"]

#: The licence of the training data written in a model card unless another is given.
DEFAULT_LICENCE = "the client's own confirmations"
#: The model card's file name, beside the models.
MODEL_CARD = "MODEL_CARD.md"
CV_COLUMNS = ["criterion", "rows", "na", "levels", "folds", "qw_kappa", "agreement", "majority",
              "rule_agreement", "rule_kappa", "ece", "brier", "note"]


def _num(x: float, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals; a dash for NaN or None."""
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
    return pd.DataFrame(rows, columns=CV_COLUMNS)


def _markdown(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table (NaN as a dash, ``|`` escaped)."""

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
        "confirmed levels in the order of its scale (the grid's "
        f"{list(grid.levels.order)} unless it has its own).",
        "- Fitting: " + (", ".join(f"`{k}={v!r}`" for k, v in models.settings.items())
                         or "not recorded") + " (`findings`: whether finding counts were "
        "features).",
        "- Files: one `<criterion>.joblib` per criterion (a pickle: load only from a trusted "
        "source); `RollupModels.load` refuses a model fitted for another grid sha256 or "
        "feature list; a grid criterion with `rule = \"model\"` refuses one fitted for another "
        "grid name or criterion, with other levels, or on features its analyzers lack.",
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
              "conversation's findings counted under that code, code family or severity (a "
              "finding under its code, else its longest family, else its severity, among the "
              "criterion's keys, as a `weighted_score` weighs it).", ""]
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
        "- Refit after the grid, the analyzers or the evaluators' guidelines change: "
        "`RollupModels.load` ties a model to the grid's sha256 (a grid's `rule = \"model\"` "
        "checks only its name, the criterion, the levels and the features).",
        "",
    ]
    return "\n".join(lines)
