"""Read a scored folder back: exactly the tables its manifest lists, with their dtypes.

:func:`read_tables` refuses a partial folder (``E020``) or one mixing several runs (``E021``),
and undoes the CSV escaping of :mod:`chatqa.io.manifest`. The layout and the manifest are
described there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.columns import FORMATS, TABLE_NAMES, frame
from chatqa.errors import ConfigError, Errors
from chatqa.io.manifest import (
    MANIFEST,
    RAW_COLUMNS,
    XLSX_BOOK,
    entries,
    final_names,
    is_text_dtype,
    load_manifest,
    unescape_csv_cell,
)
from chatqa.tables import Tables


# -- reading ----------------------------------------------------------------------------------
def read_tables(folder: str | os.PathLike[str]) -> Tables:
    """Read the tables of a finished run from ``folder``, exactly as they were written.

    Reads the files the manifest (``meta.json``) lists, with the dtypes it records: ids and
    texts stay strings (``007`` stays ``007``, ``NA`` stays ``NA``), CSV escaping is undone, a
    missing value stays missing.

    Args:
        folder: a folder written by ``chatqa score --out`` or ``Tables.write``.

    Returns:
        The five tables; ``meta`` is the manifest.

    Raises:
        ConfigError: ``E020`` when the folder holds no finished run (no manifest, the run did
            not finish, a listed file is missing or of another size); ``E021`` when table files
            of another format sit beside the run's.
    """
    folder = Path(folder)

    def refuse(problem: str) -> ConfigError:
        return ConfigError(Errors.E020.format(folder=folder, problem=problem))

    if not folder.is_dir():
        raise refuse("no such folder" if not folder.exists() else "it is a file, not a folder")
    if not (folder / MANIFEST).is_file():
        raise refuse(f"no manifest ({MANIFEST})")
    manifest = load_manifest(folder)
    if manifest is None:
        raise refuse(f"its manifest ({MANIFEST}) is not a JSON object")
    if manifest.get("layout") == "dataset":
        from chatqa.io.dataset import read_dataset

        return read_dataset(folder, read_tables)
    status = manifest.get("status")
    chunks = entries(manifest.get("chunks"))
    if status == "running":
        raise refuse(f"the run did not finish: {len(chunks)} chunks written")
    if status != "complete":
        raise refuse(
            f"its manifest ({MANIFEST}) has no run status (written by an older chatqa?)"
            if status is None else f"unknown run status {status!r} in {MANIFEST}"
        )
    fmt = manifest.get("format")
    if fmt not in FORMATS:
        raise refuse(f"unknown format {fmt!r} in {MANIFEST}")
    files = entries(manifest.get("files"))
    expected = set(final_names(fmt))
    listed: dict[str, dict[str, Any]] = {}
    for entry in files:
        name = entry.get("path")
        if name not in expected:
            raise refuse(f"{MANIFEST} lists {name!r}, not a table file of a {fmt} run")
        listed[name] = entry
    if set(listed) != expected:
        raise refuse(f"{MANIFEST} does not list {sorted(expected - set(listed))}")
    for name, entry in listed.items():
        path = folder / name
        if not path.is_file():
            raise refuse(f"{name}, listed in {MANIFEST}, is missing")
        size = path.stat().st_size
        if size != entry.get("bytes"):
            raise refuse(
                f"{name} has {size} bytes where {MANIFEST} says {entry.get('bytes')}: it was "
                "changed or replaced after the run"
            )
    others = sorted(
        n for other in FORMATS if other != fmt for n in final_names(other)
        if (folder / n).exists()
    )
    if others:
        raise ConfigError(Errors.E021.format(
            folder=folder,
            problem=f"the manifest describes a {fmt} run, yet {', '.join(others)} "
                    f"(another format) {'is' if len(others) == 1 else 'are'} there too",
        ))
    schemas = manifest.get("schemas") if isinstance(manifest.get("schemas"), dict) else {}
    if fmt == "xlsx":
        tables = _read_xlsx(folder / XLSX_BOOK, schemas)
    else:
        reader = {"parquet": _read_parquet, "csv": _read_csv, "jsonl": _read_jsonl}[fmt]
        tables = {n: reader(folder / f"{n}.{fmt}", schemas.get(n) or {}) for n in TABLE_NAMES}
    return Tables(**tables, meta=manifest)


def _typed(df: pd.DataFrame, schema: Mapping[str, str]) -> pd.DataFrame:
    """Give ``df`` the schema's dtypes (text columns as pandas strings)."""
    for col in df.columns:
        dtype = schema.get(col)
        if dtype is None or is_text_dtype(dtype):
            df[col] = df[col].astype("category" if dtype == "category" else "string")
        elif dtype in ("bool", "boolean"):
            df[col] = df[col].astype("boolean")
        else:
            df[col] = df[col].astype(dtype)
    return df


def _read_parquet(path: Path, schema: Mapping[str, str]) -> pd.DataFrame:
    return _typed(pd.read_parquet(path), schema)


def _read_csv(path: Path, schema: Mapping[str, str]) -> pd.DataFrame:
    raw = pd.read_csv(
        path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_filter=False
    )
    df = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        dtype = schema.get(col, "string")
        values = raw[col]
        if col in RAW_COLUMNS or is_text_dtype(dtype):
            unescape = col not in RAW_COLUMNS
            df[col] = pd.array(
                [None if v == "" else (unescape_csv_cell(v) if unescape else v) for v in values],
                dtype="string",
            )
        elif dtype in ("bool", "boolean"):
            df[col] = pd.array(
                [None if v == "" else v == "True" for v in values], dtype="boolean"
            )
        else:
            df[col] = pd.to_numeric(values.mask(values == "")).astype(dtype)
    return _typed(df, schema)


def _read_jsonl(path: Path, schema: Mapping[str, str]) -> pd.DataFrame:
    with path.open("r", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    columns = dict(schema) if schema else {k: "string" for row in rows[:1] for k in row}
    return _typed(frame(rows, {c: "object" for c in columns}), columns)


def _read_xlsx(path: Path, schemas: Mapping[str, Mapping[str, str]]) -> dict[str, pd.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        tables = {}
        for name in TABLE_NAMES:
            rows = book[name].iter_rows(values_only=True)
            header = [str(h) for h in next(rows, ())]
            data = [dict(zip(header, row, strict=False)) for row in rows]
            schema = schemas.get(name) or {h: "string" for h in header}
            tables[name] = _typed(frame(data, {c: "object" for c in schema}), schema)
        return tables
    finally:
        book.close()
