"""Text helpers shared by analyzers: matching without case or accents, offsets kept."""

from __future__ import annotations

import re
import unicodedata

#: An anonymisation placeholder (« _Name1_ », « _ZipCode2_ »): one token for the tokenizer
#: (``chatqa.nlp``), no word for the analyzers.
PLACEHOLDER = re.compile(r"_[A-Za-z]+\d+_")

#: Characters read as another when matching (typographic apostrophes and dashes).
_EQUIVALENTS = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2011": "-", "\u2010": "-",
                "\u00a0": " ", "\u202f": " "}


def _fold_char(char: str) -> str:
    char = _EQUIVALENTS.get(char, char)
    base = unicodedata.normalize("NFD", char)[0].lower()
    return base if len(base) == 1 else char


class _FoldTable(dict[int, str]):
    """``str.translate``'s table for :func:`fold`, filled one character at a time."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case ``text`` and strip its accents, one character for one character.

    ``fold(text)`` has the length of ``text``, so a match found in the folded text has the
    same offsets in the original: « Êtes-vous là ? » → « etes-vous la ? ».
    """
    return text.translate(_FOLD)
