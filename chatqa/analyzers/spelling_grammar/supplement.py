"""Conjugation errors frequent in advisor chat, checked whatever the backend.

Each rule reads the surface form, the Hunspell lexicon and the word order, and fires only in
the unambiguous reading:

* « si » opening a clause, then a conditional or future: « Si vous auriez besoin » -> « aviez »;
* « je » then a 3rd-person form: « je serait », « je vous tiendra informé »;
* « nous » then a 3rd-person plural future: « nous vous tiendront informé »;
* « ça » / « cela » then a 1st-person form: « ça vous irais » -> « irait »;
* « avoir » then a feminine or plural past participle with no object before it:
  « j'ai envoyée la facture » -> « envoyé ».

The words, endings and messages are data (``[supplement]`` of
``resources/<lang>/spelling_grammar.toml``); the code holds only the rules' logic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from chatqa.analyzers.spelling_grammar.builtin import Verbs, match_case, token_issue
from chatqa.analyzers.spelling_grammar.issues import RawIssue

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from chatqa.analyzers.spelling_grammar.builtin import Lexicon
    from chatqa.resources.schemas import (
        Morphology,
        PersonRule,
        SpellingGrammarMessages,
        Supplement,
    )

RULE = "supplement"


class ConjugationRules:
    """The supplement's rules, over a parsed message and a lexicon."""

    def __init__(self, lexicon: Lexicon, data: Supplement, morphology: Morphology,
                 messages: SpellingGrammarMessages) -> None:
        self.lexicon = lexicon
        self.data = data
        self.messages = messages
        self.verbs = Verbs(lexicon, morphology)

    def check(self, doc: Doc) -> list[RawIssue]:
        """Issues of every rule, in text order."""
        tokens = [t for t in doc if not t.is_space]
        out: list[RawIssue] = list(self._si_conditional(tokens))
        for rule in self.data.person:
            out.extend(self._person_form(tokens, rule))
        out.extend(self._avoir_participle(tokens))
        return sorted(out, key=lambda i: i.start)

    # -- rules --------------------------------------------------------------------------------
    def _si_conditional(self, tokens) -> Iterator[RawIssue]:
        si = self.data.si_conditional
        for i, token in enumerate(tokens):
            word = token.lower_
            if (word != si.word and word not in si.elided) or not self._opens_clause(tokens, i):
                continue
            subjects = si.subjects if word == si.word else si.elided_subjects
            if i + 1 >= len(tokens) or tokens[i + 1].lower_ not in subjects:
                continue
            j = i + 2
            verb = self._skip_clitics(tokens, j)
            if verb is None or not self.verbs.is_form(verb.lower_):
                continue
            if self._conditional_or_future(verb.lower_):
                yield _issue(verb, "grammar.conjugation", self.messages.si_conditional, ())

    def _person_form(self, tokens, rule: PersonRule) -> Iterator[RawIssue]:
        """A verb after the rule's subjects and clitics written with an ending it lists.

        Reported only when the fixed form is a known word (« tiendront » -> « tiendrons »).
        """
        for i, token in enumerate(tokens):
            if token.lower_ not in rule.subjects or (
                    i > 0 and tokens[i - 1].lower_ in rule.not_after):
                continue
            verb = self._skip_clitics(tokens, i + 1)
            if verb is None:
                continue
            form = verb.lower_
            ending = next((e for e in rule.endings if form.endswith(e)), None)
            if ending is None or not self.verbs.is_form(form):
                continue
            fixed = form[: -len(ending)] + rule.endings[ending]
            if self.lexicon.knows(fixed):
                yield _issue(verb, "grammar.conjugation", rule.message,
                             (match_case(fixed, verb.text),))

    def _avoir_participle(self, tokens) -> Iterator[RawIssue]:
        rule = self.data.avoir_participle
        for i, token in enumerate(tokens[1:], start=1):
            word = token.lower_
            if not word.endswith(rule.endings) or tokens[i - 1].lower_ not in rule.auxiliaries:
                continue
            verb = self.verbs.first_group(word)
            if verb is None or tokens[i - 1].lower_ in rule.impersonal and i > 1 and \
                    tokens[i - 2].lower_ == rule.impersonal_after:
                continue
            before = [t.lower_ for t in tokens[max(0, i - 5): i - 1]]
            if any(w in rule.object_before for w in before):
                continue  # « la facture que j'ai envoyée », « je les ai reçues »
            if i + 1 < len(tokens) and tokens[i + 1].pos_ not in ("DET", "NUM", "PRON", "ADP",
                                                                  "PUNCT", "ADV"):
                continue
            fixed = self.verbs.participle(verb)
            yield _issue(token, "grammar.agreement", self.messages.avoir_participle,
                         (match_case(fixed, token.text),))

    # -- helpers ------------------------------------------------------------------------------
    def _skip_clitics(self, tokens, j: int) -> Token | None:
        while j < len(tokens) and tokens[j].lower_ in self.data.clitics:
            j += 1
        return tokens[j] if j < len(tokens) else None

    def _conditional_or_future(self, form: str) -> bool:
        """« aurais », « parlerait », « serai »: the future stem then an ending.

        The stem must be the infinitive (« parler-ais »), the infinitive without its final e
        (« prendr-ais ») or an irregular future stem, so that imperfects of verbs whose stem ends
        in r (« mourais », « entriez ») are not taken for conditionals.
        """
        si = self.data.si_conditional
        for ending in si.endings:
            if not form.endswith(ending):
                continue
            stem = form[: -len(ending)]
            if not stem.endswith(si.stem_final):
                return False
            infinitives = set(self.lexicon.stems(form))
            return (stem in infinitives or stem + si.dropped_final in infinitives
                    or stem.endswith(si.irregular_stems))
        return False

    def _opens_clause(self, tokens, i: int) -> bool:
        if i == 0:
            return True
        prev = tokens[i - 1]
        return prev.is_punct and prev.text not in ("'", "’", "-") or \
            prev.lower_ in self.data.si_conditional.clause_openers


def _issue(token, code: str, message: str, suggestions: tuple[str, ...]) -> RawIssue:
    return token_issue(token, f"{RULE}_{code.split('.')[-1]}", code, message, suggestions,
                       "chat")
