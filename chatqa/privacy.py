"""Find and mask personal data in chat text, so reports can be shown without exposing customers.

Definitions (docs/privacy.md states them with examples; every word list, pattern, placeholder
and window size is data in ``resources/privacy.toml``):

* A *number run* is a maximal sequence of digit groups joined by one space, dot or dash
  (« 06 12 45 78 90 », « 4970-6714-5871-3233 »). Cards, NIR and mistyped phones are read from
  runs; IBANs from a two-letter, two-digit start; phones from ``phonenumbers``.
* *Validated* kinds pass their checksum or plan: IBAN (mod 97 and the country's length,
  ``stdnum.iban``), card (Luhn and a network's prefix and length), NIR (key,
  ``stdnum.fr.nir``), phone (``phonenumbers``: valid by the plan of its country, read as French
  when it has no country code; written with ``+``/``00`` it need only be possible).
* The *cue* of a number is the nearest cue word within ``cue_before`` characters before it or
  ``cue_after`` after it (« carte », « IBAN », « sécu », « portable », « commande »...).
  A number whose cue is a card, IBAN, NIR or phone cue is masked with that kind even when it
  fails validation (a mistyped number is personal data too). A number whose cue is a
  *look-alike* cue (order, customer, contract, meter, parcel, SIRET...) is not masked,
  unless an IBAN or NIR checksum says otherwise. A SIRET, SIREN or EAN-13 that passes its own
  checksum is a look-alike whatever Luhn says, unless its cue is a card cue.
* *Values after a cue*: a card expiry (MM/YY), CVV, one-time code or PIN, password or birth
  date is masked when it follows its cue within ``value_after`` characters, with only filler
  words (« c'est », « : », « le ») and at most ``max_other_words`` other words between them.
* A *name* is a participant's name passed by chatqa (``names=``), the words after a name cue
  (« je m'appelle », « au nom de ») or a title (« Mme », « M. »; the title stays), or a known
  first name followed by a capitalised word (« Julie Martin »).
* An *address* is a street (number, street type, name: « 14 rue Victor Hugo ») up to a postal
  code and city when they follow; English addresses end with a UK or US postcode.
* When detections overlap, e-mails and checksum-validated numbers (IBAN, card, NIR) win over
  look-alikes (SIRET, SIREN, EAN), which win over valid phones and addresses, then values after
  a cue, mistyped numbers and names, in that order.
* Text already anonymised (``_Name1_``, ``<EMAIL>``) is never masked again, so
  ``redact(redact(text)[0])`` changes nothing.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from stdnum import ean, iban, luhn, numdb
from stdnum.fr import nir, siren, siret

from chatqa.errors import ConfigError, Errors
from chatqa.text import fold

#: The kinds of personal data, in the order of ``[placeholders]``.
KINDS = ("EMAIL", "PHONE", "IBAN", "CARD", "NIR", "ADDRESS", "NAME", "BIRTHDATE",
         "CARD_EXPIRY", "CVV", "SECRET")
RESOURCE = Path(__file__).resolve().parent / "resources" / "privacy.toml"

# Overlap priority: lower wins. Look-alikes are kept out of the output but block the others.
_VALIDATED, _LOOKALIKE, _STRONG, _CUED, _MISTYPED, _NAMED = range(6)
_LOOKALIKE_KIND = "LOOKALIKE"
_MAX_PASSES = 4
_NUMBER_CUES = ("card", "iban", "nir", "phone", "lookalike")
_VALUE_CUES = ("card_expiry", "cvv", "secret_code", "birthdate", "password")
_SENTENCE_END = re.compile(r"[!?;\n]|\.(?:\s|$)")
_DIGIT = re.compile(r"\d")
_NEXT_TOKEN = re.compile(r"[ \t]*[:,]?[ \t]*(\S+)")
_ADDRESS_NUMBER = re.compile(r"[\s:,-]*(\d{1,4})\b")
_CAPITAL_AFTER = re.compile(r"\s+(?:\w+['’]\s*|\w+\s+){0,2}([A-ZÀ-Þ])")
_SPELLED_AT = re.compile(r"\(at\)|\[at\]|\{at\}| at | arobase | arobaze ")
_WORD_EDGE = "\"'«»“”()[]{},;:.!?"


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A piece of personal data: its kind, its place in the original text, its placeholder."""

    kind: str
    start: int
    end: int
    placeholder: str


# --------------------------------------------------------------------------------------------
# The resource: schema (pydantic, at the TOML boundary only) and compiled rules
# --------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Placeholders(_Strict):
    EMAIL: str
    PHONE: str
    IBAN: str
    CARD: str
    NIR: str
    ADDRESS: str
    NAME: str
    BIRTHDATE: str
    CARD_EXPIRY: str
    CVV: str
    SECRET: str

    @field_validator("*")
    @classmethod
    def _inert(cls, value: str) -> str:
        # A placeholder must never look like personal data itself, or redacting twice would
        # change the text.
        if not value or _DIGIT.search(value) or "@" in value:
            raise ValueError(f"a placeholder must be non-empty, without digits or '@': {value!r}")
        return value


class _Windows(_Strict):
    cue_before: int = Field(ge=0, le=500)
    cue_after: int = Field(ge=0, le=500)
    after_weight: float = Field(ge=0, le=100)
    value_after: int = Field(ge=1, le=500)
    expiry_after_card: int = Field(ge=0, le=500)
    run_groups: int = Field(ge=1, le=100)
    card_context: int = Field(ge=0, le=1000)
    address_tail: int = Field(ge=0, le=500)
    street_words: int = Field(ge=1, le=20)
    name_words: int = Field(ge=1, le=10)


class _Patterns(_Strict):
    number_run: str
    iban: str
    email_local: str
    email_domain: str
    email_spelled: str
    phone_slashed: str
    nir_spaced: str
    nir_corsica: str
    nir_split_key: str
    card_expiry: str
    cvv: str
    secret_code: str
    date_numeric: str
    date_text: str
    date_short: str
    already_masked: str
    name_word: str
    any_word: str
    password: str
    postal_code: str
    postal_code_short: str
    postcode_en: str
    unit_en: str
    street_number: str


class _Cues(_Strict):
    card: list[str]
    iban: list[str]
    nir: list[str]
    phone: list[str]
    lookalike: list[str]
    card_expiry: list[str]
    card_expiry_weak: list[str]
    cvv: list[str]
    secret_code: list[str]
    password: list[str]
    birthdate: list[str]
    name: list[str]
    name_capitalised: list[str]
    name_weak: list[str]
    title: list[str]
    address: list[str]


class _Values(_Strict):
    fillers: list[str]
    max_other_words: dict[Literal["card_expiry", "cvv", "secret_code", "birthdate",
                                  "password"], int]
    not_passwords: list[str]


class _Names(_Strict):
    first_names: list[str]
    not_names: list[str]
    particles: list[str]
    not_name_words: list[str]
    min_part_letters: int = Field(ge=1, le=20)


class _Address(_Strict):
    street_types: list[str]
    weak_street_types: list[str]
    numberless_street_types: list[str]
    street_types_en: list[str]
    city_connectors: list[str]
    cedex: str
    stop_words: list[str]


class _Dates(_Strict):
    months: list[str]


class _Card(_Strict):
    network: str
    prefixes: list[str]
    lengths: list[int]

    @field_validator("prefixes")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not re.fullmatch(r"\d+(?:-\d+)?", prefix):
                raise ValueError(f"a prefix is digits or a range 'low-high': {prefix!r}")
        return value


class _Resource(_Strict):
    placeholders: _Placeholders
    windows: _Windows
    patterns: _Patterns
    cues: _Cues
    values: _Values
    names: _Names
    address: _Address
    dates: _Dates
    cards: list[_Card]


def _key(text: str) -> str:
    """Fold a word or phrase of the resource the way the text is folded for matching."""
    return " ".join(fold(text).split())


def _alternation(words: Iterable[str]) -> str:
    r"""A regex matching any of the folded phrases (longest first), spaces matching whitespace.

    Built as a trie (« carte| carte bleue| cb » → ``c(?:arte(?:\s+bleue)?|b)``), so a list of
    hundreds of cues costs a few steps per character instead of one try per cue.
    """
    trie: dict[str, Any] = {}
    for key in {_key(w) for w in words if w.strip()}:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: Mapping[str, Any]) -> str:
    ends = "" in node
    branches = [(r"\s+" if char == " " else re.escape(char)) + _trie_pattern(child)
                for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        # Greedy optional: the longer phrase is tried first.
        return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else f"{body}?"
    return body


#: Folding of the characters most texts are made of, as one ``str.translate`` table.
_FOLD_TABLE = {i: fold(chr(i)) for i in range(0x250)}
_FOLD_TABLE.update({ord(c): fold(c) for c in "\u2019\u2018\u02bc\u2011\u2010\u00a0\u202f"})
_FOLD_LIMIT = re.compile("[^\u0000-\u024f\u2019\u2018\u02bc\u2011\u2010\u202f]")


def _fold(text: str) -> str:
    """``chatqa.text.fold``, with a fast path for Latin text (same result, same length)."""
    if _FOLD_LIMIT.search(text):
        return fold(text)
    return text.translate(_FOLD_TABLE)


def _bounded(alternation: str) -> str:
    return rf"(?<![\w])(?:{alternation})(?![\w])"


@dataclass(frozen=True)
class _CardNetwork:
    name: str
    ranges: tuple[tuple[str, str], ...]
    lengths: frozenset[int]

    def accepts(self, digits: str) -> bool:
        if len(digits) not in self.lengths:
            return False
        for low, high in self.ranges:
            head = digits[: len(low)]
            if low <= head <= high:
                return True
        return False


@dataclass(frozen=True)
class PiiRules:
    """The compiled content of a privacy resource: patterns, cue words, windows, placeholders.

    Built once from ``resources/privacy.toml`` (``load_rules``); ``find_pii`` and ``redact``
    use the packaged rules, ``PiiRules.find`` a custom set.
    """

    source: str
    placeholders: Mapping[str, str]
    windows: _Windows
    patterns: Mapping[str, re.Pattern[str]]
    cue_regex: re.Pattern[str]
    cue_kinds: Mapping[str, str]
    cue_words: frozenset[str]
    fillers: frozenset[str]
    max_other_words: Mapping[str, int]
    not_passwords: frozenset[str]
    first_names: frozenset[str]
    not_names: re.Pattern[str] | None
    particles: frozenset[str]
    not_name_words: frozenset[str]
    min_part_letters: int
    street_regex: re.Pattern[str]
    weak_street_types: frozenset[str]
    numberless_street_types: frozenset[str]
    address_en: re.Pattern[str]
    city_connectors: frozenset[str]
    cedex: re.Pattern[str]
    street_stop_words: frozenset[str]
    card_networks: tuple[_CardNetwork, ...]
    iban_lengths: Mapping[str, int]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "privacy.toml") -> PiiRules:
        """Validate and compile a parsed privacy resource.

        Raises:
            ConfigError: E203 naming the file and the key that is unknown, missing or invalid.
        """
        try:
            res = _Resource.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = " -> ".join(str(p) for p in err["loc"]) or "(top level)"
            raise ConfigError(
                Errors.E203.format(path=source, problem=f"at {where}: {err['msg']}")
            ) from None
        return cls._compile(res, source)

    @classmethod
    def _compile(cls, res: _Resource, source: str) -> PiiRules:
        def fail(where: str, problem: str) -> ConfigError:
            return ConfigError(Errors.E203.format(path=source, problem=f"at {where}: {problem}"))

        months = "|".join(re.escape(m) for m in sorted(
            {w for m in res.dates.months for w in (m.lower(), _key(m))}, key=len, reverse=True))
        patterns: dict[str, re.Pattern[str]] = {}
        for name, pattern in res.patterns.model_dump().items():
            if name in ("date_text", "date_short", "card_expiry"):
                pattern = pattern.replace("{months}", f"(?:{months})")
            if name == "already_masked":
                placeholders = res.placeholders.model_dump().values()
                pattern = "|".join([f"(?:{pattern})", *map(re.escape, placeholders)])
            flags = re.IGNORECASE if name in ("date_text", "date_short", "street_number") else 0
            try:
                patterns[name] = re.compile(pattern, flags)
            except re.error as exc:
                raise fail(f"patterns -> {name}",
                           f"not a valid regular expression ({exc})") from None

        cue_kinds: dict[str, str] = {}
        for kind, words in res.cues.model_dump().items():
            for word in words:
                key = _key(word)
                if not key:
                    raise fail(f"cues -> {kind}", "an empty cue")
                if cue_kinds.setdefault(key, kind) != kind:
                    raise fail(f"cues -> {kind}",
                               f"the cue {word!r} is also a {cue_kinds[key]!r} cue")
        cue_regex = re.compile(_bounded(_alternation(cue_kinds)))

        street_types = res.address.street_types
        street_regex = re.compile(_bounded(_alternation(street_types)))
        types_en = "|".join(re.escape(t) for t in sorted(res.address.street_types_en,
                                                         key=len, reverse=True))
        city_en = r"[A-Z][a-zà-ÿ'’\-]+(?: [A-Z][a-zà-ÿ'’\-]+){0,2}"
        address_en = (
            rf"{res.patterns.unit_en}(?<![\w,.])\d{{1,5}}[A-Za-z]?,? "
            rf"(?:[A-Z][\w'’.\-]* ){{1,3}}(?:{types_en})(?![\w])\.?"
            rf"(?:,? {city_en})?(?:,? (?:{res.patterns.postcode_en}))?"
        )
        try:
            address_en_regex = re.compile(address_en)
            cedex = re.compile(res.address.cedex, re.IGNORECASE)
        except re.error as exc:
            raise fail("address", f"not a valid regular expression ({exc})") from None

        not_names = [n for n in res.names.not_names if n.strip()]
        networks = tuple(
            _CardNetwork(
                name=card.network,
                ranges=tuple(
                    (p.split("-")[0], p.split("-")[1]) if "-" in p else (p, p)
                    for p in card.prefixes
                ),
                lengths=frozenset(card.lengths),
            )
            for card in res.cards
        )
        return cls(
            source=source,
            placeholders=res.placeholders.model_dump(),
            windows=res.windows,
            patterns=patterns,
            cue_regex=cue_regex,
            cue_kinds=cue_kinds,
            cue_words=frozenset(k for k in cue_kinds if " " not in k),
            fillers=frozenset(_key(w) for w in res.values.fillers),
            max_other_words=dict(res.values.max_other_words),
            not_passwords=frozenset(_key(w) for w in res.values.not_passwords),
            first_names=frozenset(_key(w) for w in res.names.first_names),
            not_names=re.compile(_bounded(_alternation(not_names))) if not_names else None,
            particles=frozenset(_key(w) for w in res.names.particles),
            not_name_words=frozenset(_key(w) for w in res.names.not_name_words),
            min_part_letters=res.names.min_part_letters,
            street_regex=street_regex,
            weak_street_types=frozenset(_key(w) for w in res.address.weak_street_types),
            numberless_street_types=frozenset(
                _key(w) for w in res.address.numberless_street_types),
            address_en=address_en_regex,
            city_connectors=frozenset(_key(w) for w in res.address.city_connectors),
            cedex=cedex,
            street_stop_words=frozenset(_key(w) for w in res.address.stop_words),
            card_networks=networks,
            iban_lengths=_iban_lengths(),
        )

    def find(self, text: str, names: Iterable[str] = ()) -> tuple[PiiSpan, ...]:
        """Personal data in ``text`` with these rules: sorted, non-overlapping spans.

        Masking changes the context of what is left (a cue or a neighbouring number goes), so
        the masked text is scanned again until nothing new is found: what ``redact`` returns is
        then left unchanged by a second ``redact``.
        """
        names = tuple(names)
        spans = _Scan(self, text, names).run()
        for _ in range(_MAX_PASSES):
            if not spans:
                break
            masked = redact_spans(text, spans)
            extra = _Scan(self, masked, names).run()
            if not extra:
                break
            spans = tuple(sorted(spans + tuple(_unmask(spans, extra)), key=lambda s: s.start))
        return spans


def _iban_lengths() -> dict[str, int]:
    """IBAN length per country, from python-stdnum's copy of the SWIFT registry."""
    db = numdb.get("iban")
    lengths: dict[str, int] = {}
    for a in range(26):
        for b in range(26):
            cc = chr(65 + a) + chr(65 + b)
            info = db.info(cc + "00")[0][1]
            bban = info.get("bban") if info else None
            if bban:
                lengths[cc] = 4 + sum(int(n) for n in re.findall(r"(\d+)!", bban))
    return lengths


def load_rules(path: str | Path | None = None) -> PiiRules:
    """Load and compile a privacy resource; the packaged one (``None``) is loaded once.

    Raises:
        ConfigError: E202 when the file is missing, E203 when it is not valid TOML or does not
            follow the schema (the message names the file and the key).
    """
    if path is None:
        return _default_rules()
    return _read_rules(Path(path))


@lru_cache(maxsize=1)
def _default_rules() -> PiiRules:
    return _read_rules(RESOURCE)


def _read_rules(path: Path) -> PiiRules:
    if not path.is_file():
        raise ConfigError(Errors.E202.format(name="privacy", lang="*", path=path,
                                             available="(shared resource)"))
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Errors.E203.format(path=path, problem=exc)) from None
    return PiiRules.from_mapping(data, source=str(path))


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cand:
    kind: str
    start: int
    end: int
    priority: int


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int
    end: int
    kind: str


class _Scan:
    """One pass over one text: candidates of every kind, then overlap resolution."""

    def __init__(self, rules: PiiRules, text: str, names: tuple[str, ...]) -> None:
        self.r = rules
        self.text = text
        self.names = names
        self.folded = _fold(text)
        self.cands: list[_Cand] = []
        self.masked = [(m.start(), m.end())
                       for m in rules.patterns["already_masked"].finditer(text)]
        self.masked_starts = [s for s, _ in self.masked]
        self.cues = [
            _Cue(m.start(), m.end(), rules.cue_kinds[" ".join(m.group().split())])
            for m in rules.cue_regex.finditer(self.folded)
        ]
        self.cue_starts = [c.start for c in self.cues]
        self.card_spans: list[tuple[int, int]] = []
        number_cues = [c for c in self.cues if c.kind in _NUMBER_CUES]
        self.ncue_starts = [c.start for c in number_cues]
        self.ncue_ends = [c.end for c in number_cues]
        self.ncues = number_cues

    # -- helpers -----------------------------------------------------------------------------

    def add(self, kind: str, start: int, end: int, priority: int) -> None:
        if start < end and not self.is_masked(start, end):
            self.cands.append(_Cand(kind, start, end, priority))

    def is_masked(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` touches text that is already anonymised."""
        return _overlaps(self.masked_starts, self.masked, start, end)

    def number_cue(self, start: int, end: int) -> str | None:
        """Kind of the nearest number cue (card, iban, nir, phone, lookalike), if near enough."""
        w = self.r.windows
        best: tuple[float, int, str] | None = None
        i = bisect.bisect_right(self.ncue_ends, start) - 1
        if i >= 0 and start - self.ncue_ends[i] <= w.cue_before:
            best = (start - self.ncue_ends[i], 0, self.ncues[i].kind)
        j = bisect.bisect_left(self.ncue_starts, end)
        if j < len(self.ncues) and self.ncue_starts[j] - end <= w.cue_after:
            # A label usually comes before its value: a cue after counts as farther.
            cand = ((self.ncue_starts[j] - end) * w.after_weight, 1, self.ncues[j].kind)
            if best is None or cand < best:
                best = cand
        return best[2] if best else None

    def words(self, start: int, limit: int) -> list[tuple[int, int]]:
        """Whitespace-separated tokens from ``start``, at most ``limit`` characters on."""
        return [(start + m.start(), start + m.end())
                for m in re.finditer(r"\S+", self.text[start:start + limit])]

    def gap_ok(self, start: int, end: int, kind: str) -> bool:
        """Only fillers (and at most the allowed other words) between a cue and its value."""
        gap = self.text[start:end]
        if _DIGIT.search(gap) or _SENTENCE_END.search(gap) or "<" in gap:
            return False
        others = 0
        for word in self.folded[start:end].split():
            word = word.strip(_WORD_EDGE.replace(":", "").replace("(", "").replace(")", ""))
            if word and word not in self.r.fillers:
                others += 1
        return others <= self.r.max_other_words.get(kind, 0)

    # -- the pass ------------------------------------------------------------------------------

    def run(self) -> tuple[PiiSpan, ...]:
        text = self.text
        has_digit = _DIGIT.search(text) is not None
        if "@" in text or _SPELLED_AT.search(self.folded):
            self.emails()
        if has_digit:
            self.ibans()
            self.runs()
            self.phones()
            self.values()
        self.addresses()
        self.passwords()
        self.person_names()
        return self.resolve()

    def resolve(self) -> tuple[PiiSpan, ...]:
        chosen: list[_Cand] = []
        starts: list[int] = []
        spans: list[tuple[int, int]] = []
        for cand in sorted(self.cands, key=lambda c: (c.priority, c.start - c.end, c.start)):
            if not _overlaps(starts, spans, cand.start, cand.end):
                chosen.append(cand)
                i = bisect.bisect_left(starts, cand.start)
                starts.insert(i, cand.start)
                spans.insert(i, (cand.start, cand.end))
        ph = self.r.placeholders
        return tuple(
            PiiSpan(c.kind, c.start, c.end, ph[c.kind])
            for c in sorted(chosen, key=lambda c: c.start)
            if c.kind != _LOOKALIKE_KIND
        )

    # -- e-mails -------------------------------------------------------------------------------

    def emails(self) -> None:
        local_re = self.r.patterns["email_local"]
        domain_re = self.r.patterns["email_domain"]
        text = self.text
        for at in (m.start() for m in re.finditer("@", text)):
            left = at - 1 if at > 0 and text[at - 1] == " " else at
            right = at + 2 if text[at + 1:at + 2] == " " else at + 1
            local = local_re.search(text, max(0, left - 64), left)
            domain = domain_re.match(text, right)
            if not local or not domain:
                continue
            start = local.start()
            while start < at and text[start] in ".-_":
                start += 1
            if start < at:
                self.add("EMAIL", start, domain.end(), _VALIDATED)
        for m in self.r.patterns["email_spelled"].finditer(text):
            bare_at = m.group("at").strip().lower() == "at"
            if bare_at and not (re.search(r"[._\d-]", m.group("local"))
                                or m.group("dot").strip() != "."):
                continue
            self.add("EMAIL", m.start(), m.end(), _VALIDATED)

    # -- IBAN ------------------------------------------------------------------------------------

    def ibans(self) -> None:
        text = self.text
        for m in self.r.patterns["iban"].finditer(text):
            # Candidate ends at each group boundary; the longest valid one wins.
            ends = [m.start() + g.end() for g in re.finditer(r"[A-Za-z0-9]+", m.group())]
            valid = next((e for e in reversed(ends)
                          if iban.is_valid(_alnum(text[m.start():e]))), None)
            if valid is not None:
                self.add("IBAN", m.start(), valid, _VALIDATED)
                continue
            # Not valid: keep the groups that hold a digit or are upper-case blocks.
            end = m.start()
            for g in re.finditer(r"[A-Za-z0-9]+", m.group()):
                part = g.group()
                if _DIGIT.search(part) or (part.isupper() and len(part) <= 4):
                    end = m.start() + g.end()
                else:
                    break
            compact = _alnum(text[m.start():end]).upper()
            expected = self.r.iban_lengths.get(compact[:2])
            cue = self.number_cue(m.start(), end)
            shaped = expected is not None and abs(len(compact) - expected) <= 2
            if cue == "iban" or (shaped and len(compact) >= 15 and cue != "lookalike"):
                self.add("IBAN", m.start(), end, _MISTYPED)

    # -- cards, NIR, mistyped numbers ----------------------------------------------------------

    def runs(self) -> None:
        text = self.text
        ibans = [(c.start, c.end) for c in self.cands if c.kind == "IBAN"]
        for m in self.r.patterns["number_run"].finditer(text):
            if any(s < m.end() and m.start() < e for s, e in ibans):
                continue  # the digits of an IBAN, valid or not
            groups = [(m.start() + g.start(), m.start() + g.end())
                      for g in re.finditer(r"\d+", m.group())]
            n_digits = sum(e - s for s, e in groups)
            if n_digits < 8 or len(groups) > self.r.windows.run_groups:
                continue  # too short to be personal, or a table of numbers, not one
            self.run_numbers(m.start(), m.end(), groups, n_digits)
        for m in self.r.patterns["nir_corsica"].finditer(text):
            if nir.is_valid(_alnum(m.group()).upper()):
                self.add("NIR", m.start(), m.end(), _VALIDATED)
        for m in self.r.patterns["nir_split_key"].finditer(text):
            # the key set apart (« 1 87 10 35 858 676 / 11 »): one NIR, key included
            if nir.is_valid(_alnum(m.group()).upper()):
                self.add("NIR", m.start(), m.end(), _VALIDATED)
            elif self.number_cue(m.start(), m.end()) == "nir":
                self.add("NIR", m.start(), m.end(), _MISTYPED)

    def run_numbers(self, start: int, end: int, groups: list[tuple[int, int]],
                    n_digits: int) -> None:
        text = self.text
        spaced = " ".join(text[s:e] for s, e in groups)
        if self.r.patterns["nir_spaced"].fullmatch(spaced):
            # Written like a NIR (1 85 05 87 155 774 70): a NIR, its key right or wrong.
            valid = nir.is_valid(_digits(spaced))
            self.add("NIR", start, end, _VALIDATED if valid else _MISTYPED)
            return
        found = False
        # Every contiguous range of groups of a plausible length, longest first.
        ranges = []
        for i in range(len(groups)):
            digits = 0
            for j in range(i, len(groups)):
                digits += groups[j][1] - groups[j][0]
                if digits > 19:
                    break
                if digits >= 9:
                    ranges.append((digits, i, j))
        ranges.sort(key=lambda r: (-r[0], r[1]))
        taken: list[tuple[int, int]] = []
        for _, i, j in ranges:
            s, e = groups[i][0], groups[j][1]
            if any(a < e and s < b for a, b in taken):
                continue
            number = _digits(text[s:e])
            kind = self.validated_number(number, s, e)
            if kind == _LOOKALIKE_KIND and (s, e) != (start, end):
                kind = None  # a SIRET or EAN stands alone, not inside a longer run
            if kind:
                taken.append((s, e))
                self.add(kind, s, e, _LOOKALIKE if kind == _LOOKALIKE_KIND else _VALIDATED)
                found = found or kind != _LOOKALIKE_KIND
        if found or taken:
            return
        # Nothing validates: the cue decides (mistyped numbers).
        cue = self.number_cue(start, end)
        first = text[start]
        if cue == "iban" and n_digits >= 11:
            # A French RIB (« 30006 00001 12345678901 89 ») or an account number.
            self.add("IBAN", start, end, _MISTYPED)
        elif cue == "card" and 12 <= n_digits <= 19:
            self.add("CARD", start, end, _MISTYPED)
        elif cue == "nir" and 12 <= n_digits <= 16 and first in "12478":
            self.add("NIR", start, end, _MISTYPED)
        elif (cue == "phone" and 8 <= n_digits <= 13
              and not self.r.patterns["date_numeric"].fullmatch(text[start:end])):
            self.add("PHONE", start, end, _MISTYPED)

    def validated_number(self, number: str, start: int, end: int) -> str | None:
        """The kind a digit string validates as, or LOOKALIKE for SIRET, SIREN, EAN-13."""
        n = len(number)
        if n == 15 and nir.is_valid(number):
            return "NIR"
        if n == 14 and siret.is_valid(number):
            lookalike = True
        elif n == 13 and ean.is_valid(number) and (
                number == self.text[start:end] or self.number_cue(start, end) == "lookalike"):
            lookalike = True  # an EAN is written in one block; « 0033 6 21 54 87 36 » is not one
        elif n == 9 and siren.is_valid(number) and self.number_cue(start, end) == "lookalike":
            lookalike = True
        else:
            lookalike = False
        cue = self.number_cue(start, end)
        if lookalike:
            if cue == "card" and self.is_card(number):
                return "CARD"
            # A personal cue (« sécu 1850578006084 ») beats a look-alike checksum.
            return _LOOKALIKE_KIND if cue in (None, "lookalike") else None
        if self.is_card(number) and cue != "lookalike":
            return "CARD"
        return None

    def is_card(self, number: str) -> bool:
        return (12 <= len(number) <= 19 and luhn.is_valid(number)
                and any(net.accepts(number) for net in self.r.card_networks))

    # -- phones ----------------------------------------------------------------------------------

    def phones(self) -> None:
        text = self.text
        if len(_DIGIT.findall(text)) < 7:
            return
        for match in phonenumbers.PhoneNumberMatcher(text, "FR",
                                                      leniency=phonenumbers.Leniency.POSSIBLE):
            raw = match.raw_string
            start, end = match.start, match.end
            lead = raw.lstrip("(")
            international = lead.startswith(("+", "00"))
            if not (international or lead.startswith("0")):
                continue  # a French number is written with its trunk 0
            cue = self.number_cue(start, end)
            if cue == "lookalike":
                continue
            if phonenumbers.is_valid_number(match.number):
                self.add("PHONE", start, end, _STRONG)
            elif international or cue == "phone":
                self.add("PHONE", start, end, _MISTYPED)
        for m in self.r.patterns["phone_slashed"].finditer(text):
            number = phonenumbers.parse(_digits(m.group()), "FR")
            if phonenumbers.is_valid_number(number) and self.number_cue(*m.span()) != "lookalike":
                self.add("PHONE", m.start(), m.end(), _STRONG)
        if not any(c.kind == "phone" for c in self.ncues):
            return
        # With a phone cue, numbers written the North American way too (« (555) 123-4567 »).
        for match in phonenumbers.PhoneNumberMatcher(text, "US",
                                                      leniency=phonenumbers.Leniency.POSSIBLE):
            if self.number_cue(match.start, match.end) == "phone":
                self.add("PHONE", match.start, match.end, _MISTYPED)

    # -- values after a cue ----------------------------------------------------------------------

    def values(self) -> None:
        p = self.r.patterns
        self.card_spans = sorted((c.start, c.end) for c in self.cands if c.kind == "CARD")
        window = self.r.windows.value_after
        shapes = {
            "card_expiry": ("CARD_EXPIRY", (p["card_expiry"],)),
            "card_expiry_weak": ("CARD_EXPIRY", (p["card_expiry"],)),
            "cvv": ("CVV", (p["cvv"],)),
            "secret_code": ("SECRET", (p["secret_code"],)),
            "birthdate": ("BIRTHDATE", (p["date_numeric"], p["date_text"], p["date_short"])),
        }
        for cue in self.cues:
            if cue.kind not in shapes:
                continue
            kind, patterns = shapes[cue.kind]
            stop = min(len(self.text), cue.end + window)
            best = None
            for pattern in patterns:
                m = pattern.search(self.text, cue.end, stop)
                if m and (best is None or (m.start(), -m.end()) < (best.start(), -best.end())):
                    best = m
            if cue.kind == "card_expiry_weak" and not self.near_card(cue.start, best):
                continue
            if cue.kind == "secret_code" and best is None and self.near_card(cue.start, None):
                # « carte ..., date 09/26, code 123 »: three digits by a card are its CVV.
                kind, best = "CVV", p["cvv"].search(self.text, cue.end, stop)
                if best and best.end() - best.start() != 3:
                    continue
            budget = "card_expiry" if cue.kind == "card_expiry_weak" else cue.kind
            if best and self.gap_ok(cue.end, best.start(), budget):
                self.add(kind, best.start(), best.end(), _CUED)
        # A month/year just after a card number is its expiry.
        for cand in [c for c in self.cands if c.kind == "CARD"]:
            stop = min(len(self.text), cand.end + self.r.windows.expiry_after_card)
            m = p["card_expiry"].search(self.text, cand.end, stop)
            if m and self.gap_ok(cand.end, m.start(), "card_expiry"):
                self.add("CARD_EXPIRY", m.start(), m.end(), _CUED)

    def near_card(self, pos: int, value: re.Match[str] | None) -> bool:
        """Whether a card (cue or number) is within ``card_context`` of a weak expiry cue."""
        low = pos - self.r.windows.card_context
        high = (value.end() if value else pos) + self.r.windows.card_context
        i = bisect.bisect_left(self.cue_starts, low)
        while i < len(self.cues) and self.cues[i].start < high:
            cue = self.cues[i]
            if cue.kind in ("card", "cvv", "card_expiry") and cue.end <= high:
                return True
            i += 1
        cards = self.card_spans
        j = bisect.bisect_left(cards, (low, low))
        return j < len(cards) and cards[j][1] <= high

    def passwords(self) -> None:
        for cue in self.cues:
            if cue.kind != "password":
                continue
            introduced = False
            for s, e in self.words(cue.end, self.r.windows.value_after):
                word = self.text[s:e]
                key = _key(word).strip(_WORD_EDGE)
                if self.is_masked(s, e):
                    break
                if not key or key in self.r.fillers:
                    introduced = introduced or key in {":", "=", "c'est", "cest", "est", "is",
                                                       "was", "c'etait"} or word.endswith(":")
                    if word[-1] in ".!?":
                        break
                    continue
                while e > s and self.text[e - 1] in ",.;)" and not (
                        self.text[e - 1] == ")" and "(" in word):
                    e -= 1
                value = self.text[s:e]
                if key in self.r.not_passwords or not self.r.patterns["password"].fullmatch(value):
                    break
                looks = bool(_DIGIT.search(value) or re.search(r"[^\w'’\-]", value)
                             or re.search(r"[a-zà-ÿ][A-ZÀ-Þ]", value))
                if looks or (introduced and key not in self.r.not_name_words):
                    self.add("SECRET", s, e, _CUED)
                break

    # -- addresses -------------------------------------------------------------------------------

    def addresses(self) -> None:
        text, folded, r = self.text, self.folded, self.r
        for m in r.street_regex.finditer(folded):
            street_type = " ".join(m.group().split())
            before = text[max(0, m.start() - 16):m.start()]
            num = r.patterns["street_number"].search(before)
            start = m.start() - len(num.group(1)) if num else m.start()
            tail = self.postal_tail(m.end())
            if tail is not None:
                if (num or street_type in r.numberless_street_types
                        or self.capitalised_after(m.end())):
                    self.add("ADDRESS", start, tail, _STRONG)
                continue
            weak = street_type in r.weak_street_types
            if not num and street_type not in r.numberless_street_types and (
                    weak or not self.capitalised_after(m.end())):
                continue  # « rue Pasteur » is a street; « 2 places » and « la rue » are not
            end = self.street_name_end(m.end(), weak=weak or not num)
            if end is not None:
                self.add("ADDRESS", start, end, _STRONG)
        for m in r.address_en.finditer(text):
            self.add("ADDRESS", m.start(), m.end(), _STRONG)
        # « adresse : 3 Les Chênes, 33000 Bordeaux »: a number, words, then a postal code.
        for cue in self.cues:
            if cue.kind != "address":
                continue
            m = _ADDRESS_NUMBER.match(text, cue.end)
            if m:
                tail = self.postal_tail(m.end(1))
                if tail is not None:
                    self.add("ADDRESS", m.start(1), tail, _STRONG)

    def capitalised_after(self, pos: int) -> bool:
        return _CAPITAL_AFTER.match(self.text, pos) is not None

    def postal_tail(self, pos: int) -> int | None:
        """End of « , 69003 Lyon » when a postal code and city follow ``pos`` closely."""
        text, r = self.text, self.r
        stop = min(len(text), pos + r.windows.address_tail)
        m = r.patterns["postal_code"].search(text, pos, stop)
        short = r.patterns["postal_code_short"].search(text, pos, m.start() if m else stop)
        if short and text[short.end():short.end() + 2][1:2].isupper():
            m = short  # « Rue de la Loi 16, 1000 Bruxelles »: four digits, then a city
        if not m:
            return None
        gap = text[pos:m.start()]
        if _SENTENCE_END.search(gap) or re.search(r"\d{5}", gap) or "<" in gap or "@" in gap:
            return None
        end = m.end()
        words = list(re.finditer(r"[\s,-]*([^\s,;:!?()]+)", text[end:end + 60]))
        taken = 0
        for i, w in enumerate(words):
            word = w.group(1).rstrip(".")
            key = _key(word)
            if key == "cedex":
                break
            if i == 0:
                if not word[:1].isalpha() or key in r.street_stop_words:
                    break
            elif key in r.city_connectors:
                nxt = words[i + 1].group(1) if i + 1 < len(words) else ""
                if not nxt[:1].isupper():
                    break
            elif not word[:1].isupper():
                break
            if w.group().strip(" ").startswith((",", "-")) and i > 0:
                break
            taken = end + w.start(1) + len(word)
        if taken:
            end = taken
        c = r.cedex.match(text, end)
        return c.end() if c and c.end() > end else end

    def street_name_end(self, pos: int, *, weak: bool) -> int | None:
        """End of a street name after its type, when no postal code follows."""
        r = self.r
        end = None
        capitalised = False
        count = 0
        for s, e in self.words(pos, 80):
            word = self.text[s:e]
            bare = word.rstrip(",.;:!?)")
            key = _key(bare)
            if not bare or self.is_masked(s, e):
                break
            if key in r.particles or re.fullmatch(r"(?:d|l)['’]", key):
                pass
            elif re.fullmatch(r"(?:d|l)['’]\w.*", key) or bare[:1].isupper() or bare.isdigit():
                capitalised = capitalised or not bare.isdigit()
                end = s + len(bare)
            elif weak or capitalised or key in r.street_stop_words or key in r.cue_words:
                break
            else:
                end = s + len(bare)
            count += 1
            if bare != word or count >= r.windows.street_words:
                break
        return end

    # -- names -----------------------------------------------------------------------------------

    def person_names(self) -> None:
        r = self.r
        for name in self.names:
            for s, e in self.known_name(name):
                self.add("NAME", s, e, _NAMED)
        for cue in self.cues:
            if cue.kind == "name":
                self.name_after(cue.end, any_case=True)
            elif cue.kind in ("name_capitalised", "title"):
                self.name_after(cue.end, any_case=False)
            elif cue.kind == "name_weak":
                self.name_after(cue.end, any_case=True, first_name=True)
        word_re = r.patterns["name_word"]
        words = [(m.start(), m.end()) for m in word_re.finditer(self.text)
                 if self.is_word_start(m.start()) and self.is_word_end(m.end())]
        for i, (s, e) in enumerate(words):
            if not self.is_first_name(self.text[s:e]):
                continue
            j = i
            while (j + 1 < len(words) and self.text[words[j][1]:words[j + 1][0]] == " "
                   and self.name_like(words[j + 1]) and j - i < r.windows.name_words - 1):
                j += 1
            if j > i:
                self.add_name(s, words[j][1])
            elif i > 0 and self.text[words[i - 1][1]:s] == " " and self.name_like(words[i - 1]):
                # Surname first (« Dupont Marie-Claire »), at the start of a sentence or field.
                ps = k = words[i - 1][0]
                while k > 0 and self.text[k - 1] in " \t":
                    k -= 1
                if k == 0 or self.text[k - 1] in ":;,(\n":
                    self.add_name(ps, e)

    def add_name(self, start: int, end: int) -> None:
        if self.r.not_names:
            for m in self.r.not_names.finditer(self.folded, max(0, start - 40), end + 40):
                if m.start() < end and start < m.end():
                    return
        self.add("NAME", start, end, _NAMED)

    def is_word_start(self, pos: int) -> bool:
        return pos == 0 or not (self.text[pos - 1].isalnum() or self.text[pos - 1] in "_'’-@.")

    def is_word_end(self, pos: int) -> bool:
        return pos >= len(self.text) or not (self.text[pos].isalnum() or self.text[pos] in "_@")

    def is_first_name(self, word: str) -> bool:
        key = _key(word)
        return key in self.r.first_names or (
            "-" in key and key.split("-")[0] in self.r.first_names)

    def name_like(self, span: tuple[int, int]) -> bool:
        key = _key(self.text[span[0]:span[1]])
        return (key not in self.r.not_name_words and key not in self.r.cue_words
                and len(key) > 1 and not self.is_masked(*span))

    def name_after(self, pos: int, *, any_case: bool, first_name: bool = False) -> None:
        r = self.r
        word_re = r.patterns["any_word"] if any_case else r.patterns["name_word"]
        # Skip what may stand between the cue and the name (« titulaire : », « est »).
        while True:
            m = _NEXT_TOKEN.match(self.text, pos)
            if not m or _key(m.group(1)) not in self.r.fillers or m.group(1)[:1].isupper():
                if m:
                    pos = m.start(1)
                break
            pos = m.end()
        start = end = None
        count = 0
        while count < r.windows.name_words:
            w = word_re.match(self.text, pos)
            if not w or not self.is_word_start(w.start()) or not self.is_word_end(w.end()):
                break
            word = w.group()
            key = _key(word)
            if start is None and first_name and not self.is_first_name(word):
                return
            if start is not None and key in r.particles:
                pass  # inside a name (« Le Goff »); it ends the name only if nothing follows
            elif (key in r.not_name_words or key in r.cue_words or len(key) < 2
                  or re.match(r"[a-z]['’]", key)):
                break
            else:
                if start is None:
                    start = w.start()
                end = w.end()
                count += 1
            if self.text[w.end():w.end() + 1] != " ":
                break
            pos = w.end() + 1
        if start is not None and end is not None:
            self.add_name(start, end)

    def known_name(self, name: str) -> list[tuple[int, int]]:
        r = self.r
        key = _key(name)
        if (sum(c.isalpha() for c in key) < 2 or key in r.not_name_words or key in r.cue_words
                or r.patterns["already_masked"].fullmatch(name.strip())):
            return []  # not a name (« Bot », « x »), or already anonymised
        spans = []
        whole = _name_regex(key)
        spans.extend((m.start(), m.end()) for m in whole.finditer(self.folded))
        parts = [p for p in key.split(" ") if len(p) >= r.min_part_letters
                 and p not in r.not_name_words and p not in r.cue_words]
        if len(parts) > 1 or (parts and parts[0] != key):
            for part in parts:
                for m in _name_regex(part).finditer(self.folded):
                    if self.text[m.start()].isupper():
                        spans.append((m.start(), m.end()))
        return spans


@lru_cache(maxsize=1024)
def _name_regex(key: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w@.])" + r"\s+".join(re.escape(p) for p in key.split(" "))
                      + r"(?![\w@])")


def _unmask(spans: Sequence[PiiSpan], found: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Map spans found on the masked text (outside placeholders) back to the original text."""
    out = []
    shift = 0
    i = 0
    for span in sorted(found, key=lambda s: s.start):
        while i < len(spans) and spans[i].start + shift < span.start:
            shift += len(spans[i].placeholder) - (spans[i].end - spans[i].start)
            i += 1
        out.append(PiiSpan(span.kind, span.start - shift, span.end - shift, span.placeholder))
    return out


def _overlaps(starts: Sequence[int], spans: Sequence[tuple[int, int]], start: int,
              end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of ``spans`` (sorted, non-overlapping)."""
    i = bisect.bisect_left(starts, end) - 1
    return i >= 0 and spans[i][1] > start


def _alnum(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def find_pii(text: str, *, names: Iterable[str] = ()) -> tuple[PiiSpan, ...]:
    """Find the personal data in ``text``, so it can be masked or highlighted.

    Args:
        text: A message as written.
        names: Names of the conversation's participants that chatqa knows (message authors,
            name metadata); each occurrence, and each capitalised part of three letters or
            more, is a ``NAME``.

    Returns:
        Spans on the original text, sorted and non-overlapping.
    """
    return _default_rules().find(text, names)


def redact_spans(text: str, pii_spans: Iterable[PiiSpan]) -> str:
    """Replace each span of ``text`` by its placeholder; overlapping spans are merged first."""
    out: list[str] = []
    pos = 0
    for span in _merged(pii_spans):
        out.append(text[pos:span.start])
        out.append(span.placeholder)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str, *, names: Iterable[str] = ()) -> tuple[str, tuple[PiiSpan, ...]]:
    """Mask the personal data of ``text`` with typed placeholders (``<EMAIL>``, ``<IBAN>``...).

    Args:
        text: A message as written.
        names: Participants' names chatqa knows, masked as ``<NAME>``.

    Returns:
        The masked text, and the spans masked (offsets in the ORIGINAL text; map an offset of
        the original to the masked text with ``masked_offset``).
    """
    spans = find_pii(text, names=names)
    return redact_spans(text, spans), spans


def masked_offset(spans: Sequence[PiiSpan], offset: int,
                  *, side: Literal["start", "end"] = "start") -> int:
    """Map an offset of the original text to the masked text, so highlights stay valid.

    An offset inside a masked span maps to the start of its placeholder (``side="start"``,
    for the start of a highlight) or to its end (``side="end"``).
    """
    shift = 0
    for span in _merged(spans):
        if offset <= span.start:
            break
        if offset < span.end:
            base = span.start + shift
            return base if side == "start" else base + len(span.placeholder)
        shift += len(span.placeholder) - (span.end - span.start)
    return offset + shift


def redact_excerpt(value: object, max_chars: int = 40) -> str:
    """A short, redacted, repr-like excerpt of a bad value, for error messages and rows.

    The value is masked before it is cut, so a cut never reveals part of a number; a long
    token at the cut is dropped rather than shown in part.
    """
    raw = value if isinstance(value, str) else repr(value)
    limit = 4 * max_chars + 256
    if len(raw) > limit:
        space = re.compile(r"\s").search(raw, limit, limit + 2048)
        cut = space.start() if space else raw.rfind(" ", 0, limit)
        raw = raw[:max(cut, 0)] + " …"
    masked, _ = redact(raw)
    shown = repr(masked) if isinstance(value, str) else masked
    if len(shown) <= max_chars:
        return shown
    cut = max(max_chars - 1, 0)
    opening = shown.rfind("<", 0, cut)
    if opening != -1 and shown.find(">", opening) >= cut:
        cut = opening
    return shown[:cut] + "…"


def _merged(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    merged: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if span.end > last.end:
                merged[-1] = PiiSpan(last.kind, last.start, span.end, last.placeholder)
            continue
        merged.append(span)
    return merged
