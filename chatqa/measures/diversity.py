"""Lexical diversity: MTLD, MATTR and HD-D, as lexicalrichness computes them.

Written here rather than imported: lexicalrichness pulls TextBlob, NLTK and SciPy in at
import (about 2 s per worker), for three short formulas. ``tests/test_measures.py`` checks
that these functions give lexicalrichness's numbers on the same tokens (within 1e-9).

* MTLD (McCarthy and Jarvis 2010): the mean length of the runs of tokens whose type-token
  ratio stays above ``threshold`` (0.72), averaged over a forward and a backward pass; the
  last, partial run counts as the fraction of a factor it reached.
* MATTR (Covington and McFall 2010): the mean type-token ratio of every window of ``window``
  consecutive tokens.
* HD-D (McCarthy and Jarvis 2007): for each type, the probability that a random draw of
  ``draws`` tokens holds it at least once, divided by ``draws``, summed (hypergeometric).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def mtld(tokens: Sequence[str], threshold: float = 0.72) -> float:
    """MTLD of ``tokens``; NaN for no token."""
    if not tokens:
        return math.nan
    return (_mtld_pass(tokens, threshold) + _mtld_pass(tokens[::-1], threshold)) / 2


def _mtld_pass(tokens: Sequence[str], threshold: float) -> float:
    terms: set[str] = set()
    count = factors = 0
    ttr = 1.0
    for token in tokens:
        count += 1
        terms.add(token)
        ttr = len(terms) / count
        if ttr <= threshold:
            count, terms, factors = 0, set(), factors + 1
    if count > 0:
        factors += (1 - ttr) / (1 - threshold)
    if factors == 0:  # the ratio never fell: a partial factor of the whole text
        whole = len(set(tokens)) / len(tokens)
        factors = 1 if whole == 1 else (1 - whole) / (1 - threshold)
    return len(tokens) / factors


def mattr(tokens: Sequence[str], window: int = 50) -> float:
    """MATTR of ``tokens`` with windows of ``window`` tokens; NaN when there are fewer."""
    n = len(tokens)
    if window < 1 or n < window:
        return math.nan
    counts = Counter(tokens[:window])
    total = len(counts)
    for i in range(window, n):
        gone, new = tokens[i - window], tokens[i]
        counts[gone] -= 1
        if counts[gone] == 0:
            del counts[gone]
        counts[new] += 1
        total += len(counts)
    return total / window / (n - window + 1)


def hdd(tokens: Sequence[str], draws: int = 42) -> float:
    """HD-D of ``tokens`` with ``draws`` draws; NaN when there are fewer tokens."""
    n = len(tokens)
    if draws < 1 or n < draws:
        return math.nan
    none = math.comb(n, draws)
    return sum((1 - math.comb(n - k, draws) / none) / draws for k in Counter(tokens).values())
