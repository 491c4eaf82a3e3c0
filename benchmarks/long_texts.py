"""Time and peak memory of scoring pathological messages, against an ordinary one in the same run.

Each case scores one conversation (customer "Bonjour", then one advisor message) in a fresh
process, after a warm-up conversation, so peak memory is the case's own:
  - baseline: an ordinary 60-character advisor message;
  - a 1 MB advisor message (analysed up to the grid's max_message_chars, text.truncated);
  - a 10,000-character "word";
  - 200 messages of 5,000 characters in one conversation.
Prints seconds and peak RSS per case, and ratios to the baseline.

    python benchmarks/long_texts.py [--grid fr_chat]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CASES = {
    "baseline (60 chars)": lambda: ["Bonjour, je regarde votre commande et je reviens vers vous."],
    "1 MB message": lambda: ["Je vérifie votre dossier. " * 40_000],
    "10,000-character word": lambda: ["Voici le lien " + "x" * 10_000 + " merci."],
    "200 messages x 5,000 chars": lambda: [
        f"Message {i}. " + "Nous avons bien reçu votre demande. " * 140 for i in range(200)
    ],
}


def child(case: str, grid: str) -> None:
    """Score the case in this (fresh) process; print seconds and peak RSS as JSON."""
    from chatqa.model import Conversation, Message, Role
    from chatqa.pipeline import Pipeline

    def conversation(texts: list[str]) -> Conversation:
        messages = [Message(Role.CUSTOMER, None, "Bonjour")]
        messages += [Message(Role.ADVISOR, None, t) for t in texts]
        return Conversation("bench", tuple(messages), {"language": "fr"})

    pipe = Pipeline.from_grid(grid)
    pipe.score(conversation(["Bonjour madame, je m'occupe de votre demande."]))  # warm-up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    texts = CASES[case]()
    started = time.perf_counter()
    result = pipe.score(conversation(texts))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    codes = sorted({f.code for f in result.findings})
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "warm_mb": before,
                      "chars": sum(map(len, texts)), "codes": codes}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default="fr_chat")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.grid)
        return
    rows = {}
    for case in CASES:
        out = subprocess.run(
            [sys.executable, __file__, "--child", case, "--grid", args.grid],
            check=True, capture_output=True, text=True,
        ).stdout
        rows[case] = json.loads(out.strip().splitlines()[-1])
    base = rows["baseline (60 chars)"]
    print(f"{'case':30} {'chars':>10} {'seconds':>9} {'x base':>8} {'peak MB':>9} "
          f"{'x base':>7}  codes")
    for case, r in rows.items():
        print(f"{case:30} {r['chars']:>10,} {r['seconds']:>9.2f} "
              f"{r['seconds'] / base['seconds']:>8.1f} {r['peak_mb']:>9.0f} "
              f"{r['peak_mb'] / base['peak_mb']:>7.2f}  {', '.join(r['codes'])}")


if __name__ == "__main__":
    main()
