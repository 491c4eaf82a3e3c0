"""The five result tables of a run, their fixed columns, and writers that stream them to disk.

``messages``, ``findings``, ``conversations``, ``forms`` and ``errors`` are pandas DataFrames
with the same columns whatever the data (metric columns come from the analyzers'
declarations), so an empty archive still gives well-formed files, and chunks written one after
the other share one schema.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.errors import ConfigError, Errors

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
}
FORM_COLUMNS = {
    "conversation_id": "string",
    "grid": "string",
    "criterion": "string",
    "criterion_label": "string",
    "level": "string",
    "confidence": "float64",
    "rule": "string",
    "evidence": "string",
    "evidence_codes": "string",
    "reason": "string",
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
        """Write each table as ``out/<name>.<format>`` and ``out/meta.json``; return the paths."""
        writer = TableWriter(out, format, {n: dict(df.dtypes.astype(str)) for n, df in self})
        writer.append(self)
        return writer.close(self.meta)


class TableWriter:
    """Append chunks of tables to files, one file per table, with a fixed schema.

    Parquet goes through ``pyarrow.parquet.ParquetWriter`` (one row group per chunk), CSV and
    JSONL are appended, XLSX is written at ``close`` (Excel files cannot be appended to).
    """

    def __init__(self, out: str | Path, format: str, schemas: Mapping[str, Mapping[str, str]]):
        if format not in FORMATS:
            raise ConfigError(Errors.E004.format(format=format, formats=list(FORMATS)))
        self.out = Path(out)
        self.format = format
        self.schemas = schemas
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(Errors.E015.format(path=self.out, problem=exc)) from None
        self._parquet: dict[str, Any] = {}
        self._started: set[str] = set()
        self._xlsx: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLE_NAMES}

    def path(self, name: str) -> Path:
        """The file of table ``name``."""
        return self.out / f"{name}.{self.format}"

    def append(self, tables: Tables) -> None:
        """Write one chunk of every table."""
        for name, df in tables:
            getattr(self, f"_append_{self.format}")(name, df)
            self._started.add(name)

    def _append_parquet(self, name: str, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        if name not in self._parquet:
            self._parquet[name] = pq.ParquetWriter(self.path(name), table.schema)
        self._parquet[name].write_table(table.cast(self._parquet[name].schema))

    def _append_csv(self, name: str, df: pd.DataFrame) -> None:
        first = name not in self._started
        df.to_csv(
            self.path(name), mode="w" if first else "a", header=first, index=False,
            encoding="utf-8-sig" if first else "utf-8",
        )

    def _append_jsonl(self, name: str, df: pd.DataFrame) -> None:
        first = name not in self._started
        with self.path(name).open("w" if first else "a", encoding="utf-8") as fh:
            if len(df):
                text = df.to_json(orient="records", lines=True, force_ascii=False)
                fh.write(text if text.endswith("\n") else text + "\n")

    def _append_xlsx(self, name: str, df: pd.DataFrame) -> None:
        self._xlsx[name].append(df)

    def close(self, meta: Mapping[str, Any] | None = None) -> list[Path]:
        """Finish every file (and ``meta.json``); return the paths written."""
        paths: list[Path] = []
        if self.format == "xlsx":
            path = self.out / "chatqa.xlsx"
            with pd.ExcelWriter(path, engine="openpyxl") as xl:
                for name in TABLE_NAMES:
                    parts = self._xlsx[name]
                    df = pd.concat(parts, ignore_index=True) if parts else frame(
                        [], self.schemas.get(name, {})
                    )
                    df.to_excel(xl, sheet_name=name, index=False)
            paths.append(path)
        else:
            for name in TABLE_NAMES:
                if name not in self._started:
                    empty = Tables(**{n: frame([], self.schemas.get(n, {})) for n in TABLE_NAMES})
                    getattr(self, f"_append_{self.format}")(name, getattr(empty, name))
                    self._started.add(name)
                if name in self._parquet:
                    self._parquet[name].close()
                paths.append(self.path(name))
        if meta is not None:
            meta_path = self.out / "meta.json"
            meta_path.write_text(
                json.dumps(dict(meta), indent=2, ensure_ascii=False, default=str), "utf-8"
            )
            paths.append(meta_path)
        return paths
