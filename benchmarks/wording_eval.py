"""Accuracy of the vocabulary and clarity findings on labelled conversations.

Data (read in place, never copied):
  benchmarks/data/wording_fr_en.jsonl       frozen set: 150 conversations written from a brief,
                                            before any vocabulary or clarity rule (the figures)
  benchmarks/data/wording_dev_fr_en.jsonl   development set the rules were tuned on
  benchmarks/data/word_repetition_fr.jsonl  frozen set for vocabulary.word_repetition (French)
  benchmarks/data/word_repetition_dev_fr.jsonl  its development set
  benchmarks/data/not_understood_fr_en.jsonl    frozen set for clarity.not_understood
  benchmarks/data/not_understood_dev_fr_en.jsonl  its development sets (and
  benchmarks/data/not_understood_dev_b_fr_en.jsonl,
  benchmarks/data/not_understood_dev_c_fr_en.jsonl)
  benchmarks/data/jargon_e_fr.jsonl         frozen set for clarity.jargon (French; the latest)
  benchmarks/data/jargon_d_fr.jsonl         the one before it (errors never read either)
  benchmarks/data/jargon_c_fr.jsonl         earlier frozen sets for clarity.jargon, no longer
  benchmarks/data/jargon_fr.jsonl           blind
  benchmarks/data/jargon_dev_fr.jsonl       its development sets (and
  benchmarks/data/jargon_dev_b_fr.jsonl, benchmarks/data/jargon_dev_c_fr.jsonl)

Each conversation is parsed as in the pipeline and scored by the vocabulary and clarity
analyzers (no macro table: the messages are invented, none is canned). Span level, per code
and language: a predicted span counts when it overlaps a gold span of its code in the same
message and is at most twice its length, paired one to one. A set judges the codes it labels
(the others are not counted). The target is precision >= 0.90 for each code.

    python benchmarks/wording_eval.py [--data PATH] [--show-errors N]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from conduct_eval import Tally, conversation_of  # beside this script
from markers_eval import read_announced

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SET = REPO / "benchmarks" / "data" / "wording_fr_en.jsonl"
CODES = ("vocabulary.tic", "vocabulary.vague", "vocabulary.anglicism", "vocabulary.repetition",
         "vocabulary.word_repetition", "clarity.jargon", "clarity.shouting",
         "clarity.punctuation", "clarity.wall_of_text", "clarity.not_understood",
         "clarity.raw_paste", "clarity.run_on")
sys.path.insert(0, str(REPO))
_CACHE: dict[str, tuple] = {}


def analyzers(lang: str):
    """``(nlp, vocabulary, clarity)`` for ``lang``."""
    if lang not in _CACHE:
        from chatqa.analyzers.factories import make_clarity, make_vocabulary
        from chatqa.nlp import load_nlp

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # W101: English runs on a blank pipeline
            nlp = load_nlp(lang)
        _CACHE[lang] = (nlp, make_vocabulary(lang), make_clarity(lang))
    return _CACHE[lang]


def findings_of(row: dict) -> list:
    """The vocabulary and clarity findings of one labelled conversation."""
    nlp, vocabulary, clarity = analyzers(row["lang"])
    conversation = conversation_of({**row, "labels": {}})
    docs = tuple(nlp(m.text) for m in conversation.messages)
    return [*vocabulary.analyze_conversation(conversation, docs).findings,
            *clarity.analyze_conversation(conversation, docs).findings]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_SET)
    parser.add_argument("--show-errors", type=int, default=0)
    args = parser.parse_args()
    rows = read_announced(args.data.resolve(), "conversations")
    labelled = {s["kind"] for r in rows for s in r["spans"]}
    codes = tuple(c for c in CODES if c in labelled)  # a set judges only the codes it labels
    tally = Tally(kinds=codes)
    for row in rows:
        tally.spans({**row, "labels": {"spans": row["spans"]}}, findings_of(row))
    for lang in sorted({r["lang"] for r in rows}):
        print(f"-- {lang}")
        print("\n".join(tally.table(lang, codes)))
    if args.show_errors:
        for kind in ("miss", "false"):
            shown = [e for e in tally.errors if e[0] == kind][:args.show_errors]
            print(f"-- {kind} (first {len(shown)})")
            for _, row_id, code, text in shown:
                print(f"   {row_id} {code:24} {text[:220]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
