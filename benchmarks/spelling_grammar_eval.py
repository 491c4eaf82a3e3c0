"""Accuracy and speed of the spelling_grammar analyzer, per backend, on labelled data.

Data (read in place, never copied):
  ../shared/data/languagetool_fr/incorrect.tsv   recall: the marked span is overlapped by a finding
  ../shared/data/languagetool_fr/correct.tsv     false alarms: sentences with any finding
  ../shared/data/grammalecte_fr/tests.tsv        recall on the error spans; false alarms on the
                                                 error-free sentences
  benchmarks/data/chat_advisor_fr_c.jsonl        set C: chat-like advisor messages written from a
                                                 brief, before and without sight of the rules,
                                                 frozen (the headline figure)
  benchmarks/data/chat_advisor_fr.jsonl          set A: 196 messages, a tuning set (some are the
                                                 rules' own examples)
  benchmarks/data/chat_fr_advisor.jsonl          set B: 174 more, written with the rules
                                                 (regression)
  ../shared/data/chats_fr_pmc                    real advisor messages: messages per second,
                                                 next to spaCy's parse alone

Chat sets are scored twice, span-only and span-and-code, overall and per code. A finding
matches a marked error when it overlaps it and is at most twice its length (a whole-message
finding does not score); span-and-code also needs the same code. Findings and errors are
paired one to one (maximum matching), so a second finding on an error already matched is a
false alarm. Precision is matched findings over findings, recall matched errors over errors.
Each set is printed with its file, its SHA-256 and whether it is frozen (that SHA-256 listed
in benchmarks/data/README.md).

    python benchmarks/spelling_grammar_eval.py [--backend grammalecte builtin]
        [--languagetool http://host:8081] [--limit N] [--show-errors 20]
        [--sets C A B] [--chat-only] [--protections]

--protections prints, for each protection of the chat layer (chatqa/analyzers/spelling_grammar/
chat.py, PROTECTIONS and the [chat.protected] patterns), the recall gained and the false alarms
added when it alone is turned off, on the public data and chat sets A and B (set C only when
--sets names it: it is frozen for headline figures), with the backend alone (no chat layer)
and, for Grammalecte, Grammalecte with its own options as references.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from spans import max_matching  # benchmarks/spans.py, beside this script

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
DATA = REPO / "benchmarks" / "data"
#: key -> (label, messages, the client allow-list of its brands)
CHAT_SETS = {
    "C": ("chat set C, test set written from a brief", DATA / "chat_advisor_fr_c.jsonl",
          DATA / "chat_advisor_fr_c_allowlist.txt"),
    "A": ("chat set A, tuning set", DATA / "chat_advisor_fr.jsonl",
          DATA / "chat_allowlist_fr.txt"),
    "B": ("chat set B, regression set", DATA / "chat_fr_advisor.jsonl",
          DATA / "chat_fr_allowlist.txt"),
}
#: a frozen set is listed in this file as a table row | `<sha256>` | `<file name>` |
DATA_README = DATA / "README.md"
FROZEN_ROW = re.compile(r"^\|\s*`([0-9a-f]{64})`\s*\|\s*`([^`]+)`\s*\|", re.MULTILINE)
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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def frozen_status(path: Path) -> tuple[str, bool, str]:
    """SHA-256 of the file, whether it is frozen, and a note when its name is listed otherwise."""
    digest = sha256(path)
    listed = FROZEN_ROW.findall(DATA_README.read_text("utf-8")) if DATA_README.is_file() else []
    if any(sha == digest for sha, _ in listed):
        return digest, True, ""
    other = [sha for sha, name in listed if name == path.name]
    note = f" (README lists {other[0][:12]}... for it: the file has changed)" if other else ""
    return digest, False, note


#: Codes the labelled sets were written with, renamed since (a frozen set is never edited).
LEGACY_CODES = {"spelling": "spelling.word", "style": "style.remark",
                "register.foreign_language": "language.foreign"}


def runnable_backends(backends: list[str], languagetool: str | None):
    """``(backend, analyzer parameters)`` of each backend that can run here; says which cannot."""
    from chatqa.analyzers.spelling_grammar.grammalecte import find_grammalecte

    for backend in backends:
        if backend == "grammalecte" and find_grammalecte() is None:
            print(f"\n== {backend}: not installed here (apt-get install python3-grammalecte)")
            continue
        params = {"backend": backend}
        if backend == "languagetool":
            params["remote_server"] = languagetool
        yield backend, params


def with_current_codes(row: dict) -> dict:
    """A chat-set row whose marked errors carry today's codes."""
    errors = [{**e, "code": LEGACY_CODES.get(e["code"], e["code"])} for e in row["errors"]]
    return {**row, "errors": errors}


def matches(finding: tuple[int, int, str], error: dict, *, by_code: bool) -> bool:
    """A finding matches a marked error when it overlaps it and is at most twice its length
    (and, ``by_code``, has the same code)."""
    s, e, code = finding
    gold = (error["start"], error["end"])
    if by_code and code != error["code"]:
        return False
    return overlaps(gold, (s, e)) and e - s <= 2 * max(gold[1] - gold[0], 1)


class ChatScore:
    """Findings against marked errors, one to one, span-only or span-and-code."""

    def __init__(self, by_code: bool) -> None:
        self.by_code = by_code
        self.found: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # code -> [right, all]
        self.gold: dict[str, list[int]] = defaultdict(lambda: [0, 0])   # code -> [found, all]
        self.false_alarms: list[tuple[str, str, str]] = []
        self.missed: list[tuple[str, str, str]] = []
        self.other_code: Counter[tuple[str, str]] = Counter()  # (marked, found) when code differs
        self.too_long = 0       # findings overlapping an error (same code) but over 2x as long
        self.duplicates = 0     # findings on an error another finding already matched

    def add(self, row: dict, found: list[tuple[int, int, str]]) -> None:
        errors = row["errors"]
        edges = {i: [j for j, err in enumerate(errors) if matches(f, err, by_code=self.by_code)]
                 for i, f in enumerate(found)}
        owner = max_matching(len(found), edges)
        matched = set(owner.values())
        for i, (s, e, code) in enumerate(found):
            ok = i in matched
            self.found[code][0] += ok
            self.found[code][1] += 1
            if ok:
                continue
            self.false_alarms.append((row["id"], code, row["text"][s:e]))
            if edges[i]:
                self.duplicates += 1
            elif any(overlaps((err["start"], err["end"]), (s, e))
                     and (not self.by_code or err["code"] == code) for err in errors):
                self.too_long += 1
        for j, err in enumerate(errors):
            ok = j in owner
            self.gold[err["code"]][0] += ok
            self.gold[err["code"]][1] += 1
            if not ok:
                got = sorted({f[2] for f in found
                              if f[2] != err["code"] and matches(f, err, by_code=False)})
                self.other_code.update((err["code"], code) for code in got)
                self.missed.append((row["id"], err["code"], err["text"]
                                    + (f" (found as {'/'.join(got)})" if got else "")))

    @staticmethod
    def ratio(hit_total: list[int]) -> str:
        hit, total = hit_total
        return f"{hit / total:.3f} ({hit}/{total})" if total else "-"

    def totals(self) -> tuple[list[int], list[int]]:
        found = [sum(v[0] for v in self.found.values()), sum(v[1] for v in self.found.values())]
        gold = [sum(v[0] for v in self.gold.values()), sum(v[1] for v in self.gold.values())]
        return found, gold


def chat_report(label: str, path: Path, allow: Path, rows: list[dict], found: list,
                limited: bool, show_errors: int) -> None:
    """Print span-only and span-and-code precision / recall of one chat set, per code."""
    digest, frozen, note = frozen_status(path)
    part = f", first {len(rows)} messages only" if limited else ""
    print(f"{label}: {path.relative_to(REPO)}{part}")
    print(f"   sha256 {digest}  {'FROZEN' if frozen else 'not frozen'}{note}")
    digest, frozen, note = frozen_status(allow)
    print(f"   allow-list {allow.relative_to(REPO)} sha256 {digest}  "
          f"{'FROZEN' if frozen else 'not frozen'}{note}")
    scores = {by_code: ChatScore(by_code) for by_code in (False, True)}
    for f, row in zip(found, rows, strict=True):
        for score in scores.values():
            score.add(row, f)
    span, both = scores[False], scores[True]
    (pf, rf), (pc, rc) = span.totals(), both.totals()
    print(f"   {len(rows)} messages, {rf[1]} marked errors, {pf[1]} findings; a finding counts "
          "when it overlaps a marked error and is at most 2x its length (one finding per error)")
    print(f"   span-only      precision {span.ratio(pf)}  recall {span.ratio(rf)}")
    print(f"   span-and-code  precision {both.ratio(pc)}  recall {both.ratio(rc)}")
    print(f"   findings too long for the error they overlap: {span.too_long} span-only, "
          f"{both.too_long} span-and-code; second findings on one error: {span.duplicates} / "
          f"{both.duplicates}")
    codes = sorted(set(span.gold) | set(span.found))
    width = max(len(c) for c in codes) if codes else 4
    print(f"   {'code':{width}}  {'recall span+code':>18}  {'recall span-only':>18}  "
          f"{'precision span+code':>19}  {'precision span-only':>19}")
    for c in codes:
        print(f"   {c:{width}}  {both.ratio(both.gold[c]):>18}  {span.ratio(span.gold[c]):>18}  "
              f"{both.ratio(both.found[c]):>19}  {span.ratio(span.found[c]):>19}")
    if both.other_code:
        print("   errors missed by code but found with another (marked -> found): " + ", ".join(
            f"{g} -> {p} {n}" for (g, p), n in both.other_code.most_common()))
    for kind, items in (("false alarm (span-and-code)", both.false_alarms),
                        ("missed (span-and-code)", both.missed)):
        for item in items[:show_errors]:
            print(f"   {kind}: {item}")


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


# --- what each protection of the chat layer costs ---------------------------------------------
class ProtectionData:
    """The public data (and chat sets) parsed once, and their scores for a set of findings."""

    def __init__(self, nlp, lt_incorrect, lt_correct, g_errors, g_clean, chat_sets) -> None:
        self.lt_texts = [r["incorrect_sentence"] for r in lt_incorrect]
        self.lt_spans = [[(int(r["span_start"]), int(r["span_end"]))] for r in lt_incorrect]
        self.lt_categories = [r["category_id"].removeprefix("CAT_").lower() for r in lt_incorrect]
        self.lt_correct = [r["correct_sentence"] for r in lt_correct]
        self.g_texts = [r["sentence"] for r in g_errors]
        self.g_spans = [[(s, e) for s, e, _ in json.loads(r["error_spans_json"])]
                        for r in g_errors]
        self.g_clean = [r["sentence"] for r in g_clean]
        #: chat set key -> (rows, allow-list path)
        self.chat_sets = chat_sets
        public = self.lt_texts + self.lt_correct + self.g_texts + self.g_clean
        #: scope (None: the public data, else a chat set key) -> distinct texts
        self.scopes = {None: list(dict.fromkeys(public))} | {
            key: list(dict.fromkeys(r["text"] for r in rows))
            for key, (rows, _) in chat_sets.items()}
        distinct = list(dict.fromkeys(t for texts in self.scopes.values() for t in texts))
        self.docs = dict(zip(distinct, nlp.pipe(distinct, batch_size=256), strict=True))

    def totals(self) -> dict:
        out = {"lt_recall": len(self.lt_texts), "lt_alarms": len(self.lt_correct),
               "g_recall": sum(len(s) for s in self.g_spans), "g_alarms": len(self.g_clean),
               "lt_by_category": Counter(self.lt_categories)}
        for key, (rows, _) in self.chat_sets.items():
            out[f"{key}_recall"] = sum(len(r["errors"]) for r in rows)
            out[f"{key}_alarms"] = 0  # findings matching no error: no total to divide by
        return out

    def score(self, found: dict) -> dict:
        """``found[scope][text]``: findings ``(start, end, code)``. LanguageTool recall (and
        per category) and false alarms (sentences flagged), Grammalecte recall and false
        alarms, and per chat set span-only recall and false alarms (findings matching no
        marked error, one finding per error)."""
        public = found[None]
        lt_hit, _, by_cat = recall_rows([public[t] for t in self.lt_texts], self.lt_spans,
                                        self.lt_categories)
        g_hit, g_total, _ = recall_rows([public[t] for t in self.g_texts], self.g_spans)
        out = {
            "lt_recall": round(lt_hit * len(self.lt_texts)),
            "lt_alarms": sum(1 for t in self.lt_correct if public[t]),
            "g_recall": round(g_hit * g_total),
            "g_alarms": sum(1 for t in self.g_clean if public[t]),
            "lt_by_category": {k: v[0] for k, v in by_cat.items()},
        }
        for key, (rows, _) in self.chat_sets.items():
            score = ChatScore(by_code=False)
            for row in rows:
                score.add(row, found[key][row["text"]])
            (right, findings), (matched, _) = score.totals()
            out[f"{key}_recall"] = matched
            out[f"{key}_alarms"] = findings - right
        return out


def protections_report(backend: str, params: dict, data: ProtectionData) -> None:
    """Recall and false alarms with each protection of the chat layer off, against all on.

    The backend checks each text once; the chat layer reviews its issues once per variant. The
    public data has no allow-list and no conversation (``allow_list`` and ``participants``
    cost nothing there); each chat set is reviewed with its client's allow-list.
    """
    from chatqa.analyzers.base import get_factory

    make = get_factory("spelling_grammar")
    analyzer = make("fr", **params)
    layers = {None: analyzer.chat} | {
        key: make("fr", **params, allow_list=str(allow)).chat
        for key, (_, allow) in data.chat_sets.items()}
    started = time.perf_counter()
    issues = {t: analyzer.checker.check(t, d) for t, d in data.docs.items()}

    def run(off=(), proper_nouns: bool = True, raw: dict | None = None) -> dict:
        found = {}
        for scope, texts in data.scopes.items():
            if raw is not None:  # the backend alone, no chat layer
                found[scope] = {t: [(i.start, i.end, i.code) for i in raw[t]] for t in texts}
                continue
            layer = layers[scope].configured(off=off, proper_nouns=proper_nouns)
            found[scope] = {t: [(i.start, i.end, i.code)
                                for i in layer.review(data.docs[t], issues[t])] for t in texts}
        return data.score(found)

    names = [n for n in analyzer.chat.protection_names(analyzer.chat.rules)
             if n != "participants"]  # applied by the analyzer's review, per conversation
    default = run()
    rows = [(name, run(off=(name,))) for name in names]
    before = run(proper_nouns=False)
    configurations = [("all protections on (default)", default),
                      ("before the proper-noun exception", before),
                      ("all protections off", run(off=names)),
                      (f"{backend} alone (no chat layer)", run(raw=issues))]
    if backend == "grammalecte":  # Grammalecte with its own options, not chatqa's
        engine = analyzer.checker._checker.getGCEngine()
        saved = dict(engine.getOptions())
        engine.setOptions(engine.getDefaultOptions())
        try:
            raw = {t: analyzer.checker.check(t, d) for t, d in data.docs.items()}
        finally:
            engine.setOptions(saved)
        configurations.append(("Grammalecte alone, its own options", run(raw=raw)))
    totals = data.totals()
    keys = ["lt", "g", *data.chat_sets]
    labels = {"lt": "LT", "g": "Grammalecte"} | {k: f"set {k}" for k in data.chat_sets}

    def cell(s: dict, kind: str, k: str) -> str:
        total = totals[f"{k}_{kind}"]
        value = s[f"{k}_{kind}"]
        return f"{value / total:.3f} ({value})" if total else f"{value}"

    print(f"\n== protections of the chat layer, backend {backend} "
          f"({time.perf_counter() - started:.0f} s)")
    print("recall: LT = LanguageTool incorrect.tsv spans found, Grammalecte = its error spans "
          "found" + "".join(f", set {k} = its marked errors found (span-only)"
                            for k in data.chat_sets))
    print("false alarms: LT = correct.tsv sentences flagged, Grammalecte = clean sentences "
          "flagged" + "".join(f", set {k} = findings matching no marked error"
                              for k in data.chat_sets))
    print(f"configuration | recall {' / '.join(labels[k] for k in keys)} | "
          f"false alarms {' / '.join(labels[k] for k in keys)}")
    print("---|---|---")
    for label, s in configurations:
        print(f"{label} | {' / '.join(cell(s, 'recall', k) for k in keys)} | "
              f"{' / '.join(cell(s, 'alarms', k) for k in keys)}")

    print(f"\nprotection | recall gained when off ({' / '.join(labels[k] for k in keys)}) | "
          f"false alarms added when off ({' / '.join(labels[k] for k in keys)})")
    print("---|---|---")
    for name, s in rows:
        gain = " / ".join(f"{s[f'{k}_recall'] - default[f'{k}_recall']:+d}" for k in keys)
        added = " / ".join(f"{s[f'{k}_alarms'] - default[f'{k}_alarms']:+d}" for k in keys)
        print(f"{name} | {gain} | {added}")
    print("participants | n/a (no conversation in this data) | n/a")
    gain = " / ".join(f"{default[f'{k}_recall'] - before[f'{k}_recall']:+d}" for k in keys)
    added = " / ".join(f"{default[f'{k}_alarms'] - before[f'{k}_alarms']:+d}" for k in keys)
    print(f"(the proper-noun exception of `capitalised`, on vs before: recall {gain}; "
          f"false alarms {added})")

    print("\nLanguageTool recall by category, where it changes (spans, of the category's):")
    cats = totals["lt_by_category"]
    for label, s, ref in [*((f"{n} off", s, default) for n, s in rows),
                          ("proper-noun exception, on vs before", default, before),
                          (f"chat layer (default) vs {backend} alone", default,
                           configurations[3][1])]:
        diffs = {c: s["lt_by_category"].get(c, 0) - ref["lt_by_category"].get(c, 0)
                 for c in cats}
        changed = [f"{c} {d:+d}/{cats[c]}" for c, d in
                   sorted(diffs.items(), key=lambda kv: -abs(kv[1])) if d]
        if changed:
            print(f"   {label}: {', '.join(changed)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", default=["grammalecte", "builtin"])
    parser.add_argument("--languagetool", default=None, help="URL of a LanguageTool server")
    parser.add_argument("--limit", type=int, default=None, help="rows per file (quick runs)")
    parser.add_argument("--show-errors", type=int, default=0,
                        help="print this many false alarms and misses on each chat set")
    parser.add_argument("--sets", nargs="+", default=None, choices=list(CHAT_SETS),
                        help="chat sets to score (default: all that exist; A and B with "
                             "--protections)")
    parser.add_argument("--chat-only", action="store_true",
                        help="skip the LanguageTool and Grammalecte data and the speed run")
    parser.add_argument("--protections", action="store_true",
                        help="instead of the accuracy report: recall and false alarms on the "
                             "public data (and chat sets A and B, or --sets) with each "
                             "protection of the chat layer off vs on, and each backend alone")
    args = parser.parse_args()
    if args.sets is None:  # set C is frozen for headline figures: not for tuning protections
        args.sets = ["A", "B"] if args.protections else list(CHAT_SETS)
    if args.protections and args.chat_only:
        parser.error("--protections measures on the public data: drop --chat-only")

    from chatqa.analyzers.base import get_factory
    from chatqa.nlp import load_nlp

    nlp = load_nlp("fr")
    public = not args.chat_only
    lt_incorrect, lt_correct = languagetool_sets(args.limit) if public else ([], [])
    g_errors, g_clean = grammalecte_sets(args.limit) if public else ([], [])
    chat_sets = []
    by_key = {}
    for key in args.sets:
        label, path, allow = CHAT_SETS[key]
        if not path.is_file():
            print(f"{label}: {path.relative_to(REPO)} not found, skipped")
            continue
        rows = [with_current_codes(json.loads(line))
                for line in path.read_text("utf-8").splitlines() if line.strip()]
        limited = args.limit is not None and args.limit < len(rows)
        chat_sets.append((label, path, rows[: args.limit], allow, limited))
        by_key[key] = (rows[: args.limit], allow)
    backends = list(args.backend) + (["languagetool"] if args.languagetool else [])
    if args.protections:
        data = ProtectionData(nlp, lt_incorrect, lt_correct, g_errors, g_clean, by_key)
        print(f"data: LanguageTool {len(lt_incorrect)} incorrect / {len(lt_correct)} correct; "
              f"Grammalecte {len(g_errors)} error / {len(g_clean)} clean sentences; chat sets "
              + ", ".join(f"{k} ({len(rows)} messages)" for k, (rows, _) in by_key.items()))
        for backend, params in runnable_backends(backends, args.languagetool):
            protections_report(backend, params, data)
        return 0
    pmc = pmc_advisor_texts() if public else []
    print(f"data: LanguageTool {len(lt_incorrect)} incorrect / {len(lt_correct)} correct; "
          f"Grammalecte {len(g_errors)} error / {len(g_clean)} clean sentences; "
          f"chat sets {[len(rows) for _, _, rows, _, _ in chat_sets]} messages; "
          f"{len(set(pmc))} distinct real advisor messages")
    for backend, params in runnable_backends(backends, args.languagetool):
        analyzer = get_factory("spelling_grammar")("fr", **params)
        print(f"\n== backend {backend}")

        if public:
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
                f"{k} {h}/{t}" for k, (h, t) in
                sorted(by_opt.items(), key=lambda kv: -kv[1][1])[:14]))
            found = analyse(analyzer, nlp, [r["sentence"] for r in g_clean])
            alarms = [f for f in found if f]
            codes = Counter(c for f in alarms for _, _, c in f)
            print(f"Grammalecte clean sentences false alarms {len(alarms) / len(found):.3f} "
                  f"({len(alarms)}/{len(found)}; codes {dict(codes.most_common(5))})")

        for label, path, rows, allow, limited in chat_sets:
            # each set comes with its client's allow-list of brand names
            with_allow = get_factory("spelling_grammar")("fr", **params, allow_list=str(allow))
            found = analyse(with_allow, nlp, [r["text"] for r in rows])
            chat_report(label, path, allow, rows, found, limited, args.show_errors)

        if public:
            parse_rate, full_rate = speed(analyzer, nlp, pmc)
            print(f"speed on real advisor messages: spaCy parse alone {parse_rate:.0f} msg/s; "
                  f"parse + spelling_grammar {full_rate:.0f} msg/s "
                  f"(ratio {full_rate / parse_rate:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
