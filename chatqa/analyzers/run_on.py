"""Run-on sentences: one written sentence chaining clauses with nothing to part them.

« si le produit a une étoile rouge nous garantissons une livraison pour Noël si la commande
est passée avant le 16 décembre »: three clauses, no comma, the customer reads it twice.

A *written sentence* is a spaCy sentence, joined with the next one when it ends on the same
line with no closing mark (the parser cuts where a clause starts; the advisor wrote one
sentence). Its *stretches* are its parts between two parting marks (a comma, a semicolon, a
colon, a bracket, a dash). A clause is counted by its finite verb with a subject (« est » in
« est livré », « avez » in « avez commandé »), or an imperative.

It is a run-on when it holds ``min_words`` words or more and one stretch holds ``min_clauses``
clauses or more, « que » clauses left out (« je vois que… et que… » is built, not strung
together); or when it holds ``long_words`` words and ``long_clauses`` clauses, commas or not
(a main verb behind a pile of clauses). Length alone is none: a long sentence whose clauses are
parted by commas reads at once. Needs the morphologizer's ``VerbForm`` (the French pipeline);
without it nothing is found.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from chatqa.analyzers.own_text import words_of

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

    from chatqa.resources.schemas import RunOn


#: Dependency labels of a clause's subject (UD).
_SUBJECTS = ("nsubj", "csubj", "expl:subj")


def run_on_spans(doc: Doc, rules: RunOn) -> list[tuple[int, int]]:
    """``(start, end)`` of each run-on sentence in the text of ``doc`` (module docstring)."""
    if not doc.has_annotation("MORPH"):
        return []
    found = []
    for sentence in written_sentences(doc, rules.closing_marks):
        if len(sentence) < rules.min_words:  # fewer tokens, fewer words: most sentences
            continue
        words = len(words_of(sentence))
        if words < rules.min_words:
            continue
        clauses = _clauses(sentence)
        strung = {v.i for v in clauses if not _that_clause(v, rules.that_words)}
        if (max(sum(1 for t in stretch if t.i in strung)
                for stretch in _stretches(sentence, rules.parting_marks)) >= rules.min_clauses
                or (words >= rules.long_words and len(clauses) >= rules.long_clauses)):
            last = next(t for t in reversed(sentence) if not t.is_space)
            found.append((sentence.start_char, last.idx + len(last.text)))
    return found


def written_sentences(doc: Doc, closing_marks: frozenset[str]) -> list[Span]:
    """The parser's sentences, each joined with the next where it ends on its line unclosed."""
    joined: list[Span] = []
    for sentence in doc.sents:
        if joined and _runs_on(joined[-1], sentence, closing_marks):
            joined[-1] = doc[joined[-1].start:sentence.end]
        else:
            joined.append(sentence)
    return joined


def _runs_on(before: Span, after: Span, closing_marks: frozenset[str]) -> bool:
    text = [t for t in before if not t.is_space]
    first = next((t for t in after if not t.is_space), None)
    if not text or text[-1].text in closing_marks or first is None or first.text[0].isupper():
        return False  # a capital starts a sentence: the advisor left out a full stop, no more
    between = before.doc[text[-1].i:after.start]  # (``Doc.text`` joins the whole text again)
    return not any("\n" in t.text_with_ws for t in between)


def _stretches(sentence: Span, parting_marks: frozenset[str]) -> Iterator[list]:
    """The parts of ``sentence`` between two parting marks.

    A hyphen inside a word parts none (« c'est-à-dire », « dites-le »: spaCy cuts the « - » off
    as a token of its own).
    """
    stretch: list = []
    for token in sentence:
        if token.text in parting_marks and not (token.text == "-" and _glued(token)):
            yield stretch
            stretch = []
        else:
            stretch.append(token)
    yield stretch


def _glued(token) -> bool:
    """Whether ``token`` follows the text before it with no space (« c'est-à-dire »)."""
    if token.i == 0:
        return False
    before = token.doc[token.i - 1]
    return not (before.whitespace_ or before.text[-1].isspace())


def _clauses(tokens) -> list:
    """The verb of each clause: a finite verb with a subject (an auxiliary's is its verb's).

    Or an imperative. « passe » in « mot de passe », which the tagger may take for a verb, has
    no subject.
    """
    return [t for t in tokens if t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm")
            and ("Imp" in t.morph.get("Mood") or any(
                c.dep_.startswith(_SUBJECTS) for c in _verb(t).children))]


def _that_clause(token, that_words: frozenset[str]) -> bool:
    """Whether the clause of ``token`` is a « que » clause (« je vois que… et que… »)."""
    return any(c.dep_ == "mark" and c.lower_ in that_words for c in _verb(token).children)


def _verb(token):
    return token.head if token.dep_.startswith("aux") or token.dep_ == "cop" else token
