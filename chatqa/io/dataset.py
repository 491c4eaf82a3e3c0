"""An output folder that grows: each new archive appended as new partitions, nothing rescored.

``score_archive(source, out=folder, append=True)`` (``chatqa score --append``) turns ``folder``
into a *dataset*: every appended archive is one run, written as ordinary run folders (the
layout of :mod:`chatqa.io.manifest`) partitioned by the date of each conversation's first
timed message, Hive style::

    folder/meta.json                                  the dataset manifest: its runs, in order
    folder/macros.csv                                 the macro table, updated by each run
    folder/date=2026-03-02/run=<run>/messages.parquet ...one run folder per date and run
    folder/date=none/run=<run>/...                    conversations without a dated time

pandas reads it with :func:`chatqa.read_tables` (every listed run, concatenated), DuckDB with
``read_parquet('folder/*/*/messages.parquet', hive_partitioning = true)`` and Dask with
``dd.read_parquet('folder/*/*/messages.parquet')``; the ``date`` and ``run`` keys come from
the folder names. A run folder the dataset manifest does not list (an append that crashed) is
removed by the next append; an archive already appended (same SHA-256) is refused (``E023``),
so nothing is scored twice.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.columns import TABLE_NAMES
from chatqa.errors import ConfigError, Errors
from chatqa.io.manifest import MANIFEST, load_manifest
from chatqa.io.writers import TableWriter, atomic_write_text
from chatqa.tables import Tables

#: The ``layout`` value of a dataset manifest.
LAYOUT = "dataset"
#: The partition of conversations with no dated time (clock times only, or none).
NO_DATE = "none"
#: Keys a run must share with the dataset to be appended to it.
APPEND_KEYS = ("chatqa_version", "grid_sha256", "format")


def conversation_date(conversation: Any) -> str:
    """``YYYY-MM-DD`` of the conversation's first timed message, or :data:`NO_DATE`.

    Clock times without a date (``HH:MM``, placed on a nominal day) have no date to give.
    """
    if not conversation.metadata.get("time_has_date", True):
        return NO_DATE
    first = next((m.time for m in conversation.messages if m.time is not None), None)
    return first.date().isoformat() if first is not None else NO_DATE


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_dataset(folder: str | Path) -> bool:
    """Whether ``folder`` holds a dataset manifest."""
    manifest = load_manifest(Path(folder))
    return manifest is not None and manifest.get("layout") == LAYOUT


def dataset_runs(folder: str | Path) -> list[dict[str, Any]]:
    """The runs a dataset manifest lists, in the order they were appended."""
    manifest = load_manifest(Path(folder)) or {}
    return [r for r in manifest.get("runs", []) if isinstance(r, dict)]


def run_folders(folder: str | Path) -> list[Path]:
    """Every run folder of a dataset, in order (one per date and run)."""
    return [Path(folder) / p for run in dataset_runs(folder) for p in run.get("partitions", [])]


class DatasetAppender:
    """Write one run's tables into a dataset, one :class:`TableWriter` per date partition.

    Has the writer interface ``run_archive`` streams to: ``append(tables)``, ``close(meta)``,
    ``resumed_records`` (always 0: an append is not resumed; a crashed one is removed by the
    next).

    Raises:
        ConfigError: ``E023`` when ``out`` holds a single run or files that are not a
            dataset's, when the dataset was scored with another grid, chatqa version or
            format, or when ``source_sha256`` was appended already.
    """

    resumed_records = 0
    resumed_rows: Mapping[str, int] = dict.fromkeys(TABLE_NAMES, 0)

    def __init__(self, out: str | Path, format: str, schemas: Mapping[str, Mapping[str, str]],
                 meta: Mapping[str, Any], source_sha256: str | None) -> None:
        self.out = Path(out)
        self.format = format
        self.schemas = schemas
        self.meta = dict(meta)
        self.source_sha256 = source_sha256
        self.run = "run-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self._writers: dict[str, TableWriter] = {}
        self._rows = dict.fromkeys(TABLE_NAMES, 0)
        self._check()
        self._remove_unlisted()

    def _refuse(self, problem: str) -> ConfigError:
        return ConfigError(Errors.E023.format(folder=self.out, problem=problem))

    def _check(self) -> None:
        if not self.out.exists():
            return
        if not self.out.is_dir():
            raise self._refuse("it is a file")
        manifest = load_manifest(self.out)
        if manifest is None:
            if (self.out / MANIFEST).exists() or any(
                    p.name != "macros.csv" for p in self.out.iterdir()):
                raise self._refuse("it holds files that are not a chatqa dataset")
            return
        if manifest.get("layout") != LAYOUT:
            raise self._refuse("it holds a single run, scored without append; append to a "
                               "new folder, or score that archive again with append")
        for key in APPEND_KEYS:
            ours = self.format if key == "format" else self.meta.get(key)
            if manifest.get(key) != ours:
                raise self._refuse(f"its {key} is {manifest.get(key)!r}, this run's {ours!r}")
        if self.source_sha256 and any(r.get("source_sha256") == self.source_sha256
                                      for r in dataset_runs(self.out)):
            raise self._refuse(f"this archive (SHA-256 {self.source_sha256[:12]}…) was "
                               "appended already: nothing is scored twice")

    def _remove_unlisted(self) -> None:
        """Remove the run folders of an append that crashed (the manifest never listed them)."""
        if not self.out.is_dir():
            return
        listed = {str(p) for p in run_folders(self.out)}
        for partition in self.out.glob("date=*"):
            for run in partition.glob("run=*"):
                if str(run) not in listed:
                    shutil.rmtree(run, ignore_errors=True)
            if partition.is_dir() and not any(partition.iterdir()):
                partition.rmdir()

    def _writer(self, date: str) -> TableWriter:
        if date not in self._writers:
            folder = self.out / f"date={date}" / f"run={self.run}"
            self._writers[date] = TableWriter(folder, self.format, self.schemas,
                                              meta={**self.meta, "partition": date},
                                              resume=False)
        return self._writers[date]

    def append(self, tables: Tables) -> None:
        """Write a chunk's rows to the partitions of their conversations' dates."""
        dates: Mapping[str, str] = tables.meta.get("dates", {})
        by_date: dict[str, dict[str, pd.DataFrame]] = {}
        for name, df in tables:
            if df.empty:
                continue
            keys = df["conversation_id"].map(lambda c: dates.get(c, NO_DATE)) \
                if "conversation_id" in df else pd.Series(NO_DATE, index=df.index)
            for date, rows in df.groupby(keys.fillna(NO_DATE), sort=True):
                by_date.setdefault(str(date), {})[name] = rows.reset_index(drop=True)
            self._rows[name] += len(df)
        for date, frames in sorted(by_date.items()):
            part = Tables(**{n: frames.get(n, tables_empty(getattr(tables, n)))
                             for n in TABLE_NAMES},
                          meta={"n_records": len(frames.get("conversations", ()))})
            self._writer(date).append(part)

    def close(self, meta: Mapping[str, Any] | None = None) -> list[Path]:
        """Finish every partition of the run, then list the run in the dataset manifest."""
        self.meta.update(meta or {})
        if not self._writers:  # an archive with nothing in it still leaves a run behind
            self._writer(NO_DATE)
        files: list[Path] = []
        for date in sorted(self._writers):
            files.extend(self._writers[date].close({**self.meta, "partition": date}))
        runs = dataset_runs(self.out) if self.out.is_dir() else []
        runs.append({
            "run": self.run, "source": self.meta.get("source"),
            "source_sha256": self.source_sha256,
            "partitions": [f"date={d}/run={self.run}" for d in sorted(self._writers)],
            "rows": dict(self._rows), "macros": self.meta.get("macros"),
        })
        manifest = {
            "status": "complete", "layout": LAYOUT,
            **{k: self.meta.get(k) for k in ("chatqa_version", "grid", "grid_sha256")},
            "format": self.format, "runs": runs,
        }
        atomic_write_text(self.out / MANIFEST,
                          json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")
        return [*files, self.out / MANIFEST]


def tables_empty(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with no rows (same columns and dtypes)."""
    return df.iloc[0:0]


def read_dataset(folder: Path, read_run) -> Tables:
    """Every run of a dataset, concatenated in order; ``meta`` is the dataset manifest."""
    manifest = load_manifest(folder) or {}
    parts = [read_run(path) for path in run_folders(folder)]
    tables = Tables.concat(parts, meta=manifest) if parts else None
    if tables is None:
        raise ConfigError(Errors.E020.format(folder=folder, problem="the dataset lists no run"))
    return tables
