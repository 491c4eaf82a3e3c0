"""Compile spaCy's giant French ``token_match`` in a tenth of a second instead of three.

``spacy.lang.fr.tokenizer_exceptions`` builds ``TOKEN_MATCH`` from about 250 anchored
alternatives (``^faux[-‐][a-zà…][-‐a-zà…'’]*$``), each repeating character classes of several
thousand letters: a 1.4 MB pattern that Python's pure-Python regex compiler takes 3 s to
compile, at every start-up and again when the model's tokenizer is read from disk. That was
a third of a batch run's start-up.

:func:`factor_alternation` rewrites such a pattern into an equivalent one where the
alternatives sharing everything from their first long character class onwards are merged
(``^(?:faux|demi|…)[-‐][a-zà…][-‐a-zà…'’]*$``): the same strings match, each long class is
compiled a handful of times. :func:`large_patterns_factored` applies it to every pattern over
:data:`LARGE_PATTERN` characters compiled while a spaCy pipeline loads. A pattern of another
shape (another spaCy version, back-references, lookarounds) is compiled as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

#: Patterns at least this long are factored when compiled during a pipeline load.
LARGE_PATTERN = 100_000
#: A character class at least this long is where an alternative's shared tail starts.
LONG_CLASS = 200

_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
_SPECIAL = re.compile(r"\\.|[\[\]()|]", re.DOTALL)
#: constructs whose meaning depends on group numbers or on context: never factored
_UNSAFE = re.compile(r"\\[1-9]|\(\?P|\(\?<|\(\?=|\(\?!|\(\?\(")
_factored: dict[str, str] = {}


def _top_level(pattern: str) -> Iterator[tuple[int, str, int]]:
    """``(position, token, end)`` of each top-level ``|`` and ``[…]`` class of ``pattern``."""
    depth, pos = 0, 0
    while True:
        found = _SPECIAL.search(pattern, pos)
        if found is None:
            return
        token, pos = found.group(), found.end()
        if token == "[":
            end = _class_end(pattern, pos)
            if depth == 0:
                yield found.start(), "[", end
            pos = end
        elif token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif token == "|" and depth == 0:
            yield found.start(), "|", pos


def _class_end(pattern: str, pos: int) -> int:
    """The index after the ``]`` closing the class whose ``[`` ends at ``pos``."""
    if pattern.startswith("^", pos):
        pos += 1
    if pattern.startswith("]", pos):  # a ']' first in a class is a literal
        pos += 1
    while True:
        close = pattern.index("]", pos)
        escapes = len(pattern[pos:close]) - len(pattern[pos:close].rstrip("\\"))
        if escapes % 2 == 0:
            return close + 1
        pos = close + 1


def _alternatives(body: str) -> list[str]:
    cuts = [start for start, token, _ in _top_level(body) if token == "|"]
    bounds = [-1, *cuts, len(body)]
    return [body[a + 1:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _unwrap(alternative: str) -> str | None:
    """``^…$`` inside ``(?:…)``, or None when the alternative has another shape."""
    if alternative.startswith("(?:") and alternative.endswith(")"):
        inner = alternative[3:-1]
        if _alternatives(inner) == [inner]:
            alternative = inner
    ends_anchored = alternative.endswith("$") and not alternative.endswith("\\$")
    if alternative.startswith("^") and ends_anchored:
        return alternative[1:-1]
    return None


def factor_alternation(pattern: str) -> str:
    """An equivalent ``pattern`` whose anchored alternatives share their long-class tails.

    Only a pattern made of top-level ``^…$`` alternatives (each possibly in ``(?:…)``),
    after optional global flags, is rewritten; anything else is returned unchanged.
    """
    if pattern in _factored:
        return _factored[pattern]
    flags = _GLOBAL_FLAGS.match(pattern)
    prefix = flags.group() if flags else ""
    body = pattern[len(prefix):]
    result = pattern
    if not _UNSAFE.search(body):
        inners = [_unwrap(a) for a in _alternatives(body)]
        if inners and all(inner is not None for inner in inners):
            result = prefix + "|".join(_merged(inners))
    _factored[pattern] = result
    return result


def _merged(inners: list[str | None]) -> list[str]:
    """Alternatives grouped by the tail from their first long top-level class."""
    heads: dict[str, list[str]] = {}
    for inner in inners:
        assert inner is not None
        start = next((s for s, token, end in _top_level(inner)
                      if token == "[" and end - s >= LONG_CLASS), None)
        if start is None:
            heads.setdefault(inner, []).append("")
        else:
            heads.setdefault(inner[start:], []).append(inner[:start])
    out = []
    for tail, group in heads.items():
        alternatives = list(dict.fromkeys(group))
        head = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        out.append(f"(?:^{head}{tail}$)")
    return out


@contextmanager
def large_patterns_factored() -> Iterator[None]:
    """While open, ``re.compile`` factors every pattern of :data:`LARGE_PATTERN` characters.

    Meant around ``spacy.load`` only: the patch is process-wide while it lasts.
    """
    original = re.compile

    def compile_factored(pattern, flags=0):
        if isinstance(pattern, str) and len(pattern) >= LARGE_PATTERN:
            pattern = factor_alternation(pattern)
        return original(pattern, flags)

    re.compile = compile_factored
    try:
        yield
    finally:
        re.compile = original
