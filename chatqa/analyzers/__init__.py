"""Analyzers: the protocol, the registry and the packaged analyzers.

Importing this package registers the packaged factories (``factories.register_analyzers``,
idempotent): ``base`` defines the registry and imports nothing of ``factories``, so there is
no import cycle, and the analyzer modules themselves (spaCy, Grammalecte behind them) load only
when a factory runs. Third-party analyzers register through the ``chatqa_analyzers`` entry
point group, read by catalogue on lookup.
"""

from __future__ import annotations

from chatqa.analyzers.base import (
    Analysis,
    ConversationAnalyzer,
    ConversationContext,
    InitializableAnalyzer,
    MessageAnalyzer,
    MetricSpec,
    ReviewingAnalyzer,
    SummarizingAnalyzer,
    analyzers,
    get_factory,
)
from chatqa.analyzers.factories import register_analyzers

register_analyzers()

__all__ = [
    "Analysis",
    "ConversationAnalyzer",
    "ConversationContext",
    "InitializableAnalyzer",
    "MessageAnalyzer",
    "MetricSpec",
    "ReviewingAnalyzer",
    "SummarizingAnalyzer",
    "analyzers",
    "get_factory",
    "register_analyzers",
]
