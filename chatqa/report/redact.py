"""Mask personal data (e-mails, phones, IBANs, card numbers) in text shown to people."""

from __future__ import annotations

import re
from functools import lru_cache

from chatqa.resources import load_shared_resource


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    data = load_shared_resource("redaction")
    return tuple(
        (re.compile(pattern), data["replacement"][name])
        for name, pattern in data["patterns"].items()
    )


def redact(text: str) -> str:
    """Return ``text`` with e-mails, IBANs, card and phone numbers replaced by a label."""
    for pattern, replacement in _patterns():
        text = pattern.sub(replacement, text)
    return text
