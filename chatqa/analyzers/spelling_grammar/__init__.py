"""Spelling, grammar and typography of advisor messages: backends, chat layer, analyzer."""

from __future__ import annotations

from chatqa.analyzers.spelling_grammar.analyzer import CODES, SpellingGrammarAnalyzer
from chatqa.analyzers.spelling_grammar.issues import Checker, RawIssue

__all__ = ["CODES", "Checker", "RawIssue", "SpellingGrammarAnalyzer"]
