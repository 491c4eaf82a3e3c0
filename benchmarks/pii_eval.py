"""Measure chatqa.privacy on a labelled set of snippets, and audit it on real chats.

    python benchmarks/pii_eval.py                                      # frozen set (final figures)
    python benchmarks/pii_eval.py --data benchmarks/data/pii_dev_fr.jsonl   # development set
    python benchmarks/pii_eval.py --real                               # real chats: sample to judge

Per kind of gold PII: support, recall (a gold span is found when masked spans cover all its
characters, whatever their kind) and recall with the right kind. Per masked kind: precision (a
masked span is correct when it overlaps a gold PII span). Per look-alike kind: the share of
look-alike spans masked (any overlap). Then messages per second.

``--real`` runs over the advisor and customer messages of the shared French chats (already
anonymised: ``_Name1_``, ``_Email1_``, ``_Phone1_``; masking one of those would be counted
apart), and prints a random sample (seed 0) of masked spans with their context, to be judged
by hand.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chatqa.privacy import KINDS, find_pii, load_rules  # noqa: E402

FROZEN = REPO / "benchmarks" / "data" / "pii_fr.jsonl"
REAL = REPO.parent / "shared" / "data" / "chats_fr_pmc" / "conversations.jsonl"
PLACEHOLDER = re.compile(r"_[A-Za-z]+\d*_")


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def covered(spans, start: int, end: int) -> bool:
    chars = set()
    for s in spans:
        chars.update(range(max(s.start, start), min(s.end, end)))
    return len(chars) == end - start


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def evaluate(path: Path, *, show_errors: bool) -> None:
    records = load(path)
    support: Counter[str] = Counter()
    found: Counter[str] = Counter()
    found_kind: Counter[str] = Counter()
    mistyped: Counter[str] = Counter()
    mistyped_found: Counter[str] = Counter()
    masked: Counter[str] = Counter()
    masked_ok: Counter[str] = Counter()
    look: Counter[str] = Counter()
    look_hit: Counter[str] = Counter()
    errors: list[str] = []

    load_rules()  # compiled once, outside the timing
    start = time.perf_counter()
    results = [find_pii(r["text"]) for r in records]
    elapsed = time.perf_counter() - start

    for record, spans in zip(records, results, strict=True):
        text = record["text"]
        for gold in record["pii"]:
            kind = gold["kind"]
            support[kind] += 1
            hit = covered(spans, gold["start"], gold["end"])
            found[kind] += hit
            same = [s for s in spans if s.kind == kind]
            found_kind[kind] += covered(same, gold["start"], gold["end"])
            if gold.get("mistyped"):
                mistyped[kind] += 1
                mistyped_found[kind] += hit
            if not hit:
                errors.append(f"MISSED {kind:<11} {record['id']}: {gold['text']!r} in {text!r}")
        for span in spans:
            masked[span.kind] += 1
            ok = any(overlaps(span.start, span.end, g["start"], g["end"]) for g in record["pii"])
            masked_ok[span.kind] += ok
            if not ok:
                hit_look = [g["kind"] for g in record["lookalikes"]
                            if overlaps(span.start, span.end, g["start"], g["end"])]
                errors.append(f"EXTRA  {span.kind:<11} {record['id']}: "
                              f"{text[span.start:span.end]!r} (look-alike {hit_look or '-'}) "
                              f"in {text!r}")
        for gold in record["lookalikes"]:
            look[gold["kind"]] += 1
            look_hit[gold["kind"]] += any(overlaps(s.start, s.end, gold["start"], gold["end"])
                                          for s in spans)

    print(f"data: {path} ({len(records)} snippets)")
    print()
    print("| kind | support | recall | recall (right kind) | mistyped found | masked | precision |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        if not support[kind] and not masked[kind]:
            continue
        rec = f"{found[kind] / support[kind]:.2f}" if support[kind] else "-"
        rec_kind = f"{found_kind[kind] / support[kind]:.2f}" if support[kind] else "-"
        mis = f"{mistyped_found[kind]}/{mistyped[kind]}" if mistyped[kind] else "-"
        prec = f"{masked_ok[kind] / masked[kind]:.2f}" if masked[kind] else "-"
        print(f"| {kind} | {support[kind]} | {rec} | {rec_kind} | {mis} | {masked[kind]} "
              f"| {prec} |")
    total, total_found = sum(support.values()), sum(found.values())
    total_masked, total_ok = sum(masked.values()), sum(masked_ok.values())
    print(f"| all | {total} | {total_found / max(total, 1):.2f} | "
          f"{sum(found_kind.values()) / max(total, 1):.2f} | "
          f"{sum(mistyped_found.values())}/{sum(mistyped.values())} | {total_masked} | "
          f"{total_ok / max(total_masked, 1):.2f} |")
    print()
    print("| look-alike | spans | masked | share |")
    print("|---|---:|---:|---:|")
    for kind in sorted(look):
        print(f"| {kind} | {look[kind]} | {look_hit[kind]} | {look_hit[kind] / look[kind]:.1%} |")
    n_look, n_hit = sum(look.values()), sum(look_hit.values())
    print(f"| all | {n_look} | {n_hit} | {n_hit / max(n_look, 1):.1%} |")
    print()
    print(f"speed: {len(records) / elapsed:,.0f} snippets/s ({elapsed * 1000:.1f} ms for "
          f"{len(records)})")
    if show_errors and errors:
        print()
        print("\n".join(errors))


def real(path: Path, sample: int) -> None:
    texts = []
    for conv in load(path):
        for msg in conv.get("messages", []):
            if msg.get("role") in ("agent", "customer") and isinstance(msg.get("text"), str):
                texts.append((conv["conversation_id"], msg["role"], msg["text"]))
    load_rules()
    start = time.perf_counter()
    results = [find_pii(text) for _, _, text in texts]
    elapsed = time.perf_counter() - start
    chars = sum(len(t) for _, _, t in texts)
    found = [(conv, role, text, span) for (conv, role, text), spans in zip(texts, results,
                                                                           strict=True)
             for span in spans]
    on_placeholder = [f for f in found
                      if any(overlaps(f[3].start, f[3].end, m.start(), m.end())
                             for m in PLACEHOLDER.finditer(f[2]))]
    per_kind = Counter(f[3].kind for f in found)
    print(f"real chats: {path}")
    print(f"{len(texts)} advisor and customer messages ({chars:,} characters), "
          f"{len(found)} masked spans in {len({id(f[2]) for f in found})} messages")
    print("per kind: " + ", ".join(f"{k} {n}" for k, n in per_kind.most_common()))
    print(f"masked spans overlapping an anonymisation placeholder (_Name1_...): "
          f"{len(on_placeholder)}")
    print(f"speed: {len(texts) / elapsed:,.0f} messages/s ({chars / elapsed / 1e6:.2f} M chars/s)")
    print()
    rng = random.Random(0)
    picked = rng.sample(found, min(sample, len(found)))
    by_kind = defaultdict(list)
    for conv, role, text, span in picked:
        by_kind[span.kind].append((conv, role, text, span))
    n = 0
    for kind in sorted(by_kind):
        for conv, role, text, span in by_kind[kind]:
            n += 1
            left = text[max(0, span.start - 45):span.start].replace("\n", " ")
            right = text[span.end:span.end + 45].replace("\n", " ")
            print(f"{n:2}. {kind:<11} {conv} {role}: …{left}[[{text[span.start:span.end]}]]"
                  f"{right}…")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=FROZEN, help="labelled JSONL snippets")
    parser.add_argument("--real", action="store_true", help="audit on the shared real chats")
    parser.add_argument("--real-data", type=Path, default=REAL, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, default=40, help="masked spans shown with --real")
    parser.add_argument("--errors", action="store_true", help="list missed and extra spans")
    args = parser.parse_args(argv)
    if args.real:
        real(args.real_data, args.sample)
    else:
        evaluate(args.data, show_errors=args.errors)


if __name__ == "__main__":
    main()
