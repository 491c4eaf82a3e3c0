"""Response times, relaunches of a silent customer, and announced holds (conversation level).

Definitions (docs/timing.md states them with examples):

* System and bot messages are ignored for timings. A *burst* is a maximal run of consecutive
  customer messages; its response time runs from its first timed message to the next advisor
  message, and sits on that advisor message as ``response_time_s``.
* A *relaunch* is an advisor message that follows the advisor's own message (the customer has
  not written since) by at least ``relaunch_silence_s`` and matches a relaunch cue.
* A *relaunch opportunity* is such a silence of at least ``relaunch_silence_s`` after an advisor
  message that is not a hold announcement, ended by the advisor writing again. A relaunch is
  *missed* (at most once per conversation) when the customer never writes again after an
  opportunity and the advisor sent no relaunch after the customer's last message.
* A *hold* is an advisor message matching a hold cue; it promises the duration it states, else
  ``default_hold_s``; it is kept when the next advisor message comes within the promise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.base import Analysis, MetricSpec, check_param
from chatqa.model import Conversation, Finding, Role, Severity
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from chatqa.resources.schemas import TimingResource

NAN = math.nan


@dataclass(frozen=True)
class TimingCues:
    """The cue phrases and duration words of one language, compiled once."""

    relaunch: tuple[re.Pattern[str], ...]
    warm: tuple[re.Pattern[str], ...]
    hold: tuple[re.Pattern[str], ...]
    hold_not_in_sentence: tuple[re.Pattern[str], ...]
    answer_cues: tuple[re.Pattern[str], ...]
    closing_cues: tuple[re.Pattern[str], ...]
    duration: re.Pattern[str]
    numbers: Mapping[str, float]
    units: Mapping[str, float]

    @classmethod
    def from_resource(cls, data: TimingResource) -> TimingCues:
        """Compile a language's validated ``timing`` resource (see resources/fr/timing.toml).

        ``load_resource(lang, "timing")`` has checked it against its schema (patterns that
        compile, a duration pattern with its placeholders and groups), raising E203 naming the
        file and the key otherwise.
        """
        numbers = {fold(k): float(v) for k, v in data.numbers.items()}
        units = {fold(k): float(v) for k, v in data.units.items()}

        def alternation(words: Mapping[str, float]) -> str:
            return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

        duration = data.duration.pattern.format(
            number_words=alternation(numbers), unit_words=alternation(units)
        )
        return cls(
            relaunch=tuple(re.compile(p) for p in data.relaunch.patterns),
            warm=tuple(re.compile(p) for p in data.relaunch.warm),
            hold=tuple(re.compile(p) for p in data.hold.patterns),
            hold_not_in_sentence=tuple(re.compile(p) for p in data.hold.not_in_sentence),
            answer_cues=tuple(re.compile(p) for p in data.expects_answer.patterns),
            closing_cues=tuple(re.compile(p) for p in data.closing.patterns),
            duration=re.compile(duration),
            numbers=numbers,
            units=units,
        )

    def find_relaunch(self, folded: str) -> re.Match[str] | None:
        """First relaunch cue in the folded text, if any."""
        return _first_match(self.relaunch, folded)

    def find_hold(self, folded: str) -> re.Match[str] | None:
        """First hold cue in the folded text, if any, outside promises about something else."""
        for match in sorted((m for p in self.hold for m in p.finditer(folded)),
                            key=lambda m: m.start()):
            sentence = _sentence_around(folded, match.start())
            if not any(p.search(sentence) for p in self.hold_not_in_sentence):
                return match
        return None

    def expects_answer(self, folded: str) -> bool:
        """Whether the message waits for the customer (a question, a request, an instruction)."""
        return _first_match(self.answer_cues, folded) is not None

    def is_closing(self, folded: str) -> bool:
        """Whether the message ends the conversation (a goodbye, a closing notice)."""
        return _first_match(self.closing_cues, folded) is not None

    def promised_seconds(self, folded: str) -> float | None:
        """The first duration stated in the folded text, in seconds (« 2 minutes » → 120)."""
        match = self.duration.search(folded)
        if match is None:
            return None
        number = match["digits"]
        value = float(number.replace(",", ".")) if number else self.numbers[match["word"]]
        return value * self.units[match["unit"]]


def _sentence_around(text: str, position: int) -> str:
    """The sentence of ``text`` that holds ``position`` (cut at « . », « ! », « ? »)."""
    start = max(text.rfind(c, 0, position) for c in ".!?") + 1
    ends = [i for i in (text.find(c, position) for c in ".!?") if i != -1]
    return text[start:min(ends) + 1 if ends else len(text)]


def _first_match(patterns: Sequence[re.Pattern[str]], text: str) -> re.Match[str] | None:
    matches = [m for p in patterns if (m := p.search(text))]
    return min(matches, key=lambda m: m.start()) if matches else None


@dataclass(frozen=True, kw_only=True)
class TimingAnalyzer:
    """Scores response times, relaunches and holds from message roles and times.

    Parameters are the grid's ``[analyzers.timing]`` table: ``relaunch_silence_s`` (how long a
    customer silence must last before a relaunch) and ``default_hold_s`` (the promise of a
    hold that states no duration).
    """

    name: ClassVar[str] = "timing"
    requires: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[int] = 1
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("first_response_s", "conversation",
                   "Seconds from the first customer burst to the advisor's answer."),
        MetricSpec("mean_response_time_s", "conversation",
                   "Mean response time over answered, timed bursts."),
        MetricSpec("max_response_time_s", "conversation",
                   "Longest response time over answered, timed bursts."),
        MetricSpec("unanswered_bursts", "conversation",
                   "Customer bursts with no advisor message after them."),
        MetricSpec("handle_time_s", "conversation",
                   "Seconds from the first to the last timed advisor or customer message."),
        MetricSpec("relaunch_count", "conversation",
                   "Advisor messages that relaunch a silent customer."),
        MetricSpec("relaunch_opportunities", "conversation",
                   "Customer silences long enough to relaunch, ended by the advisor writing."),
        MetricSpec("warm_relaunches", "conversation",
                   "Relaunches that leave the customer time and say the advisor is still there."),
        MetricSpec("early_relaunches", "conversation",
                   "Relaunch phrases sent sooner than the silence threshold (too early)."),
        MetricSpec("relaunch_score", "conversation",
                   "0 missed or too early, 1 relaunched (or the customer came back), 2 every "
                   "relaunch warm; NaN when no relaunch was due."),
        MetricSpec("missed_relaunches", "conversation",
                   "1 when the customer went silent for good and the advisor closed without "
                   "any relaunch, else 0."),
        MetricSpec("holds_announced", "conversation", "Advisor messages announcing a wait."),
        MetricSpec("holds_kept", "conversation",
                   "Announced waits ended by an advisor message within the promise."),
        MetricSpec("holds_broken", "conversation",
                   "Announced waits that lasted longer than promised."),
        MetricSpec("response_time_s", "message",
                   "On an advisor message that answers a burst: that burst's response time."),
    )
    codes: ClassVar[Mapping[str, str]] = {
        "timing.relaunch": "The advisor relaunched a silent customer.",
        "timing.missed_relaunch": "The customer went silent and the advisor closed without a "
                                  "relaunch.",
        "timing.hold": "An announced wait; details give promised_s, actual_s and kept.",
    }

    cues: TimingCues
    relaunch_silence_s: float = 60.0
    default_hold_s: float = 120.0

    def __post_init__(self) -> None:
        """Check the parameters with scikit-learn's message shape (E201)."""
        for param in ("relaunch_silence_s", "default_hold_s"):
            value = getattr(self, param)
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
            check_param("TimingAnalyzer", param, value, ok, "a number of seconds > 0")
            object.__setattr__(self, param, float(value))

    def analyze_conversation(
        self, conversation: Conversation, docs: Sequence[Doc | None] = ()
    ) -> Analysis:
        """Return the timing metrics, ``response_time_s`` per answering message, and findings."""
        timeline = [
            (i, m) for i, m in enumerate(conversation.messages)
            if m.role in (Role.ADVISOR, Role.CUSTOMER)
        ]
        responses = self._responses(timeline)
        folded = {i: fold(m.text) for i, m in timeline if m.role == Role.ADVISOR}
        resolution = 60.0 if conversation.metadata.get("time_resolution") == "minute" else 0.0
        relaunch = self._relaunches(timeline, folded, resolution)
        holds = self._holds(timeline, folded)
        answered = [s for s in responses.values() if not math.isnan(s)]
        times = [m.time for _, m in timeline if m.time is not None]
        metrics = {
            "first_response_s": self._first_response(timeline, responses),
            "mean_response_time_s": sum(answered) / len(answered) if answered else NAN,
            "max_response_time_s": max(answered) if answered else NAN,
            "unanswered_bursts": float(self._unanswered_bursts(timeline)),
            "handle_time_s": _seconds(min(times), max(times)) if times else NAN,
            "relaunch_count": float(relaunch["count"]),
            "relaunch_opportunities": float(relaunch["opportunities"]),
            "missed_relaunches": float(relaunch["missed"]),
            "warm_relaunches": float(relaunch["warm"]),
            "early_relaunches": float(relaunch["early"]),
            "relaunch_score": _relaunch_score(relaunch),
            "holds_announced": float(len(holds)),
            "holds_kept": float(sum(1 for f in holds if f.details["kept"] is True)),
            "holds_broken": float(sum(1 for f in holds if f.details["kept"] is False)),
        }
        return Analysis(
            metrics=metrics,
            findings=tuple(sorted(relaunch["findings"] + holds,
                                  key=lambda f: (f.message_index, f.start, f.code))),
            message_metrics={i: {"response_time_s": s} for i, s in responses.items()},
        )

    # -- response times -----------------------------------------------------------------------
    @staticmethod
    def _bursts(timeline):
        """Yield ``(burst messages, index into timeline of the answering advisor or None)``."""
        k = 0
        while k < len(timeline):
            if timeline[k][1].role != Role.CUSTOMER:
                k += 1
                continue
            start = k
            while k < len(timeline) and timeline[k][1].role == Role.CUSTOMER:
                k += 1
            yield timeline[start:k], (k if k < len(timeline) else None)

    def _responses(self, timeline) -> dict[int, float]:
        """``advisor message index -> response time`` for every answered burst (NaN if untimed)."""
        out: dict[int, float] = {}
        for burst, answer in self._bursts(timeline):
            if answer is None:
                continue
            started = next((m.time for _, m in burst if m.time is not None), None)
            index, advisor = timeline[answer]
            out[index] = _seconds(started, advisor.time)
        return out

    def _first_response(self, timeline, responses) -> float:
        for _, answer in self._bursts(timeline):
            return NAN if answer is None else responses[timeline[answer][0]]
        return NAN

    def _unanswered_bursts(self, timeline) -> int:
        return sum(1 for _, answer in self._bursts(timeline) if answer is None)

    # -- relaunches ---------------------------------------------------------------------------
    def _relaunches(self, timeline, folded: Mapping[int, str],
                    resolution_s: float = 0.0) -> dict[str, Any]:
        """Relaunches, relaunch opportunities and the missed relaunch at the end.

        A silence counts only when it is sure: with minute clocks (``resolution_s`` 60) two
        messages one minute apart may be seconds apart, so the measured gap must exceed the
        threshold by the clock's resolution. An opportunity needs an advisor message that
        waits for the customer (a question, a request), is no hold and no closing.
        """
        count = opportunities = warm = early = 0
        findings: list[Finding] = []
        last_customer = max((k for k, (_, m) in enumerate(timeline) if m.role == Role.CUSTOMER),
                            default=-1)
        final_relaunched = False
        final_unrelaunched: list[tuple[int, float]] = []  # (timeline position, silence) closes
        for k in range(1, len(timeline)):
            (before_index, before), (index, message) = timeline[k - 1], timeline[k]
            if before.role != Role.ADVISOR or message.role != Role.ADVISOR:
                continue
            silence = _seconds(before.time, message.time)
            long_enough = math.isnan(silence) or silence - resolution_s >= self.relaunch_silence_s
            cue = self.cues.find_relaunch(folded[index])
            if cue is not None and not long_enough:
                early += 1
            if cue is not None and long_enough:
                count += 1
                warm += _first_match(self.cues.warm, folded[index]) is not None
                opportunities += 1
                final_relaunched = final_relaunched or k > last_customer
                findings.append(_finding(
                    "timing.relaunch", index, message.text, cue.start(), cue.end(),
                    Severity.INFO, silence_s=None if math.isnan(silence) else silence,
                ))
                continue
            previous = folded[before_index]
            waits_for_customer = (self.cues.expects_answer(previous)
                                  and self.cues.find_hold(previous) is None
                                  and not self.cues.is_closing(previous))
            if math.isnan(silence) or not long_enough or not waits_for_customer:
                continue
            opportunities += 1
            if k > last_customer:
                final_unrelaunched.append((k, silence))
        missed = 0
        if final_unrelaunched and not final_relaunched:
            missed = 1
            k, silence = final_unrelaunched[-1]
            index, message = timeline[k]
            findings.append(_finding(
                "timing.missed_relaunch", index, message.text, 0, len(message.text),
                Severity.MAJOR, silence_s=silence,
            ))
        return {"count": count, "opportunities": opportunities, "missed": missed,
                "warm": warm, "early": early, "findings": findings}

    # -- holds --------------------------------------------------------------------------------
    def _holds(self, timeline, folded: Mapping[int, str]) -> list[Finding]:
        findings: list[Finding] = []
        advisor = [(i, m) for i, m in timeline if m.role == Role.ADVISOR]
        for n, (index, message) in enumerate(advisor):
            cue = self.cues.find_hold(folded[index])
            if cue is None:
                continue
            stated = self.cues.promised_seconds(folded[index])
            promised = stated if stated is not None else self.default_hold_s
            following = advisor[n + 1][1] if n + 1 < len(advisor) else None
            actual = _seconds(message.time, following.time) if following is not None else NAN
            kept = None if math.isnan(actual) else actual <= promised
            findings.append(_finding(
                "timing.hold", index, message.text, cue.start(), cue.end(),
                Severity.MAJOR if kept is False else Severity.INFO,
                promised_s=promised, promised_stated=stated is not None,
                actual_s=None if math.isnan(actual) else actual, kept=kept,
            ))
        return findings


def _relaunch_score(relaunch: Mapping[str, Any]) -> float:
    """How well silences were handled, from 0 (missed, too early) to 2 (every relaunch warm).

    NaN when no relaunch was due; 1 relaunched, or the customer came back alone.
    """
    if not relaunch["opportunities"] and not relaunch["early"]:
        return NAN
    if relaunch["missed"] or relaunch["early"]:
        return 0.0
    if relaunch["count"] and relaunch["warm"] == relaunch["count"]:
        return 2.0
    return 1.0


def _seconds(start: datetime | None, end: datetime | None) -> float:
    """Seconds from ``start`` to ``end``; NaN when either is unknown or time runs backwards."""
    if start is None or end is None:
        return NAN
    value = (end - start).total_seconds()
    return value if value >= 0 else NAN


def _finding(code: str, index: int, text: str, start: int, end: int, severity: Severity,
             **details: Any) -> Finding:
    return Finding(
        analyzer=TimingAnalyzer.name, code=code, message_index=index, start=start, end=end,
        text=text[start:end], severity=severity, details=details,
    )
