"""One line, in the grid's language, that says why a level was proposed, from its evidence.

The words are data (``resources/<lang>/justification.toml``): each metric of the evidence is
phrased (« première réponse en 42 s »), each finding code counted and named (« 2 erreurs
d'accord »). The rule's own ``reason`` keeps the arithmetic; the justification is what an
evaluator reads on the form.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from typing import Any

from chatqa.evaluation.form import Proposal
from chatqa.evaluation.grid import NA, Grid
from chatqa.resources import load_resource, shipped_languages


@lru_cache(maxsize=8)
def _words(lang: str) -> Any:
    return load_resource(lang if lang in shipped_languages() else "en", "justification")


def format_number(value: float, lang: str) -> str:
    """``value`` as a reader of ``lang`` writes it: at most 3 significant digits (« 2,67 »)."""
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    text = f"{value:.3g}"
    return text.replace(".", _words(lang).decimal_separator)


def _code_name(words: Any, code: str, count: int) -> str:
    names = words.codes.get(code)
    if names is None:
        family = code.split(".", 1)[0] + ".*"
        names = words.codes.get(family, (code, code))
    return names[0] if count == 1 else names[1]


def _phrase(words: Any, phrase: Any, value: float, lang: str) -> str:
    """A metric's value in words: a template, a [singular, plural] pair, or a yes / no fact."""
    if isinstance(phrase, str):
        return phrase.format(value=format_number(value, lang))
    if isinstance(phrase, tuple):
        singular, plural = phrase
        chosen = singular if value in words.singular_values else plural
        return chosen.format(value=format_number(value, lang))
    return phrase.yes if value >= 1 else phrase.no


def justify(proposal: Proposal, grid: Grid, lang: str | None = None) -> str:
    """The proposal's one-line justification in ``lang`` (default: the grid's language)."""
    words = _words(lang or grid.language)
    if proposal.level == NA:
        return words.na.format(reason=proposal.reason)
    parts: list[str] = []
    for e in proposal.evidence:
        if e.kind == "metric" and e.value is not None and e.name in words.metrics:
            parts.append(_phrase(words, words.metrics[e.name], e.value, lang or grid.language))
    counts = Counter(e.name for e in proposal.evidence if e.kind == "finding")
    for code, count in counts.most_common():
        parts.append(words.count.format(count=count, name=_code_name(words, code, count)))
    evidence = words.separator.join(parts) if parts else words.nothing_found
    label = grid.level_label(proposal.level, proposal.criterion)
    return words.level.format(label=label, evidence=evidence)


def not_reviewable_justification(reason: str, grid: Grid) -> str:
    """The justification of every ``na`` of a conversation not worth reviewing."""
    return _words(grid.language).not_reviewable.format(reason=reason)
