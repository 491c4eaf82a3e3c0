"""The advisor's own text: what vocabulary and clarity measure, and its words.

The advisor's *own* messages are their messages with text that are not canned replies
(``ConversationContext.macro_messages``, from the run's macro table). A *word* is a token with
a letter that is not a link, an e-mail address or an anonymisation placeholder (« _Name1_ »).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from chatqa.analyzers.base import ConversationContext
from chatqa.model import Conversation, Finding, Role, Severity
from chatqa.text import PLACEHOLDER as PLACEHOLDER_TEXT
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    from chatqa.resources.schemas import FindingSource

#: A span: ``(start, end, ...)``.
SpanT = TypeVar("SpanT", bound=tuple)

#: An anonymisation placeholder token (« _Name1_ », « _ZipCode1_ »; ``chatqa.nlp`` keeps it whole).
PLACEHOLDER = re.compile(f"^{PLACEHOLDER_TEXT.pattern}$")


@dataclass(frozen=True)
class AdvisorMessage:
    """One advisor message with text: its index, parse, folded text and whether it is canned."""

    index: int
    text: str
    folded: str
    doc: Doc | None
    macro: bool

    @cached_property
    def words(self) -> list[Token]:
        """The message's words (module docstring), found once; none without a parse."""
        return words_of(self.doc) if self.doc is not None else []

    @cached_property
    def sentence_words(self) -> list[tuple[Span, list[Token]]]:
        """Each sentence of the message with its words, found once; none without a parse."""
        return [(s, words_of(s)) for s in self.doc.sents] if self.doc is not None else []


def advisor_messages(conversation: Conversation,
                     context: ConversationContext | Sequence[Any]) -> list[AdvisorMessage]:
    """The advisor's messages with text, in order, canned or not.

    Made once per context and conversation (``context.views``), so the analyzers that read them
    share their words.
    """
    if not isinstance(context, ConversationContext):
        context = ConversationContext(docs=tuple(context))
    made = context.views.get("advisor_messages")
    if made is not None and made[0] is conversation:
        return made[1]
    docs, macros = context.docs, context.macro_messages
    messages = [AdvisorMessage(i, m.text, fold(m.text), docs[i] if i < len(docs) else None,
                               i in macros)
                for i, m in enumerate(conversation.messages)
                if m.role is Role.ADVISOR and m.text.strip()]
    context.views["advisor_messages"] = (conversation, messages)
    return messages


def words_of(doc: Doc) -> list[Token]:
    """The words of a parse: tokens with a letter, no link, address or placeholder."""
    return [t for t in doc if not (t.is_punct or t.is_space or t.like_url or t.like_email)
            and any(c.isalpha() for c in t.text) and not PLACEHOLDER.match(t.text)]


def is_long_word(word: Token, letters: int) -> bool:
    """Whether ``word`` has ``letters`` letters or more (an apostrophe or a hyphen is none)."""
    text = word.text
    if len(text) < letters:  # most words: too short whatever they hold
        return False
    return text.isalpha() or sum(1 for c in text if c.isalpha()) >= letters


#: A named group, made plain when patterns are searched together.
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
#: What :func:`without_assertions` reads one at a time: an escape, a character class, an
#: assertion's opening, a bracket, or any other character.
_REGEX_PART = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\(\?<?[=!]|[()]|[^\\[()]+", re.DOTALL)


def without_assertions(pattern: str) -> str:
    """``pattern`` with its lookahead and lookbehind assertions left out.

    An assertion only narrows where a pattern matches, so what is left matches everywhere the
    pattern does, and more: a cheap first search. Python tries each assertion at every
    position of the text, which made the combined search of the tics a tenth of a millisecond
    per message. A conditional group (``(?(1)…)``) keeps the pattern as it is.
    """
    if "(?(" in pattern:
        return pattern
    kept, depth, closed = [], 0, False  # depth > 0: inside an assertion (and its brackets)
    for part in _REGEX_PART.findall(pattern):
        if closed and part[0] in "?*+{":
            return pattern  # a quantified assertion (« (?=x)? »): kept whole
        closed = False
        if depth:
            depth += 1 if part.startswith("(") else -1 if part == ")" else 0
            closed = not depth
        elif part.startswith("(?") and part.endswith(("=", "!")):
            depth = 1
        else:
            kept.append(part)
    return "".join(kept)


@dataclass(frozen=True)
class PatternSet:
    """Regular expressions on folded text, searched together first.

    Most texts match none of a list: one search for all of them at once (named groups made
    plain, assertions left out, see :func:`without_assertions`) skips those, and only a text it
    matches is searched pattern by pattern.
    """

    patterns: tuple[re.Pattern[str], ...]
    either: re.Pattern[str] | None

    @classmethod
    def compile(cls, sources: Iterable[str]) -> PatternSet:
        """The patterns of ``sources``, and their combined search."""
        sources = tuple(sources)
        either = "|".join(f"(?:{without_assertions(_NAMED_GROUP.sub('(?:', s))})"
                          for s in sources)
        return cls(tuple(map(re.compile, sources)), re.compile(either) if sources else None)

    def finditer(self, folded: str) -> Iterator[tuple[re.Pattern[str], re.Match[str]]]:
        """Each pattern's matches in ``folded``, pattern by pattern."""
        if self.either is None or not self.either.search(folded):
            return
        for pattern in self.patterns:
            for match in pattern.finditer(folded):
                yield pattern, match

    def spans(self, folded: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every match (of the group named ``w`` when there is one).

        The spans of one text never overlap: the earlier, then the longer, wins.
        """
        found = []
        for pattern, m in self.finditer(folded):
            start, end = m.span("w") if "w" in pattern.groupindex else m.span()
            if end > start:
                found.append((start, end))
        return apart(found)


def apart(spans: Iterable[SpanT]) -> list[SpanT]:
    """``spans`` without overlaps, in order: the earlier, then the longer, wins.

    A span is ``(start, end)``, or a longer tuple that begins so (« bien entendu » is one
    stock phrase, not one of « entendu » as well).
    """
    taken: list[SpanT] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if all(span[1] <= t[0] or span[0] >= t[1] for t in taken):
            taken.append(span)
    return sorted(taken)


def finding(analyzer: str, code: str, message: AdvisorMessage, start: int, end: int,
            severity: Severity, **details: Any) -> Finding:
    """A finding on ``message.text[start:end]``; details say whether the message is canned."""
    return Finding(analyzer=analyzer, code=code, message_index=message.index, start=start,
                   end=end, text=message.text[start:end], severity=severity,
                   details={**details, "macro": message.macro})


def other_findings(own: Sequence[AdvisorMessage],
                   context: ConversationContext | Sequence[Any],
                   sources: Iterable[FindingSource]) -> float:
    """How many findings of other message analyzers the own messages hold, by code prefix.

    ``sources`` name each analyzer and the code prefixes that count. NaN when none of those
    analyzers ran in the pipeline (their results are not in the context): no count of findings
    is no evidence that there are none.
    """
    if not isinstance(context, ConversationContext):
        return math.nan
    counted, ran = 0, False
    for source in sources:
        results = context.message_results.get(source.analyzer)
        if results is None:
            continue
        ran = True
        prefixes = tuple(source.codes)
        counted += sum(1 for m in own if m.index in results
                       for f in results[m.index].findings if f.code.startswith(prefixes))
    return float(counted) if ran else math.nan
