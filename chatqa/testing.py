"""The analyzer contract as checks anyone can run, like scikit-learn's ``check_estimator``.

``check_analyzer("timing")`` runs every check on a registered analyzer;
``check_analyzer(make_mine)`` does the same for a third-party factory (or an analyzer object),
so an analyzer author gets chatqa's conformance suite in one line of their own tests::

    from chatqa.testing import check_analyzer

    def test_my_analyzer_follows_the_contract():
        check_analyzer(make_mine, "fr")

``iter_checks`` yields the same checks one by one, each a callable named after its check,
to parametrize a test with one case per check (as sklearn's ``parametrize_with_checks``).
A failed check raises ``AssertionError`` naming the analyzer, the check and the input.

The checks (``CHECKS``, in order):

* ``check_declarations``: a ``MessageAnalyzer`` or a ``ConversationAnalyzer`` (not both), with
  ``name``, ``requires``, ``metrics`` (``MetricSpec``), ``codes`` and ``version``.
* ``check_names``: metric names follow ``METRIC_NAME_RULES`` (snake_case, unit last), codes
  are ``family.kind`` (``CODE_NAME_RULE``).
* ``check_metrics``: every result holds exactly the declared metrics of its level.
* ``check_metric_values``: values fit their unit (seconds and counts >= 0, counts whole,
  ratios in [0, 1], no infinity).
* ``check_findings``: declared codes only, the analyzer's name, and offsets that slice the
  analysed text (``text[start:end] == finding.text``), for message analyzers too.
* ``check_edge_inputs``: every input, ordinary and edge (empty, whitespace, emoji only, one
  word, 5,000 words, another language; for conversation analyzers also no messages, one
  customer message, untimed, system only, advisor only, times going backwards), gives numbers
  or NaN, never an exception or a warning (they run under ``warnings.simplefilter("error")``).
* ``check_deterministic``: the same results again, from fresh parses in reverse order.
* ``check_input_unchanged``: Docs and conversations are left as they were.
* ``check_pickle``: a pickled copy gives equal results.
* ``check_hooks``: a message analyzer that declares conversation-level metrics has
  ``summarize``, which returns exactly those; ``review`` with no names returns an equal
  analysis, and with names a valid one.
* ``check_docs_page``: ``<docs_dir>/<name>.md`` lists exactly the analyzer's metrics (with
  their level), codes and parameters (every field with a default, ``None`` defaults included).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import numbers
import pickle
import re
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatqa.analyzers.base import (
    Analysis,
    ConversationAnalyzer,
    InitializableAnalyzer,
    MessageAnalyzer,
    MetricSpec,
)
from chatqa.model import Conversation, Finding, Message, Role, Severity
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "CHECKS",
    "CODE_NAME_RULE",
    "METRIC_NAME_RULES",
    "analyzer_parameters",
    "check_analyzer",
    "docs_table",
    "iter_checks",
]

_WORD = r"[a-z][a-z0-9]*"
_SNAKE = rf"{_WORD}(?:_[a-z0-9]+)*"
#: The naming table of docs/design.md as patterns: a metric name must match one of them.
#: The kind decides the range its values must fit (``check_metric_values``).
METRIC_NAME_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # a real-valued measure, any sign: zipf_mean, lix_score, subordinate_clauses_per_sentence
    ("measure", re.compile(rf"^{_SNAKE}_(?:mean|score|per_sentence)$")),
    ("seconds", re.compile(rf"^{_SNAKE}_s$")),                      # first_response_s
    ("rate", re.compile(rf"^{_SNAKE}_per_100_words$")),             # errors_per_100_words
    ("ratio", re.compile(rf"^{_SNAKE}_ratio$")),                    # question_ratio (0-1)
    ("count", re.compile(rf"^{_SNAKE}_count$")),                    # relaunch_count
    # a plural noun, last or followed by one word: words, unanswered_bursts, holds_kept
    ("count", re.compile(r"^(?:[a-z0-9]+_)*[a-z]{2,}s(?:_[a-z]+)?$")),
)
#: A finding code is ``family.kind``, both snake_case.
CODE_NAME_RULE: re.Pattern[str] = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REQUIRES = re.compile(r"^(?:doc|token|span)\.[a-z_]+$")


# -- inputs ----------------------------------------------------------------------------------
_T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)

#: Sample conversations per language: ``(role, seconds after 10:00 or None, text, author)``.
#: They carry errors, holds, relaunches, names and emoji, so that findings get checked.
_Row = tuple[str, float | None, str, str | None]
_SAMPLES: Mapping[str, Sequence[tuple[str, Sequence[_Row]]]] = {
    "fr": (
        ("sample 1", (
            ("customer", 0, "Bonjour, ma commande n'est pas arrivée", "Jean Dupond"),
            ("advisor", 40, "bonjour, je vérifie votre commande, merci de patienter 2 minutes",
             "Léa"),
            ("advisor", 210, "Ces un problème de livraison, je vais vous envoyé un nouveau colis.",
             "Léa"),
            ("advisor", 215, "Je suis désolé pour le retart, je vais monter en haut voir le stock.",
             "Léa"),
            ("customer", 240, "d'accord merci", "Jean Dupond"),
            ("advisor", 260, "Puis-je faire autre chose pour vous Mr Dupond ?", "Léa"),
            ("advisor", 420, "Êtes-vous toujours là ?", "Léa"),
            ("advisor", 600, "Sans réponse de votre part, je clôture la conversation.", "Léa"),
        )),
        ("sample 2", (
            ("system", 0, "Conversation transférée au service client", None),
            ("bot", 1, "Bienvenue ! Un conseiller va vous répondre.", None),
            ("customer", 30, "bjr le lien marche pas", "Jimmy"),
            ("customer", 35, "???", "Jimmy"),
            ("advisor", 60, "Bonjour Jimmy, le lien est http:/www.exemple.fr , je vous le "
             "renvoie. Sorry, I do not speak French very well.", "Léa"),
            ("customer", 120, "merci 👍", "Jimmy"),
            ("advisor", 130, "Je vous en prie, c'est un plaisir 😊", "Léa"),
            ("advisor", 140, "Du coup, je vais checker ce truc pour vous.", "Léa"),
            ("advisor", 400, "Je clôture la conversation, bonne journée.", "Léa"),
        )),
    ),
    "en": (
        ("sample 1", (
            ("customer", 0, "Hi, my order has not arrived", "John Smith"),
            ("advisor", 40, "hello, I am checking your order, please hold on 2 minutes", "Lea"),
            ("advisor", 210, "Their is a delivery problem, I will send you a new parcel.", "Lea"),
            ("customer", 240, "ok thanks", "John Smith"),
            ("advisor", 420, "Are you still there?", "Lea"),
            ("advisor", 600, "Without an answer, I am closing the chat. Have a nice day!", "Lea"),
        )),
    ),
}
_LONG = {"fr": "Bonjour, je regarde votre dossier. " * 1000,
         "en": "Hello, I am looking at your file. " * 1000}
_OTHER_LANGUAGE = {"fr": "Hello, I am checking your order right now, please hold on.",
                   "en": "Bonjour, je vérifie votre commande tout de suite, merci de patienter."}


def _edge_texts(lang: str) -> list[tuple[str, str]]:
    base = lang if lang in _LONG else "en"
    return [
        ("empty", ""),
        ("whitespace", "  \n\t  "),
        ("emoji only", "👍🙂"),
        ("one word", "Merci" if base == "fr" else "Thanks"),
        ("5,000 words", _LONG[base]),
        ("another language", _OTHER_LANGUAGE[base]),
    ]


def _conversation(id: str, rows: Sequence[_Row], **metadata: Any) -> Conversation:
    return Conversation(id=id, metadata=metadata, messages=tuple(
        Message(role=Role(role), time=None if t is None else _T0 + timedelta(seconds=t),
                text=text, author=author, metadata={"source": "chatqa.testing"})
        for role, t, text, author in rows
    ))


def _sample_conversations(lang: str) -> list[Conversation]:
    base = lang if lang in _SAMPLES else "en"
    return [_conversation(label, rows, language=lang) for label, rows in _SAMPLES[base]]


def _edge_conversations(lang: str) -> list[Conversation]:
    hello = "Bonjour" if lang == "fr" else "Hello"
    convs = [
        _conversation("no messages", ()),
        _conversation("one customer message", [("customer", 0, hello, None)]),
        _conversation("untimed messages", [
            ("customer", None, hello, None), ("advisor", None, hello, None),
            ("advisor", None, "?", None), ("customer", None, "ok", None),
        ]),
        _conversation("system only", [("system", 0, "Début", None), ("system", 5, "Fin", None)]),
        _conversation("advisor only", [("advisor", 0, hello, None), ("advisor", 300, "?", None)]),
        _conversation("times going backwards", [
            ("customer", 300, hello, None), ("advisor", 0, hello, None),
            ("customer", 200, "ok", None), ("advisor", 100, "ok", None),
        ]),
    ]
    convs += [
        _conversation(f"advisor text: {label}", [("customer", 0, hello, None),
                                                 ("advisor", 30, text, None)])
        for label, text in _edge_texts(lang)
    ]
    return convs


@dataclasses.dataclass
class _Input:
    label: str
    edge: bool
    text: str = ""                              # message analyzers
    conversation: Conversation | None = None    # conversation analyzers

    @property
    def long(self) -> bool:
        """The 5,000-word input: analysed once, by check_edge_inputs, not again."""
        return "5,000 words" in self.label


@dataclasses.dataclass
class _Run:
    """One analysis of one input: the Docs it was given and what came out."""

    input: _Input
    docs: list[Any]
    outcome: Analysis | Exception


# -- the subject of the checks -----------------------------------------------------------------
class _Subject:
    """One analyzer and its inputs; analyses are run once and shared by the checks."""

    def __init__(self, name_or_factory: Any, lang: str, nlp: Language | None,
                 docs_dir: str | Path | None) -> None:
        self.source = name_or_factory
        self.lang = lang
        self._nlp = nlp
        self.docs_dir = docs_dir
        self.label = _label(name_or_factory)

    # the analyzer, built on first use
    @cached_property
    def nlp(self) -> Language:
        if self._nlp is None:
            from chatqa.nlp import load_nlp

            self._nlp = load_nlp(self.lang)
        return self._nlp

    @cached_property
    def analyzer(self) -> Any:
        """The analyzer, initialized with ``nlp`` when it is an ``InitializableAnalyzer``."""
        return _initialized(self.built, self.nlp)

    @cached_property
    def built(self) -> Any:
        """The analyzer as its factory builds it (what gets pickled)."""
        source = self.source
        if isinstance(source, str):
            from chatqa.analyzers.base import get_factory

            source = get_factory(source)
        if _looks_like_analyzer(source):
            analyzer = source
        elif callable(source):
            analyzer = source(self.lang)
        else:
            raise TypeError(f"check_analyzer takes an analyzer name, a factory or an analyzer; "
                            f"got {source!r}")
        name = getattr(analyzer, "name", None)
        if isinstance(name, str):
            self.label = name
        return analyzer

    @property
    def is_message(self) -> bool:
        return isinstance(self.analyzer, MessageAnalyzer)

    def fail(self, check: str, problem: str) -> AssertionError:
        return AssertionError(f"analyzer '{self.label}' fails {check}: {problem}")

    # inputs
    @cached_property
    def inputs(self) -> list[_Input]:
        samples = _sample_conversations(self.lang)
        if self.is_message:
            texts = dict.fromkeys(m.text for c in samples for m in c.messages
                                  if m.role is Role.ADVISOR)
            return [*(_Input(f"text {_short(t)}", False, text=t) for t in texts),
                    *(_Input(f"edge text '{label}'", True, text=t)
                      for label, t in _edge_texts(self.lang))]
        return [*(_Input(f"conversation '{c.id}'", False, conversation=c) for c in samples),
                *(_Input(f"edge conversation '{c.id}'", True, conversation=c)
                  for c in _edge_conversations(self.lang))]

    def parse(self, item: _Input) -> list[Any]:
        """Fresh Docs for an input: one for a text; else aligned with the messages.

        As in the pipeline, a conversation analyzer gets Docs only when it ``requires``
        something of the parse: the advisor's messages, and the customer's too when its
        ``parse_roles`` says so; None for the other messages.
        """
        if item.conversation is None:
            return [_parse(self.nlp, item.text)]
        roles: set[str] = set()
        if self.analyzer.requires:
            roles = {str(r) for r in getattr(self.analyzer, "parse_roles", ("advisor",))}
        return [_parse(self.nlp, m.text) if m.role.value in roles else None
                for m in item.conversation.messages]

    def analyse(self, analyzer: Any, item: _Input, docs: list[Any]) -> Analysis | Exception:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                if item.conversation is None:
                    return analyzer.analyze_message(docs[0])
                return analyzer.analyze_conversation(item.conversation, _context(docs))
            except Exception as exc:  # noqa: BLE001 - reported by check_edge_inputs
                return exc

    # runs, each done once
    @cached_property
    def first(self) -> list[_Run]:
        """The first analysis of every input; ``before`` keeps snapshots taken before it."""
        docs = [self.parse(item) for item in self.inputs]
        self.before = [_snapshot(item, d) for item, d in zip(self.inputs, docs, strict=True)]
        return [_Run(item, d, self.analyse(self.analyzer, item, d))
                for item, d in zip(self.inputs, docs, strict=True)]

    @cached_property
    def second(self) -> list[_Run]:
        """Fresh parses analysed again, in reverse order (the long input left out)."""
        return self.run_again(self.analyzer)[::-1]

    def run_again(self, analyzer: Any) -> list[_Run]:
        return [_Run(item, d := self.parse(item), self.analyse(analyzer, item, d))
                for item in reversed(self.inputs) if not item.long]

    def succeeded(self, check: str) -> list[tuple[_Run, Analysis]]:
        """The first run's successful analyses; failing when there is none at all."""
        ok = [(run, run.outcome) for run in self.first if isinstance(run.outcome, Analysis)]
        if not ok:
            raise self.fail(check, "no input gave an Analysis (see check_edge_inputs): "
                            f"{_error(self.first[0].outcome)}")
        return ok

    def declared(self, level: str) -> set[str]:
        return {s.name for s in self.analyzer.metrics if s.level == level}

    def text_of(self, run: _Run, index: int | None) -> str:
        if run.input.conversation is None:
            return run.docs[0].text
        return run.input.conversation.messages[index].text


# -- checks ----------------------------------------------------------------------------------
def check_declarations(s: _Subject) -> None:
    """A protocol, and the class variables the pipeline, tables and docs read."""
    check = "check_declarations"
    a = s.analyzer
    is_message, is_conversation = (isinstance(a, MessageAnalyzer),
                                   isinstance(a, ConversationAnalyzer))
    if not (is_message or is_conversation):
        missing = [n for n in ("name", "requires", "metrics", "codes", "version")
                   if not hasattr(a, n)]
        raise s.fail(check, f"{type(a).__name__} is neither a MessageAnalyzer nor a "
                     "ConversationAnalyzer (chatqa.analyzers.base): it needs name, requires, "
                     "metrics, codes, version and analyze_message or analyze_conversation"
                     + (f"; missing {missing}" if missing else ""))
    if is_message and is_conversation:
        raise s.fail(check, "defines both analyze_message and analyze_conversation; an "
                     "analyzer is one or the other")
    problems = []
    if not (isinstance(a.name, str) and _NAME.match(a.name)):
        problems.append(f"name must be a snake_case string, got {a.name!r}")
    if not (isinstance(a.version, int) and not isinstance(a.version, bool) and a.version >= 1):
        problems.append(f"version must be an int >= 1, got {a.version!r}")
    if not (isinstance(a.requires, tuple)
            and all(isinstance(r, str) and _REQUIRES.match(r) for r in a.requires)):
        problems.append(f"requires must be a tuple of 'token.<attr>' / 'doc.<attr>' strings, "
                        f"got {a.requires!r}")
    if not (isinstance(a.metrics, tuple) and all(isinstance(m, MetricSpec) for m in a.metrics)):
        problems.append(f"metrics must be a tuple of MetricSpec, got {a.metrics!r}")
    else:
        names = [m.name for m in a.metrics]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            problems.append(f"metrics declared twice: {twice}")
        for m in a.metrics:
            if m.level not in ("message", "conversation"):
                problems.append(f"metric {m.name!r} has level {m.level!r}, not 'message' or "
                                "'conversation'")
            if not (isinstance(m.description, str) and m.description.strip()):
                problems.append(f"metric {m.name!r} has no description")
    if not (isinstance(a.codes, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) and v.strip()
                    for k, v in a.codes.items())):
        problems.append(f"codes must map each code to a one-line description, got {a.codes!r}")
    if problems:
        raise s.fail(check, "; ".join(problems))


def check_names(s: _Subject) -> None:
    """Metric names follow the naming table; codes are ``family.kind``."""
    check = "check_names"
    a = s.analyzer
    bad = [m.name for m in a.metrics if _metric_kind(m.name) is None]
    problems = []
    if bad:
        problems.append(
            f"metric names {bad} do not follow the naming table (docs/design.md): snake_case, "
            "unit last: '_s', '_per_100_words', '_ratio'; counts are plural nouns or '_count'"
        )
    bare = {c for c in a.codes if not CODE_NAME_RULE.match(c)}
    if bare:
        problems.append(f"codes {sorted(bare)} are not 'family.kind' "
                        "(e.g. 'grammar.agreement')")
    if problems:
        raise s.fail(check, "; ".join(problems))


def check_metrics(s: _Subject) -> None:
    """Every declared metric of the result's level, and nothing undeclared."""
    check = "check_metrics"
    own = "message" if s.is_message else "conversation"
    declared, per_message = s.declared(own), s.declared("message")
    for run, analysis in s.succeeded(check):
        where = run.input.label
        problem = _key_problem(analysis.metrics, declared, f"{own}-level metrics")
        if problem:
            raise s.fail(check, f"{where}: {problem}")
        if s.is_message and analysis.message_metrics:
            raise s.fail(check, f"{where}: a message analyzer returns message_metrics "
                         f"{dict(analysis.message_metrics)}; its metrics go in 'metrics'")
        n = 0 if run.input.conversation is None else len(run.input.conversation.messages)
        for index, values in analysis.message_metrics.items():
            if not (isinstance(index, int) and 0 <= index < n):
                raise s.fail(check, f"{where}: message_metrics key {index!r} is not the index "
                             f"of a message (0..{n - 1})")
            problem = _key_problem(values, per_message, "message-level metrics")
            if problem:
                raise s.fail(check, f"{where}, message {index}: {problem}")


def check_metric_values(s: _Subject) -> None:
    """Values fit their unit: seconds, rates and counts >= 0, counts whole, ratios in [0, 1]."""
    check = "check_metric_values"
    for run, analysis in s.succeeded(check):
        for where, values in _all_metrics(run, analysis):
            for key, value in values.items():
                problem = _value_problem(key, value)
                if problem:
                    raise s.fail(check, f"{where}: metric {key!r} = {value!r} {problem}")


def check_findings(s: _Subject) -> None:
    """Declared codes, the analyzer's name, and offsets that slice the analysed text."""
    check = "check_findings"
    for run, analysis in s.succeeded(check):
        problem = _findings_problem(s, run, analysis.findings)
        if problem:
            raise s.fail(check, f"{run.input.label}: {problem}")


def check_edge_inputs(s: _Subject) -> None:
    """No exception and no warning on any input; metric values are numbers (NaN allowed)."""
    check = "check_edge_inputs"
    for run in s.first:
        if isinstance(run.outcome, Exception):
            raise s.fail(check, f"{run.input.label} raised {_error(run.outcome)} (analyses run "
                         "under warnings.simplefilter('error'); undefined metrics are NaN)")
        if not isinstance(run.outcome, Analysis):
            raise s.fail(check, f"{run.input.label} returned {type(run.outcome).__name__}, "
                         "not an Analysis")
        for where, values in _all_metrics(run, run.outcome):
            for key, value in values.items():
                if not _is_number(value):
                    raise s.fail(check, f"{where}: metric {key!r} = {value!r} is not a number "
                                 "(NaN when undefined)")


def check_deterministic(s: _Subject) -> None:
    """The same results from fresh parses of the same inputs, analysed in reverse order."""
    _compare(s, "check_deterministic", s.second, "the second time (fresh Docs, reverse order)")


def check_input_unchanged(s: _Subject) -> None:
    """Docs (``to_bytes``) and conversations (metadata included) are left as they were."""
    check = "check_input_unchanged"
    runs = s.first
    _ = s.second
    for before, run in zip(s.before, runs, strict=True):
        after = _snapshot(run.input, run.docs)
        if after != before:
            what = "its Doc" if run.input.conversation is None else (
                "the conversation" if after[0] != before[0] else "the Docs")
            raise s.fail(check, f"{run.input.label}: the analyzer changed {what}")


def check_pickle(s: _Subject) -> None:
    """A pickled copy gives equal results (it pickles by value, not by an equal name only)."""
    check = "check_pickle"
    _ = s.first
    try:
        clone = _initialized(pickle.loads(pickle.dumps(s.built)), s.nlp)
    except Exception as exc:  # noqa: BLE001 - reported
        raise s.fail(check, f"cannot be pickled: {_error(exc)}") from exc
    _compare(s, check, s.run_again(clone), "from pickle.loads(pickle.dumps(analyzer))")


def check_hooks(s: _Subject) -> None:
    """``summarize`` and ``review``, when a message analyzer has them, behave as documented."""
    check = "check_hooks"
    a = s.analyzer
    if not s.is_message:
        return
    summarize, review = getattr(a, "summarize", None), getattr(a, "review", None)
    owned = s.declared("conversation")
    if owned and not callable(summarize):
        raise s.fail(check, f"declares conversation-level metrics {sorted(owned)} but has no "
                     "summarize(analyses) to compute them")
    by_text = {run.input.text: run.outcome for run in s.first}
    if callable(summarize):
        groups = [("no advisor message", [])]
        for conversation in _sample_conversations(s.lang):
            texts = [m.text for m in conversation.messages if m.role is Role.ADVISOR]
            groups.append((f"conversation '{conversation.id}'", [by_text[t] for t in texts]))
        groups.append(("the edge texts", [run.outcome for run in s.first if run.input.edge]))
        for where, analyses in groups:
            if any(isinstance(x, Exception) for x in analyses):
                continue  # reported by check_edge_inputs
            before = [_comparable(x) for x in analyses]
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                try:
                    metrics = summarize(list(analyses))
                except Exception as exc:  # noqa: BLE001 - reported
                    raise s.fail(check, f"summarize over {where} raised {_error(exc)}") from exc
            problem = _key_problem(metrics, owned, "conversation-level metrics")
            problem = problem or next((f"metric {k!r} = {v!r} is not a number"
                                       for k, v in metrics.items() if not _is_number(v)), None)
            if problem:
                raise s.fail(check, f"summarize over {where}: {problem}")
            if [_comparable(x) for x in analyses] != before:
                raise s.fail(check, f"summarize over {where} changed the analyses it was given")
    if callable(review):
        # the samples' participants, as the pipeline gives them, and the findings' own words
        authors = " ".join(m.author or "" for c in _sample_conversations(s.lang)
                           for m in c.messages)
        for run, analysis in s.succeeded(check):
            before = _comparable(analysis)
            names = frozenset(w for text in (authors, *(f.text for f in analysis.findings))
                              for w in re.findall(r"[^\W\d_]{2,}", fold(text)))
            for given in (frozenset(), names):
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    try:
                        reviewed = review(analysis, given)
                    except Exception as exc:  # noqa: BLE001 - reported
                        raise s.fail(check, f"{run.input.label}: review raised "
                                     f"{_error(exc)}") from exc
                if not isinstance(reviewed, Analysis):
                    raise s.fail(check, f"{run.input.label}: review returned "
                                 f"{type(reviewed).__name__}, not an Analysis")
                if _comparable(analysis) != before:
                    raise s.fail(check, f"{run.input.label}: review changed the analysis it "
                                 "was given")
                if not given and _comparable(reviewed) != before:
                    raise s.fail(check, f"{run.input.label}: review with no names changed the "
                                 f"analysis: {_difference(before, _comparable(reviewed))}")
                problem = _key_problem(reviewed.metrics, s.declared("message"),
                                       "message-level metrics")
                problem = problem or _findings_problem(s, run, reviewed.findings)
                if problem:
                    raise s.fail(check, f"{run.input.label}: review with names "
                                 f"{sorted(given)[:5]}: {problem}")


def check_docs_page(s: _Subject) -> None:
    """``<docs_dir>/<name>.md`` lists exactly the metrics, codes and parameters."""
    check = "check_docs_page"
    a = s.analyzer
    path = Path(s.docs_dir) / f"{a.name}.md"
    if not path.is_file():
        raise s.fail(check, f"no docs page {path}")
    page = path.read_text("utf-8")
    problems = []
    levels = {m.name: m.level for m in a.metrics}
    declared = {
        "Metrics": set(levels),
        "Finding codes": set(a.codes),
        "Parameters": set(analyzer_parameters(s.built)),
    }
    for heading, expected in declared.items():
        rows = docs_table(page, heading)
        if rows is None:
            if expected:
                problems.append(f"no '## {heading}' section with a table")
            continue
        listed = [_backticked(r[0]) for r in rows]
        listed = [x for x in listed if x is not None]
        twice = sorted({x for x in listed if listed.count(x) > 1})
        missing, extra = sorted(expected - set(listed)), sorted(set(listed) - expected)
        if missing:
            problems.append(f"{heading} table lacks {missing}")
        if extra:
            problems.append(f"{heading} table lists {extra}, which the analyzer does not declare")
        if twice:
            problems.append(f"{heading} table lists {twice} twice")
        if heading == "Metrics" and rows and len(rows[0]) > 1:
            wrong = [(_backticked(r[0]), r[1]) for r in rows
                     if _backticked(r[0]) in levels and r[1] != levels[_backticked(r[0])]]
            if wrong:
                problems.append(f"Metrics table gives the wrong level for {wrong}")
    if problems:
        raise s.fail(check, f"{path}: " + "; ".join(problems))


_CHECK_FUNCTIONS: Mapping[str, Callable[[_Subject], None]] = {
    f.__name__: f for f in (
        check_declarations, check_names, check_metrics, check_metric_values, check_findings,
        check_edge_inputs, check_deterministic, check_input_unchanged, check_pickle,
        check_hooks, check_docs_page,
    )
}
#: The checks, in the order they run.
CHECKS: tuple[str, ...] = tuple(_CHECK_FUNCTIONS)


# -- public API --------------------------------------------------------------------------------
def iter_checks(name_or_factory: Any, lang: str = "fr", *, nlp: Language | None = None,
                docs_dir: str | Path | None = None) -> Iterator[Callable[[], None]]:
    """Yield the contract checks of one analyzer, each a callable named after its check.

    The checks share one analyzer and its analyses (each input is analysed once, then once
    more for ``check_deterministic`` and by the pickled copy), built on the first call.

    Args:
        name_or_factory: a registered analyzer name, a factory ``make_x(lang, **params)``
            (called with ``lang``), or an analyzer object. An ``InitializableAnalyzer`` is
            initialized with ``nlp``, as the pipeline does.
        lang: the language the factory is built for and of the sample texts.
        nlp: the spaCy pipeline that parses the texts; ``chatqa.nlp.load_nlp(lang)`` if None.
        docs_dir: the folder of the analyzer's docs page ``<name>.md``. By default chatqa's
            ``docs/`` for chatqa's own analyzers when it is there (a source checkout); when
            there is no docs folder, ``check_docs_page`` is not yielded.

    Yields:
        Callables taking no argument that raise AssertionError when the check fails; their
        ``__name__`` is the check's name (one of ``CHECKS``).
    """
    subject = _Subject(name_or_factory, lang, nlp, docs_dir)
    for name, function in _CHECK_FUNCTIONS.items():
        if name == "check_docs_page" and subject.docs_dir is None:
            default = Path(__file__).resolve().parent.parent / "docs"
            if not (_is_chatqa_analyzer(subject) and default.is_dir()):
                continue
            subject.docs_dir = default
        yield _bound(function, subject)


def check_analyzer(name_or_factory: Any, lang: str = "fr", *, nlp: Language | None = None,
                   docs_dir: str | Path | None = None) -> None:
    """Run every contract check on an analyzer; raise AssertionError at the first failure.

    Args:
        name_or_factory: a registered analyzer name, a factory ``make_x(lang, **params)``, or
            an analyzer object.
        lang: the language the factory is built for and of the sample texts.
        nlp: the spaCy pipeline that parses the texts; ``chatqa.nlp.load_nlp(lang)`` if None.
        docs_dir: the folder of the analyzer's docs page ``<name>.md`` (see ``iter_checks``).

    Raises:
        AssertionError: naming the analyzer, the failed check and the input it failed on.
    """
    for check in iter_checks(name_or_factory, lang, nlp=nlp, docs_dir=docs_dir):
        check()


def analyzer_parameters(analyzer: Any) -> dict[str, Any]:
    """The analyzer's parameters and their defaults: the fields (or keywords) with a default.

    Fields without a default (``cues``, ``checker``) are the data its factory builds.
    """
    if dataclasses.is_dataclass(analyzer):
        out = {}
        for f in dataclasses.fields(analyzer):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
        return out
    signature = inspect.signature(type(analyzer))
    return {p.name: p.default for p in signature.parameters.values()
            if p.default is not inspect.Parameter.empty}


def docs_table(page: str, heading: str) -> list[list[str]] | None:
    """Body rows (cells stripped) of the first table under ``## heading``; None without one."""
    match = re.search(rf"^## {re.escape(heading)}[ \t]*$", page, flags=re.MULTILINE)
    if match is None:
        return None
    section = re.split(r"^## ", page[match.end():], maxsplit=1, flags=re.MULTILINE)[0]
    lines = section.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("|")), None)
    if start is None:
        return None
    table = []
    for line in lines[start:]:
        if not line.lstrip().startswith("|"):
            break
        table.append([c.strip() for c in line.strip().strip("|").split("|")])
    body = table[2:] if len(table) > 1 and set("".join(table[1])) <= set("-: ") else table[1:]
    return body


# -- helpers -----------------------------------------------------------------------------------
#: Parses of the sample and edge texts, per pipeline, as bytes: each check run gets new Docs
#: (``Doc.from_bytes``, 100 times faster than parsing 5,000 words again).
_PARSED: weakref.WeakKeyDictionary[Any, dict[str, bytes]] = weakref.WeakKeyDictionary()


def _parse(nlp: Language, text: str) -> Any:
    from spacy.tokens import Doc

    parsed = _PARSED.setdefault(nlp, {})
    if text not in parsed:
        parsed[text] = nlp(text).to_bytes()
    return Doc(nlp.vocab).from_bytes(parsed[text])


def _initialized(analyzer: Any, nlp: Language) -> Any:
    if isinstance(analyzer, InitializableAnalyzer):
        return analyzer.initialize(nlp)
    return analyzer


def _context(docs: list[Any]) -> Any:
    """What the pipeline gives a conversation analyzer besides the conversation: its Docs.

    A ``ConversationContext`` where chatqa has one (no message analyzers' results: an analyzer
    must do without them), else the list of Docs.
    """
    try:
        from chatqa.analyzers.base import ConversationContext
    except ImportError:
        return docs
    return ConversationContext(docs=tuple(docs))


def _bound(function: Callable[[_Subject], None], subject: _Subject) -> Callable[[], None]:
    def check() -> None:
        function(subject)

    check.__name__ = check.__qualname__ = function.__name__
    check.__doc__ = function.__doc__
    check.subject = subject  # type: ignore[attr-defined]  # the shared analyses, for tests
    return check


def _label(source: Any) -> str:
    if isinstance(source, str):
        return source
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else getattr(source, "__name__", repr(source))


def _looks_like_analyzer(obj: Any) -> bool:
    return not isinstance(obj, type) and (
        hasattr(obj, "analyze_message") or hasattr(obj, "analyze_conversation"))


def _is_chatqa_analyzer(subject: _Subject) -> bool:
    return type(subject.analyzer).__module__.startswith("chatqa.")


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _error(exc: object) -> str:
    return f"{type(exc).__name__}: {exc}"


def _metric_kind(name: str) -> str | None:
    return next((kind for kind, rule in METRIC_NAME_RULES if rule.match(name)), None)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _value_problem(name: str, value: Any) -> str | None:
    if not _is_number(value) or math.isnan(value):
        return None  # not a number: check_edge_inputs says so; NaN: undefined, allowed
    if math.isinf(value):
        return "is infinite (NaN when undefined)"
    kind = _metric_kind(name)
    if kind in ("seconds", "rate", "count") and value < 0:
        return f"is negative, and a {kind} is >= 0"
    if kind == "count" and value != int(value):
        return "is not a whole number, and a count is"
    if kind == "ratio" and not 0 <= value <= 1:
        return "is outside [0, 1], and a ratio is in it"
    return None


def _key_problem(values: Mapping[str, Any], declared: set[str], what: str) -> str | None:
    if not isinstance(values, Mapping):
        return f"{what} must be a mapping, got {type(values).__name__}"
    missing, extra = sorted(declared - set(values)), sorted(set(values) - declared)
    parts = []
    if missing:
        parts.append(f"declared {what} {missing} are missing (NaN when undefined)")
    if extra:
        parts.append(f"{what} {extra} are returned but not declared")
    return "; ".join(parts) or None


def _all_metrics(run: _Run, analysis: Analysis) -> Iterator[tuple[str, Mapping[str, Any]]]:
    yield run.input.label, analysis.metrics
    for index, values in analysis.message_metrics.items():
        yield f"{run.input.label}, message {index}", values


def _findings_problem(s: _Subject, run: _Run, findings: Sequence[Finding]) -> str | None:
    a = s.analyzer
    conversation = run.input.conversation
    texts: dict[int | None, str] = {}
    for f in findings:
        if not isinstance(f, Finding):
            return f"a finding is a {type(f).__name__}, not a chatqa.model.Finding"
        at = f"finding {f.code!r} ({f.start}:{f.end} {f.text!r})"
        if f.code not in a.codes:
            return f"{at}: code {f.code!r} is not declared in codes {sorted(a.codes)}"
        if f.analyzer != a.name:
            return f"{at}: analyzer is {f.analyzer!r}, not {a.name!r}"
        if not isinstance(f.severity, Severity):
            return f"{at}: severity {f.severity!r} is not a chatqa.model.Severity"
        if conversation is None and f.message_index is not None:
            return (f"{at}: a message analyzer leaves message_index None (the pipeline sets it), "
                    f"got {f.message_index!r}")
        if conversation is not None and f.message_index is not None and not (
                isinstance(f.message_index, int)
                and 0 <= f.message_index < len(conversation.messages)):
            return f"{at}: message_index {f.message_index!r} is not the index of a message"
        if f.start is None and f.end is None:
            continue
        if not (isinstance(f.start, int) and isinstance(f.end, int)):
            return f"{at}: start and end are both offsets or both None"
        if conversation is not None and f.message_index is None:
            return f"{at}: offsets without a message_index"
        if f.message_index not in texts:  # the analysed text, built once per message
            texts[f.message_index] = s.text_of(run, f.message_index)
        text = texts[f.message_index]
        if not 0 <= f.start <= f.end <= len(text):
            return f"{at}: offsets outside the text (length {len(text)})"
        if text[f.start:f.end] != f.text:
            return (f"{at}: text[start:end] is {text[f.start:f.end]!r}, not the finding's "
                    f"text {f.text!r}")
    return None


def _plain(value: Any) -> Any:
    """A structure that compares equal when the values do (NaN equal to NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return "<NaN>"
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(map(repr, value))
    return value


def _comparable(outcome: Analysis | Exception) -> Any:
    if isinstance(outcome, Exception):
        return ("raised", type(outcome).__name__, str(outcome))
    return {
        "metrics": _plain(outcome.metrics),
        "findings": [_plain({f.name: getattr(x, f.name) for f in dataclasses.fields(x)})
                     if isinstance(x, Finding) else repr(x) for x in outcome.findings],
        "message_metrics": _plain(dict(sorted(outcome.message_metrics.items()))),
    }


def _difference(a: Any, b: Any) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key, "<absent>") != b.get(key, "<absent>"):
                return f"{key}: {_difference(a.get(key, '<absent>'), b.get(key, '<absent>'))}"
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{len(a)} items, then {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return f"[{i}] {_difference(x, y)}"
    return f"{a!r} then {b!r}"


def _compare(s: _Subject, check: str, runs: list[_Run], how: str) -> None:
    firsts = {id(run.input): run for run in s.first}
    for again in runs:
        first = firsts[id(again.input)]
        a, b = _comparable(first.outcome), _comparable(again.outcome)
        if a != b:
            raise s.fail(check, f"{first.input.label} gave a different result {how}: "
                         f"{_difference(a, b)}")


def _snapshot(item: _Input, docs: Sequence[Any]) -> tuple[Any, Any]:
    doc_bytes = [None if d is None else d.to_bytes() for d in docs]
    if item.conversation is None:
        return (item.text, doc_bytes)
    c = item.conversation
    plain = (c.id, copy.deepcopy(dict(c.metadata)),
             [(m.role, m.time, m.text, m.author, copy.deepcopy(dict(m.metadata)))
              for m in c.messages])
    return (plain, doc_bytes)


def _backticked(cell: str) -> str | None:
    match = re.fullmatch(r"`([^`]+)`", cell)
    return match[1] if match else None
