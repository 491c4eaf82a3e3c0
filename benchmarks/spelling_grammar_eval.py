"""Accuracy and speed of the spelling_grammar analyzer, per backend, on labelled data.

Data (read in place, never copied):
  ../shared/data/languagetool_fr/incorrect.tsv   recall: the marked span is overlapped by a finding
  ../shared/data/languagetool_fr/correct.tsv     false alarms: sentences with any finding
  ../shared/data/grammalecte_fr/tests.tsv        recall on the error spans; false alarms on the
                                                 error-free sentences
  benchmarks/data/chat_advisor_fr.jsonl          196 chat-like advisor messages with annotated
                                                 errors, written independently of the rules:
                                                 precision and recall (the headline figure)
  benchmarks/data/chat_fr_advisor.jsonl          174 more, written with the rules (regression)
  ../shared/data/chats_fr_pmc                    real advisor messages: messages per second,
                                                 next to spaCy's parse alone

    python benchmarks/spelling_grammar_eval.py [--backend grammalecte builtin]
        [--languagetool http://host:8081] [--limit N] [--show-errors 20]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
DATA = REPO / "benchmarks" / "data"
#: (label, messages, the client allow-list of its brands)
CHAT_SETS = (
    ("chat set A, independent", DATA / "chat_advisor_fr.jsonl", DATA / "chat_allowlist_fr.txt"),
    ("chat set B, regression", DATA / "chat_fr_advisor.jsonl", DATA / "chat_fr_allowlist.txt"),
)
sys.path.insert(0, str(REPO))


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Spans overlap (an empty marked span counts when a finding covers its position)."""
    if a[0] == a[1]:
        return b[0] <= a[0] <= b[1]
    return a[0] < b[1] and b[0] < a[1]


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL))


def analyse(analyzer, nlp, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """Findings ``(start, end, code)`` of every text (distinct texts analysed once)."""
    distinct = list(dict.fromkeys(texts))
    results = {}
    for text, doc in zip(distinct, nlp.pipe(distinct, batch_size=256), strict=True):
        results[text] = [(f.start, f.end, f.code) for f in analyzer.analyze_message(doc).findings]
    return [results[t] for t in texts]


def languagetool_sets(limit: int | None):
    incorrect = read_tsv(SHARED / "languagetool_fr" / "incorrect.tsv")[:limit]
    correct = read_tsv(SHARED / "languagetool_fr" / "correct.tsv")[:limit]
    return incorrect, correct


def grammalecte_sets(limit: int | None):
    rows = read_tsv(SHARED / "grammalecte_fr" / "tests.tsv")
    errors = [r for r in rows if r["n_errors"] != "0"][:limit]
    clean = [r for r in rows if r["n_errors"] == "0"][:limit]
    return errors, clean


def recall_rows(findings, spans_per_row, keys=None):
    """Recall over spans; ``keys`` groups the spans (per category) when given."""
    hit = total = 0
    by_key: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, (found, spans) in enumerate(zip(findings, spans_per_row, strict=True)):
        for span in spans:
            ok = any(overlaps(span, (s, e)) for s, e, _ in found)
            hit += ok
            total += 1
            if keys is not None:
                by_key[keys[i]][0] += ok
                by_key[keys[i]][1] += 1
    return (hit / total if total else float("nan")), total, by_key


def chat_scores(findings, rows):
    """Precision (findings on an annotated error) and recall (errors overlapped), per code."""
    tp_f = fp = tp_e = fn = 0
    per_code: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # code -> [hit, total]
    false_alarms: list[tuple[str, str, str]] = []
    missed: list[tuple[str, str, str]] = []
    for found, row in zip(findings, rows, strict=True):
        gold = [(e["start"], e["end"]) for e in row["errors"]]
        for s, e, code in found:
            if any(overlaps(g, (s, e)) for g in gold):
                tp_f += 1
            else:
                fp += 1
                false_alarms.append((row["id"], code, row["text"][s:e]))
        for err in row["errors"]:
            ok = any(overlaps((err["start"], err["end"]), (s, e)) for s, e, _ in found)
            tp_e += ok
            fn += not ok
            per_code[err["code"]][0] += ok
            per_code[err["code"]][1] += 1
            if not ok:
                missed.append((row["id"], err["code"], err["text"]))
    precision = tp_f / (tp_f + fp) if tp_f + fp else float("nan")
    recall = tp_e / (tp_e + fn) if tp_e + fn else float("nan")
    return precision, recall, tp_f + fp, tp_e + fn, per_code, false_alarms, missed


def pmc_advisor_texts() -> list[str]:
    texts = []
    with (SHARED / "chats_fr_pmc" / "conversations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            for m in json.loads(line)["messages"]:
                if m["role"] == "agent" and m.get("text"):
                    texts.append(m["text"])
    return texts


def speed(analyzer, nlp, texts: list[str]) -> tuple[float, float]:
    """Messages per second of spaCy's parse alone, and of parse + analyzer (distinct texts)."""
    distinct = list(dict.fromkeys(texts))
    started = time.perf_counter()
    docs = list(nlp.pipe(distinct, batch_size=256))
    parse = time.perf_counter() - started
    started = time.perf_counter()
    for doc in docs:
        analyzer.analyze_message(doc)
    check = time.perf_counter() - started
    return len(distinct) / parse, len(distinct) / (parse + check)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", default=["grammalecte", "builtin"])
    parser.add_argument("--languagetool", default=None, help="URL of a LanguageTool server")
    parser.add_argument("--limit", type=int, default=None, help="rows per file (quick runs)")
    parser.add_argument("--show-errors", type=int, default=0,
                        help="print this many false alarms and misses on the chat set")
    args = parser.parse_args()

    from chatqa.analyzers.base import get_factory
    from chatqa.analyzers.spelling_grammar.grammalecte import find_grammalecte
    from chatqa.nlp import load_nlp

    nlp = load_nlp("fr")
    lt_incorrect, lt_correct = languagetool_sets(args.limit)
    g_errors, g_clean = grammalecte_sets(args.limit)
    chat_sets = [(label, [json.loads(line) for line in path.read_text("utf-8").splitlines()
                          if line.strip()][: args.limit], allow)
                 for label, path, allow in CHAT_SETS if path.is_file()]
    pmc = pmc_advisor_texts()
    backends = list(args.backend) + (["languagetool"] if args.languagetool else [])
    print(f"data: LanguageTool {len(lt_incorrect)} incorrect / {len(lt_correct)} correct; "
          f"Grammalecte {len(g_errors)} error / {len(g_clean)} clean sentences; "
          f"chat sets {[len(rows) for _, rows, _ in chat_sets]} messages; "
          f"{len(set(pmc))} distinct real advisor messages")
    for backend in backends:
        if backend == "grammalecte" and find_grammalecte() is None:
            print(f"\n== {backend}: not installed here (apt-get install python3-grammalecte)")
            continue
        params = {"backend": backend}
        if backend == "languagetool":
            params["remote_server"] = args.languagetool
        analyzer = get_factory("spelling_grammar")("fr", **params)
        print(f"\n== backend {backend}")

        found = analyse(analyzer, nlp, [r["incorrect_sentence"] for r in lt_incorrect])
        spans = [[(int(r["span_start"]), int(r["span_end"]))] for r in lt_incorrect]
        on = [i for i, r in enumerate(lt_incorrect) if r["rule_default"] == "on"]
        rec, n, by_cat = recall_rows(found, spans, [r["category_id"] for r in lt_incorrect])
        rec_on, n_on, _ = recall_rows([found[i] for i in on], [spans[i] for i in on])
        print(f"LanguageTool incorrect.tsv  recall {rec:.3f} ({n} spans); rules on by default "
              f"{rec_on:.3f} ({n_on})")
        print("   by category: " + ", ".join(
            f"{k.removeprefix('CAT_').lower()} {h}/{t}" for k, (h, t) in
            sorted(by_cat.items(), key=lambda kv: -kv[1][1])))
        found = analyse(analyzer, nlp, [r["correct_sentence"] for r in lt_correct])
        alarms = [f for f in found if f]
        codes = Counter(c for f in alarms for _, _, c in f)
        print(f"LanguageTool correct.tsv    false alarms {len(alarms) / len(found):.3f} "
              f"({len(alarms)}/{len(found)} sentences; codes {dict(codes.most_common(5))})")

        found = analyse(analyzer, nlp, [r["sentence"] for r in g_errors])
        spans = [[(s, e) for s, e, _ in json.loads(r["error_spans_json"])] for r in g_errors]
        rec, n, by_opt = recall_rows(found, spans, [r["rule_option"] or "-" for r in g_errors])
        print(f"Grammalecte error sentences recall {rec:.3f} ({n} spans)")
        print("   by rule option: " + ", ".join(
            f"{k} {h}/{t}" for k, (h, t) in sorted(by_opt.items(), key=lambda kv: -kv[1][1])[:14]))
        found = analyze_clean = analyse(analyzer, nlp, [r["sentence"] for r in g_clean])
        alarms = [f for f in analyze_clean if f]
        codes = Counter(c for f in alarms for _, _, c in f)
        print(f"Grammalecte clean sentences false alarms {len(alarms) / len(found):.3f} "
              f"({len(alarms)}/{len(found)}; codes {dict(codes.most_common(5))})")

        for label, rows, allow in chat_sets:
            # each set comes with its client's allow-list of brand names
            with_allow = get_factory("spelling_grammar")("fr", **params, allow_list=str(allow))
            found = analyse(with_allow, nlp, [r["text"] for r in rows])
            precision, recall, n_found, n_gold, per_code, fps, misses = chat_scores(found, rows)
            print(f"{label} ({len(rows)} messages)  precision {precision:.3f} ({n_found} "
                  f"findings)  recall {recall:.3f} ({n_gold} errors)")
            print("   recall by code: " + ", ".join(
                f"{c} {h}/{t}" for c, (h, t) in sorted(per_code.items())))
            for kind, items in (("false alarm", fps), ("missed", misses)):
                for item in items[: args.show_errors]:
                    print(f"   {kind}: {item}")

        parse_rate, full_rate = speed(analyzer, nlp, pmc)
        print(f"speed on real advisor messages: spaCy parse alone {parse_rate:.0f} msg/s; "
              f"parse + spelling_grammar {full_rate:.0f} msg/s "
              f"(ratio {full_rate / parse_rate:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
