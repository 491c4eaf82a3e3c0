"""The five result tables of a run and their fixed columns.

``messages``, ``findings``, ``conversations``, ``forms`` and ``errors`` are pandas DataFrames
with the same columns whatever the data (metric columns come from the analyzers'
declarations), so an empty archive still gives well-formed files, and chunks written one after
the other share one schema.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from chatqa.errors import ChatQAError
    from chatqa.model import Finding
    from chatqa.results import ConversationResult

from chatqa.columns import (  # noqa: E402 - re-exported: the public home of these names
    CONVERSATION_COLUMNS,
    ERROR_COLUMNS,
    FINDING_COLUMNS,
    FORM_COLUMNS,
    FORMATS,
    MESSAGE_COLUMNS,
    TABLE_NAMES,
    frame,
    table_schemas,
)

__all__ = [
    "CONVERSATION_COLUMNS", "ERROR_COLUMNS", "FINDING_COLUMNS", "FORMATS", "FORM_COLUMNS",
    "MESSAGE_COLUMNS", "TABLE_NAMES", "Tables", "details_json", "frame", "table_schemas",
]


def details_json(details: Mapping[str, Any]) -> str:
    """Serialise a finding's details for a flat table (NaN written as null)."""
    def clean(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return None
        return v

    return json.dumps({k: clean(v) for k, v in details.items()}, ensure_ascii=False, default=str)


@dataclass
class Tables:
    """The result tables of a run, plus ``meta`` (versions, grid, analyzer parameters)."""

    messages: pd.DataFrame
    findings: pd.DataFrame
    conversations: pd.DataFrame
    forms: pd.DataFrame
    errors: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        """Iterate over ``(name, DataFrame)`` pairs, in ``TABLE_NAMES`` order."""
        return ((name, getattr(self, name)) for name in TABLE_NAMES)

    @classmethod
    def from_results(
        cls,
        results: Sequence[ConversationResult],
        errors: Sequence[ChatQAError],
        schemas: Mapping[str, Mapping[str, str]],
        n_records: int,
    ) -> Tables:
        """The tables of scored conversations and of the records that failed (one row each)."""
        from chatqa.results import message_frame

        return cls(
            messages=message_frame([row for r in results for row in r.message_rows],
                                   schemas["messages"]),
            findings=frame(
                (finding_row(r.conversation_id, f) for r in results for f in r.findings),
                schemas["findings"],
            ),
            conversations=frame((conversation_row(r) for r in results), schemas["conversations"]),
            forms=frame((row for r in results for row in r.form.to_rows()), schemas["forms"]),
            errors=frame((error_row(e) for e in errors), schemas["errors"]),
            meta={"n_records": n_records},
        )

    @classmethod
    def concat(cls, parts: Sequence[Tables], meta: Mapping[str, Any] | None = None) -> Tables:
        """Stack the tables of several chunks (they share one schema)."""
        if not parts:
            raise ValueError("Tables.concat needs at least one part")
        tables = {
            name: pd.concat([getattr(p, name) for p in parts], ignore_index=True)
            for name in TABLE_NAMES
        }
        return cls(**tables, meta=dict(meta if meta is not None else parts[0].meta))

    def write(self, out: str | Path, format: str = "parquet") -> list[Path]:
        """Write each table as ``out/<name>.<format>`` and the manifest ``out/meta.json``.

        Goes through :class:`~chatqa.io.writers.TableWriter`, as a streamed run does: files
        are written atomically and the manifest lists them, so ``chatqa report`` can read the
        folder.

        Args:
            out: the output folder.
            format: ``parquet``, ``csv``, ``jsonl`` or ``xlsx``.

        Returns:
            The paths written, ``meta.json`` last.
        """
        from chatqa.io.writers import TableWriter

        schemas = {n: {c: str(t) for c, t in df.dtypes.items()} for n, df in self}
        writer = TableWriter(out, format, schemas, meta=self.meta)
        writer.append(self)
        return writer.close()


def finding_row(conversation_id: str, f: Finding) -> dict[str, Any]:
    """One row of the ``findings`` table."""
    return {
        "conversation_id": conversation_id,
        "message_index": f.message_index,
        "analyzer": f.analyzer,
        "code": f.code,
        "start": f.start,
        "end": f.end,
        "text": f.text,
        "suggestion": f.suggestion,
        "severity": str(f.severity),
        "details": details_json(f.details),
    }


def conversation_row(r: ConversationResult) -> dict[str, Any]:
    """One row of the ``conversations`` table."""
    return {
        "conversation_id": r.conversation_id,
        "language": r.language,
        "n_messages": len(r.message_rows),
        "n_advisor_messages": sum(row["role"] == "advisor" for row in r.message_rows),
        "reviewable": r.form.reviewable,
        "reviewable_reason": r.form.reviewable_reason,
        "overall_score": r.form.overall.score,
        "overall_result": r.form.overall.result,
        "knockouts": ",".join(r.form.overall.knockouts),
        **r.metrics,
    }


def error_row(e: ChatQAError) -> dict[str, Any]:
    """One row of the ``errors`` table: the error's own row, or its message."""
    if hasattr(e, "as_row"):
        return e.as_row()
    return {"code": None, "message": str(e)}
