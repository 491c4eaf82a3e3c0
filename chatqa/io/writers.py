"""Write result tables to disk in chunks: Parquet, CSV (Excel-friendly), JSONL or XLSX.

Streaming runs append one chunk at a time, so memory stays flat whatever the archive size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.errors import ConfigError, Errors
from chatqa.tables import FORMATS, TABLE_NAMES, Tables, frame


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
