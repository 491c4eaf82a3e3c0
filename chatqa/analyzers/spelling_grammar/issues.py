"""What every spelling / grammar backend returns, and the protocol backends follow.

Backends (builtin, Grammalecte, LanguageTool) report ``RawIssue`` objects with their own rule
ids; the analyzer maps rule ids to chatqa's stable codes, drops what chat text allows, and
turns the rest into ``Finding`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from spacy.tokens import Doc


@dataclass(frozen=True, slots=True)
class RawIssue:
    """One problem as a backend reports it; offsets are character offsets into the text."""

    start: int
    end: int
    rule_id: str                   # the backend's own id, e.g. "conj_j" or "FR_SPELLING_RULE"
    code: str                      # chatqa's stable code, e.g. "grammar.conjugation"
    message: str                   # short explanation for the evaluator
    suggestions: tuple[str, ...] = ()
    backend: str = ""


@runtime_checkable
class Checker(Protocol):
    """A spelling / grammar backend: one instance per process, reused for every message."""

    name: ClassVar[str]            # "builtin", "grammalecte", "languagetool"

    def check(self, text: str, doc: Doc | None = None) -> list[RawIssue]:
        """Return the issues found in ``text``; ``doc`` is spaCy's parse of it when available."""
        ...
