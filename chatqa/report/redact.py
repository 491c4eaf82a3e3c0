"""Mask personal data (e-mails, phones, IBANs, card numbers) in text shown to people."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

_FILE = Path(__file__).resolve().parent.parent / "resources" / "redaction.toml"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    data = tomllib.loads(_FILE.read_text("utf-8"))
    return tuple(
        (re.compile(pattern), data["replacement"][name])
        for name, pattern in data["patterns"].items()
    )


def redact(text: str) -> str:
    """Return ``text`` with e-mails, IBANs, card and phone numbers replaced by a label."""
    for pattern, replacement in _patterns():
        text = pattern.sub(replacement, text)
    return text
