"""Accuracy and speed of the markers analyzer on labelled messages, and against people.

Data (read in place, never copied):
  benchmarks/data/markers_fr_en.jsonl         frozen set: 570 messages written from a brief,
                                              before the patterns (the headline figures)
  benchmarks/data/markers_dev_fr_en.jsonl     development set: 219 messages the patterns were
                                              tuned on (an upper bound)
  ../shared/data/politeness/tydip_fr.csv      --politeness: human politeness scores (French)
  ../shared/data/politeness/tydip_en.csv, stanford_*.csv   the same in English
  ../shared/data/empathy_epitome/emotional-reactions-reddit.csv   --empathy: EPITOME levels
  ../shared/data/chats_fr_pmc/conversations.jsonl   --real: 50 real advisor messages to audit

Span-level scoring, per kind and language: a predicted span counts when it overlaps a gold span
of the same kind and is at most twice the gold span's length; predictions and gold spans are
paired one to one (maximum matching), so a second prediction on a gold span already matched is
a false positive. Advisor messages are scored on the analyzer's findings; customer messages on
``MarkerMatcher.customer_emotions`` (the function the conduct analyzer calls), on the Doc the
pipeline gives it: tokens and punctuation sentences, no parse (``nlp.light_pipeline``). The
set is printed with its SHA-256 and whether it is frozen (listed in benchmarks/data/README.md).

Speed: microseconds per distinct advisor message for the markers analyzer alone (the parse
excluded), on one core.

    python benchmarks/markers_eval.py [--data PATH] [--show-errors N]
        [--politeness] [--empathy] [--real]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
import time
import warnings
import zlib
from collections import defaultdict
from pathlib import Path

from spans import max_matching  # benchmarks/spans.py, beside this script

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
DATA = REPO / "benchmarks" / "data"
DEFAULT_SET = DATA / "markers_fr_en.jsonl"
DATA_README = DATA / "README.md"
FROZEN_ROW = re.compile(r"^\|\s*`([0-9a-f]{64})`\s*\|\s*`([^`]+)`\s*\|", re.MULTILINE)
KINDS = ("marker.courtesy", "marker.empathy", "marker.directivity", "marker.negative",
         "register.tutoiement", "register.familiar", "customer.emotion")
sys.path.insert(0, str(REPO))


# -- the analyzer --------------------------------------------------------------------------------
_CACHE: dict[str, tuple[object, object]] = {}


def analyzer_and_nlp(lang: str):
    """The initialized markers analyzer of ``lang`` and the pipeline chatqa runs it on."""
    if lang not in _CACHE:
        from chatqa.analyzers.factories import make_markers
        from chatqa.nlp import load_nlp

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # W101: English runs on a blank pipeline
            nlp = load_nlp(lang)
        _CACHE[lang] = (make_markers(lang).initialize(nlp), nlp)
    return _CACHE[lang]


# -- scoring -------------------------------------------------------------------------------------
def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def frozen_status(path: Path) -> tuple[str, bool]:
    """SHA-256 of the file and whether benchmarks/data/README.md lists it as frozen."""
    digest = sha256(path)
    listed = FROZEN_ROW.findall(DATA_README.read_text("utf-8")) if DATA_README.is_file() else []
    return digest, any(sha == digest for sha, _ in listed)


def matches(pred: tuple[int, int], gold: tuple[int, int]) -> bool:
    """Overlap, and the prediction at most twice the gold span's length."""
    return pred[0] < gold[1] and gold[0] < pred[1] and \
        pred[1] - pred[0] <= 2 * (gold[1] - gold[0])


def predict(row: dict, doc) -> list[tuple[int, int, str, str]]:
    """``(start, end, code, pattern)`` of every marker found in a labelled row."""
    analyzer, _ = analyzer_and_nlp(row["lang"])
    if row["role"] == "customer":
        return [(m.start, m.end, m.code, m.pattern)
                for m in analyzer.matcher.customer_emotions(doc)]
    return [(f.start, f.end, f.code, f.details["pattern"])
            for f in analyzer.analyze_message(doc).findings]


class Score:
    """Counts per (language, kind): gold spans, predictions, matched pairs."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.misses: list[tuple[str, str, str, str]] = []
        self.false: list[tuple[str, str, str, str, str]] = []

    def add(self, row: dict, preds: list[tuple[int, int, str, str]]) -> None:
        for kind in KINDS:
            gold = [(s["start"], s["end"]) for s in row["spans"] if s["kind"] == kind]
            mine = [p for p in preds if p[2] == kind]
            edges = {i: [j for j, g in enumerate(gold) if matches(p[:2], g)]
                     for i, p in enumerate(mine)}
            owner = max_matching(len(mine), edges)
            c = self.counts[(row["lang"], kind)]
            c[0] += len(gold)
            c[1] += len(mine)
            c[2] += len(owner)
            text = row["text"]
            for j, g in enumerate(gold):
                if j not in owner:
                    self.misses.append((row["id"], kind, text[g[0]:g[1]], text))
            matched = set(owner.values())
            for i, p in enumerate(mine):
                if i not in matched:
                    self.false.append((row["id"], kind, text[p[0]:p[1]], p[3], text))

    def table(self, lang: str) -> list[str]:
        lines = [f"   {'kind':22} {'gold':>5} {'pred':>5} {'tp':>5} {'P':>6} {'R':>6} {'F1':>6}"]
        for kind in KINDS:
            gold, pred, tp = self.counts.get((lang, kind), (0, 0, 0))
            if not gold and not pred:
                continue
            p, r, f = prf(gold, pred, tp)
            lines.append(f"   {kind:22} {gold:5d} {pred:5d} {tp:5d} {fmt(p)} {fmt(r)} {fmt(f)}")
        return lines


def prf(gold: int, pred: int, tp: int) -> tuple[float | None, float | None, float | None]:
    p = tp / pred if pred else None
    r = tp / gold if gold else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return p, r, f


def fmt(x: float | None) -> str:
    return f"{x:6.3f}" if x is not None else "     -"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_announced(path: Path, unit: str) -> list[dict]:
    """The rows of a labelled set, after printing its name, size, SHA-256 and frozen status."""
    rows = read_jsonl(path)
    digest, frozen = frozen_status(path)
    print(f"== {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
          f"{len(rows)} {unit}")
    print(f"   sha256 {digest}  {'FROZEN' if frozen else 'not frozen (a tuning set)'}")
    return rows


def score_set(path: Path, show_errors: int) -> int:
    from chatqa.nlp import light_pipeline

    rows = read_announced(path, "messages")
    score = Score()
    docs_by_lang: dict[str, list] = defaultdict(list)
    for lang in sorted({r["lang"] for r in rows}):
        _, nlp = analyzer_and_nlp(lang)
        mine = [r for r in rows if r["lang"] == lang]
        # customer messages as the pipeline reads them: tokenized and split by punctuation
        # (conduct's light_roles), not parsed
        light = light_pipeline(nlp)
        docs = [light(r["text"]) if r["role"] == "customer" else nlp(r["text"]) for r in mine]
        for row, doc in zip(mine, docs, strict=True):
            score.add(row, predict(row, doc))
            if row["role"] == "advisor":
                docs_by_lang[lang].append(doc)
    for lang in sorted({r["lang"] for r in rows}):
        print(f"-- {lang}")
        print("\n".join(score.table(lang)))
        gold, pred, tp = score.counts.get((lang, "register.tutoiement"), (0, 0, 0))
        if gold:
            p, r, _ = prf(gold, pred, tp)
            print(f"   tutoiement: recall {fmt(r).strip()} at precision {fmt(p).strip()} "
                  "(target: recall 1.0 at precision >= 0.95)")
    print("-- speed (markers alone, parse excluded, one core)")
    for lang, docs in sorted(docs_by_lang.items()):
        analyzer, _ = analyzer_and_nlp(lang)
        per = speed(analyzer, docs)
        print(f"   {lang}: {per:7.1f} µs per distinct advisor message ({len(docs)} messages)")
    if show_errors:
        print(f"-- misses (first {show_errors})")
        for row_id, kind, span, text in score.misses[:show_errors]:
            print(f"   {row_id} {kind:20} [{span}]  in: {text}")
        print(f"-- false positives (first {show_errors})")
        for row_id, kind, span, pattern, text in score.false[:show_errors]:
            print(f"   {row_id} {kind:20} [{span}] ({pattern})  in: {text}")
    return 0


def speed(analyzer, docs: list, repeats: int = 5) -> float:
    """Best of ``repeats`` runs: CPU microseconds per Doc for ``analyze_message``."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()  # CPU time: other processes on the machine do not count
        for doc in docs:
            analyzer.analyze_message(doc)
        best = min(best, time.process_time() - started)
    return best / max(len(docs), 1) * 1e6


# -- against people --------------------------------------------------------------------------------
def counts(lang: str, texts: list[str], codes: tuple[str, ...]) -> list[dict[str, int]]:
    analyzer, nlp = analyzer_and_nlp(lang)
    out = []
    for doc in nlp.pipe(texts, batch_size=256):
        found = analyzer.analyze_message(doc).findings
        out.append({c: sum(1 for f in found if f.code == c) for c in codes})
    return out


def spearman(x: list[float], y: list[float]) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def politeness() -> None:
    sets = [("fr", SHARED / "politeness" / "tydip_fr.csv", "sentence", "score", "target >= 0.35"),
            ("en", SHARED / "politeness" / "tydip_en.csv", "sentence", "score", "reported"),
            ("en", SHARED / "politeness" / "stanford_wikipedia.annotated.csv", "Request",
             "Normalized Score", "reported"),
            ("en", SHARED / "politeness" / "stanford_stack-exchange.annotated.csv", "Request",
             "Normalized Score", "reported")]
    print("== politeness: Spearman's rho of (courtesy - negative) markers with human scores")
    for lang, path, text_col, score_col, target in sets:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        texts = [r[text_col] for r in rows]
        found = counts(lang, texts, ("marker.courtesy", "marker.negative"))
        x = [c["marker.courtesy"] - c["marker.negative"] for c in found]
        y = [float(r[score_col]) for r in rows]
        with_marker = sum(1 for c in found if c["marker.courtesy"] or c["marker.negative"])
        print(f"   {path.name:40} n={len(rows):5d}  rho={spearman(x, y):+.3f}  ({target}; "
              f"{with_marker} texts with a marker)")
        if path.name == "tydip_fr.csv":
            # half A (crc32 of the sentence even) was read to write French patterns;
            # half B never was
            for name, keep in (("half A, read", 0), ("half B, not read", 1)):
                idx = [i for i, t in enumerate(texts)
                       if zlib.crc32(t.encode("utf-8")) % 2 == keep]
                rho = spearman([x[i] for i in idx], [y[i] for i in idx])
                marked = sum(1 for i in idx
                             if found[i]["marker.courtesy"] or found[i]["marker.negative"])
                print(f"     {name:17} n={len(idx):5d}  rho={rho:+.3f}  "
                      f"({marked} texts with a marker)")


def empathy() -> None:
    path = SHARED / "empathy_epitome" / "emotional-reactions-reddit.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    found = counts("en", [r["response_post"] for r in rows], ("marker.empathy",))
    x = [c["marker.empathy"] for c in found]
    y = [float(r["level"]) for r in rows]
    print("== empathy: Spearman's rho of empathy markers with EPITOME emotional-reaction levels")
    print(f"   {path.name} n={len(rows)}  rho={spearman(x, y):+.3f}  (target >= 0.45; "
          f"{sum(1 for v in x if v)} responses with a marker)")
    # half A (crc32 of rp_id even) was read to write English patterns; half B never was
    for name, keep in (("half A, read", 0), ("half B, not read", 1)):
        idx = [i for i, r in enumerate(rows) if zlib.crc32(r["rp_id"].encode()) % 2 == keep]
        rho = spearman([x[i] for i in idx], [y[i] for i in idx])
        print(f"   {name:17} n={len(idx)}  rho={rho:+.3f}")


def real(n: int = 50, seed: int = 1) -> None:
    path = SHARED / "chats_fr_pmc" / "conversations.jsonl"
    pool = []
    for line in path.read_text("utf-8").splitlines():
        conv = json.loads(line)
        for m in conv["messages"]:
            if m["role"] == "agent" and m.get("text") and not m.get("automatic_greeting"):
                pool.append((conv["conversation_id"], conv.get("lang_guess", "fr"), m["text"]))
    sample = random.Random(seed).sample(pool, n)
    print(f"== real advisor messages: {n} of {len(pool)} (seed {seed}, automatic greetings "
          "left out); every marker found, to judge by hand")
    total = 0
    for k, (conv_id, lang, text) in enumerate(sample, 1):
        lang = lang if lang in ("fr", "en") else "fr"
        analyzer, nlp = analyzer_and_nlp(lang)
        findings = analyzer.analyze_message(nlp(text)).findings
        total += len(findings)
        print(f"[{k:2d}] {conv_id} ({lang}) {text!r}")
        for f in findings:
            left = text[max(0, f.start - 25):f.start]
            right = text[f.end:f.end + 25]
            print(f"      {f.code:20} …{left}[{f.text}]{right}…  ({f.details['pattern']})")
    print(f"   {total} markers found")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_SET,
                        help="labelled JSONL set (default: the frozen set)")
    parser.add_argument("--show-errors", type=int, default=0,
                        help="print this many misses and false positives")
    parser.add_argument("--politeness", action="store_true", help="rho with TyDiP / Stanford")
    parser.add_argument("--empathy", action="store_true", help="rho with EPITOME")
    parser.add_argument("--real", action="store_true", help="audit 50 real advisor messages")
    parser.add_argument("--no-spans", action="store_true", help="skip the labelled set")
    args = parser.parse_args()
    if not args.no_spans:
        score_set(args.data.resolve(), args.show_errors)
    if args.politeness:
        politeness()
    if args.empathy:
        empathy()
    if args.real:
        real()
    return 0


if __name__ == "__main__":
    sys.exit(main())
