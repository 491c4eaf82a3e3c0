"""French readability: Flesch (Kandel and Moles constants) and LIX, from word counts.

* Flesch, Kandel and Moles (1958): ``207 − 1.015 × words/sentences − 73.6 ×
  syllables/words``, the French adaptation textstat uses for ``fr``.
* LIX (Björnsson 1968): ``words/sentences + 100 × long words/words``, a long word having more
  than six letters.
* Syllables: the hyphenation points of pyphen's dictionary for the language, plus one, per
  word (the method textstat uses). Hyphenation splits written syllables, so a mute final
  « e » is no syllable (« commande » has 2): the usual convention of French readability.

``tests/test_measures.py`` checks both formulas against textstat within 1e-6 on the same counts.
"""

from __future__ import annotations

import math
from functools import lru_cache

#: Flesch's constants ``(base, per word per sentence, per syllable per word)``: Kandel and
#: Moles's French adaptation, and Flesch's original English ones.
FLESCH_KANDEL_MOLES = (207.0, 1.015, 73.6)
FLESCH_ENGLISH = (206.835, 1.015, 84.6)


def flesch_kandel_moles(words: int, sentences: int, syllables: int) -> float:
    """Flesch reading ease with Kandel and Moles's French constants; NaN without words."""
    return flesch(words, sentences, syllables, FLESCH_KANDEL_MOLES)


def flesch(words: int, sentences: int, syllables: int,
           constants: tuple[float, float, float]) -> float:
    """Flesch reading ease ``base − a × words/sentences − b × syllables/words``.

    NaN without words or sentences.
    """
    if words <= 0 or sentences <= 0:
        return math.nan
    base, per_sentence, per_syllable = constants
    return base - per_sentence * (words / sentences) - per_syllable * (syllables / words)


def lix(words: int, sentences: int, long_words: int) -> float:
    """LIX readability index; NaN without words."""
    if words <= 0 or sentences <= 0:
        return math.nan
    return words / sentences + 100 * long_words / words


@lru_cache(maxsize=8)
def _hyphenator(lang: str):
    import pyphen

    return pyphen.Pyphen(lang=lang)


@lru_cache(maxsize=65536)
def syllables(word: str, lang: str = "fr") -> int:
    """Written syllables of ``word``: pyphen's hyphenation points plus one."""
    return len(_hyphenator(lang).positions(word)) + 1
