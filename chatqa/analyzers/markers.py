"""Service-attitude and register markers in an advisor message (message level).

Definitions (docs/markers.md states them with examples):

* A *marker* is a span of the message matched by one of the token patterns of
  ``resources/<lang>/markers.toml`` (spaCy ``Matcher`` patterns on lower-cased forms, and on
  lemmas or other attributes where the language's pipeline assigns them), of one *kind*:
  ``courtesy``, ``empathy``, ``directivity``, ``negative``, ``tutoiement``, ``familiar``
  (advisor messages) or ``customer_emotion`` (customer messages, for the conduct analyzer:
  :meth:`MarkerMatcher.customer_emotions`).
* A *clause* is a run of tokens between two clause breaks (``. ! ? ; :``, a line break); a
  *phrase* a run between two phrase breaks (those and ``,``). Both are read from the tokens'
  text, so French (parsed) and English (a blank pipeline) cut alike.
* A pattern with an ``anchor`` is *negated*, and dropped, when a ``[negation] before`` word
  stands within ``window`` tokens before the anchor, or an ``after`` word within ``window``
  tokens after it, inside its clause: « je ne comprends pas » is no empathy.
* A match is dropped when an exclusion it names (``unless``) overlaps it (``overlap``, the
  match as found, before ``extend``) or stands in its clause (``clause``): a relaunch is no
  question, a refusal followed by an alternative no refusal. It is dropped when a marker of
  a kind it ``yields_to`` overlaps it (as found): an order put on the customer is negative,
  not directivity.
* A match that starts inside quotation marks (``[segments] quotes``) is dropped: the
  advisor quotes the customer, a label or a button.
* Markers of one kind that overlap, or share a clause when the kind merges by clause, are one
  marker; a marker inside another of its kind is dropped.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.base import Analysis, MetricSpec, check_param
from chatqa.errors import ConfigError, Errors
from chatqa.model import Finding, Severity

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

    from chatqa.resources.schemas import MarkerKind, MarkerPattern, MarkersResource

NAN = math.nan

#: Marker kind (a section of markers.toml) -> finding code.
KIND_CODES: Mapping[str, str] = {
    "courtesy": "marker.courtesy",
    "empathy": "marker.empathy",
    "directivity": "marker.directivity",
    "negative": "marker.negative",
    "tutoiement": "register.tutoiement",
    "familiar": "register.familiar",
    "customer_emotion": "customer.emotion",
    "confidentiality": "conduct.confidentiality",
    "denigration": "conduct.denigration",
    "personal_opinion": "conduct.personal_opinion",
    "overpromise": "conduct.overpromise",
}
#: Kinds found in advisor messages, in the order of the metrics.
ADVISOR_KINDS: tuple[str, ...] = ("courtesy", "empathy", "directivity", "negative",
                                  "tutoiement", "familiar")
#: Kinds found in customer messages.
CUSTOMER_KINDS: tuple[str, ...] = ("customer_emotion",)
#: Professional-conduct kinds found in advisor messages, for the conduct analyzer.
CONDUCT_KINDS: tuple[str, ...] = ("confidentiality", "denigration", "personal_opinion",
                                  "overpromise")
#: Every kind, in resource order.
ALL_KINDS: tuple[str, ...] = (*ADVISOR_KINDS, *CUSTOMER_KINDS, *CONDUCT_KINDS)
#: Kind -> its message-level metric (a count).
KIND_METRICS: Mapping[str, str] = {
    "courtesy": "courtesy_markers",
    "empathy": "empathy_markers",
    "directivity": "directivity_markers",
    "negative": "negative_markers",
    "tutoiement": "tutoiement_count",
    "familiar": "familiar_count",
}
#: Kinds with a conversation-level share of advisor messages.
RATIO_KINDS: tuple[str, ...] = ("courtesy", "empathy", "directivity", "negative")
_SEVERITY_RANK = {Severity.INFO: 0, Severity.MINOR: 1, Severity.MAJOR: 2}


@dataclass(frozen=True, slots=True)
class Marker:
    """One marker: its kind and code, character offsets, and the pattern that found it."""

    kind: str
    code: str
    start: int
    end: int
    text: str
    pattern: str
    note: str
    severity: Severity
    suggestion: str | None = None
    patterns: tuple[str, ...] = ()

    def finding(self, analyzer: str) -> Finding:
        """The marker as a Finding of ``analyzer`` (message_index left to the pipeline)."""
        details: dict[str, Any] = {"pattern": self.pattern, "note": self.note}
        if len(self.patterns) > 1:
            details["patterns"] = list(self.patterns)
        return Finding(analyzer=analyzer, code=self.code, start=self.start, end=self.end,
                       text=self.text, suggestion=self.suggestion, severity=self.severity,
                       details=details)


@dataclass(frozen=True, slots=True)
class _Rule:
    """One pattern entry of markers.toml, with its kind's settings folded in."""

    kind: str
    id: str
    note: str
    anchor: int | None
    focus: tuple[int, int] | None
    starts: str
    extend: str
    unless: tuple[str, ...]
    yields_to: frozenset[str]
    severity: Severity
    suggestion: str | None

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.id}"

    @classmethod
    def of(cls, kind: str, section: MarkerKind, p: MarkerPattern) -> _Rule:
        return cls(
            kind=kind, id=p.id, note=p.note, anchor=p.anchor, focus=p.focus, starts=p.starts,
            extend=p.extend, unless=tuple(dict.fromkeys((*section.unless, *p.unless))),
            yields_to=frozenset((*section.yields_to, *p.yields_to)),
            severity=Severity(p.severity or section.severity), suggestion=p.suggestion,
        )


@dataclass(slots=True)
class _Candidate:
    rule: _Rule
    start: int  # token offsets of the span
    end: int
    rules: tuple[_Rule, ...] = ()
    core: tuple[int, int] = (0, 0)  # the match as found, before ``extend``


class _Segments:
    """Clauses and phrases of one Doc, from the tokens' text (see the module docstring)."""

    __slots__ = ("clause", "clause_bounds", "doc", "keep_final", "phrase", "phrase_bounds",
                 "quoted")

    def __init__(self, doc: Doc, clause_breaks: frozenset[str], phrase_breaks: frozenset[str],
                 keep_final: frozenset[str], quotes: Mapping[str, str]) -> None:
        self.doc = doc
        self.keep_final = keep_final
        self.clause: list[int] = []
        self.phrase: list[int] = []
        self.quoted: list[bool] = []
        c = p = 0
        closing: str | None = None
        for tok in doc:
            self.clause.append(c)
            self.phrase.append(p)
            text = tok.text
            if closing is not None and text == closing:
                closing = None
                self.quoted.append(False)
            else:
                self.quoted.append(closing is not None)
                if closing is None and text in quotes:
                    closing = quotes[text]
            if text in clause_breaks or (tok.is_space and "\n" in text) or (
                    tok.is_punct and len(text) > 1 and set(text) <= clause_breaks):
                c += 1
                p += 1
            elif text in phrase_breaks:
                p += 1
        self.clause_bounds = _bounds(self.clause)
        self.phrase_bounds = _bounds(self.phrase)

    def is_break_or_space(self, i: int) -> bool:
        tok = self.doc[i]
        return tok.is_space or not any(ch.isalnum() for ch in tok.text)

    def starts_at(self, i: int, unit: str, openers: frozenset[str]) -> bool:
        """Token ``i`` opens its phrase (or clause), after punctuation and opener words only."""
        ids, bounds = (self.phrase, self.phrase_bounds) if unit == "phrase" else (
            self.clause, self.clause_bounds)
        first = bounds[ids[i]][0]
        return all(self.is_break_or_space(j) or self.doc[j].lower_ in openers
                   for j in range(first, i))

    def extend(self, start: int, end: int, how: str) -> tuple[int, int]:
        if how == "none":
            return start, end
        if how == "phrase_end":
            return start, max(end, self.phrase_bounds[self.phrase[end - 1]][1])
        lo, hi = self.clause_bounds[self.clause[end - 1]]
        if how == "clause":
            return min(start, self.clause_bounds[self.clause[start]][0]), max(end, hi)
        return start, max(end, hi)  # clause_end

    def trim(self, start: int, end: int) -> tuple[int, int]:
        """Without leading punctuation or spaces, nor trailing ones but ``keep_final``."""
        while start < end and self.is_break_or_space(start):
            start += 1
        while end > start and self.is_break_or_space(end - 1) and not (
                self.doc[end - 1].text in self.keep_final and end - 1 > start):
            end -= 1
        return start, end


def _bounds(ids: list[int]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for i, c in enumerate(ids):
        lo, _ = out.get(c, (i, i))
        out[c] = (lo, i + 1)
    return out


#: Token attributes a tokenizer and a punctuation sentencizer set on their own (with the
#: vocabulary's lexeme attributes): patterns reading only these need no tagger or parser.
TOKEN_LEVEL_ATTRS = frozenset({"ORTH", "TEXT", "LOWER", "NORM", "LENGTH", "SHAPE", "PREFIX",
                               "SUFFIX", "IS_SENT_START", "OP"})


def token_level(resource: MarkersResource, kinds: Iterable[str]) -> bool:
    """Whether the patterns of ``kinds`` and the exclusions they name read tokens only.

    Only ``TOKEN_LEVEL_ATTRS``, ``IS_*`` and ``LIKE_*`` flags: then such Docs may come from a
    tokenizer and a sentencizer, without tagger, lemmatizer or parser.
    """
    patterns, exclusions = [], set()
    for kind in kinds:
        section = getattr(resource, kind)
        exclusions.update(section.unless)
        for entry in section.patterns:
            patterns.extend(entry.patterns)
            exclusions.update(entry.unless)
    patterns += [q for name in exclusions if name in resource.exclusions
                 for q in resource.exclusions[name].patterns]
    return all(attr in TOKEN_LEVEL_ATTRS or attr.startswith(("IS_", "LIKE_"))
               for pattern in patterns for token in pattern for attr in token)


class MarkerMatcher:
    """The patterns of one language compiled on a spaCy ``Vocab``.

    :meth:`markers` finds the advisor kinds in a Doc; for the conduct analyzer,
    :meth:`customer_emotions` finds the customer's emotional moments and :meth:`conduct` the
    advisor's breaches of professional conduct; all as :class:`Marker` objects.
    """

    def __init__(self, resource: MarkersResource, vocab: Vocab,
                 disabled: Iterable[str] = ()) -> None:
        disabled = set(disabled)
        self.rules: dict[int, _Rule] = {}
        self._matchers: dict[str, _IndexedMatcher] = {}
        groups = {"advisor": ADVISOR_KINDS, "customer": CUSTOMER_KINDS,
                  "conduct": CONDUCT_KINDS}
        for group, kinds in groups.items():
            entries = []
            for kind in kinds:
                section = getattr(resource, kind)
                for p in section.patterns:
                    rule = _Rule.of(kind, section, p)
                    if rule.key not in disabled:
                        entries.append((rule.key, p.patterns))
                        self.rules[vocab.strings[rule.key]] = rule
            self._matchers[group] = _IndexedMatcher(vocab, entries)
        self._exclusions = _IndexedMatcher(
            vocab, [(name, e.patterns) for name, e in resource.exclusions.items()])
        self._scope_of = {name: e.scope for name, e in resource.exclusions.items()}
        seg = resource.segments
        self._clause_breaks = frozenset(seg.clause_breaks)
        self._phrase_breaks = frozenset(seg.phrase_breaks)
        self._openers = frozenset(seg.openers)
        self._keep_final = frozenset(seg.keep_final)
        self._quotes = {pair[0]: pair[1] for pair in seg.quotes}
        self._merge = {k: getattr(resource, k).merge for k in ALL_KINDS}
        neg = resource.negation
        self._before, self._after, self._window = (frozenset(neg.before), frozenset(neg.after),
                                                   neg.window)
        self._stop = frozenset(neg.stop)

    # -- public ---------------------------------------------------------------------------------
    def markers(self, doc: Doc) -> tuple[Marker, ...]:
        """The advisor kinds' markers of ``doc``, in text order."""
        return self._find(doc, "advisor")

    def customer_emotions(self, doc: Doc) -> tuple[Marker, ...]:
        """The customer's emotional moments in ``doc`` (frustration, worry, anger, urgency)."""
        return self._find(doc, "customer")

    def conduct(self, doc: Doc) -> tuple[Marker, ...]:
        """Breaches of professional conduct in an advisor's ``doc``.

        Confidentiality, denigration, personal opinion, overpromise.
        """
        return self._find(doc, "conduct")

    # -- matching -------------------------------------------------------------------------------
    def _find(self, doc: Doc, group: str) -> tuple[Marker, ...]:
        if all(t.is_space for t in doc):  # stops at the first word (``Doc.text`` joins them all)
            return ()
        matches = self._matchers[group](doc)
        if not matches:
            return ()
        seg = _Segments(doc, self._clause_breaks, self._phrase_breaks, self._keep_final,
                        self._quotes)
        excluded: dict[str, tuple[set[int], set[int]]] | None = None
        candidates: list[_Candidate] = []
        for match_id, start, end, align in matches:
            rule = self.rules[match_id]
            if seg.quoted[start]:
                continue  # quoted words are the customer's, or a label, not the advisor's
            if rule.anchor is not None and rule.anchor in align and self._negated(
                    doc, seg, start + align.index(rule.anchor)):
                continue
            if rule.starts != "anywhere" and not seg.starts_at(start, rule.starts,
                                                               self._openers):
                continue
            if rule.focus is not None:
                inside = [k for k, a in enumerate(align) if rule.focus[0] <= a < rule.focus[1]]
                if not inside:
                    continue
                start, end = start + inside[0], start + inside[-1] + 1
            if rule.unless:
                cancelled, excluded = self._excludes(rule, (start, end), doc, seg, excluded)
                if cancelled:
                    continue
            core = (start, end)
            start, end = seg.trim(*seg.extend(start, end, rule.extend))
            if start >= end:
                continue
            candidates.append(_Candidate(rule, start, end, (rule,), core))
        candidates = [c for c in candidates if not any(
            o.rule.kind in c.rule.yields_to and o.start < c.core[1] and c.core[0] < o.end
            for o in candidates)]
        out: list[Marker] = []
        text = doc.text if candidates else ""
        for kind in dict.fromkeys(c.rule.kind for c in candidates):
            same = sorted((c for c in candidates if c.rule.kind == kind),
                          key=lambda c: (c.start, -c.end))
            for c in _merged(same, self._merge[kind], seg):
                out.append(_marker(doc, text, c))
        return tuple(sorted(out, key=lambda m: (m.start, m.end, m.code)))

    def _negated(self, doc: Doc, seg: _Segments, i: int) -> bool:
        lo, hi = seg.clause_bounds[seg.clause[i]]
        if any(doc[j].lower_ in self._before for j in range(max(lo, i - self._window), i)):
            return True
        for j in range(i + 1, min(hi, i + self._window + 1)):
            lower = doc[j].lower_
            if lower in self._after:
                return True
            if lower in self._stop:
                return False
        return False

    def _excludes(self, rule: _Rule, span: tuple[int, int], doc: Doc, seg: _Segments,
                  found: dict[str, tuple[set[int], set[int]]] | None,
                  ) -> tuple[bool, dict[str, tuple[set[int], set[int]]]]:
        """Whether an exclusion the rule names cancels a marker on ``span``.

        Returns the answer and the exclusions' matches (per name, the tokens they cover and
        the clauses they stand in), found on first use (None before).
        """
        if found is None:
            found = {}
            strings = doc.vocab.strings
            for key, start, end, _ in self._exclusions(doc):
                tokens, clauses = found.setdefault(strings[key], (set(), set()))
                tokens.update(range(start, end))
                clauses.update(seg.clause[i] for i in range(start, end))
        for name in rule.unless:
            if name not in found:
                continue
            tokens, clauses = found[name]
            scope = self._scope_of[name]
            covered = range(span[0], span[1])
            if scope == "overlap" and not tokens.isdisjoint(covered):
                return True, found
            if scope == "clause" and not clauses.isdisjoint(seg.clause[i] for i in covered):
                return True, found
        return False, found


class _IndexedMatcher:
    """spaCy Matchers indexed by words their patterns need, for speed.

    spaCy's Matcher tries every pattern at every token (0.1 to 0.3 µs each), so a few hundred
    patterns cost about a millisecond a message. Here the patterns are split by the token
    they start with: a word or a list of words (``LOWER``, ``ORTH``, ``TEXT``, ``NORM``,
    required) puts the pattern, its first token made that one word, under that word; a
    ``REGEX`` under that expression; anything else in one Matcher run on the whole Doc.
    Under a word there is one Matcher per pattern key, run on the window that starts at the
    word (as long as the pattern, ``*`` and ``+`` counting ``MAX_WINDOW`` tokens), and only
    when the Doc holds, for one of the key's patterns, a form of each of its other required
    word tokens. The matches are spaCy's, ``(key, start, end, alignments)``, the longest kept
    per key and start.
    """

    #: Tokens an unbounded operator (``*``, ``+``) may cover after a first word.
    MAX_WINDOW = 4

    def __init__(self, vocab: Vocab,
                 entries: Sequence[tuple[str, Sequence[Sequence[Mapping[str, Any]]]]]) -> None:
        from spacy.matcher import Matcher

        #: index (a word, or (attr, regex)) -> key -> [(words needed, pattern, length)]
        grouped: dict[Any, dict[str, list[tuple[list[frozenset[str]], list, int]]]] = {}
        general: dict[str, list[list[dict[str, Any]]]] = {}
        for key, patterns in entries:
            for pattern in patterns:
                first, rest = dict(pattern[0]), [dict(t) for t in pattern[1:]]
                length = _max_length(pattern, self.MAX_WINDOW)
                needed = [forms for t in rest if (forms := _required_words(t)) is not None]
                forms = _first_forms(first)
                regex = _first_regex(first) if forms is None else None
                if forms is not None:
                    attr = next(a for a in ("LOWER", "ORTH", "TEXT", "NORM") if a in first)
                    only_list = not isinstance(first[attr], Mapping) or set(first[attr]) == {"IN"}
                    for form in forms:
                        token = {**first, attr: form} if only_list else first
                        grouped.setdefault(form.lower(), {}).setdefault(key, []).append(
                            (needed, [token, *rest], length))
                elif regex is not None:
                    grouped.setdefault(regex, {}).setdefault(key, []).append(
                        (needed, [first, *rest], length))
                else:
                    general.setdefault(key, []).append([first, *rest])

        def compiled(keyed: Mapping[str, list[list[dict[str, Any]]]]) -> Any:
            matcher = Matcher(vocab, validate=True)
            for key, patterns in keyed.items():
                matcher.add(key, patterns, greedy="LONGEST")
            return matcher

        def runs(keyed: Mapping[str, list[tuple[list[frozenset[str]], list, int]]]) -> list:
            """One ``(words needed by each pattern, window length, Matcher)`` per key."""
            return [([needed for needed, _, _ in items], max(n for _, _, n in items),
                     compiled({key: [p for _, p, _ in items]})) for key, items in keyed.items()]

        self._by_word = {k: runs(v) for k, v in grouped.items() if isinstance(k, str)}
        self._by_regex = [(attr, re.compile(rx), runs(v))
                          for (attr, rx), v in ((k, v) for k, v in grouped.items()
                                                if not isinstance(k, str))]
        self._general = compiled(general) if general else None

    def __call__(self, doc: Doc) -> list[tuple[int, int, int, list[int]]]:
        """Every match in ``doc``: ``(key, start, end, alignments)``, in no particular order."""
        out: dict[tuple[int, int], tuple[int, int, int, list[int]]] = {}
        n = len(doc)
        lowers = token_strings(doc, "LOWER")  # no Token objects: this runs on every message
        words = set(lowers)
        other: dict[str, list[str]] = {}

        def keep(key: int, start: int, end: int, align: list[int]) -> None:
            best = out.get((key, start))
            if best is None or end > best[2]:
                out[(key, start)] = (key, start, end, align)

        passing: dict[int, list[tuple[int, Any]]] = {}  # id(group) -> its runnable keys

        def run(group: list, i: int) -> None:
            ready = passing.get(id(group))
            if ready is None:
                ready = passing[id(group)] = [
                    (length, matcher) for needs, length, matcher in group
                    if any(all(not forms.isdisjoint(words) for forms in needed)
                           for needed in needs)]
            for length, matcher in ready:
                for key, start, end, align in matcher(doc[i:min(n, i + length)],
                                                      with_alignments=True):
                    if start == 0:
                        keep(key, i, i + end, align)

        if self._general is not None:
            for key, start, end, align in self._general(doc, with_alignments=True):
                keep(key, start, end, align)
        for i, lower in enumerate(lowers):
            group = self._by_word.get(lower)
            if group is not None:
                run(group, i)
            for attr, regex, group in self._by_regex:
                if attr == "LOWER":
                    value = lower
                else:
                    if attr not in other:
                        other[attr] = token_strings(doc, "NORM" if attr == "NORM" else "ORTH")
                    value = other[attr][i]
                if regex.search(value):
                    run(group, i)
        return list(out.values())


def token_strings(doc: Doc, attr: str) -> list[str]:
    """One string attribute (``LOWER``, ``NORM``, ``ORTH``) of every token of ``doc``."""
    strings = doc.vocab.strings
    return [strings[x] for x in doc.to_array(attr).tolist()]


def _required_words(token: Mapping[str, Any]) -> frozenset[str] | None:
    """Lower-cased words one of which a required token must be, else None."""
    if token.get("OP") not in (None, "+"):
        return None
    forms = _first_forms(token)
    return frozenset(f.lower() for f in forms) if forms else None


def _first_forms(token: Mapping[str, Any]) -> list[str] | None:
    """The words a required first token may be (a word or an ``IN`` list), else None."""
    if token.get("OP") not in (None, "+"):
        return None
    for attr in ("LOWER", "ORTH", "TEXT", "NORM"):
        value = token.get(attr)
        if isinstance(value, str):
            return [value]
        if isinstance(value, Mapping) and "IN" in value:
            return list(dict.fromkeys(value["IN"]))
    return None


def _first_regex(token: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(attribute, regular expression)`` a required first token's text must match, else None."""
    if token.get("OP") not in (None, "+"):
        return None
    for attr in ("LOWER", "ORTH", "TEXT", "NORM"):
        value = token.get(attr)
        if isinstance(value, Mapping) and isinstance(value.get("REGEX"), str):
            return attr, value["REGEX"]
    return None


def _max_length(pattern: Sequence[Mapping[str, Any]], unbounded: int) -> int:
    """Tokens a match of ``pattern`` may cover, an unbounded operator counting ``unbounded``."""
    total = 0
    for token in pattern:
        op = token.get("OP")
        if op in ("*", "+"):
            total += unbounded
        elif isinstance(op, str) and op.startswith("{"):
            bounds = op.strip("{}").split(",")
            total += int(bounds[-1]) if bounds[-1] else unbounded
        elif op != "!":
            total += 1
    return max(total, 1)


def _merged(cands: Sequence[_Candidate], how: str, seg: _Segments) -> list[_Candidate]:
    """One candidate per overlapping group (or clause, with ``how="clause"``)."""
    out: list[_Candidate] = []
    for c in cands:
        last = out[-1] if out else None
        if last is not None and c.start >= last.start and c.end <= last.end:
            last.rules = (*last.rules, c.rule)  # inside the previous one
            continue
        joins = last is not None and (
            (how in ("overlap", "clause") and c.start < last.end)
            or (how == "clause" and seg.clause[c.start] == seg.clause[last.end - 1]))
        if joins:
            last.end = max(last.end, c.end)
            last.rules = (*last.rules, c.rule)
        else:
            out.append(_Candidate(c.rule, c.start, c.end, c.rules))
    return out


def _marker(doc: Doc, text: str, c: _Candidate) -> Marker:
    start = doc[c.start].idx
    last = doc[c.end - 1]
    end = last.idx + len(last.text)
    severity = max((r.severity for r in c.rules), key=_SEVERITY_RANK.__getitem__)
    suggestion = next((r.suggestion for r in c.rules if r.suggestion), None)
    return Marker(kind=c.rule.kind, code=KIND_CODES[c.rule.kind], start=start, end=end,
                  text=text[start:end], pattern=c.rule.id, note=c.rule.note,
                  severity=severity, suggestion=suggestion,
                  patterns=tuple(dict.fromkeys(r.id for r in c.rules)))


@dataclass(frozen=True, kw_only=True)
class MarkersAnalyzer:
    """Finds courtesy, empathy, directivity, negative phrasing and register in advisor messages.

    Built by ``make_markers`` from the language's patterns; ``initialize(nlp)`` compiles them
    on the loaded pipeline's vocabulary (the pipeline does it once spaCy is loaded). The
    grid's ``[analyzers.markers]`` table may give ``disabled_patterns``: pattern keys
    (``"familiar.salut"``) the client accepts.
    """

    name: ClassVar[str] = "markers"
    requires: ClassVar[tuple[str, ...]] = ()  # per language: the resource's `requires`
    version: ClassVar[int] = 1
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("courtesy_markers", "message",
                   "Courtesy markers: greetings, introductions, thanks, polite requests, "
                   "apologies for a wait or a mistake, wishes."),
        MetricSpec("empathy_markers", "message",
                   "Empathy markers: acknowledging a feeling or a situation, regret, "
                   "reassurance, encouragement, personal commitment."),
        MetricSpec("directivity_markers", "message",
                   "Directivity markers: questions, ownership, proposals, instructions, next "
                   "steps, reformulation, closing control."),
        MetricSpec("negative_markers", "message",
                   "Negative phrasing: refusals without an alternative, blame, demands, "
                   "dismissive phrases."),
        MetricSpec("tutoiement_count", "message",
                   "Words of tutoiement addressed to the customer (tu, te, ton...)."),
        MetricSpec("familiar_count", "message",
                   "Familiar words and SMS abbreviations (ouais, bah, stp...)."),
        MetricSpec("advisor_courtesy_markers", "conversation",
                   "Courtesy markers over the advisor's messages."),
        MetricSpec("advisor_empathy_markers", "conversation",
                   "Empathy markers over the advisor's messages."),
        MetricSpec("advisor_directivity_markers", "conversation",
                   "Directivity markers over the advisor's messages."),
        MetricSpec("advisor_negative_markers", "conversation",
                   "Negative phrasings over the advisor's messages."),
        MetricSpec("advisor_tutoiement_count", "conversation",
                   "Tutoiement words over the advisor's messages."),
        MetricSpec("advisor_familiar_count", "conversation",
                   "Familiar words over the advisor's messages."),
        MetricSpec("advisor_courtesy_ratio", "conversation",
                   "Share of the advisor's messages with a courtesy marker."),
        MetricSpec("advisor_empathy_ratio", "conversation",
                   "Share of the advisor's messages with an empathy marker."),
        MetricSpec("advisor_directivity_ratio", "conversation",
                   "Share of the advisor's messages with a directivity marker."),
        MetricSpec("advisor_negative_ratio", "conversation",
                   "Share of the advisor's messages with a negative phrasing."),
    )
    codes: ClassVar[Mapping[str, str]] = {
        "marker.courtesy": "A courtesy formula; details give the pattern and its note.",
        "marker.empathy": "An empathy marker; details give the pattern and its note.",
        "marker.directivity": "A directivity marker; details give the pattern and its note.",
        "marker.negative": "A negative phrasing, with a softer one as the suggestion.",
        "register.tutoiement": "A tutoiement word addressed to the customer.",
        "register.familiar": "A familiar word or an SMS abbreviation.",
    }

    patterns: MarkersResource
    disabled_patterns: tuple[str, ...] = ()
    matcher: MarkerMatcher | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Check ``disabled_patterns`` names pattern keys of the resource (E201)."""
        value = self.disabled_patterns
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        check_param("MarkersAnalyzer", "disabled_patterns", value, ok,
                    "a list of pattern keys such as 'familiar.salut'")
        known = pattern_keys(self.patterns)
        unknown = sorted(set(value) - set(known))
        check_param("MarkersAnalyzer", "disabled_patterns", value, not unknown,
                    f"a list of pattern keys of markers.toml; unknown {unknown}, known "
                    f"{', '.join(known)}")
        object.__setattr__(self, "disabled_patterns", tuple(value))

    def initialize(self, nlp: Language) -> MarkersAnalyzer:
        """A copy with the patterns compiled on ``nlp``'s vocabulary.

        Raises:
            ConfigError: E103 when ``nlp`` does not assign an attribute the language's
                patterns read (its resource's ``requires``).
        """
        check_pipeline_assigns(self.name, self.patterns.requires, nlp)
        ready = copy.copy(self)
        object.__setattr__(ready, "matcher", MarkerMatcher(self.patterns, nlp.vocab,
                                                           self.disabled_patterns))
        return ready

    def analyze_message(self, doc: Doc) -> Analysis:
        """Counts of each kind (NaN on an empty text) and one finding per marker."""
        if self.matcher is None:
            raise RuntimeError("MarkersAnalyzer.analyze_message needs initialize(nlp) first "
                               "(the pipeline calls it once spaCy is loaded)")
        markers = self.matcher.markers(doc)
        if not markers and all(t.is_space for t in doc):
            return Analysis(metrics=dict.fromkeys(KIND_METRICS.values(), NAN))
        metrics = {metric: float(sum(1 for m in markers if m.kind == kind))
                   for kind, metric in KIND_METRICS.items()}
        return Analysis(metrics=metrics, findings=tuple(m.finding(self.name) for m in markers))

    def summarize(self, analyses: Sequence[Analysis]) -> dict[str, float]:
        """Sums over the advisor's messages, and the share of them with each kind.

        Messages with an empty text are left out; NaN when none is left.
        """
        defined = [a.metrics for a in analyses
                   if not math.isnan(a.metrics.get("courtesy_markers", NAN))]
        out: dict[str, float] = {}
        for metric in KIND_METRICS.values():
            out[f"advisor_{metric}"] = float(sum(m[metric] for m in defined)) if defined \
                else NAN
        for kind in RATIO_KINDS:
            metric = KIND_METRICS[kind]
            out[f"advisor_{kind}_ratio"] = (sum(1 for m in defined if m[metric] > 0)
                                           / len(defined)) if defined else NAN
        return out


def check_pipeline_assigns(analyzer: str, requires: Iterable[str], nlp: Language) -> None:
    """Raise E103 when ``nlp`` does not assign an attribute a language's patterns read."""
    from chatqa.nlp import assigned_attributes

    have = assigned_attributes(nlp)
    for attr in requires:
        if attr not in have:
            raise ConfigError(Errors.E103.format(
                analyzer=analyzer, attr=attr, model=nlp.meta.get("name"),
                components=nlp.pipe_names))


def pattern_keys(resource: MarkersResource) -> list[str]:
    """Every pattern key of a markers resource (``"<kind>.<id>"``), advisor kinds first."""
    return [f"{kind}.{p.id}" for kind in ALL_KINDS for p in getattr(resource, kind).patterns]
