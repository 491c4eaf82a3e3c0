"""Exact-match rate of each timing definition on conversations whose timings were computed by hand.

    python benchmarks/timing_eval.py                       # the frozen set (timing_fr.jsonl)
    python benchmarks/timing_eval.py --data benchmarks/data/timing_dev_fr.jsonl --show 20

Each conversation carries ``expected`` values (response times, holds, relaunches); the
conversation is scored by the ``fr_chat`` pipeline and each metric compared: equal counts, or
durations within 0.5 s (null expected: the metric must be NaN). Target: 100 % on the frozen set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tempfile
import warnings
from pathlib import Path

import chatqa

HERE = Path(__file__).resolve().parent
FROZEN = HERE / "data" / "timing_fr.jsonl"
METRICS = ("first_response_s", "mean_response_time_s", "max_response_time_s", "unanswered_bursts",
           "holds_announced", "holds_kept", "holds_broken", "relaunch_count",
           "relaunch_opportunities", "missed_relaunches")


def same(expected: float | None, got: float) -> bool:
    if expected is None:
        return math.isnan(got)
    return not math.isnan(got) and abs(float(expected) - got) <= 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FROZEN)
    parser.add_argument("--show", type=int, default=10, help="print this many mismatches")
    args = parser.parse_args(argv)
    raw = args.data.read_bytes()
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    print(f"== {args.data.name}: {len(records)} conversations, sha256 "
          f"{hashlib.sha256(raw).hexdigest()[:16]}…")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # clock times without a date: W001, expected here
        path = Path(tmp) / "chats.jsonl"
        path.write_text("\n".join(json.dumps({k: v for k, v in r.items()
                                              if k not in ("expected", "notes")},
                                             ensure_ascii=False) for r in records) + "\n",
                        encoding="utf-8")
        tables = chatqa.Pipeline.from_grid("fr_chat").score_archive(path)
    by_id = {str(row["conversation_id"]): row for row in
             tables.conversations.to_dict(orient="records")}
    misses: list[str] = []
    print(f"   {'definition':26} {'exact':>7}  rate")
    all_right = 0
    for metric in METRICS:
        right = 0
        for r in records:
            got = float(by_id[r["id"]].get(metric, math.nan))
            if same(r["expected"].get(metric), got):
                right += 1
            else:
                misses.append(f"   {r['id']} {metric}: expected {r['expected'].get(metric)}, "
                              f"got {got:g}   ({r.get('notes', '')})")
        all_right += right
        print(f"   {metric:26} {right:3d}/{len(records):<3d} {right / len(records):6.1%}")
    conversations_right = sum(
        all(same(r["expected"].get(m), float(by_id[r["id"]].get(m, math.nan))) for m in METRICS)
        for r in records)
    print(f"   {'every definition':26} {conversations_right:3d}/{len(records):<3d} "
          f"{conversations_right / len(records):6.1%} of conversations right on all")
    if misses and args.show:
        print(f"-- mismatches (first {min(args.show, len(misses))} of {len(misses)})")
        print("\n".join(misses[:args.show]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
