"""Schemas of the resource files: every table and key a resource may hold, and what it must be.

``SCHEMAS`` maps a resource name to its pydantic model; ``load_resource(lang, name)`` and
``load_shared_resource(name)`` validate every file against it, so an unknown key (a typo), a
missing key, a value of the wrong type, a regular expression that does not compile, a finding
code no analyzer declares or a message naming an unknown placeholder is a ``ConfigError``
(E203) naming the file and the key: ``chat -> usage -> entries -> 3 -> pattern: ...``.

The schemas sit here, in one module beside the loader, rather than next to each reader: the
loader finds a schema by name without importing analyzer code (analyzers import resources,
never the reverse), the shared files are read by ``io/roles.py``, ``language.py`` and
``report/redact.py`` alike, and whoever edits a resource reads one file to know its keys
(spaCy keeps its config schemas in one ``schemas.py`` too). ``privacy.toml`` is validated by
``chatqa/privacy.py``, which compiles it.

Word lists used for membership are ``frozenset`` (checked in constant time by the rules that
hold the model); ordered lists (endings tried in turn, options) are tuples.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from chatqa.model import Role
from chatqa.text import fold
from chatqa.validation import PathError


class ResourcePathError(PathError):
    """A resource validation error located below the model that raised it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        """An unknown key names the keys the table may hold (extra="forbid" alone does not)."""
        if isinstance(data, Mapping):
            for key in data:
                if key not in cls.model_fields:
                    raise ResourcePathError(
                        (key,), f"unknown key; the keys here are {', '.join(cls.model_fields)}"
                    )
        return data


# --- value types -------------------------------------------------------------------------------
def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc}): {pattern!r}") from None
    return pattern


def _template(*fields: str):
    """A message shown to evaluators; ``fields`` are the placeholders the rule fills in."""
    allowed = ", ".join(f"{{{f}}}" for f in fields) or "none"

    def check(text: str) -> str:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as exc:
            raise ValueError(f"not a valid message ({exc}); write a brace as {{{{ or }}}}") \
                from None
        for name in names:
            if name not in fields:
                raise ValueError(f"unknown placeholder {{{name}}}; this message may use {allowed}")
        return text

    return Annotated[StrictStr, Field(min_length=1), AfterValidator(check)]


def _spelling_code(code: str) -> str:
    # the codes are the analyzer's (declared once, in analyzer.py); imported when a resource is
    # validated, long after both modules are loaded, so there is no import cycle
    from chatqa.analyzers.spelling_grammar.analyzer import CODES

    if code not in CODES:
        raise ValueError(f"unknown finding code {code!r}; the codes are {', '.join(CODES)}")
    return code


#: A word or ending of a list: a non-empty string.
Word = Annotated[StrictStr, Field(min_length=1)]
#: Words a rule checks membership in.
Words = frozenset[Word]
#: Endings or stems tried with ``str.endswith`` (a tuple), or an ordered list.
Endings = tuple[Word, ...]
Regex = Annotated[StrictStr, AfterValidator(_regex)]
Number = Annotated[float, Field(strict=True)]
LanguageTag = Annotated[StrictStr, Field(pattern=r"^[a-z]{2,3}$")]
SpellingCode = Annotated[StrictStr, AfterValidator(_spelling_code)]
Message = _template()
MessageWord = _template("word")
MessageTriggerVerb = _template("trigger", "verb")
MessageDeterminerNoun = _template("determiner", "noun")
MessageNoun = _template("noun")


# --- timing.toml ---------------------------------------------------------------------------------
class TimingCuePatterns(_Strict):
    """``[relaunch]`` / ``[hold]``: regular expressions on the folded text."""

    patterns: tuple[Regex, ...] = Field(min_length=1)
    not_in_sentence: tuple[Regex, ...] = Field(
        default=(),
        description="A cue in a sentence that also matches one of these does not count "
        "(« vous recevrez un SMS dans quelques minutes » is no hold).",
    )
    warm: tuple[Regex, ...] = Field(
        default=(),
        description="[relaunch] only: what makes a relaunch warm rather than curt (« prenez "
        "votre temps, je reste à votre disposition »).",
    )


class TimingMessageKinds(_Strict):
    """``[expects_answer]`` / ``[closing]``: a message that waits for the customer, or ends.

    A question or a request waits for an answer; a goodbye or a closing notice ends the chat.
    """

    patterns: tuple[Regex, ...] = Field(min_length=1)


class TimingDuration(_Strict):
    """``[duration]``: the regular expression of a promised duration."""

    pattern: StrictStr


class TimingResource(_Strict):
    """``resources/<lang>/timing.toml``: cue phrases and duration words of the timing analyzer."""

    relaunch: TimingCuePatterns
    hold: TimingCuePatterns
    expects_answer: TimingMessageKinds
    closing: TimingMessageKinds
    duration: TimingDuration
    numbers: dict[Word, Annotated[Number, Field(ge=0)]] = Field(min_length=1)
    units: dict[Word, Annotated[Number, Field(gt=0)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _duration_pattern(self) -> TimingResource:
        where = ("duration", "pattern")
        try:
            pattern = self.duration.pattern.format(number_words="un", unit_words="s")
        except (KeyError, IndexError, ValueError) as exc:
            raise ResourcePathError(where, f"the placeholders are {{number_words}} and "
                                           f"{{unit_words}}; got {exc!r}") from None
        try:
            groups = re.compile(pattern).groupindex
        except re.error as exc:
            raise ResourcePathError(where, f"not a valid regular expression ({exc})") from None
        missing = [g for g in ("digits", "word", "unit") if g not in groups]
        if missing:
            raise ResourcePathError(
                where, f"needs the named groups digits, word and unit; missing {missing}")
        return self


# --- spelling_grammar.toml -----------------------------------------------------------------------
class SpellingGrammarMessages(_Strict):
    """``[messages]``: what an evaluator reads with each finding of a rule written in code."""

    unknown_word: MessageWord
    grammalecte_unknown_word: Message
    proper_noun: MessageNoun
    foreign_language: Message
    capital: Message
    inversion_hyphen: Message
    missing_ne: Message
    aux_infinitive: Message
    infinitive_expected: MessageTriggerVerb
    je_person: Message
    je_auxiliary: Message
    subject_verb: MessageDeterminerNoun
    adjective_number: MessageNoun
    participle_number: Message
    participle_gender: MessageNoun
    ces_cest: Message
    a_accent: Message
    a_verb: Message
    son_sont: Message
    on_ont: Message
    et_est: Message
    si_conditional: Message
    avoir_participle: Message


class Morphology(_Strict):
    """``[morphology]``: verb endings the rules read Hunspell's stems with."""

    infinitive_endings: Endings = Field(min_length=1)
    first_group: Word
    participle: Word


class UsageEntry(_Strict):
    """One ``[chat.usage] entries`` item: a usage error as a regular expression."""

    pattern: Regex
    code: SpellingCode
    message: Message
    suggestion: StrictStr
    raw: StrictBool = False


class ChatUsage(_Strict):
    """``[chat.usage]``."""

    entries: tuple[UsageEntry, ...]


class ChatCapital(_Strict):
    """``[chat.capital]``."""

    openers: Endings


class ChatHyphen(_Strict):
    """``[chat.hyphen]``."""

    pronouns: Endings
    verbs: Endings
    clause_starters: Words


class NegationRewrite(_Strict):
    """A prefix of a negation span rewritten when « ne » is added (« c'est » -> « ce n'est »)."""

    prefix: Regex
    replacement: StrictStr


class ChatNegation(_Strict):
    """``[chat.negation]``."""

    words: Endings
    exceptions: Regex
    comparative: Word
    not_after_plus: Endings
    comparative_ends: Words
    ne_forms: Words
    span_from: Words
    ne: Word
    ne_elided: Word
    elision_initials: Word
    rewrites: tuple[NegationRewrite, ...]


class ChatForeign(_Strict):
    """``[chat.foreign]``: when a sentence is reported once as in another language."""

    min_words: StrictInt = Field(ge=1)
    min_confidence: Number = Field(ge=0, le=1)
    min_unknown_ratio: Number = Field(ge=0, le=1)
    languages: tuple[LanguageTag, ...] = Field(min_length=2)


class Chat(_Strict):
    """``[chat]``: the chat-aware layer."""

    accepted_words: Endings
    abbreviations: Endings
    clitics: Endings
    name_titles: Endings
    proper_noun_min_letters: StrictInt = Field(ge=1)
    protected: dict[Word, Regex]
    capital: ChatCapital
    hyphen: ChatHyphen
    negation: ChatNegation
    foreign: ChatForeign
    usage: ChatUsage


class SiConditional(_Strict):
    """``[supplement.si_conditional]``."""

    word: Word
    subjects: Words
    elided: Words
    elided_subjects: Words
    clause_openers: Words
    endings: Endings = Field(min_length=1)
    stem_final: Word
    dropped_final: Word
    irregular_stems: Endings


class PersonRule(_Strict):
    """One ``[[supplement.person]]`` rule: a verb ending that does not fit its subject."""

    subjects: Words = Field(min_length=1)
    not_after: Words = frozenset()
    endings: dict[Word, StrictStr] = Field(min_length=1)
    message: Message


class AvoirParticiple(_Strict):
    """``[supplement.avoir_participle]``."""

    auxiliaries: Words
    endings: Endings = Field(min_length=1)
    impersonal: Words
    impersonal_after: Word
    object_before: Words


class Supplement(_Strict):
    """``[supplement]``: conjugation errors checked whatever the backend."""

    clitics: Words
    si_conditional: SiConditional
    person: tuple[PersonRule, ...]
    avoir_participle: AvoirParticiple


class BuiltinRules(_Strict):
    """``[builtin.rules]``: word lists of the builtin agreement and conjugation rules."""

    auxiliaries: Words
    infinitive_triggers: Words
    clitics: Words
    adverbs: Words
    plural_determiners: Words
    singular_determiners: Words
    feminine_nouns: Words
    impersonal_auxiliaries: Words
    impersonal_subjects: Words
    participle_endings: Endings = Field(min_length=1)
    second_plural_ending: Word
    preposition_triggers: Words
    faire_triggers: Words
    second_plural_subjects: Words
    passive_agents: Words
    aller_forms: Words
    aller_subjects: Words
    je: Words
    je_elided: Words
    not_between_je_and_verb: Words
    je_endings: dict[Word, StrictStr]
    je_avoir: Words
    je_etre: Words
    je_auxiliaries: Endings
    not_third_singular: Endings = Field(min_length=1)
    third_singular_ending: Word
    third_plural_suffix: Word
    plural_endings: Endings = Field(min_length=1)
    plural_suffix: Word
    etre_plural: Words
    etre_singular: Words
    feminine_suffix: Word


class Confusion(_Strict):
    """A homophone confusion read from the next word: ``word`` written, ``fix`` meant."""

    word: Word
    fix: Word


class CesConfusion(_Strict):
    """``[builtin.homophones.ces]``."""

    words: Words
    fix: Word
    before: Words


class AConfusion(Confusion):
    """``[builtin.homophones.a]``."""

    before: Words
    subject_pos: Words
    subjects: Words


class AAccentConfusion(Confusion):
    """``[builtin.homophones.a_accent]``."""

    after: Words


class SonConfusion(Confusion):
    """``[builtin.homophones.son]``."""

    before: Words
    before_endings: Endings


class EtConfusion(Confusion):
    """``[builtin.homophones.et]``."""

    before: Words


class Homophones(_Strict):
    """``[builtin.homophones]``: homophone confusions every backend runs."""

    plural_subjects: Words
    ces: CesConfusion
    a: AConfusion
    a_accent: AAccentConfusion
    son: SonConfusion
    on: Confusion
    et: EtConfusion


class Alphabet(_Strict):
    """``[builtin.alphabet]``: letters of the one-edit suggestion search, and accents."""

    letters: Word
    accents: dict[Annotated[StrictStr, Field(min_length=1, max_length=1)], Word]

    @field_validator("accents")
    @classmethod
    def _one_letter_per_accent(cls, accents: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for letter, forms in accents.items():
            if not forms.startswith(letter):
                raise ResourcePathError((letter,), f"must start with {letter!r} itself")
            for form in forms:
                if seen.setdefault(form, letter) != letter:
                    raise ResourcePathError(
                        (letter,), f"{form!r} is also an accented form of {seen[form]!r}")
        return accents


class Builtin(_Strict):
    """``[builtin]``: the builtin backend (Hunspell and rules on spaCy's parse)."""

    dictionary: Word
    max_suggestions: StrictInt = Field(ge=0)
    max_suggestion_word_chars: StrictInt = Field(ge=1)
    rules: BuiltinRules
    homophones: Homophones
    alphabet: Alphabet


class Grammalecte(_Strict):
    """``[grammalecte]``: options and the mapping of rule ids and types to codes."""

    disabled_options: Endings
    enabled_options: Endings
    rule_ids: dict[Regex, SpellingCode] = Field(default_factory=dict)
    types: dict[Word, SpellingCode]


class LanguageTool(_Strict):
    """``[languagetool]``: rules turned off and the mapping of rule ids and categories."""

    disabled_rules: Endings
    rule_ids: dict[Regex, SpellingCode]
    categories: dict[Word, SpellingCode]


class SpellingGrammarResource(_Strict):
    """``resources/<lang>/spelling_grammar.toml``: data of the spelling_grammar analyzer."""

    messages: SpellingGrammarMessages
    morphology: Morphology
    chat: Chat
    supplement: Supplement
    builtin: Builtin
    grammalecte: Grammalecte
    languagetool: LanguageTool


# --- markers.toml --------------------------------------------------------------------------------
#: Token attributes a pattern may test (spaCy's Matcher), and the ``requires`` entry each needs
#: beyond the text. A pattern that reads an attribute its file does not require is an error: on
#: a pipeline without that component the attribute is empty and the pattern would never match.
_MARKER_STRING_ATTRS: Mapping[str, str | None] = {
    "ORTH": None, "TEXT": None, "LOWER": None, "NORM": None, "SHAPE": None,
    "LEMMA": "token.lemma", "POS": "token.pos", "TAG": "token.tag", "MORPH": "token.morph",
    "DEP": "token.dep",
}
_MARKER_FLAG_ATTRS: Mapping[str, str | None] = {
    "IS_ALPHA": None, "IS_ASCII": None, "IS_DIGIT": None, "IS_LOWER": None, "IS_UPPER": None,
    "IS_TITLE": None, "IS_PUNCT": None, "IS_SPACE": None, "IS_STOP": None, "LIKE_NUM": None,
    "LIKE_URL": None, "LIKE_EMAIL": None, "IS_SENT_START": "doc.sents",
}
_MARKER_SET_OPS = ("IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS")
_MARKER_OPS = re.compile(r"^(?:[?*+!]|\{\d*(?:,\d*)?\})$")
MARKER_KINDS = ("courtesy", "empathy", "directivity", "negative", "tutoiement", "familiar",
                "customer_emotion", "confidentiality", "denigration", "personal_opinion",
                "overpromise")
_Snake = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$")]


def _token_spec(spec: Any, where: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """One token of a Matcher pattern, checked as spaCy's validator does, without spaCy."""
    if not isinstance(spec, Mapping) or not spec:
        raise ResourcePathError(where, "a token is a table of attributes, e.g. "
                                       "{LOWER = \"merci\"}")
    for key, value in spec.items():
        at = (*where, key)
        if key == "OP":
            if not (isinstance(value, str) and _MARKER_OPS.match(value)):
                raise ResourcePathError(at, f"OP is one of ? * + ! {{n}} {{n,m}}; got {value!r}")
        elif key in _MARKER_FLAG_ATTRS:
            if not isinstance(value, bool):
                raise ResourcePathError(at, f"{key} takes true or false; got {value!r}")
        elif key == "LENGTH":
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
                raise ResourcePathError(at, f"LENGTH takes a whole number; got {value!r}")
        elif key in _MARKER_STRING_ATTRS:
            if isinstance(value, str):
                continue
            if not isinstance(value, Mapping) or not value:
                raise ResourcePathError(at, f"{key} takes a string or a table such as "
                                            "{IN = [...]}; got {value!r}")
            for op, arg in value.items():
                if op in _MARKER_SET_OPS:
                    if not (isinstance(arg, list | tuple) and arg
                            and all(isinstance(a, str) and a for a in arg)):
                        raise ResourcePathError((*at, op), "takes a list of strings")
                elif op == "REGEX":
                    if not isinstance(arg, str):
                        raise ResourcePathError((*at, op), "takes a regular expression")
                    try:
                        re.compile(arg)
                    except re.error as exc:
                        raise ResourcePathError((*at, op), f"not a valid regular expression "
                                                           f"({exc}): {arg!r}") from None
                else:
                    raise ResourcePathError((*at, op), f"unknown operator; use one of "
                                                       f"{', '.join((*_MARKER_SET_OPS, 'REGEX'))}")
        else:
            known = [*_MARKER_STRING_ATTRS, *_MARKER_FLAG_ATTRS, "LENGTH", "OP"]
            raise ResourcePathError(at, f"unknown token attribute; use one of {', '.join(known)}")
    return dict(spec)


def _token_pattern(pattern: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(pattern, list | tuple) or not pattern:
        raise ValueError("a pattern is a non-empty list of tokens")
    return tuple(_token_spec(t, (i,)) for i, t in enumerate(pattern))


#: A spaCy Matcher pattern: a list of token tables (macros ``"@name"`` expanded on load).
TokenPattern = Annotated[Any, AfterValidator(_token_pattern)]


class MarkerNegation(_Strict):
    """``[negation]``: words that cancel a pattern's anchor verb (« je ne comprends pas »)."""

    before: Words
    after: Words
    window: StrictInt = Field(ge=1, le=6)
    stop: Words = frozenset()


class MarkerSegments(_Strict):
    """``[segments]``: token texts that end a clause (``. ? ! ; :``) or a phrase (``,``)."""

    clause_breaks: Words = Field(min_length=1)
    phrase_breaks: Words
    openers: Words = frozenset()
    keep_final: Words = frozenset()
    quotes: tuple[tuple[Word, Word], ...] = ()


class MarkerExclusion(_Strict):
    """``[exclusions.<name>]``: patterns that cancel a marker they overlap or share a clause."""

    scope: Literal["overlap", "clause"]
    patterns: tuple[TokenPattern, ...] = Field(min_length=1)


class MarkerPattern(_Strict):
    """One ``[[<kind>.patterns]]`` entry: alternative token patterns of one marker."""

    id: _Snake
    note: StrictStr = Field(min_length=1)
    patterns: tuple[TokenPattern, ...] = Field(min_length=1)
    anchor: StrictInt | None = Field(default=None, ge=0)
    focus: tuple[StrictInt, StrictInt] | None = None
    starts: Literal["anywhere", "phrase", "clause"] = "anywhere"
    extend: Literal["none", "phrase_end", "clause", "clause_end"] = "none"
    unless: tuple[_Snake, ...] = ()
    yields_to: tuple[Literal[MARKER_KINDS], ...] = ()
    severity: Literal["info", "minor", "major"] | None = None
    suggestion: StrictStr | None = None

    @model_validator(mode="after")
    def _indices_in_every_pattern(self) -> MarkerPattern:
        if self.focus is not None and not 0 <= self.focus[0] < self.focus[1]:
            raise ResourcePathError(("focus",), "is [first, last + 1] token indices, first < "
                                                "last + 1")
        needed = max(self.anchor if self.anchor is not None else -1,
                     self.focus[1] - 1 if self.focus is not None else -1)
        for n, pattern in enumerate(self.patterns):
            if needed >= len(pattern):
                raise ResourcePathError(("patterns", n), f"has {len(pattern)} tokens; anchor "
                                                         f"and focus index token {needed}")
        return self


class MarkerKind(_Strict):
    """``[<kind>]``: the patterns of one kind of marker, how they merge and their severity."""

    severity: Literal["info", "minor", "major"]
    merge: Literal["none", "overlap", "clause"] = "none"
    unless: tuple[_Snake, ...] = ()
    yields_to: tuple[Literal[MARKER_KINDS], ...] = ()
    patterns: tuple[MarkerPattern, ...] = ()

    @field_validator("patterns")
    @classmethod
    def _unique_ids(cls, patterns: tuple[MarkerPattern, ...]) -> tuple[MarkerPattern, ...]:
        seen: set[str] = set()
        for n, p in enumerate(patterns):
            if p.id in seen:
                raise ResourcePathError((n, "id"), f"{p.id!r} is used twice in this kind")
            seen.add(p.id)
        return patterns


class MarkersResource(_Strict):
    """``resources/<lang>/markers.toml``: the token patterns of the markers analyzer.

    ``words`` are lists a token may name as ``{IN = "@list"}``; ``tokens`` are token tables a
    pattern may name as ``"@name"`` (``"@name?"``, ``"@name*"``, ``"@name+"`` with an ``OP``).
    Both are expanded before the patterns are checked.
    """

    requires: tuple[Literal["token.lemma", "token.pos", "token.tag", "token.morph",
                            "token.dep", "doc.sents"], ...] = ()
    words: dict[_Snake, tuple[Word, ...]] = Field(default_factory=dict)
    tokens: dict[_Snake, dict[str, Any]] = Field(default_factory=dict)
    negation: MarkerNegation
    segments: MarkerSegments
    exclusions: dict[_Snake, MarkerExclusion] = Field(default_factory=dict)
    courtesy: MarkerKind
    empathy: MarkerKind
    directivity: MarkerKind
    negative: MarkerKind
    tutoiement: MarkerKind
    familiar: MarkerKind
    customer_emotion: MarkerKind
    # professional conduct (déontologie), found by the conduct analyzer in advisor messages
    confidentiality: MarkerKind = MarkerKind(severity="major")
    denigration: MarkerKind = MarkerKind(severity="major")
    personal_opinion: MarkerKind = MarkerKind(severity="minor")
    overpromise: MarkerKind = MarkerKind(severity="minor")

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        """Expand ``"@name"`` tokens and ``"@list"`` values; unknown names are errors."""
        if not isinstance(data, Mapping):
            return data
        words = data.get("words", {}) or {}
        tokens = data.get("tokens", {}) or {}

        def value(v: Any, where: tuple[str | int, ...]) -> Any:
            if isinstance(v, str) and v.startswith("@"):
                if not isinstance(words, Mapping) or v[1:] not in words:
                    raise ResourcePathError(where, f"unknown word list {v!r}; [words] has "
                                                   f"{', '.join(words) or 'none'}")
                return list(words[v[1:]])
            return v

        def token(t: Any, where: tuple[str | int, ...]) -> Any:
            if isinstance(t, str):
                match = re.fullmatch(r"@([a-z][a-z0-9_]*)([?*+!]?)", t)
                if match is None or not isinstance(tokens, Mapping) \
                        or match[1] not in tokens:
                    raise ResourcePathError(where, f"unknown token macro {t!r}; [tokens] has "
                                                   f"{', '.join(tokens) or 'none'}")
                t = {**tokens[match[1]], **({"OP": match[2]} if match[2] else {})}
            if not isinstance(t, Mapping):
                return t
            out = {}
            for key, v in t.items():
                if isinstance(v, Mapping):
                    v = {op: value(arg, (*where, key, op)) for op, arg in v.items()}
                out[key] = v
            return out

        def pattern_list(patterns: Any, where: tuple[str | int, ...]) -> Any:
            if not isinstance(patterns, list):
                return patterns
            return [[token(t, (*where, n, i)) for i, t in enumerate(p)]
                    if isinstance(p, list) else p for n, p in enumerate(patterns)]

        data = dict(data)
        if isinstance(tokens, Mapping):
            data["tokens"] = {k: token(v, ("tokens", k)) for k, v in tokens.items()}
            tokens = data["tokens"]
        for kind in MARKER_KINDS:
            section = data.get(kind)
            if isinstance(section, Mapping) and isinstance(section.get("patterns"), list):
                section = dict(section)
                section["patterns"] = [
                    {**p, "patterns": pattern_list(p.get("patterns"), (kind, "patterns", n,
                                                                       "patterns"))}
                    if isinstance(p, Mapping) else p
                    for n, p in enumerate(section["patterns"])
                ]
                data[kind] = section
        exclusions = data.get("exclusions")
        if isinstance(exclusions, Mapping):
            data["exclusions"] = {
                name: {**e, "patterns": pattern_list(e.get("patterns"),
                                                     ("exclusions", name, "patterns"))}
                if isinstance(e, Mapping) else e
                for name, e in exclusions.items()
            }
        return data

    @model_validator(mode="after")
    def _references(self) -> MarkersResource:
        for kind in MARKER_KINDS:
            section: MarkerKind = getattr(self, kind)
            for name in section.unless:
                if name not in self.exclusions:
                    raise ResourcePathError((kind, "unless"), f"unknown exclusion {name!r}; "
                                            f"[exclusions] has {', '.join(self.exclusions)}")
            for n, p in enumerate(section.patterns):
                for name in p.unless:
                    if name not in self.exclusions:
                        raise ResourcePathError((kind, "patterns", n, "unless"),
                                                f"unknown exclusion {name!r}; [exclusions] has "
                                                f"{', '.join(self.exclusions)}")
                if kind == "negative" and not p.suggestion:
                    raise ResourcePathError((kind, "patterns", n, "suggestion"),
                                            "missing: every negative marker has a softer "
                                            "phrasing")
                for m, pattern in enumerate(p.patterns):
                    self._check_requires(pattern, (kind, "patterns", n, "patterns", m))
        for name, exclusion in self.exclusions.items():
            for m, pattern in enumerate(exclusion.patterns):
                self._check_requires(pattern, ("exclusions", name, "patterns", m))
        return self

    def _check_requires(self, pattern: tuple[dict[str, Any], ...],
                        where: tuple[str | int, ...]) -> None:
        for i, token in enumerate(pattern):
            for key in token:
                need = _MARKER_STRING_ATTRS.get(key) or _MARKER_FLAG_ATTRS.get(key)
                if need is not None and need not in self.requires:
                    raise ResourcePathError(
                        (*where, i, key), f"reads {need}, which this file does not require: "
                                          f"add {need!r} to requires (a pipeline without it "
                                          "leaves the attribute empty)")


# --- conduct -------------------------------------------------------------------------------------
class ConductPatterns(_Strict):
    """Marker patterns (ids in a kind of ``markers.toml``) and extra phrases that count."""

    patterns: tuple[_Snake, ...] = Field(min_length=1)
    phrases: tuple[Regex, ...] = ()
    messages: StrictInt = Field(default=1, ge=1, le=5)


class ConductResource(_Strict):
    """``resources/<lang>/conduct.toml``: what the conduct analyzer counts.

    A greeting, a closing, a closing control, vouvoiement and a customer question.
    ``greeting`` and ``closing`` name courtesy patterns of the language's ``markers.toml``,
    ``closing_control`` directivity patterns; ``phrases`` are regular expressions on the
    folded text (lower case, no accents). The names are checked against markers.toml when the
    analyzer is built.
    """

    greeting: ConductPatterns
    closing: ConductPatterns
    closing_control: ConductPatterns
    vouvoiement: Words = frozenset()
    question_openers: tuple[Word, ...] = ()
    name_titles: Words = frozenset()


# --- vocabulary and clarity ---------------------------------------------------------------------
class PatternList(_Strict):
    """Regular expressions on the folded text, with the note their findings carry."""

    note: StrictStr = Field(min_length=1)
    patterns: tuple[Regex, ...] = ()


class VocabularyMinimum(_Strict):
    """``[minimum]``: the least tokens each vocabulary measure needs (NaN below)."""

    words: StrictInt = Field(ge=1)
    content_words: StrictInt = Field(ge=1)
    mattr_window: StrictInt = Field(ge=2)
    mtld_words: StrictInt = Field(ge=2)
    hdd_draws: StrictInt = Field(ge=2)
    long_word_letters: StrictInt = Field(default=7, ge=2)


class VocabularyFrequency(_Strict):
    """``[frequency]``: the Zipf frequency below which a content word is rare."""

    rare_zipf: Number = Field(ge=0, le=8)


class Anglicisms(_Strict):
    """``[anglicisms]``: folded word = the French word to use instead.

    ``verbs`` are franglais verbs by their folded infinitive in « -er » (« checker »): each is
    found in every form its stem takes with ``verb_endings`` (« checke », « checkez »,
    « checkerons »), the French verb as the suggestion.
    """

    note: StrictStr = Field(min_length=1)
    words: dict[Word, StrictStr] = Field(default_factory=dict)
    verbs: dict[Word, StrictStr] = Field(default_factory=dict)
    verb_endings: tuple[Word, ...] = ()
    #: a sentence holding this many of ``english_words`` (besides the match) is English, not
    #: franglais: the advisor answering in English has no anglicism
    english_words: frozenset[Word] = frozenset()
    english_sentence_words: StrictInt = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _verbs_end_in_er(self) -> Anglicisms:
        if self.verbs and not self.verb_endings:
            raise ValueError("verbs need verb_endings")
        odd = sorted(v for v in self.verbs if not v.endswith("er") or len(v) < 4)
        if odd:
            raise ValueError(f"verbs must be infinitives in -er: {', '.join(odd)}")
        return self

    def forms(self) -> dict[str, str]:
        """Every folded form to find, with its suggestion: the words, then each verb's forms."""
        found = dict(self.words)
        for infinitive, french in self.verbs.items():
            stem = infinitive[:-2]
            for ending in self.verb_endings:
                found.setdefault(stem + ending, french)
        return found


class Repetition(_Strict):
    """``[repetition]``: stock words and phrases, and from which use they are findings.

    ``passage_words``: a run of this many own words written again in the same conversation
    is a repeated passage (the ``repeated_passages`` metric).
    """

    note: StrictStr = Field(min_length=1)
    min_uses: StrictInt = Field(ge=2)
    phrases: tuple[Word, ...] = ()
    passage_words: StrictInt = Field(default=4, ge=2)


class WordRepetition(_Strict):
    """``[word_repetition]``: the same content word over and over in the own text.

    A word whose part of speech is in ``pos`` (spaCy's tags; a parse without tags finds
    nothing), of ``min_letters`` or more, is counted by its folded lemma; from its
    ``min_uses``-th use on it is a finding; so are the ``nouns`` (general nouns, folded
    lemmas), whatever ``pos`` says. Words are compared on their first ``stem_letters`` letters
    (the lemmatizer misses forms: « informe », « informerai »). Words the customer wrote name
    the subject and are not counted, nor the ``ignore`` lemmas.
    """

    note: StrictStr = Field(min_length=1)
    min_uses: StrictInt = Field(ge=2)
    pos: tuple[StrictStr, ...] = ("VERB", "ADJ", "ADV")
    nouns: tuple[Word, ...] = ()
    min_letters: StrictInt = Field(default=3, ge=1)
    stem_letters: StrictInt = Field(default=6, ge=2)
    ignore: tuple[Word, ...] = ()


class Connectors(_Strict):
    """``[connectors]``: logical connectors, folded (« toutefois », « en revanche »).

    An entry ending in an apostrophe (« afin d' ») matches before the next word.
    """

    phrases: tuple[Word, ...] = ()


class VocabularyResource(_Strict):
    """``resources/<lang>/vocabulary.toml``: the vocabulary analyzer's thresholds and lists."""

    minimum: VocabularyMinimum
    frequency: VocabularyFrequency
    tics: PatternList
    vague: PatternList
    anglicisms: Anglicisms
    repetition: Repetition
    word_repetition: WordRepetition | None = None
    connectors: Connectors = Field(default_factory=Connectors)
    familiar_register: Register | None = None  # without it familiar_register_marks is NaN


class ClarityMinimum(_Strict):
    """``[minimum]``: the least own words and sentences for the conversation's measures."""

    words: StrictInt = Field(ge=1)
    sentences: StrictInt = Field(ge=1)


class ClarityLimits(_Strict):
    """``[limits]``: a wall of text, and a long word for LIX."""

    wall_words: StrictInt = Field(ge=10)
    long_word_letters: StrictInt = Field(ge=2)


class FindingSource(_Strict):
    """Findings of another message analyzer that a conversation analyzer counts in the own text.

    ``analyzer`` is the message analyzer's name; a finding counts when its code starts with one
    of ``codes`` (« grammar. » for every grammar code, « grammar.negation » for one).
    """

    analyzer: Word
    codes: list[StrictStr] = Field(min_length=1)


class Register(_Strict):
    """``[familiar_register]``: what ``familiar_register_marks`` counts in the own text.

    Familiar words and tutoiement (the markers analyzer's ``register.*``), a dropped « ne »
    (spelling_grammar's ``grammar.negation``): the rubric's familiar wording.
    """

    sources: list[FindingSource] = Field(min_length=1)


class Jargon(_Strict):
    """``[jargon]``: what an unexplained internal term or code looks like."""

    note: StrictStr = Field(min_length=1)
    token: Regex
    common_zipf: Number = Field(ge=0, le=8)
    window: StrictInt = Field(ge=1, le=20)
    explained_by: Words = frozenset()
    explained_after: Words = frozenset()
    apposition_starts: Words = frozenset()
    public: Words = frozenset()
    not_after: Words = frozenset()
    kind_links: Words = frozenset()
    definition_window: StrictInt = Field(default=0, ge=0, le=30)
    definition_starts: Words = frozenset()
    definition_verbs: Words = frozenset()
    defining_cues: Words = frozenset()
    definition_phrases: tuple[StrictStr, ...] = ()
    negations: Words = frozenset()
    relative_pronouns: Words = frozenset()
    max_digits: StrictInt = Field(default=6, ge=0)
    error_code_words: Words = frozenset()
    error_words: Words = frozenset()
    reason_code_words: Words = frozenset()
    value_cues: Words = frozenset()
    trade_terms: tuple[StrictStr, ...] = ()
    hyphen_code: Regex | None = None
    stop_word_acronyms: StrictBool = False
    name_words: Words = frozenset()

    @field_validator("trade_terms")
    @classmethod
    def _terms_once(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for term in terms:
            if not term.strip() or term != term.strip():
                raise ValueError(f"a trade term is words without spaces around: {term!r}")
            if fold(term) in seen:
                raise ValueError(f"{term!r} is listed twice (as {seen[fold(term)]!r})")
            seen[fold(term)] = term
        return terms


class Shouting(_Strict):
    """``[shouting]``: a common word written in capitals for emphasis."""

    note: StrictStr = Field(min_length=1)
    min_letters: StrictInt = Field(ge=2)
    common_zipf: Number = Field(ge=0, le=8)
    max_run: StrictInt = Field(default=2, ge=1)
    single_min_letters: StrictInt = Field(default=5, ge=2)
    emphasis_words: Words = frozenset()


class Punctuation(_Strict):
    """``[punctuation]``: runs of « ? », « ! » or dots."""

    note: StrictStr = Field(min_length=1)
    pattern: Regex


class NotUnderstood(_Strict):
    """``[not_understood]``: a customer saying they did not understand the advisor's message.

    ``patterns`` match on their own; ``term_questions`` (« c'est quoi l'étoile rouge ? ») only
    when their group ``term`` is a word of the advisor's message just before.
    """

    note: StrictStr = Field(min_length=1)
    patterns: tuple[Regex, ...] = Field(min_length=1)
    term_questions: tuple[Regex, ...] = ()

    @field_validator("term_questions")
    @classmethod
    def _names_the_term(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            if "term" not in re.compile(pattern).groupindex:
                raise ValueError(f"a term question needs a group named `term`: {pattern!r}")
        return patterns


class Readability(_Strict):
    """``[readability]``: the language's Flesch constants.

    Base, per word per sentence, per syllable per word.
    """

    flesch: tuple[Number, Number, Number]


class RawPaste(_Strict):
    """``[raw_paste]``: text pasted as it came from a tool or a page (``analyzers/raw_paste``).

    A token is in a paste when, in the ``window`` tokens on each side of it on its line, data
    tokens outnumber grammatical words by ``min_share`` of the window; a paste holds at least
    ``min_data`` data tokens. Grammatical words part two pastes, unless alone inside a name
    (« Crème de nuit »); an hour mark between two numbers (« 07 h 05 ») makes one time.
    Logs (``min_stamps`` entries of ``entry_words`` words, each after a bare date or time),
    ``min_glued`` glued words on a line and rows of ``min_row_fields`` comma-joined fields are
    pastes whatever their words.
    """

    note: StrictStr = Field(min_length=1)
    window: StrictInt = Field(ge=1, le=20)
    min_share: Number = Field(gt=0, le=1)
    min_data: StrictInt = Field(ge=1)
    interface_words: Words = frozenset()
    address_words: Words = frozenset()
    hour_marks: Words = frozenset()
    min_stamps: StrictInt = Field(default=3, ge=2)
    entry_words: tuple[StrictInt, StrictInt] = (2, 25)
    min_glued: StrictInt = Field(default=2, ge=1)
    min_row_fields: StrictInt = Field(default=4, ge=3)
    min_record_lines: StrictInt = Field(default=3, ge=2)
    min_record_codes: StrictInt = Field(default=2, ge=1)


class RunOn(_Strict):
    """``[run_on]``: run-on sentences (``analyzers/run_on``).

    A written sentence (spaCy's, joined with the next where it ends on its line with none of
    ``closing_marks``) of ``min_words`` words or more, one of whose stretches between
    ``parting_marks`` holds ``min_clauses`` clauses or more (clauses led by ``that_words``
    left out), or of ``long_words`` words and ``long_clauses`` clauses.
    """

    note: StrictStr = Field(min_length=1)
    min_words: StrictInt = Field(ge=1)
    min_clauses: StrictInt = Field(ge=2)
    long_words: StrictInt = Field(ge=1)
    long_clauses: StrictInt = Field(ge=2)
    that_words: Words = frozenset()
    parting_marks: Words
    closing_marks: Words


class ClarityResource(_Strict):
    """``resources/<lang>/clarity.toml``: thresholds and lists of the clarity analyzer."""

    minimum: ClarityMinimum
    readability: Readability
    limits: ClarityLimits
    # ``[construction]``: the findings that say a sentence is badly built (spelling_grammar's
    # grammar codes); without it grammar_errors_per_100_words is NaN
    construction: FindingSource | None = None
    jargon: Jargon
    shouting: Shouting
    punctuation: Punctuation
    not_understood: NotUnderstood | None = None
    raw_paste: RawPaste
    run_on: RunOn | None = None  # finite verbs come from a morphologizer: French only


# --- shared resources ----------------------------------------------------------------------------
class LanguageResource(_Strict):
    """``resources/language.toml``: detecting a conversation's language, and language tags."""

    placeholder: Regex
    min_words: StrictInt = Field(ge=1)
    min_confidence: Number = Field(ge=0, le=1)
    max_chars: StrictInt = Field(ge=1)
    names: dict[Word, LanguageTag]


class MacrosResource(_Strict):
    """``resources/macros.toml``: how a canned reply's key is made (``chatqa/macros.py``)."""

    month_names: Endings = Field(min_length=1)  # an ordered list: read back as written


class RoleFlags(_Strict):
    """``[flags]`` of roles.toml."""

    bot: list[Word]


class RoleNames(_Strict):
    """``[names]`` of roles.toml."""

    metadata_fields: list[Word]
    message_author_fields: list[Word]
    customer_fields: list[Word]


class RolesResource(_Strict):
    """``resources/roles.toml``: role aliases, bot flags, participant name fields."""

    aliases: dict[Role, list[Word]]
    flags: RoleFlags
    names: RoleNames


class RedactionResource(_Strict):
    """``resources/redaction.toml``: the regex fallback of ``chatqa report --redact``."""

    patterns: dict[Word, Regex]
    replacement: dict[Word, StrictStr]

    @model_validator(mode="after")
    def _every_pattern_replaced(self) -> RedactionResource:
        for name in self.patterns:
            if name not in self.replacement:
                raise ResourcePathError(("replacement", name),
                                        "missing: every pattern needs a replacement")
        return self


class JustificationYesNo(_Strict):
    """A 0 / 1 fact phrased as such (« salutation d'accueil présente » / « absente »)."""

    yes: Message
    no: Message


class JustificationResource(_Strict):
    """``resources/<lang>/justification.toml``: the words of a proposal's one-line justification.

    ``metrics`` phrase a metric's value (``first_response_s = "première réponse en {value} s"``),
    a count as [singular, plural], a 0 / 1 fact as ``{ yes, no }``; ``codes`` name a finding
    code or family (``"grammar.*"``) as [singular, plural].
    """

    decimal_separator: StrictStr = "."
    singular_values: tuple[Number, ...] = Field(
        default=(1,),
        description="Values a count is singular for: French 0 and 1, English 1.",
    )
    na: _template("reason")
    not_reviewable: _template("reason")
    level: _template("label", "evidence")
    nothing_found: Message
    separator: StrictStr = "; "
    count: _template("count", "name")
    metrics: dict[Word, _template("value") | tuple[_template("value"), _template("value")]
                  | JustificationYesNo] = Field(default_factory=dict)
    codes: dict[Word, tuple[Word, Word]] = Field(default_factory=dict)


#: Resource name -> schema. Names of ``resources/<lang>/<name>.toml`` and of the shared
#: ``resources/<name>.toml`` never collide.
SCHEMAS: Mapping[str, type[_Strict]] = {
    "timing": TimingResource,
    "spelling_grammar": SpellingGrammarResource,
    "markers": MarkersResource,
    "conduct": ConductResource,
    "vocabulary": VocabularyResource,
    "clarity": ClarityResource,
    "justification": JustificationResource,
    "language": LanguageResource,
    "macros": MacrosResource,
    "roles": RolesResource,
    "redaction": RedactionResource,
}
