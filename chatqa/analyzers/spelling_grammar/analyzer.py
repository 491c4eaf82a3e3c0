"""The ``spelling_grammar`` analyzer: errors of each advisor message, with offsets and codes.

One interface over three backends (Grammalecte, builtin, LanguageTool), then the chat-aware
layer, then stable codes whatever the backend. Message metrics: ``words``,
``language_errors``, ``errors_per_100_words``; conversation metrics (over advisor messages):
``advisor_words``, ``advisor_language_errors``, ``advisor_errors_per_100_words``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.base import Analysis, MetricSpec, check_param
from chatqa.analyzers.spelling_grammar.chat import ChatLayer
from chatqa.analyzers.spelling_grammar.issues import Checker, RawIssue
from chatqa.model import Finding, Severity
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc

NAN = math.nan

#: Stable finding codes, whatever the backend.
CODES: Mapping[str, str] = {
    "spelling.word": "A word the French lexicon does not know, or a wrong accent.",
    "grammar.agreement": "Agreement: determiner-noun, subject-verb, past participle.",
    "grammar.conjugation": "Conjugation: -er / -é / -ez, person after « je », mood.",
    "grammar.homophone": "Homophone confusion: a/à, et/est, ces/c'est, son/sont, on/ont...",
    "grammar.negation": "Negation without « ne » (familiar register).",
    "grammar.usage": "Usage: pleonasm, criticised phrase, other grammar issue of the backend.",
    "typography.capital": "Sentence starting with a lowercase letter.",
    "typography.hyphen": "Missing hyphen (inversion « pouvez-vous », compound words).",
    "typography.apostrophe": "Missing or wrong apostrophe (« j ai », « aujourd`hui »).",
    "typography.link": "Malformed link the customer cannot open (« http:/www… »).",
    "typography.punctuation": "Punctuation error reported by the backend.",
    "typography.other": "Other typography issue reported by the backend.",
    "style.remark": "Style remark (repetition); not counted as an error.",
    "language.foreign": "A sentence in another language, reported once.",
}
#: Severity of each code family.
SEVERITY = {"spelling": Severity.MAJOR, "grammar": Severity.MAJOR,
            "typography": Severity.MINOR, "language": Severity.MINOR, "style": Severity.INFO}
#: Codes that are reported but not counted as errors.
NOT_COUNTED = frozenset({"style.remark"})


@dataclass(frozen=True, kw_only=True)
class SpellingGrammarAnalyzer:
    """Finds spelling, grammar and typography errors in one advisor message.

    ``checker`` is the backend (one instance per process), ``chat`` the chat-aware layer.
    The other fields are the grid's parameters, kept for the run's metadata.
    """

    name: ClassVar[str] = "spelling_grammar"
    requires: ClassVar[tuple[str, ...]] = ("token.pos", "token.morph", "doc.sents")
    version: ClassVar[int] = 1
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("words", "message", "Words of the message (tokens holding a letter)."),
        MetricSpec("language_errors", "message",
                   "Spelling, grammar and typography errors found (style remarks excluded)."),
        MetricSpec("errors_per_100_words", "message", "language_errors per 100 words."),
        MetricSpec("advisor_words", "conversation", "Words over the advisor's messages."),
        MetricSpec("advisor_language_errors", "conversation",
                   "language_errors over the advisor's messages."),
        MetricSpec("advisor_errors_per_100_words", "conversation",
                   "advisor_language_errors per 100 advisor words."),
    )
    codes: ClassVar[Mapping[str, str]] = CODES

    checker: Checker
    chat: ChatLayer
    backend: str = "auto"
    remote_server: str | None = None
    allow_list: str | None = None
    max_suggestions: int = 3

    def __post_init__(self) -> None:
        """Check the parameters with scikit-learn's message shape (E201)."""
        ok = isinstance(self.max_suggestions, int) and not isinstance(self.max_suggestions, bool)
        check_param("SpellingGrammarAnalyzer", "max_suggestions", self.max_suggestions,
                    ok and self.max_suggestions >= 0, "a whole number >= 0")

    def analyze_message(self, doc: Doc) -> Analysis:
        """Return the message's errors as findings, and its error metrics."""
        issues = self.chat.review(doc, self.checker.check(doc.text, doc))
        findings = tuple(self._finding(doc.text, issue) for issue in issues)
        words = sum(1 for t in doc if any(c.isalpha() for c in t.text))
        return Analysis(metrics=_error_metrics(findings, words), findings=findings)

    def review(self, analysis: Analysis, names: frozenset[str]) -> Analysis:
        """Drop spelling findings on the participants' names (folded), and recount.

        The message analysis depends on the text only (so it is cached); the names of the
        customer and the advisor are conversation context, applied here (unless the chat
        layer's ``participants`` protection is off).
        """
        if not self.chat.on("participants"):
            return analysis
        kept = tuple(f for f in analysis.findings
                     if not (f.code == "spelling.word" and fold(f.text) in names))
        if len(kept) == len(analysis.findings):
            return analysis
        return Analysis(metrics=_error_metrics(kept, analysis.metrics["words"]), findings=kept)

    def summarize(self, analyses: Sequence[Analysis]) -> dict[str, float]:
        """Conversation metrics from the advisor messages' analyses."""
        words = sum(a.metrics["words"] for a in analyses)
        errors = sum(a.metrics["language_errors"] for a in analyses)
        return {
            "advisor_words": float(words),
            "advisor_language_errors": float(errors) if analyses else NAN,
            "advisor_errors_per_100_words": 100.0 * errors / words if words else NAN,
        }

    def _finding(self, text: str, issue: RawIssue) -> Finding:
        details: dict[str, Any] = {"rule_id": issue.rule_id, "backend": issue.backend,
                                   "message": issue.message}
        suggestions = issue.suggestions
        if issue.code == "spelling.word" and not suggestions:
            # looked up only now, for the issues the chat layer kept: suggesting is slow
            suggestions = self.chat.lexicon.suggest(text[issue.start:issue.end])
        suggestions = suggestions[: self.max_suggestions]
        if len(suggestions) > 1:
            details["suggestions"] = list(suggestions)
        return Finding(
            analyzer=self.name, code=issue.code, start=issue.start, end=issue.end,
            text=text[issue.start:issue.end], suggestion=suggestions[0] if suggestions else None,
            severity=SEVERITY[issue.code.split(".")[0]], details=details,
        )


def _error_metrics(findings: Sequence[Finding], words: float) -> dict[str, float]:
    """The message metrics: words, errors (style remarks excluded), errors per 100 words."""
    errors = sum(1 for f in findings if f.code not in NOT_COUNTED)
    return {
        "words": float(words),
        "language_errors": float(errors),
        "errors_per_100_words": 100.0 * errors / words if words else NAN,
    }
