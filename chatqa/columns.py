"""The five result tables' names, fixed columns and dtypes, and output formats.

Kept apart from :mod:`chatqa.tables` so that writers and readers of table files use the
schema without importing the Tables class (and so without importing each other).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

TABLE_NAMES: tuple[str, ...] = ("messages", "findings", "conversations", "forms", "errors")
FORMATS: tuple[str, ...] = ("parquet", "csv", "jsonl", "xlsx")

# Fixed columns of each table; metric columns are appended from the analyzers' MetricSpecs.
MESSAGE_COLUMNS = {
    "conversation_id": "string",
    "message_index": "Int64",
    "role": "string",
    "time": "string",
    "author": "string",
    "text": "string",
}
FINDING_COLUMNS = {
    "conversation_id": "string",
    "message_index": "Int64",
    "analyzer": "string",
    "code": "string",
    "start": "Int64",
    "end": "Int64",
    "text": "string",
    "suggestion": "string",
    "severity": "string",
    "details": "string",
}
CONVERSATION_COLUMNS = {
    "conversation_id": "string",
    "language": "string",
    "n_messages": "Int64",
    "n_advisor_messages": "Int64",
    "reviewable": "boolean",
    "reviewable_reason": "string",
    "overall_score": "float64",
    "overall_result": "string",
    "knockouts": "string",
}
FORM_COLUMNS = {
    "conversation_id": "string",
    "grid": "string",
    "criterion": "string",
    "criterion_label": "string",
    "section": "string",
    "level": "string",
    "level_label": "string",
    "confidence": "float64",
    "confidence_kind": "string",
    "points": "float64",
    "rule": "string",
    "evidence": "string",
    "evidence_codes": "string",
    "reason": "string",
    "justification": "string",
}
ERROR_COLUMNS = {
    "file": "string",
    "line": "Int64",
    "conversation_id": "string",
    "field": "string",
    "code": "string",
    "message": "string",
}


def table_schemas(
    message_metrics: Sequence[str], conversation_metrics: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Column -> dtype of every table, metric columns included, in output order."""
    return {
        "messages": {**MESSAGE_COLUMNS, **{m: "float64" for m in message_metrics}},
        "findings": dict(FINDING_COLUMNS),
        "conversations": {**CONVERSATION_COLUMNS, **{m: "float64" for m in conversation_metrics}},
        "forms": dict(FORM_COLUMNS),
        "errors": dict(ERROR_COLUMNS),
    }


def frame(rows: Iterable[Mapping[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    """Build a DataFrame with exactly the schema's columns and dtypes (missing values NA)."""
    df = pd.DataFrame.from_records(list(rows), columns=list(schema))
    return df.astype(dict(schema)) if len(schema) else df
