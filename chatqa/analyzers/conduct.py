"""Professional conduct over a whole conversation (conversation level).

Definitions (docs/conduct.md states them with examples):

* The *opening* is the advisor's first message with text; it *greets* when it holds a courtesy
  marker of a ``[greeting]`` pattern of ``conduct.toml``. A bot's greeting before it counts
  only with ``bot_greeting_counts`` (the operation's greeting is not the advisor's).
* The *closing* is the advisor's last ``[closing] messages`` messages; it *closes* when one of
  them holds a courtesy marker of a ``[closing]`` pattern or one of its ``phrases``. The
  *closing control* is a directivity marker of a ``[closing_control]`` pattern there.
* A *customer question* is a customer message with « ? » or a ``question_openers`` first
  word; it is *unanswered* when no advisor message follows it.
* An *empathy opportunity* is a customer message with a ``customer.emotion`` marker; it is
  *answered* when an empathy marker stands in one of the advisor's next
  ``empathy_window_messages`` messages.
* A *conduct breach* is a ``confidentiality``, ``denigration``, ``personal_opinion`` or
  ``overpromise`` marker of ``markers.toml`` in an advisor message, or a card number,
  security code (chatqa.privacy) the advisor writes in the chat.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.base import Analysis, ConversationContext, MetricSpec, check_param
from chatqa.analyzers.markers import (
    CUSTOMER_KINDS,
    MarkerMatcher,
    check_pipeline_assigns,
    token_level,
)
from chatqa.model import Conversation, Finding, Role, Severity
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from chatqa.privacy import PiiRules
    from chatqa.resources.schemas import ConductResource, MarkersResource

NAN = math.nan

#: Personal-data kinds (chatqa.privacy) an advisor must never write in the chat. Its SECRET
#: kind is left out: a promotion code (« code AZERTY ») reads as one.
SECRET_KINDS: Mapping[str, str] = {
    "CARD": "writes a payment card number in the chat",
    "CVV": "writes a card security code in the chat",
    "SECRET": "writes a password in the chat",
}
#: Codes of the conduct markers that count as breaches (the déontologie).
BREACH_CODES: tuple[str, ...] = ("conduct.confidentiality", "conduct.denigration",
                                 "conduct.personal_opinion", "conduct.overpromise")
_NAME_WORD = re.compile(r"_[A-Za-z]+\d+_|[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class _Seen:
    """A marker of an advisor message, from the markers analyzer's findings or found here."""

    code: str
    patterns: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class ConductAnalyzer:
    """The advisor's conduct over the whole conversation.

    Greeting, closing, the customer's name, vouvoiement, mandatory phrases, questions
    answered, empathy opportunities and breaches of professional conduct.
    Parameters are the grid's ``[analyzers.conduct]`` table: ``bot_greeting_counts``,
    ``empathy_window_messages`` and ``mandatory_phrases`` (the client's required formulas).
    """

    name: ClassVar[str] = "conduct"
    requires: ClassVar[tuple[str, ...]] = ("doc.sents",)
    parse_roles: ClassVar[tuple[str, ...]] = ("advisor", "customer", "bot")
    version: ClassVar[int] = 1
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("opening_greetings", "conversation",
                   "1 when the advisor's first message greets the customer, else 0."),
        MetricSpec("closing_formulas", "conversation",
                   "1 when the advisor's last messages hold a closing formula, else 0."),
        MetricSpec("closing_controls", "conversation",
                   "1 when the advisor's last messages check nothing else is needed, else 0."),
        MetricSpec("customer_name_uses", "conversation",
                   "Advisor messages that use the customer's name (NaN when it is unknown)."),
        MetricSpec("vouvoiement_ratio", "conversation",
                   "Share of the advisor's words of address that are vouvoiement."),
        MetricSpec("mandatory_phrases_missing", "conversation",
                   "The client's mandatory phrases the advisor did not write (NaN when the "
                   "grid lists none)."),
        MetricSpec("customer_questions", "conversation", "Customer messages that ask something."),
        MetricSpec("unanswered_questions", "conversation",
                   "Customer questions no advisor message follows."),
        MetricSpec("empathy_opportunities", "conversation",
                   "Customer messages expressing frustration, worry, anger or urgency."),
        MetricSpec("empathy_opportunities_answered", "conversation",
                   "Empathy opportunities followed by an empathy marker within the advisor's "
                   "next messages."),
        MetricSpec("empathy_answered_ratio", "conversation",
                   "Share of the empathy opportunities answered (NaN without one)."),
        MetricSpec("unprompted_empathy_markers", "conversation",
                   "Empathy markers of the advisor when the customer expressed no emotion "
                   "(NaN when they did)."),
        MetricSpec("conduct_breaches", "conversation",
                   "Breaches of professional conduct: confidentiality, denigration, personal "
                   "opinion, overpromise."),
    )
    codes: ClassVar[Mapping[str, str]] = {
        "conduct.greeting_missing": "The advisor's first message does not greet the customer.",
        "conduct.closing_missing": "The advisor's last messages hold no closing formula.",
        "conduct.mandatory_missing": "A mandatory phrase of the client is missing; details "
                                     "name it.",
        "conduct.unanswered_question": "A customer question no advisor message follows.",
        "conduct.confidentiality": "The advisor asks for or writes a card number, security "
                                   "code, password or one-time code.",
        "conduct.denigration": "The advisor runs down the company, a colleague, a service or "
                               "a partner.",
        "conduct.personal_opinion": "The advisor gives a personal opinion outside the role.",
        "conduct.overpromise": "A promise or certainty about what the advisor does not control.",
        "customer.emotion": "The customer's frustration, worry, anger or urgency; details say "
                            "whether the advisor answered it with empathy.",
    }

    markers: MarkersResource
    rules: ConductResource
    secrets: PiiRules
    bot_greeting_counts: bool = False
    empathy_window_messages: int = 2
    mandatory_phrases: tuple[Mapping[str, Any], ...] = ()
    matcher: MarkerMatcher | None = field(default=None, init=False, compare=False, repr=False)
    _phrases: tuple[tuple[str, str, tuple[re.Pattern[str], ...]], ...] = field(
        default=(), init=False, compare=False, repr=False)
    _closing: tuple[re.Pattern[str], ...] = field(default=(), init=False, compare=False,
                                                  repr=False)

    def __post_init__(self) -> None:
        """Check the parameters (E201) and compile the mandatory and closing phrases."""
        check_param("ConductAnalyzer", "bot_greeting_counts", self.bot_greeting_counts,
                    isinstance(self.bot_greeting_counts, bool), "true or false")
        window = self.empathy_window_messages
        check_param("ConductAnalyzer", "empathy_window_messages", window,
                    isinstance(window, int) and not isinstance(window, bool) and 1 <= window <= 10,
                    "a whole number of advisor messages from 1 to 10")
        object.__setattr__(self, "mandatory_phrases", tuple(self.mandatory_phrases))
        object.__setattr__(self, "_phrases", tuple(
            _mandatory(n, p) for n, p in enumerate(self.mandatory_phrases)))
        object.__setattr__(self, "_closing", tuple(re.compile(p)
                                                   for p in self.rules.closing.phrases))
        for section, kind in (("greeting", "courtesy"), ("closing", "courtesy"),
                              ("closing_control", "directivity")):
            known = {p.id for p in getattr(self.markers, kind).patterns}
            unknown = sorted(set(getattr(self.rules, section).patterns) - known)
            check_param("ConductAnalyzer", f"{section}.patterns", unknown, not unknown,
                        f"{kind} pattern ids of markers.toml ({', '.join(sorted(known))})")

    @property
    def light_roles(self) -> tuple[str, ...]:
        """``("customer",)`` when the customer's emotions read tokens only (as shipped)."""
        return ("customer",) if token_level(self.markers, CUSTOMER_KINDS) else ()

    def initialize(self, nlp: Language) -> ConductAnalyzer:
        """A copy with the marker patterns compiled on ``nlp``'s vocabulary (E103 as markers)."""
        check_pipeline_assigns(self.name, self.markers.requires, nlp)
        ready = copy.copy(self)
        object.__setattr__(ready, "matcher", MarkerMatcher(self.markers, nlp.vocab))
        return ready

    # -- the conversation --------------------------------------------------------------------
    def analyze_conversation(
        self, conversation: Conversation, context: ConversationContext | Sequence[Doc | None] = ()
    ) -> Analysis:
        """The conduct metrics and findings of one conversation."""
        if self.matcher is None:
            raise RuntimeError("ConductAnalyzer.analyze_conversation needs initialize(nlp) "
                               "first (the pipeline calls it once spaCy is loaded)")
        if not isinstance(context, ConversationContext):
            context = ConversationContext(docs=tuple(context))
        messages = conversation.messages
        docs = [context.docs[i] if i < len(context.docs) else None for i in range(len(messages))]
        advisor = [i for i, m in enumerate(messages)
                   if m.role is Role.ADVISOR and m.text.strip()]
        seen = self._advisor_markers(advisor, docs, context)
        findings: list[Finding] = []
        metrics: dict[str, float] = dict.fromkeys((s.name for s in self.metrics), NAN)
        if advisor:
            metrics.update(self._opening_and_closing(conversation, advisor, docs, seen,
                                                     findings))
            metrics["mandatory_phrases_missing"] = self._mandatory_missing(
                conversation, advisor, findings)
            metrics["conduct_breaches"] = float(self._breaches(conversation, advisor, docs,
                                                               findings))
        metrics["customer_name_uses"] = self._name_uses(conversation, advisor)
        metrics["vouvoiement_ratio"] = self._vouvoiement(advisor, docs, seen)
        metrics.update(self._questions(conversation, advisor, findings))
        metrics.update(self._empathy(conversation, advisor, docs, seen, findings))
        return Analysis(metrics=metrics, findings=tuple(sorted(
            findings, key=lambda f: (f.message_index, f.start or 0, f.code))))

    def _advisor_markers(self, advisor: Sequence[int], docs: Sequence[Doc | None],
                         context: ConversationContext) -> dict[int, list[_Seen]]:
        """Each advisor message's markers: the markers analyzer's when it ran, else found here."""
        found = context.message_results.get("markers")
        out: dict[int, list[_Seen]] = {}
        for i in advisor:
            if found is not None and i in found:
                out[i] = [_Seen(f.code, frozenset(f.details.get("patterns")
                                                  or (f.details.get("pattern"),)))
                          for f in found[i].findings]
            elif docs[i] is not None:
                out[i] = [_Seen(m.code, frozenset(m.patterns or (m.pattern,)))
                          for m in self.matcher.markers(docs[i])]
            else:
                out[i] = []
        return out

    # -- greeting and closing -----------------------------------------------------------------
    def _opening_and_closing(self, conversation: Conversation, advisor: Sequence[int],
                             docs: Sequence[Doc | None], seen: Mapping[int, list[_Seen]],
                             findings: list[Finding]) -> dict[str, float]:
        rules = self.rules
        first = advisor[0]
        greets = _has(seen[first], "marker.courtesy", rules.greeting.patterns)
        if not greets and self.bot_greeting_counts:
            greets = any(
                m.role is Role.BOT and docs[i] is not None and _has(
                    [_Seen(x.code, frozenset(x.patterns or (x.pattern,)))
                     for x in self.matcher.markers(docs[i])],
                    "marker.courtesy", rules.greeting.patterns)
                for i, m in enumerate(conversation.messages[:first]))
        if not greets:
            findings.append(self._whole("conduct.greeting_missing", conversation, first,
                                        Severity.MINOR))
        last = advisor[-rules.closing.messages:]
        closes = any(
            _has(seen[i], "marker.courtesy", rules.closing.patterns)
            or _matches(self._closing, fold(conversation.messages[i].text))
            for i in last)
        if not closes:
            findings.append(self._whole("conduct.closing_missing", conversation, advisor[-1],
                                        Severity.MINOR))
        controls = any(_has(seen[i], "marker.directivity", rules.closing_control.patterns)
                       for i in advisor[-rules.closing_control.messages:])
        return {"opening_greetings": float(greets), "closing_formulas": float(closes),
                "closing_controls": float(controls)}

    def _whole(self, code: str, conversation: Conversation, index: int,
               severity: Severity, **details: Any) -> Finding:
        """A finding about message ``index`` as a whole: no span, so it hides no highlight."""
        return Finding(analyzer=self.name, code=code, message_index=index,
                       severity=severity, details=details)

    # -- mandatory phrases --------------------------------------------------------------------
    def _mandatory_missing(self, conversation: Conversation, advisor: Sequence[int],
                           findings: list[Finding]) -> float:
        if not self._phrases:
            return NAN
        missing = 0
        folded = {i: fold(conversation.messages[i].text) for i in advisor}
        for phrase_id, where, patterns in self._phrases:
            scope = {"first": advisor[:1], "last": advisor[-1:], "any": advisor}[where]
            if any(p.search(folded[i]) for i in scope for p in patterns):
                continue
            missing += 1
            findings.append(self._whole("conduct.mandatory_missing", conversation, scope[-1],
                                        Severity.MAJOR, phrase=phrase_id, where=where))
        return float(missing)

    # -- the customer's name, vouvoiement -----------------------------------------------------
    def _name_uses(self, conversation: Conversation, advisor: Sequence[int]) -> float:
        from chatqa.io.roles import customer_name_values

        titles = {fold(t) for t in self.rules.name_titles}
        words = {w for v in customer_name_values(conversation)
                 for w in _NAME_WORD.findall(fold(v)) if w not in titles}
        if not words or not advisor:
            return NAN
        return float(sum(
            1 for i in advisor
            if words.intersection(_NAME_WORD.findall(fold(conversation.messages[i].text)))))

    def _vouvoiement(self, advisor: Sequence[int], docs: Sequence[Doc | None],
                     seen: Mapping[int, list[_Seen]]) -> float:
        if not self.rules.vouvoiement:
            return NAN
        from chatqa.analyzers.markers import token_strings

        vous = sum(1 for i in advisor if docs[i] is not None
                   for lower in token_strings(docs[i], "LOWER") if lower in self.rules.vouvoiement)
        tu = sum(1 for i in advisor for s in seen[i] if s.code == "register.tutoiement")
        return vous / (vous + tu) if vous + tu else NAN

    # -- questions ----------------------------------------------------------------------------
    def _questions(self, conversation: Conversation, advisor: Sequence[int],
                   findings: list[Finding]) -> dict[str, float]:
        openers = {fold(w) for w in self.rules.question_openers}
        last_advisor = advisor[-1] if advisor else -1
        asked = unanswered = 0
        for i, m in enumerate(conversation.messages):
            if m.role is not Role.CUSTOMER or not m.text.strip():
                continue
            first_word = fold(m.text).split(maxsplit=1)[0].strip(",.;:!")
            if "?" not in m.text and first_word not in openers:
                continue
            asked += 1
            if i > last_advisor:
                unanswered += 1
                findings.append(self._whole("conduct.unanswered_question", conversation, i,
                                            Severity.MAJOR))
        return {"customer_questions": float(asked), "unanswered_questions": float(unanswered)}

    # -- empathy ------------------------------------------------------------------------------
    def _empathy(self, conversation: Conversation, advisor: Sequence[int],
                 docs: Sequence[Doc | None], seen: Mapping[int, list[_Seen]],
                 findings: list[Finding]) -> dict[str, float]:
        opportunities = answered = 0
        for i, m in enumerate(conversation.messages):
            if m.role is not Role.CUSTOMER or docs[i] is None:
                continue
            emotions = self.matcher.customer_emotions(docs[i])
            if not emotions:
                continue
            opportunities += 1
            after = [j for j in advisor if j > i][:self.empathy_window_messages]
            replied = any(s.code == "marker.empathy" for j in after for s in seen[j])
            answered += replied
            for e in emotions:
                found = e.finding(self.name)
                findings.append(Finding(
                    analyzer=self.name, code=found.code, message_index=i, start=found.start,
                    end=found.end, text=found.text, severity=found.severity,
                    details={**found.details, "answered": replied,
                             "answered_by": next((j for j in after for s in seen[j]
                                                  if s.code == "marker.empathy"), None)}))
        shown = sum(1 for i in advisor for s in seen[i] if s.code == "marker.empathy")
        return {
            "empathy_opportunities": float(opportunities),
            "empathy_opportunities_answered": float(answered),
            "empathy_answered_ratio": answered / opportunities if opportunities else NAN,
            "unprompted_empathy_markers": float(shown) if advisor and not opportunities
            else NAN,
        }

    # -- breaches -----------------------------------------------------------------------------
    def _breaches(self, conversation: Conversation, advisor: Sequence[int],
                  docs: Sequence[Doc | None], findings: list[Finding]) -> int:
        count = 0
        for i in advisor:
            text = conversation.messages[i].text
            marked = []
            if docs[i] is not None:
                for m in self.matcher.conduct(docs[i]):
                    f = m.finding(self.name)
                    marked.append(Finding(
                        analyzer=self.name, code=f.code, message_index=i, start=f.start,
                        end=f.end, text=f.text, severity=f.severity, details=f.details,
                        suggestion=f.suggestion))
            for span in self.secrets.find(text):
                if span.kind not in SECRET_KINDS or any(
                        f.start < span.end and span.start < f.end for f in marked):
                    continue
                if span.kind == "SECRET" and not any(
                        c.isalpha() for c in text[span.start:span.end]):
                    continue  # digits after « code »: a pickup or order code as often as a
                    # one-time code, which the confidentiality patterns read in context
                marked.append(Finding(
                    analyzer=self.name, code="conduct.confidentiality", message_index=i,
                    start=span.start, end=span.end, text=text[span.start:span.end],
                    severity=Severity.MAJOR,
                    details={"pattern": f"writes_{span.kind.lower()}",
                             "note": SECRET_KINDS[span.kind]}))
            findings.extend(marked)
            count += len(marked)
        return count


def _matches(patterns: Sequence[re.Pattern[str]], folded: str) -> bool:
    """Whether one of ``patterns`` is found in the folded text."""
    return any(p.search(folded) for p in patterns)


def _has(markers: Sequence[_Seen], code: str, patterns: Sequence[str]) -> bool:
    """Whether one of ``markers`` has ``code`` and was found by one of ``patterns``."""
    return any(m.code == code and not m.patterns.isdisjoint(patterns) for m in markers)


def _mandatory(n: int, entry: Any) -> tuple[str, str, tuple[re.Pattern[str], ...]]:
    """``(id, where, compiled alternatives)`` of one ``mandatory_phrases`` entry, or E201."""
    expected = ("a table {id = \"...\", where = \"first\" | \"last\" | \"any\", "
                "phrases = [\"text\", ...]}")
    ok = isinstance(entry, Mapping) and set(entry) <= {"id", "where", "phrases"} \
        and isinstance(entry.get("id"), str) and entry.get("where", "any") in (
            "first", "last", "any") and isinstance(entry.get("phrases"), list | tuple) \
        and entry["phrases"] and all(isinstance(p, str) and p.strip() for p in entry["phrases"])
    check_param("ConductAnalyzer", f"mandatory_phrases[{n}]", entry, ok, expected)
    patterns = tuple(re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, fold(p).split()))
                                + r"(?!\w)") for p in entry["phrases"])
    return entry["id"], entry.get("where", "any"), patterns
