"""Conjugation errors frequent in advisor chat, checked whatever the backend.

Each rule reads the surface form, the Hunspell lexicon and the word order, and fires only in
the unambiguous reading:

* « si » opening a clause, then a conditional or future: « Si vous auriez besoin » -> « aviez »;
* « je » then a 3rd-person form: « je serait », « je vous tiendra informé »;
* « nous » then a 3rd-person plural future: « nous vous tiendront informé »;
* « ça » / « cela » then a 1st-person form: « ça vous irais » -> « irait »;
* « avoir » then a feminine or plural past participle with no object before it:
  « j'ai envoyée la facture » -> « envoyé ».
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from chatqa.analyzers.spelling_grammar.builtin import match_case, token_issue
from chatqa.analyzers.spelling_grammar.issues import RawIssue

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from chatqa.analyzers.spelling_grammar.builtin import Lexicon

SUBJECTS = ("je", "j'", "j’", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles")
CLITICS = ("ne", "n'", "n’", "me", "m'", "m’", "te", "t'", "t’", "se", "s'", "s’", "le", "la",
           "les", "l'", "l’", "lui", "leur", "nous", "vous", "y", "en")
CLAUSE_OPENERS = ("et", "mais", "ou", "même", "meme", "sauf", "seulement", "alors", "donc")
#: Future stems that are not the infinitive (« aur-ais », « viendr-ait »).
IRREGULAR_FUTURE_STEMS = ("aur", "ser", "pourr", "fer", "ir", "viendr", "tiendr", "verr",
                          "voudr", "devr", "saur", "faudr", "vaudr", "mourr", "courr", "enverr",
                          "cevr", "acquerr", "cueiller", "assiér", "assoir", "pleuvr")
AVOIR = ("ai", "as", "a", "avons", "avez", "ont", "avais", "avait", "aviez", "avaient")
OBJECT_BEFORE = ("la", "les", "l'", "l’", "me", "m'", "m’", "te", "t'", "t’", "nous", "vous",
                 "que", "qu'", "qu’")
RULE = "supplement"


class ConjugationRules:
    """The supplement's rules, over a parsed message and a lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def check(self, doc: Doc) -> list[RawIssue]:
        """Issues of every rule, in text order."""
        tokens = [t for t in doc if not t.is_space]
        out: list[RawIssue] = []
        for rule in (self._si_conditional, self._je_third_person, self._nous_future,
                     self._ca_first_person, self._avoir_participle):
            out.extend(rule(tokens))
        return sorted(out, key=lambda i: i.start)

    # -- rules --------------------------------------------------------------------------------
    def _si_conditional(self, tokens) -> Iterator[RawIssue]:
        for i, token in enumerate(tokens):
            word = token.lower_
            if word not in ("si", "s'", "s’") or not _opens_clause(tokens, i):
                continue
            subjects = SUBJECTS if word == "si" else ("il", "ils")
            if i + 1 >= len(tokens) or tokens[i + 1].lower_ not in subjects:
                continue
            j = i + 2
            verb = self._skip_clitics(tokens, j)
            if verb is None or not self._is_verb(verb.lower_):
                continue
            if self._conditional_or_future(verb.lower_):
                yield _issue(verb, "grammar.conjugation",
                             "Après « si », l'imparfait ou le présent, pas le conditionnel "
                             "ni le futur.", ())

    def _je_third_person(self, tokens) -> Iterator[RawIssue]:
        for i, token in enumerate(tokens):
            if token.lower_ not in ("je", "j'", "j’"):
                continue
            verb = self._skip_clitics(tokens, i + 1)
            if verb is None:
                continue
            form = verb.lower_
            if form.endswith(("rait", "ra")) and self._is_verb(form):
                fixed = form[:-1] + "s" if form.endswith("rait") else form + "i"
                if self.lexicon.knows(fixed):
                    yield _issue(verb, "grammar.conjugation",
                                 "Avec « je », la 1re personne du singulier.",
                                 (match_case(fixed, verb.text),))

    def _nous_future(self, tokens) -> Iterator[RawIssue]:
        not_subject_after = ("il", "elle", "ils", "elles", "on", "qui", "ce", "cela", "ça", "vous")
        yield from self._person_form(tokens, ("nous",), not_subject_after, "ront", "rons",
                                     "Avec « nous », « -rons ».")

    def _ca_first_person(self, tokens) -> Iterator[RawIssue]:
        yield from self._person_form(tokens, ("ça", "cela", "ceci", "ca"), (), "ais", "ait",
                                     "Avec « ça », la 3e personne.")

    def _person_form(self, tokens, subjects, not_after, ending: str, fixed_ending: str,
                     message: str) -> Iterator[RawIssue]:
        """A verb after ``subjects`` and clitics written with ``ending``, not ``fixed_ending``.

        Reported only when the fixed form is a known word (« tiendront » -> « tiendrons »).
        """
        for i, token in enumerate(tokens):
            if token.lower_ not in subjects or (i > 0 and tokens[i - 1].lower_ in not_after):
                continue
            verb = self._skip_clitics(tokens, i + 1)
            if verb is None or not verb.lower_.endswith(ending) or not self._is_verb(verb.lower_):
                continue
            fixed = verb.lower_[: -len(ending)] + fixed_ending
            if self.lexicon.knows(fixed):
                yield _issue(verb, "grammar.conjugation", message, (match_case(fixed, verb.text),))

    def _avoir_participle(self, tokens) -> Iterator[RawIssue]:
        for i, token in enumerate(tokens[1:], start=1):
            word = token.lower_
            if not word.endswith(("ée", "ées", "és")) or tokens[i - 1].lower_ not in AVOIR:
                continue
            verb = self.lexicon.first_group_verb(word)
            if verb is None or tokens[i - 1].lower_ in ("a",) and i > 1 and \
                    tokens[i - 2].lower_ == "y":
                continue
            before = [t.lower_ for t in tokens[max(0, i - 5): i - 1]]
            if any(w in OBJECT_BEFORE for w in before):
                continue  # « la facture que j'ai envoyée », « je les ai reçues »
            if i + 1 < len(tokens) and tokens[i + 1].pos_ not in ("DET", "NUM", "PRON", "ADP",
                                                                  "PUNCT", "ADV"):
                continue
            fixed = verb[:-2] + "é"
            yield _issue(token, "grammar.agreement",
                         "Avec « avoir », le participe ne s'accorde pas avec le sujet.",
                         (match_case(fixed, token.text),))

    # -- helpers ------------------------------------------------------------------------------
    def _skip_clitics(self, tokens, j: int) -> Token | None:
        while j < len(tokens) and tokens[j].lower_ in CLITICS:
            j += 1
        return tokens[j] if j < len(tokens) else None

    def _conditional_or_future(self, form: str) -> bool:
        """« aurais », « parlerait », « serai »: the future stem then an ending.

        The stem must be the infinitive (« parler-ais »), the infinitive without its final e
        (« prendr-ais ») or an irregular future stem, so that imperfects of verbs whose stem ends
        in r (« mourais », « entriez ») are not taken for conditionals.
        """
        for ending in ("aient", "ais", "ait", "ions", "iez", "ai"):
            if not form.endswith(ending):
                continue
            stem = form[: -len(ending)]
            if not stem.endswith("r"):
                return False
            infinitives = set(self.lexicon.stems(form))
            return (stem in infinitives or stem + "e" in infinitives
                    or stem.endswith(IRREGULAR_FUTURE_STEMS))
        return False

    def _is_verb(self, word: str) -> bool:
        return any(s.endswith(("er", "ir", "re", "oir")) and s != word
                   for s in self.lexicon.stems(word))


def _opens_clause(tokens, i: int) -> bool:
    if i == 0:
        return True
    prev = tokens[i - 1]
    return prev.is_punct and prev.text not in ("'", "’", "-") or prev.lower_ in CLAUSE_OPENERS


def _issue(token, code: str, message: str, suggestions: tuple[str, ...]) -> RawIssue:
    return token_issue(token, f"{RULE}_{code.split('.')[-1]}", code, message, suggestions,
                       "chat")
