"""Build chat_fr_advisor.jsonl from its marked-up source, checking every span.

    python benchmarks/data/build_chat_set.py

Source: chat_fr_advisor.txt, one message per line, errors written
``[[as typed=>correction|code]]``. Output: one JSON object per message with the plain text and
``errors = [{start, end, text, code, correction}]``, offsets into the plain text.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "chat_fr_advisor.txt"
TARGET = HERE / "chat_fr_advisor.jsonl"
CODES = {
    "sp": "spelling", "agr": "grammar.agreement", "conj": "grammar.conjugation",
    "homo": "grammar.homophone", "neg": "grammar.negation", "usage": "grammar.usage",
    "cap": "typography.capital", "hyph": "typography.hyphen", "apos": "typography.apostrophe",
    "link": "typography.link", "foreign": "register.foreign_language",
}
MARK = re.compile(r"\[\[(?P<typed>.+?)=>(?P<correction>.*?)\|(?P<code>\w+)\]\]")


def parse(line: str) -> tuple[str, list[dict]]:
    """Plain text and errors of one marked-up line."""
    text, errors, last = "", [], 0
    for match in MARK.finditer(line):
        text += line[last:match.start()]
        start = len(text)
        text += match["typed"]
        if match["code"] not in CODES:
            raise ValueError(f"unknown code {match['code']!r} in: {line}")
        errors.append({"start": start, "end": len(text), "text": match["typed"],
                       "code": CODES[match["code"]], "correction": match["correction"]})
        last = match.end()
    text += line[last:]
    if "[[" in text or "]]" in text:
        raise ValueError(f"unbalanced mark in: {line}")
    return text, errors


def main() -> int:
    rows = []
    for line in SOURCE.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, errors = parse(line)
        for e in errors:
            assert text[e["start"]:e["end"]] == e["text"]
        rows.append({"id": f"adv-{len(rows) + 1:03d}", "text": text, "errors": errors})
    assert len({r["text"] for r in rows}) == len(rows), "duplicate messages"
    TARGET.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    counts = Counter(e["code"] for r in rows for e in r["errors"])
    with_errors = sum(1 for r in rows if r["errors"])
    print(f"{len(rows)} messages: {with_errors} with errors, {len(rows) - with_errors} without; "
          f"{sum(counts.values())} errors")
    for code, n in sorted(counts.items()):
        print(f"  {code:28} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
