"""Accuracy of the conduct analyzer on labelled conversations, and a real-chat sample to audit.

Data (read in place, never copied):
  benchmarks/data/conduct_fr_en.jsonl       frozen set: 150 conversations written from a brief,
                                            before the conduct patterns (the headline figures)
  benchmarks/data/conduct_dev_fr_en.jsonl   development set the patterns were tuned on
  ../shared/data/chats_fr_pmc/conversations.jsonl   --real: findings on real chats to audit

Each conversation runs as in the pipeline: every message parsed, the markers analyzer on the
advisor's messages, then the conduct analyzer with their results (``bot_greeting_counts``
off: the set's convention is that a bot's greeting is not the advisor's).

Scored:
  * spans of ``conduct.confidentiality``, ``conduct.denigration``, ``conduct.personal_opinion``,
    ``conduct.overpromise`` and ``customer.emotion``, per kind and language: a predicted span
    counts when it overlaps a gold span of its kind in the same message and is at most twice
    its length, paired one to one;
  * per conversation, the findings ``conduct.greeting_missing`` and ``conduct.closing_missing``
    (gold: ``advisor_greeted`` / ``advisor_closed`` false), and ``conduct.unanswered_question``
    per customer message: precision and recall;
  * agreement on the customer's name used, vouvoiement kept, and whether each emotion that
    both found was answered with empathy.

    python benchmarks/conduct_eval.py [--data PATH] [--show-errors N] [--real [--seed S]]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import warnings
from collections import defaultdict
from pathlib import Path

from markers_eval import fmt, matches, prf, read_announced  # beside this script
from spans import max_matching

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
DEFAULT_SET = REPO / "benchmarks" / "data" / "conduct_fr_en.jsonl"
SPAN_KINDS = ("conduct.confidentiality", "conduct.denigration", "conduct.personal_opinion",
              "conduct.overpromise", "customer.emotion")
AUDIT_METRICS = ("opening_greetings", "closing_formulas", "closing_controls",
                 "customer_questions", "unanswered_questions", "empathy_opportunities",
                 "empathy_opportunities_answered", "conduct_breaches")
sys.path.insert(0, str(REPO))

_CACHE: dict[str, tuple] = {}


def analyzers(lang: str, **conduct_params):
    """``(nlp, markers, conduct)`` for ``lang``, initialized as the pipeline does."""
    key = f"{lang}{sorted(conduct_params.items())}"
    if key not in _CACHE:
        from chatqa.analyzers.factories import make_conduct, make_markers
        from chatqa.nlp import load_nlp

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # W101: English runs on a blank pipeline
            nlp = load_nlp(lang)
        _CACHE[key] = (nlp, make_markers(lang).initialize(nlp),
                       make_conduct(lang, **conduct_params).initialize(nlp))
    return _CACHE[key]


def conversation_of(row: dict):
    """A chatqa Conversation from a labelled row (roles as labelled, no times)."""
    from chatqa.model import Conversation, Message, Role

    messages = tuple(Message(role=Role(m["role"]), time=None, text=m["text"])
                     for m in row["messages"])
    return Conversation(id=row["id"], messages=messages,
                        metadata={**row.get("metadata", {}), "language": row["lang"]})


def analyse(conversation, lang: str, **conduct_params):
    """The conduct Analysis of one conversation, with the markers' results as context."""
    from chatqa.analyzers.base import ConversationContext
    from chatqa.model import Role

    nlp, markers, conduct = analyzers(lang, **conduct_params)
    docs = tuple(nlp(m.text) for m in conversation.messages)
    results = {i: markers.analyze_message(docs[i])
               for i, m in enumerate(conversation.messages) if m.role is Role.ADVISOR}
    context = ConversationContext(docs=docs, message_results={"markers": results})
    return conduct.analyze_conversation(conversation, context)


class Tally:
    """Gold, predicted and matched counts per (language, measure), with the errors."""

    def __init__(self, kinds: tuple[str, ...] = SPAN_KINDS) -> None:
        self.kinds = kinds
        self.counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.errors: list[tuple[str, str, str, str]] = []  # (kind of error, id, measure, text)

    def spans(self, row: dict, found) -> None:
        lang = row["lang"]
        gold_all = list(row["labels"].get("spans", ())) + [
            {**e, "kind": "customer.emotion"} for e in row["labels"].get("emotions", ())]
        for kind in self.kinds:
            gold = [(g["message"], g["start"], g["end"]) for g in gold_all if g["kind"] == kind]
            mine = [(f.message_index, f.start, f.end) for f in found if f.code == kind]
            edges = {i: [j for j, g in enumerate(gold) if g[0] == p[0] and matches(p[1:], g[1:])]
                     for i, p in enumerate(mine)}
            owner = max_matching(len(mine), edges)
            c = self.counts[(lang, kind)]
            c[0] += len(gold)
            c[1] += len(mine)
            c[2] += len(owner)
            texts = [m["text"] for m in row["messages"]]
            for j, g in enumerate(gold):
                if j not in owner:
                    self.errors.append(("miss", row["id"], kind,
                                        f"[{texts[g[0]][g[1]:g[2]]}] in: {texts[g[0]]}"))
            for i, p in enumerate(mine):
                if i not in set(owner.values()):
                    self.errors.append(("false", row["id"], kind,
                                        f"[{texts[p[0]][p[1]:p[2]]}] in: {texts[p[0]]}"))

    def binary(self, lang: str, measure: str, gold: set, predicted: set, row_id: str) -> None:
        c = self.counts[(lang, measure)]
        c[0] += len(gold)
        c[1] += len(predicted)
        c[2] += len(gold & predicted)
        for item in gold - predicted:
            self.errors.append(("miss", row_id, measure, str(item)))
        for item in predicted - gold:
            self.errors.append(("false", row_id, measure, str(item)))

    def table(self, lang: str, measures: tuple[str, ...]) -> list[str]:
        lines = [f"   {'code':30} {'gold':>5} {'pred':>5} {'tp':>5} {'P':>6} {'R':>6} {'F1':>6}"]
        for measure in measures:
            gold, pred, tp = self.counts.get((lang, measure), (0, 0, 0))
            if gold or pred:
                p, r, f = prf(gold, pred, tp)
                lines.append(f"   {measure:30} {gold:5d} {pred:5d} {tp:5d} {fmt(p)} {fmt(r)} "
                             f"{fmt(f)}")
        return lines


def agreement(pairs: list[tuple[object, object]]) -> str:
    if not pairs:
        return "-"
    same = sum(1 for g, p in pairs if g == p)
    return f"{same}/{len(pairs)} = {same / len(pairs):.3f}"


def score_set(path: Path, show_errors: int) -> None:
    rows = read_announced(path, "conversations")
    tally = Tally()
    agree: dict[tuple[str, str], list[tuple[object, object]]] = defaultdict(list)
    for row in rows:
        lang, labels = row["lang"], row["labels"]
        analysis = analyse(conversation_of(row), lang, bot_greeting_counts=False)
        found, metrics = analysis.findings, analysis.metrics
        tally.spans(row, found)
        for code, key in (("conduct.greeting_missing", "advisor_greeted"),
                          ("conduct.closing_missing", "advisor_closed")):
            if labels.get(key) is not None:
                tally.binary(lang, code, {row["id"]} if labels[key] is False else set(),
                             {row["id"]} if any(f.code == code for f in found) else set(),
                             row["id"])
        tally.binary(lang, "conduct.unanswered_question",
                     {(row["id"], i) for i in labels.get("unanswered_questions", ())},
                     {(row["id"], f.message_index) for f in found
                      if f.code == "conduct.unanswered_question"}, row["id"])
        if labels.get("customer_name_used") is not None:
            uses = metrics["customer_name_uses"]
            agree[(lang, "customer name used")].append(
                (labels["customer_name_used"], None if math.isnan(uses) else uses > 0))
        if labels.get("vouvoiement_kept") is not None:
            ratio = metrics["vouvoiement_ratio"]
            agree[(lang, "vouvoiement kept")].append(
                (labels["vouvoiement_kept"], None if math.isnan(ratio) else ratio == 1.0))
        emotions = [f for f in found if f.code == "customer.emotion"]
        for e in labels.get("emotions", ()):
            hit = next((f for f in emotions if f.message_index == e["message"]
                        and matches((f.start, f.end), (e["start"], e["end"]))), None)
            if hit is not None:
                agree[(lang, "emotion answered (both found)")].append(
                    (e["answered"], hit.details["answered"]))
    measures = (*SPAN_KINDS, "conduct.greeting_missing", "conduct.closing_missing",
                "conduct.unanswered_question")
    for lang in sorted({r["lang"] for r in rows}):
        print(f"-- {lang}")
        print("\n".join(tally.table(lang, measures)))
        for (pair_lang, what), pairs in sorted(agree.items()):
            if pair_lang == lang:
                print(f"   agreement, {what:32} {agreement(pairs)}")
    if show_errors:
        for kind in ("miss", "false"):
            shown = [e for e in tally.errors if e[0] == kind][:show_errors]
            print(f"-- {kind} (first {len(shown)})")
            for _, row_id, measure, text in shown:
                print(f"   {row_id} {measure:28} {text}")


def real(n: int, seed: int) -> None:
    """Every conduct finding on ``n`` real conversations picked at random, to judge by hand."""
    from chatqa.io import read_transcripts

    path = SHARED / "chats_fr_pmc" / "conversations.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W001: clock times without a date
        conversations = list(read_transcripts(path))
    sample = random.Random(seed).sample(conversations, n)
    print(f"== real conversations: {n} of {len(conversations)} (seed {seed}); every conduct "
          "finding, to judge by hand")
    total = 0
    for k, conv in enumerate(sample, 1):
        analysis = analyse(conv, "fr", bot_greeting_counts=False)
        shown = [f for f in analysis.findings if f.code not in (
            "conduct.greeting_missing", "conduct.closing_missing")]
        total += len(shown)
        summary = {m: analysis.metrics[m] for m in AUDIT_METRICS}
        print(f"[{k:2d}] {conv.id}: {json.dumps(summary)}")
        for f in shown:
            text = conv.messages[f.message_index].text
            if f.start is None:  # about the whole message
                print(f"      {f.code:28} m{f.message_index} [{text[:120]}]")
                continue
            left, right = text[max(0, f.start - 30):f.start], text[f.end:f.end + 30]
            print(f"      {f.code:28} m{f.message_index} …{left}[{f.text}]{right}…  "
                  f"{f.details.get('pattern', '')} answered={f.details.get('answered', '')}")
    print(f"   {total} findings (greeting / closing missing left out)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_SET)
    parser.add_argument("--show-errors", type=int, default=0)
    parser.add_argument("--real", action="store_true", help="audit real conversations")
    parser.add_argument("--n", type=int, default=40, help="conversations for --real")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-spans", action="store_true", help="skip the labelled set")
    args = parser.parse_args()
    if not args.no_spans:
        score_set(args.data.resolve(), args.show_errors)
    if args.real:
        real(args.n, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
