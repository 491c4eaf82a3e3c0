"""The analyzer protocol, the result shape every analyzer returns, and the registry.

A message analyzer looks at one parsed advisor message (a spaCy ``Doc``); a conversation
analyzer looks at the whole conversation. Both return an :class:`Analysis` of plain data and
declare their metrics and finding codes up front, so that table columns, docs and contract
tests come from one declaration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

import catalogue

from chatqa.errors import ConfigError, Errors
from chatqa.model import Conversation, Finding

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric an analyzer produces: its name (unit last), level and one-line meaning."""

    name: str
    level: Literal["message", "conversation"]
    description: str


@dataclass(frozen=True, slots=True)
class Analysis:
    """What an analyzer returns: metrics, findings, and per-message metrics.

    ``metrics`` holds every declared metric of the analyzer's own level (NaN when undefined).
    ``message_metrics`` maps a message index to that message's metrics; only conversation
    analyzers use it (for example ``response_time_s`` on the answering advisor message).
    """

    metrics: Mapping[str, float]
    findings: tuple[Finding, ...] = ()
    message_metrics: Mapping[int, Mapping[str, float]] = field(default_factory=dict)


@runtime_checkable
class MessageAnalyzer(Protocol):
    """Scores one advisor message from its parse; the result depends on the Doc only."""

    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    metrics: ClassVar[tuple[MetricSpec, ...]]
    codes: ClassVar[Mapping[str, str]]
    version: ClassVar[int]

    def analyze_message(self, doc: Doc) -> Analysis:
        """Return the message's metrics and findings (offsets into ``doc.text``).

        Optional hooks, each a protocol of its own: :class:`SummarizingAnalyzer` and
        :class:`ReviewingAnalyzer`.
        """
        ...


@runtime_checkable
class SummarizingAnalyzer(Protocol):
    """A message analyzer that also gives conversation-level metrics from its message results."""

    def summarize(self, analyses: Sequence[Analysis]) -> Mapping[str, float]:
        """Its declared conversation metrics, from the advisor messages' analyses in order."""
        ...


@runtime_checkable
class InitializableAnalyzer(Protocol):
    """An analyzer that needs the loaded spaCy pipeline (its ``Vocab``, for a ``Matcher``).

    Factories run before spaCy is loaded (it loads on the first conversation scored), so the
    pipeline calls ``initialize(nlp)`` once the language's pipeline is loaded, as spaCy calls
    a component's ``initialize``, and uses the analyzer it returns (a frozen analyzer returns
    a copy with its matchers built).
    """

    def initialize(self, nlp: Language) -> InitializableAnalyzer:
        """The analyzer ready to score with ``nlp``'s vocabulary."""
        ...


@runtime_checkable
class ReviewingAnalyzer(Protocol):
    """A message analyzer that applies conversation context to a cached message analysis.

    Message analyses are cached by text; ``review`` gets the participants' names (folded words)
    and returns the analysis as it stands in this conversation (e.g. names are not misspelt).
    With no names it returns an equal analysis.
    """

    def review(self, analysis: Analysis, names: frozenset[str]) -> Analysis:
        """The analysis with the conversation's context applied."""
        ...


@dataclass(frozen=True)
class ConversationContext(Sequence):
    """What a conversation analyzer gets besides the conversation, all aligned by message index.

    ``docs``: the parse of each message, None where unparsed: advisor messages when an analyzer
    ``requires`` parse attributes, customer messages too when one lists ``"customer"`` in its
    ``parse_roles`` (parsed with the same dedupe as advisor texts). ``message_results``: the
    message analyzers' analyses, ``{analyzer name: {message index: Analysis}}``, so a
    conversation analyzer builds on their findings instead of finding them again.
    ``summaries``: their conversation-level metrics (``summarize``). ``macro_messages``: the
    indices of the advisor messages that are canned replies (the run's macro table), which
    vocabulary and clarity leave out of the advisor's own text.

    ``views``: what the analyzers derive from the conversation and share, computed once by the
    first that needs it (``chatqa.analyzers.own_text.advisor_messages``: the advisor's messages
    with their words, read by vocabulary and clarity).

    It is also the sequence of ``docs`` (``context[i]``, ``len(context)``), so an analyzer
    written for a plain list of Docs keeps working.
    """

    docs: tuple[Doc | None, ...] = ()
    message_results: Mapping[str, Mapping[int, Analysis]] = field(default_factory=dict)
    summaries: Mapping[str, float] = field(default_factory=dict)
    macro_messages: frozenset[int] = frozenset()
    views: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getitem__(self, index):  # noqa: D105 - the Sequence of docs
        return self.docs[index]

    def __len__(self) -> int:
        return len(self.docs)

    def findings(self, analyzer: str | None = None) -> list[Finding]:
        """The message analyzers' findings (of one analyzer, or all), in message order.

        Each has its ``message_index`` set.
        """
        out = []
        for name, by_message in self.message_results.items():
            if analyzer is not None and name != analyzer:
                continue
            for index in sorted(by_message):
                out.extend(replace(f, message_index=index) for f in by_message[index].findings)
        return sorted(out, key=lambda f: (f.message_index, f.start or 0, f.code))


@runtime_checkable
class ConversationAnalyzer(Protocol):
    """Scores a whole conversation, with its context: parses and message analyzers' results.

    An optional class variable ``parse_roles`` (default ``("advisor",)``) says whose messages
    the analyzer needs parsed; ``("advisor", "customer")`` gets the customer's parse too.
    ``light_roles`` (default none) names the roles among them whose Docs need only tokens and
    sentence starts: when every analyzer parsing a role says so, its messages are tokenized and
    split by punctuation, not tagged, lemmatized or parsed (a customer's messages are half
    the texts of a chat, and the parse was a third of a run).
    """

    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    metrics: ClassVar[tuple[MetricSpec, ...]]
    codes: ClassVar[Mapping[str, str]]
    version: ClassVar[int]

    def analyze_conversation(
        self, conversation: Conversation, context: ConversationContext
    ) -> Analysis:
        """Return conversation metrics, per-message metrics and findings."""
        ...


Analyzer = MessageAnalyzer | ConversationAnalyzer

#: Registry of analyzer factories: ``name -> make_<name>(lang, **params) -> analyzer``.
analyzers = catalogue.create("chatqa", "analyzers", entry_points=True)


def get_factory(name: str):
    """Return the factory registered as ``name``, or raise a ConfigError listing the others."""
    try:
        return analyzers.get(name)
    except catalogue.RegistryError:
        available = ", ".join(sorted(analyzers.get_all())) or "(none)"
        raise ConfigError(Errors.E101.format(name=name, available=available)) from None


def message_level(specs: Sequence[MetricSpec]) -> tuple[str, ...]:
    """Names of the message-level metrics among ``specs``, in declaration order."""
    return tuple(s.name for s in specs if s.level == "message")


def conversation_level(specs: Sequence[MetricSpec]) -> tuple[str, ...]:
    """Names of the conversation-level metrics among ``specs``, in declaration order."""
    return tuple(s.name for s in specs if s.level == "conversation")


def check_param(analyzer: str, param: str, value: object, ok: bool, expected: str) -> None:
    """Raise the sklearn-shaped E201 error when a parameter is out of range."""
    if not ok:
        raise ConfigError(
            Errors.E201.format(param=param, analyzer=analyzer, expected=expected, value=value)
        )


def check_param_names(analyzer: str, cls: type, params: Mapping[str, object],
                      internal: tuple[str, ...] = ()) -> None:
    """Raise E204 when the grid passes a parameter the analyzer class does not take."""
    from dataclasses import fields

    allowed = [f.name for f in fields(cls) if f.name not in internal]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(Errors.E204.format(unknown=unknown, analyzer=analyzer,
                                             available=allowed))
