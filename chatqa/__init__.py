"""chatqa: score live-chat transcripts of customer-service advisors and pre-fill QA forms.

Public API only::

    import chatqa
    convs = chatqa.read_transcripts("archive.jsonl")
    pipe = chatqa.Pipeline.from_grid("fr_chat")
    res = pipe.score(next(iter(convs)))
    tables = pipe.score_archive("archive.jsonl", n_process=2)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from chatqa.errors import (
    AnalyzerError,
    ChatQAError,
    ConfigError,
    Errors,
    GridError,
    TranscriptError,
    Warnings,
)
from chatqa.model import Conversation, Finding, Message, Role, Severity

# Heavier names (pandas, pydantic, spaCy behind them) load on first use, so `import chatqa`
# stays fast and a CLI `--version` does not pay for them.
_LAZY = {
    "EvaluationForm": "chatqa.evaluation.form",
    "Evidence": "chatqa.evaluation.form",
    "Proposal": "chatqa.evaluation.form",
    "Grid": "chatqa.evaluation.grid",
    "load_grid": "chatqa.evaluation.grid",
    "iter_records": "chatqa.io",
    "read_transcripts": "chatqa.io",
    "read_tables": "chatqa.io.tables",
    "ArchiveSummary": "chatqa.pipeline",
    "ConversationResult": "chatqa.pipeline",
    "Pipeline": "chatqa.pipeline",
    "Tables": "chatqa.tables",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chatqa' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

try:
    __version__ = version("chatqa")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AnalyzerError",
    "ArchiveSummary",
    "ChatQAError",
    "ConfigError",
    "Conversation",
    "ConversationResult",
    "Errors",
    "EvaluationForm",
    "Evidence",
    "Finding",
    "Grid",
    "GridError",
    "Message",
    "Pipeline",
    "Proposal",
    "Role",
    "Severity",
    "Tables",
    "TranscriptError",
    "Warnings",
    "__version__",
    "iter_records",
    "load_grid",
    "read_tables",
    "read_transcripts",
]
