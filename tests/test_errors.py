from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from chatqa.errors import Errors, Warnings

SOURCE = Path(__file__).resolve().parent.parent / "chatqa"


def _codes(catalogue):
    return [name for name in vars(catalogue) if re.fullmatch(r"[EW]\d{3}", name)]


@pytest.mark.parametrize("catalogue", [Errors, Warnings])
def test_errors_every_code_is_prefixed_and_formats(catalogue):
    for code in _codes(catalogue):
        message = getattr(catalogue, code)
        assert message.startswith(f"[{code}] ")
        fields = {f for _, f, _, _ in string.Formatter().parse(message) if f}
        message.format(**{f.split("!")[0].split(".")[0]: "x" for f in fields})


@pytest.mark.parametrize("catalogue", [Errors, Warnings])
def test_errors_every_code_is_used_in_the_source(catalogue):
    text = "\n".join(p.read_text("utf-8") for p in SOURCE.rglob("*.py") if p.name != "errors.py")
    unused = [c for c in _codes(catalogue) if not re.search(rf"\b{c}\b", text)]
    assert unused == []
