"""Print a random sample of spelling_grammar findings on the real French chats, to judge by hand.

The real advisor messages of ../shared/data/chats_fr_pmc have no error labels; precision on
them is measured by judging a sample of findings (is there an error at that span?).

    python benchmarks/spelling_grammar_audit.py [--n 100] [--seed 11] [--backend auto]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args()

    from spelling_grammar_eval import pmc_advisor_texts

    from chatqa.analyzers.base import get_factory
    from chatqa.nlp import load_nlp

    nlp = load_nlp("fr")
    analyzer = get_factory("spelling_grammar")("fr", backend=args.backend)
    texts = list(dict.fromkeys(pmc_advisor_texts()))
    findings = []
    for text, doc in zip(texts, nlp.pipe(texts), strict=True):
        findings += [(f, text) for f in analyzer.analyze_message(doc).findings]
    print(f"{len(texts)} distinct advisor messages, {len(findings)} findings "
          f"(backend {analyzer.backend}); sample of {args.n}, seed {args.seed}")
    for i, (f, text) in enumerate(random.Random(args.seed).sample(findings, args.n)):
        context = text[max(0, f.start - 60): f.end + 60].replace("\n", " ")
        print(f"{i:3} {f.code:26} {f.text!r} -> {f.suggestion!r} | ...{context}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
