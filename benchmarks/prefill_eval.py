"""How close the pre-filled form is to an evaluator: per-criterion kappa on graded conversations.

    python benchmarks/prefill_eval.py                        # the frozen set (prefill_fr.jsonl)
    python benchmarks/prefill_eval.py --data benchmarks/data/prefill_dev_fr.jsonl  # tuning
    python benchmarks/prefill_eval.py --real                 # level distribution on PMC chats
    python benchmarks/prefill_eval.py --learned    # + the learned roll-up, cross-validated

Each conversation carries an evaluator's ``grades`` (one level per ``fr_chat`` criterion). The
conversations are scored by the grid's rules; per criterion the script prints the pairs where
both gave a level, exact agreement, quadratic-weighted Cohen's kappa (scikit-learn) with a
bootstrap 95 % interval over conversations, and, apart, how ``na`` agrees. Target: kappa
>= 0.60 on every criterion.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

import chatqa
from chatqa.evaluation import Grid, load_grid

HERE = Path(__file__).resolve().parent
FROZEN = HERE / "data" / "prefill_fr.jsonl"
PMC = HERE.parent.parent / "shared" / "data" / "chats_fr_pmc" / "conversations.jsonl"
NA = "na"


def score(records: list[dict], grid: str) -> chatqa.Tables:
    """Score the conversations (without their grades) with the grid's rules."""
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # clock times without a date (W001): expected here
        path = Path(tmp) / "chats.jsonl"
        path.write_text("\n".join(json.dumps({k: v for k, v in r.items()
                                              if k not in ("grades", "profile")},
                                             ensure_ascii=False) for r in records) + "\n",
                        encoding="utf-8")
        return chatqa.Pipeline.from_grid(grid).score_archive(path)


def kappa(human: list[str], machine: list[str], order: list[str]) -> float:
    if len(set(human)) < 2 and len(set(machine)) < 2:
        return float("nan")
    return float(cohen_kappa_score(human, machine, labels=order, weights="quadratic"))


def bootstrap(human: list[str], machine: list[str], order: list[str], n: int = 1000,
              seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    h, m = np.array(human), np.array(machine)
    values = []
    for _ in range(n):
        idx = rng.integers(0, len(h), len(h))
        k = kappa(list(h[idx]), list(m[idx]), order)
        if not np.isnan(k):
            values.append(k)
    if not values:
        return float("nan"), float("nan")
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def compare(records: list[dict], forms: pd.DataFrame, grid: Grid,
            column: str = "level") -> pd.DataFrame:
    """One row per criterion: pairs, exact agreement, kappa and its interval, na apart."""
    proposed = {(str(r.conversation_id), r.criterion): getattr(r, column)
                for r in forms.itertuples(index=False)}
    rows = []
    for cid in grid.criteria:
        order = list(grid.scale(cid).order)
        pairs = [(r["grades"][cid], proposed.get((r["id"], cid), NA)) for r in records]
        both = [(h, m) for h, m in pairs if h != NA and m != NA]
        human = [h for h, _ in both]
        machine = [m for _, m in both]
        k = kappa(human, machine, order) if both else float("nan")
        low, high = bootstrap(human, machine, order) if both else (float("nan"),) * 2
        rows.append({
            "criterion": cid, "pairs": len(both),
            "exact": np.mean([h == m for h, m in both]) if both else float("nan"),
            "kappa": k, "kappa_low": low, "kappa_high": high,
            "na_human": sum(h == NA for h, _ in pairs),
            "na_machine": sum(m == NA for _, m in pairs),
            "na_both": sum(h == NA and m == NA for h, m in pairs),
        })
    return pd.DataFrame(rows)


def print_table(df: pd.DataFrame, title: str) -> None:
    print(f"-- {title}")
    print(f"   {'criterion':24} {'pairs':>5} {'exact':>6} {'kappa':>6}  {'95 % interval':15}"
          f" {'na: human':>9} {'machine':>7} {'both':>4}")
    for r in df.itertuples(index=False):
        interval = f"[{r.kappa_low:+.2f}, {r.kappa_high:+.2f}]"
        mark = "met" if r.kappa >= 0.60 else "missed"
        print(f"   {r.criterion:24} {r.pairs:5d} {r.exact:6.2f} {r.kappa:+6.3f}  {interval:15}"
              f" {r.na_human:9d} {r.na_machine:7d} {r.na_both:4d}   {mark}")


def real(grid_name: str) -> None:
    """Level distribution of each criterion on the real PMC chats."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = chatqa.Pipeline.from_grid(grid_name).score_archive(PMC)
    conversations = tables.conversations
    print(f"== {PMC.name} (real French chats): {len(conversations)} conversations, "
          f"{int((~conversations['reviewable'].astype(bool)).sum())} not reviewable")
    reasons = Counter(conversations.loc[~conversations["reviewable"].astype(bool),
                                        "reviewable_reason"])
    for reason, n in reasons.most_common():
        print(f"   not reviewable: {n:3d}  {reason}")
    counts = pd.crosstab(tables.forms["criterion"], tables.forms["level"])
    order = [c for c in ("a_ameliorer", "bon", "exceptionnel", "na") if c in counts]
    print(counts.reindex(list(dict.fromkeys(tables.forms["criterion"])))[order].to_string())
    scored = conversations["overall_score"].dropna()
    print(f"   overall score: median {scored.median():.1f}, "
          f"results {dict(Counter(conversations['overall_result']))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FROZEN)
    parser.add_argument("--grid", default="fr_chat")
    parser.add_argument("--real", action="store_true", help="level distribution on PMC chats")
    parser.add_argument("--learned", action="store_true",
                        help="also the learned roll-up, cross-validated on the same set")
    parser.add_argument("--show", type=int, default=0, help="print disagreements per criterion")
    args = parser.parse_args(argv)
    raw = args.data.read_bytes()
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    grid = load_grid(args.grid)
    print(f"== {args.data.name}: {len(records)} graded conversations, sha256 "
          f"{hashlib.sha256(raw).hexdigest()[:16]}…, grid {grid.name}")
    tables = score(records, args.grid)
    print_table(compare(records, tables.forms, grid),
                f"{grid.name} as shipped (its rules, and its models where rule = model)")
    if args.show:
        proposed = {(str(r.conversation_id), r.criterion): (r.level, r.reason)
                    for r in tables.forms.itertuples(index=False)}
        for cid in grid.criteria:
            wrong = [(r["id"], r["grades"][cid], *proposed[(r["id"], cid)]) for r in records
                     if r["grades"][cid] != proposed[(r["id"], cid)][0]]
            print(f"-- {cid}: {len(wrong)} disagreements")
            for rid, human, machine, reason in wrong[:args.show]:
                print(f"   {rid} human={human:13} machine={machine:13} {reason[:110]}")
    if args.learned:
        learned(records, tables, grid)
    if args.real:
        real(args.grid)
    return 0


def learned(records: list[dict], tables: chatqa.Tables, grid: Grid) -> None:
    """Cross-validated kappa of the learned roll-up fitted on the set's own grades."""
    from chatqa.evaluation.rollup import cv_table, fit_rollup

    confirmations = pd.DataFrame(
        [{"conversation_id": r["id"], "criterion": cid, "level": level, "evaluator": "grader"}
         for r in records for cid, level in r["grades"].items()])
    models = fit_rollup(tables.conversations, confirmations, grid, cv=5, seed=0,
                        findings=tables.findings, forms=tables.forms)
    print("-- learned roll-up (ordinal logistic regression per criterion, 5-fold CV on this "
          "set's own grades; rule_kappa: the grid's rules on the same pairs)")
    print(cv_table(models).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
