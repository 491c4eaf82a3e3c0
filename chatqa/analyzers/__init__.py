"""Analyzers: the protocol, the registry and the packaged analyzers."""

from __future__ import annotations

from chatqa.analyzers.base import (
    Analysis,
    ConversationAnalyzer,
    MessageAnalyzer,
    MetricSpec,
    analyzers,
    get_factory,
)

__all__ = [
    "Analysis",
    "ConversationAnalyzer",
    "MessageAnalyzer",
    "MetricSpec",
    "analyzers",
    "get_factory",
]
