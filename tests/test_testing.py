"""chatqa.testing: each contract check passes a sound analyzer and fails a broken one.

A check that cannot fail is a defect, so every check is shown failing here on a tiny analyzer
broken on purpose (defined below, at module level so that it pickles).
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

import pytest

from chatqa.analyzers.base import Analysis, MetricSpec
from chatqa.model import Finding, Role
from chatqa.testing import (
    CHECKS,
    CODE_NAME_RULE,
    METRIC_NAME_RULES,
    analyzer_parameters,
    check_analyzer,
    docs_table,
    iter_checks,
)

NAN = math.nan


# -- a sound message analyzer and a sound conversation analyzer --------------------------------
@dataclass(frozen=True, kw_only=True)
class Questions:
    """Counts words and question marks; one finding per question mark."""

    name: ClassVar[str] = "questions"
    requires: ClassVar[tuple[str, ...]] = ("token.pos",)
    version: ClassVar[int] = 1
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("words", "message", "Words of the message."),
        MetricSpec("question_marks", "message", "Question marks in the message."),
        MetricSpec("question_ratio", "message", "question_marks per word, capped at 1."),
        MetricSpec("advisor_question_marks", "conversation", "question_marks over the advisor."),
    )
    codes: ClassVar[Mapping[str, str]] = {"punctuation.question": "A question mark."}

    weight: int = 1
    label: str | None = None

    def analyze_message(self, doc) -> Analysis:
        words = sum(1 for t in doc if t.is_alpha)
        marks = [t.idx for t in doc if t.text == "?"]
        return Analysis(
            metrics={"words": float(words), "question_marks": float(self.weight * len(marks)),
                     "question_ratio": min(1.0, len(marks) / words) if words else NAN},
            findings=tuple(self.finding(doc.text, i) for i in marks),
        )

    def finding(self, text: str, i: int) -> Finding:
        return Finding(analyzer=self.name, code="punctuation.question", start=i, end=i + 1,
                       text=text[i:i + 1])

    def summarize(self, analyses: Sequence[Analysis]) -> dict[str, float]:
        return {"advisor_question_marks": float(sum(a.metrics["question_marks"]
                                                    for a in analyses))}

    def review(self, analysis: Analysis, names: frozenset[str]) -> Analysis:
        return analysis


@dataclass(frozen=True, kw_only=True)
class Turns:
    """Counts advisor turns; the gap before each advisor message; a finding per question."""

    name: ClassVar[str] = "turns"
    requires: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[int] = 1
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("advisor_turns", "conversation", "Advisor messages."),
        MetricSpec("gap_s", "message", "Seconds since the previous timed message."),
    )
    codes: ClassVar[Mapping[str, str]] = {"turn.question": "An advisor message asking."}

    def analyze_conversation(self, conversation, docs) -> Analysis:
        messages = conversation.messages
        gaps, findings = {}, []
        for i, m in enumerate(messages):
            if m.role is not Role.ADVISOR:
                continue
            before = next((p.time for p in messages[:i][::-1] if p.time is not None), None)
            seconds = (m.time - before).total_seconds() if m.time and before else NAN
            gaps[i] = {"gap_s": seconds if seconds >= 0 else NAN}
            if "?" in m.text:
                k = m.text.index("?")
                findings.append(self.finding(i, m.text, k))
        return Analysis(metrics={"advisor_turns": float(len(gaps))}, findings=tuple(findings),
                        message_metrics=gaps)

    def finding(self, i: int, text: str, k: int) -> Finding:
        return Finding(analyzer=self.name, code="turn.question", message_index=i, start=k,
                       end=k + 1, text=text[k:k + 1])


QUESTIONS_PAGE = """# questions

## Metrics

| metric | level | meaning |
|---|---|---|
| `words` | message | Words of the message. |
| `question_marks` | message | Question marks in the message. |
| `question_ratio` | message | question_marks per word. |
| `advisor_question_marks` | conversation | question_marks over the advisor. |

## Finding codes

| code | meaning |
|---|---|
| `punctuation.question` | A question mark. |

## Parameters

| parameter | default | type | meaning |
|---|---|---|---|
| `weight` | 1 | int | what a mark counts |
| `label` | None | str | a label |

## Limits

| `not_a_metric` | a table in another section is not read |
"""

TURNS_PAGE = """# turns

## Metrics

| metric | level | meaning |
|---|---|---|
| `advisor_turns` | conversation | Advisor messages. |
| `gap_s` | message | Seconds since the previous timed message. |

## Finding codes

| code | meaning |
|---|---|
| `turn.question` | An advisor message asking. |
"""


@pytest.fixture
def docs_dir(tmp_path):
    (tmp_path / "questions.md").write_text(QUESTIONS_PAGE, "utf-8")
    (tmp_path / "turns.md").write_text(TURNS_PAGE, "utf-8")
    return tmp_path


def failure(analyzer, check: str, nlp, docs_dir=None) -> str:
    """The message of ``check`` failing on ``analyzer``; fails the test if the check passes."""
    checks = {c.__name__: c for c in iter_checks(analyzer, "fr", nlp=nlp, docs_dir=docs_dir)}
    with pytest.raises(AssertionError) as error:
        checks[check]()
    message = str(error.value)
    assert message.startswith(f"analyzer '{analyzer.name}' fails {check}: ")
    return message


# -- sound analyzers pass ----------------------------------------------------------------------
@pytest.mark.parametrize("analyzer", [Questions(), Questions(weight=2, label="x"), Turns()],
                         ids=["message", "message-params", "conversation"])
def test_testing_sound_analyzers_pass_every_check(analyzer, nlp_fr, docs_dir):
    check_analyzer(analyzer, "fr", nlp=nlp_fr, docs_dir=docs_dir)


def test_testing_iter_checks_yields_every_check_by_name(nlp_fr, docs_dir):
    names = [c.__name__ for c in iter_checks(Questions(), nlp=nlp_fr, docs_dir=docs_dir)]
    assert tuple(names) == CHECKS
    # without a docs folder, the docs check of an analyzer outside chatqa is not run
    assert "check_docs_page" not in [c.__name__ for c in iter_checks(Questions(), nlp=nlp_fr)]


def test_testing_check_analyzer_takes_a_factory(nlp_fr, docs_dir):
    given = []

    def make_questions(lang, **params):
        given.append(lang)
        return Questions(**params)

    check_analyzer(make_questions, "fr", nlp=nlp_fr, docs_dir=docs_dir)
    assert given == ["fr"]


@dataclass(frozen=True, kw_only=True)
class NeedsTheVocab(Questions):
    """Builds a spaCy Matcher in ``initialize(nlp)``, as InitializableAnalyzer says."""

    matcher: object = field(default=None, compare=False)

    def initialize(self, nlp):
        from spacy.matcher import Matcher

        matcher = Matcher(nlp.vocab)
        matcher.add("question", [[{"ORTH": "?"}]])
        return replace(self, matcher=matcher)

    def analyze_message(self, doc) -> Analysis:
        marks = [doc[start].idx for _, start, _ in self.matcher(doc)]  # None: not initialized
        analysis = super().analyze_message(doc)
        return Analysis(metrics=analysis.metrics,
                        findings=tuple(self.finding(doc.text, i) for i in marks))


@dataclass(frozen=True, kw_only=True)
class ReadsCustomers(Turns):
    """Asks for the customer's parse too (``parse_roles``) and fails without it."""

    requires: ClassVar[tuple[str, ...]] = ("token.pos",)
    parse_roles: ClassVar[tuple[str, ...]] = ("advisor", "customer")

    def analyze_conversation(self, conversation, docs) -> Analysis:
        for m, doc in zip(conversation.messages, docs, strict=True):
            assert (doc is not None) == (m.role in (Role.ADVISOR, Role.CUSTOMER)), m
        return super().analyze_conversation(conversation, docs)


@pytest.mark.parametrize("analyzer", [NeedsTheVocab(), ReadsCustomers()],
                         ids=["initialize", "parse-roles"])
def test_testing_checks_run_analyzers_as_the_pipeline_does(analyzer, nlp_fr):
    check_analyzer(analyzer, "fr", nlp=nlp_fr)


def test_testing_check_analyzer_raises_the_first_failure(nlp_fr):
    with pytest.raises(AssertionError, match=r"analyzer 'questions' fails check_metrics: "
                                             r"text .*'extra_count'"):
        check_analyzer(UndeclaredMetric(), nlp=nlp_fr)


# -- check_declarations ------------------------------------------------------------------------
class NoVersion:
    name: ClassVar[str] = "noversion"
    requires: ClassVar[tuple[str, ...]] = ()
    metrics: ClassVar[tuple[MetricSpec, ...]] = ()
    codes: ClassVar[Mapping[str, str]] = {}

    def analyze_message(self, doc) -> Analysis:
        return Analysis(metrics={})


@dataclass(frozen=True, kw_only=True)
class BadDeclarations(Questions):
    version: ClassVar[int] = "1"  # type: ignore[assignment]
    requires: ClassVar[tuple[str, ...]] = ("pos",)


@dataclass(frozen=True, kw_only=True)
class Both(Turns):
    def analyze_message(self, doc) -> Analysis:
        return Analysis(metrics={})


@pytest.mark.parametrize(("analyzer", "match"), [
    (NoVersion(), r"neither a MessageAnalyzer nor a ConversationAnalyzer.*missing \['version'\]"),
    (BadDeclarations(), r"version must be an int >= 1, got '1'; requires must be"),
    (Both(), r"defines both analyze_message and analyze_conversation"),
], ids=["no-version", "bad-types", "both-protocols"])
def test_testing_check_declarations_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_declarations", nlp_fr))


# -- check_names -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["first_response_s", "holds_kept", "relaunch_count", "words",
                                  "errors_per_100_words", "question_ratio", "unanswered_bursts",
                                  "zipf_mean", "lix_score", "subordinate_clauses_per_sentence"])
def test_testing_metric_name_rules_accept(name):
    assert any(rule.match(name) for _, rule in METRIC_NAME_RULES)


@pytest.mark.parametrize("name", ["response_time", "ResponseTime_s", "delay_ms", "empathy",
                                  "question_mean_", "errors__count", "_words", "nb_error"])
def test_testing_metric_name_rules_reject(name):
    assert not any(rule.match(name) for _, rule in METRIC_NAME_RULES)


@pytest.mark.parametrize(("code", "ok"), [("grammar.agreement", True), ("timing.hold", True),
                                          ("spelling", False), ("Grammar.Agreement", False),
                                          ("a.b.c", False)])
def test_testing_code_name_rule(code, ok):
    assert bool(CODE_NAME_RULE.match(code)) is ok


@dataclass(frozen=True, kw_only=True)
class BadMetricName(Questions):
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        *Questions.metrics, MetricSpec("response_time", "message", "No unit."))

    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        return Analysis(metrics={**analysis.metrics, "response_time": NAN},
                        findings=analysis.findings)


@dataclass(frozen=True, kw_only=True)
class BareCode(Questions):
    codes: ClassVar[Mapping[str, str]] = {"punctuation.question": "A question mark.",
                                          "question": "Bare."}


@pytest.mark.parametrize(("analyzer", "match"), [
    (BadMetricName(), r"metric names \['response_time'\] do not follow the naming table"),
    (BareCode(), r"codes \['question'\] are not 'family.kind'"),
], ids=["metric-without-unit", "bare-code"])
def test_testing_check_names_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_names", nlp_fr))


# -- check_metrics and check_metric_values ---------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class UndeclaredMetric(Questions):
    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        return Analysis(metrics={**analysis.metrics, "extra_count": 1.0},
                        findings=analysis.findings)


@dataclass(frozen=True, kw_only=True)
class MissingMetric(Questions):
    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        return Analysis(metrics={k: v for k, v in analysis.metrics.items() if k != "words"},
                        findings=analysis.findings)


@dataclass(frozen=True, kw_only=True)
class UndeclaredMessageMetric(Turns):
    def analyze_conversation(self, conversation, docs) -> Analysis:
        analysis = super().analyze_conversation(conversation, docs)
        return Analysis(metrics=analysis.metrics, findings=analysis.findings,
                        message_metrics={i: {**v, "delay_s": 1.0}
                                         for i, v in analysis.message_metrics.items()})


@dataclass(frozen=True, kw_only=True)
class MessageMetricOffTheEnd(Turns):
    def analyze_conversation(self, conversation, docs) -> Analysis:
        analysis = super().analyze_conversation(conversation, docs)
        n = len(conversation.messages)
        return Analysis(metrics=analysis.metrics, findings=analysis.findings,
                        message_metrics={**analysis.message_metrics, n: {"gap_s": NAN}})


@pytest.mark.parametrize(("analyzer", "match"), [
    (UndeclaredMetric(), r"message-level metrics \['extra_count'\] are returned but not "
                         r"declared"),
    (MissingMetric(), r"declared message-level metrics \['words'\] are missing"),
    (UndeclaredMessageMetric(), r"message \d+: message-level metrics \['delay_s'\] are "
                                r"returned but not declared"),
    (MessageMetricOffTheEnd(), r"message_metrics key \d+ is not the index of a message"),
], ids=["undeclared", "missing", "undeclared-per-message", "index-off-the-end"])
def test_testing_check_metrics_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_metrics", nlp_fr))


@dataclass(frozen=True, kw_only=True)
class OutOfRange(Questions):
    value: float = -1.0
    metric: str = "question_marks"

    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        return Analysis(metrics={**analysis.metrics, self.metric: self.value},
                        findings=analysis.findings)


@pytest.mark.parametrize(("analyzer", "match"), [
    (OutOfRange(), r"'question_marks' = -1.0 is negative"),
    (OutOfRange(value=0.5), r"'question_marks' = 0.5 is not a whole number"),
    (OutOfRange(metric="question_ratio", value=1.5), r"is outside \[0, 1\]"),
    (OutOfRange(metric="question_ratio", value=math.inf), r"is infinite"),
], ids=["negative-count", "fractional-count", "ratio-above-1", "infinite"])
def test_testing_check_metric_values_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_metric_values", nlp_fr))


# -- check_findings ----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class WrongOffsets(Questions):
    def finding(self, text: str, i: int) -> Finding:
        return Finding(analyzer=self.name, code="punctuation.question", start=i - 1, end=i,
                       text="?")


@dataclass(frozen=True, kw_only=True)
class UndeclaredCode(Questions):
    def finding(self, text: str, i: int) -> Finding:
        return Finding(analyzer=self.name, code="punctuation.mark", start=i, end=i + 1,
                       text="?")


@dataclass(frozen=True, kw_only=True)
class StampsMessageIndex(Questions):
    def finding(self, text: str, i: int) -> Finding:
        return Finding(analyzer=self.name, code="punctuation.question", message_index=0,
                       start=i, end=i + 1, text="?")


@dataclass(frozen=True, kw_only=True)
class OtherAnalyzerName(Questions):
    def finding(self, text: str, i: int) -> Finding:
        return Finding(analyzer="other", code="punctuation.question", start=i, end=i + 1,
                       text="?")


@dataclass(frozen=True, kw_only=True)
class ConversationWrongOffsets(Turns):
    def finding(self, i: int, text: str, k: int) -> Finding:
        return Finding(analyzer=self.name, code="turn.question", message_index=i - 1,
                       start=k, end=k + 1, text="?")


@pytest.mark.parametrize(("analyzer", "match"), [
    (WrongOffsets(), r"text\[start:end\] is '.', not the finding's text '\?'"),
    (UndeclaredCode(), r"code 'punctuation.mark' is not declared"),
    (StampsMessageIndex(), r"a message analyzer leaves message_index None"),
    (OtherAnalyzerName(), r"analyzer is 'other', not 'questions'"),
    (ConversationWrongOffsets(), r"finding 'turn.question' \(46:47 '\?'\): offsets outside "
                                 r"the text"),
], ids=["wrong-offsets", "undeclared-code", "message-index", "analyzer-name",
        "conversation-wrong-offsets"])
def test_testing_check_findings_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_findings", nlp_fr))


# -- check_edge_inputs -------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RaisesOnEmpty(Questions):
    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        return Analysis(metrics={**analysis.metrics, "words": float(1 // len(doc.text))},
                        findings=analysis.findings)


@dataclass(frozen=True, kw_only=True)
class WarnsOnEmoji(Questions):
    def analyze_message(self, doc) -> Analysis:
        if doc.text == "👍🙂":
            warnings.warn("no words", RuntimeWarning, stacklevel=1)
        return super().analyze_message(doc)


@dataclass(frozen=True, kw_only=True)
class NoneForUndefined(Questions):
    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        ratio = analysis.metrics["question_ratio"]
        return Analysis(metrics={**analysis.metrics,
                                 "question_ratio": None if math.isnan(ratio) else ratio},
                        findings=analysis.findings)


@dataclass(frozen=True, kw_only=True)
class RaisesWithoutMessages(Turns):
    def analyze_conversation(self, conversation, docs) -> Analysis:
        conversation.messages[0]
        return super().analyze_conversation(conversation, docs)


@dataclass(frozen=True, kw_only=True)
class ReadsDocsItDoesNotRequire(Turns):
    def analyze_conversation(self, conversation, docs) -> Analysis:
        [len(d) for d, m in zip(docs, conversation.messages, strict=True)
         if m.role is Role.ADVISOR]
        return super().analyze_conversation(conversation, docs)


@pytest.mark.parametrize(("analyzer", "match"), [
    (RaisesOnEmpty(), r"edge text 'empty' raised ZeroDivisionError"),
    (WarnsOnEmoji(), r"edge text 'emoji only' raised RuntimeWarning: no words"),
    (NoneForUndefined(), r"edge text 'empty': metric 'question_ratio' = None is not a number"),
    (RaisesWithoutMessages(), r"edge conversation 'no messages' raised IndexError"),
    (ReadsDocsItDoesNotRequire(), r"raised TypeError"),
], ids=["exception-on-empty", "warning-on-emoji", "none-not-nan", "no-messages",
        "docs-not-required"])
def test_testing_check_edge_inputs_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_edge_inputs", nlp_fr))


# -- check_deterministic, check_input_unchanged, check_pickle ---------------------------------
_calls = itertools.count()


@dataclass(frozen=True, kw_only=True)
class NonDeterministic(Questions):
    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        return Analysis(metrics={**analysis.metrics, "question_marks": float(next(_calls))},
                        findings=analysis.findings)


@dataclass(frozen=True, kw_only=True)
class RemembersLastText(Questions):
    """Its result depends on the message analysed before: state leaks between calls."""

    seen: list = field(default_factory=list)

    def analyze_message(self, doc) -> Analysis:
        analysis = super().analyze_message(doc)
        extra = float(len(self.seen[-1])) if self.seen else 0.0
        self.seen.append(doc.text)
        return Analysis(metrics={**analysis.metrics, "words": analysis.metrics["words"] + extra},
                        findings=analysis.findings)


@pytest.mark.parametrize("analyzer", [NonDeterministic(), RemembersLastText()],
                         ids=["counter", "state-between-calls"])
def test_testing_check_deterministic_fails(analyzer, nlp_fr):
    assert "gave a different result the second time" in failure(
        analyzer, "check_deterministic", nlp_fr)


@dataclass(frozen=True, kw_only=True)
class WritesOnTheDoc(Questions):
    def analyze_message(self, doc) -> Analysis:
        doc.user_data["questions"] = True
        return super().analyze_message(doc)


@dataclass(frozen=True, kw_only=True)
class WritesOnTheConversation(Turns):
    def analyze_conversation(self, conversation, docs) -> Analysis:
        for m in conversation.messages:
            m.metadata["seen"] = True
        return super().analyze_conversation(conversation, docs)


@pytest.mark.parametrize(("analyzer", "match"), [
    (WritesOnTheDoc(), r"the analyzer changed its Doc"),
    (WritesOnTheConversation(), r"the analyzer changed the conversation"),
], ids=["doc", "conversation-metadata"])
def test_testing_check_input_unchanged_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_input_unchanged", nlp_fr))


@dataclass(frozen=True, kw_only=True)
class PicklesWithoutItsWeight(Questions):
    """Pickles as the default analyzer: an equal name, but not equal results."""

    def __reduce__(self):
        return (type(self), ())


@dataclass(frozen=True, kw_only=True)
class HoldsALambda(Questions):
    score: object = field(default_factory=lambda: lambda x: x)


@pytest.mark.parametrize(("analyzer", "match"), [
    (PicklesWithoutItsWeight(weight=2), r"gave a different result from pickle.loads\(pickle"
                                        r".dumps\(analyzer\)\): metrics: question_marks"),
    (HoldsALambda(), r"cannot be pickled"),
], ids=["unequal-copy", "unpicklable"])
def test_testing_check_pickle_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_pickle", nlp_fr))


# -- check_hooks -------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SummarizesTooMuch(Questions):
    def summarize(self, analyses):
        return {**super().summarize(analyses), "advisor_words": 0.0}


@dataclass(frozen=True, kw_only=True)
class SummarizeFailsOnNothing(Questions):
    def summarize(self, analyses):
        return {"advisor_question_marks": sum(a.metrics["question_marks"]
                                              for a in analyses) / len(analyses)}


@dataclass(frozen=True, kw_only=True)
class NoSummarize(Questions):
    summarize = None  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True)
class ReviewDropsAll(Questions):
    def review(self, analysis, names):
        return Analysis(metrics=analysis.metrics)


@dataclass(frozen=True, kw_only=True)
class ReviewMutates(Questions):
    def review(self, analysis, names):
        if names:
            analysis.metrics["words"] = 0.0
        return analysis


@pytest.mark.parametrize(("analyzer", "match"), [
    (SummarizesTooMuch(), r"summarize over .*\['advisor_words'\] are returned but not declared"),
    (SummarizeFailsOnNothing(), r"summarize over no advisor message raised ZeroDivisionError"),
    (NoSummarize(), r"declares conversation-level metrics \['advisor_question_marks'\] but has "
                    r"no summarize"),
    (ReviewDropsAll(), r"review with no names changed the analysis"),
    (ReviewMutates(), r"review changed the analysis it was given"),
], ids=["summarize-undeclared", "summarize-empty", "no-summarize", "review-no-names",
        "review-mutates"])
def test_testing_check_hooks_fails(analyzer, match, nlp_fr):
    assert re.search(match, failure(analyzer, "check_hooks", nlp_fr))


# -- check_docs_page ---------------------------------------------------------------------------
@pytest.mark.parametrize(("edit", "match"), [
    (lambda p: p.replace("| `label` | None | str | a label |\n", ""),
     r"Parameters table lacks \['label'\]"),
    (lambda p: p.replace("| `words` | message |", "| `words` | conversation |"),
     r"Metrics table gives the wrong level for \[\('words', 'conversation'\)\]"),
    (lambda p: p.replace("| `punctuation.question` |", "| `punctuation.questions` |"),
     r"Finding codes table lacks \['punctuation.question'\]; Finding codes table lists "
     r"\['punctuation.questions'\]"),
    (lambda p: p.replace("## Parameters", "## Settings"), r"no '## Parameters' section"),
    (lambda p: p.replace("| `words` | message | Words of the message. |\n",
                         "| `words` | message | Words. |\n" * 2),
     r"Metrics table lists \['words'\] twice"),
], ids=["parameter-with-none-default", "metric-level", "code", "no-section", "twice"])
def test_testing_check_docs_page_fails(edit, match, nlp_fr, docs_dir):
    page = docs_dir / "questions.md"
    page.write_text(edit(page.read_text("utf-8")), "utf-8")
    assert re.search(match, failure(Questions(), "check_docs_page", nlp_fr, docs_dir))


def test_testing_check_docs_page_fails_without_a_page(nlp_fr, tmp_path):
    assert "no docs page" in failure(Questions(), "check_docs_page", nlp_fr, tmp_path)


def test_testing_docs_table_reads_the_first_table_of_a_section():
    rows = docs_table(QUESTIONS_PAGE, "Parameters")
    assert [r[0] for r in rows] == ["`weight`", "`label`"]
    assert docs_table(QUESTIONS_PAGE, "Examples") is None


def test_testing_analyzer_parameters_are_the_fields_with_a_default():
    assert analyzer_parameters(Questions()) == {"weight": 1, "label": None}
    assert analyzer_parameters(Turns()) == {}


@pytest.mark.parametrize("check", CHECKS)
def test_testing_every_check_is_shown_failing(check):
    # a check that cannot fail is a defect: each one has a test of it failing, above
    assert f"test_testing_{check}_fails" in globals()
