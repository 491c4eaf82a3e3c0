"""Run a pipeline over an archive: chunks, worker processes, progress, streaming writes.

``run_archive`` reads records in chunks, scores each chunk (in this process or in a pool of
forked workers, at most ``2 × n_process`` chunks in flight so memory stays flat), shows a
progress bar on a terminal, and either collects the tables or streams them to a folder with
the per-chunk manifest of :class:`chatqa.io.writers.TableWriter`.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatqa.errors import ConfigError, Errors
from chatqa.io.writers import TableWriter
from chatqa.macros import MACROS_FILE, MacroTable
from chatqa.tables import Tables

if TYPE_CHECKING:
    from chatqa.evaluation.grid import Grid
    from chatqa.pipeline import Pipeline


@dataclass(frozen=True)
class ArchiveSummary:
    """What a streamed ``score_archive(out=...)`` run did.

    Every record of the archive is either scored or failed: ``conversations_failed`` is the
    number of rows of the ``errors`` table (one per record), ``errors`` the same count.
    """

    conversations_scored: int
    conversations_failed: int
    messages: int
    findings: int
    errors: int
    seconds: float
    out: Path
    files: tuple[Path, ...] = field(default=())
    resumed_records: int = 0     # records of an interrupted run's chunks, kept, not rescored

    def __str__(self) -> str:
        rate = self.conversations_scored / self.seconds if self.seconds > 0 else float("inf")
        resumed = (f" (resumed: {self.resumed_records} records already written)"
                   if self.resumed_records else "")
        return (
            f"{self.conversations_scored} conversations scored, {self.conversations_failed} "
            f"failed, {self.messages} messages, {self.findings} findings "
            f"in {self.seconds:.1f} s ({rate:.1f} conversations/s) -> {self.out}{resumed}"
        )


def check_n_process(n_process: object) -> None:
    """Raise E105 unless ``n_process`` is a whole number >= 1."""
    if not isinstance(n_process, int) or isinstance(n_process, bool) or n_process < 1:
        raise ConfigError(Errors.E105.format(value=n_process))


def open_records(
    source: str | Path | Iterable[Any],
    input_format: str | None,
    columns: Mapping[str, str] | None,
    encoding: str | None,
) -> Iterator[Any]:
    """The records of a file (read lazily) or of an iterable of Conversations.

    A file that cannot be read at all fails now, before any output is started.
    """
    if isinstance(source, str | Path):
        from chatqa.io import iter_records

        records = iter_records(source, input_format, columns=columns, encoding=encoding)
        first = next(records, None)
        return iter(()) if first is None else itertools.chain([first], records)
    return iter(source)


def chunked(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` records (the last one shorter)."""
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_archive(
    pipeline: Pipeline,
    records: Iterator[Any],
    *,
    meta: Mapping[str, Any],
    n_process: int = 1,
    out: str | Path | None = None,
    format: str = "parquet",
    chunk_size: int = 256,
    progress: bool | None = None,
    redact: bool = False,
    macros: MacroTable | None = None,
    resume: bool | None = None,
) -> Tables | ArchiveSummary:
    """Score ``records`` chunk by chunk; return the Tables, or a summary when ``out`` is set.

    With ``out``, the run's macro table is written there as ``macros.csv`` first, and an
    interrupted run of the same archive there is resumed (see :class:`TableWriter`): the
    records its kept chunks hold are read past, not scored again.
    """
    check_n_process(n_process)
    from tqdm.auto import tqdm

    meta = {**meta, "chunk_size": chunk_size}
    writer = (TableWriter(out, format, pipeline.schemas, meta=meta, resume=resume)
              if out is not None else None)
    if writer is not None and macros is not None:
        macros.write_csv(Path(out) / MACROS_FILE)
    parts: list[Tables] = []
    counts = {"ok": 0, "failed": 0, "messages": 0, "findings": 0}
    if writer is not None and writer.resumed_records:
        records = itertools.islice(records, writer.resumed_records, None)
        done = writer.resumed_rows
        counts = {"ok": done["conversations"], "failed": done["errors"],
                  "messages": done["messages"], "findings": done["findings"]}
    started = time.perf_counter()
    bar = tqdm(
        desc="scoring", unit="conv", disable=None if progress is None else not progress,
        leave=False, dynamic_ncols=True,
    )
    try:
        for part in _scored_chunks(pipeline, chunked(records, chunk_size), n_process, redact):
            bar.update(int(part.meta["n_records"]))
            counts["ok"] += len(part.conversations)
            counts["failed"] += len(part.errors)  # one row per record that failed
            counts["messages"] += len(part.messages)
            counts["findings"] += len(part.findings)
            if writer is not None:
                writer.append(part)
            else:
                parts.append(part)
    finally:
        bar.close()
    if writer is not None:
        files = writer.close(dict(meta))
        return ArchiveSummary(
            counts["ok"], counts["failed"], counts["messages"], counts["findings"],
            counts["failed"], time.perf_counter() - started, Path(out), tuple(files),
            resumed_records=writer.resumed_records,
        )
    if not parts:
        parts = [pipeline.score_chunk([], redact=redact)]
    return Tables.concat(parts, meta=dict(meta))


def _scored_chunks(
    pipeline: Pipeline, chunks: Iterator[list[Any]], n_process: int, redact: bool
) -> Iterator[Tables]:
    if n_process == 1:
        for chunk in chunks:
            yield pipeline.score_chunk(chunk, redact=redact)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # fork on Linux (as spaCy's nlp.pipe does): scripts without a __main__ guard and
    # notebooks work; spawn elsewhere, where a script needs the guard.
    ctx = mp.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(
        max_workers=n_process, mp_context=ctx, initializer=_init_worker,
        initargs=(pipeline.grid, pipeline.cache_size, pipeline.macros),
    ) as pool:
        pending: list[Any] = []
        for chunk in chunks:
            pending.append(pool.submit(_score_chunk_in_worker, chunk, redact))
            if len(pending) >= 2 * n_process:  # bounded in flight: memory stays flat
                yield pending.pop(0).result()
        for fut in pending:
            yield fut.result()


_WORKER: Pipeline | None = None


def _init_worker(grid: Grid, cache_size: int, macros: MacroTable | None) -> None:
    global _WORKER
    from chatqa.pipeline import Pipeline

    _WORKER = Pipeline(grid, cache_size=cache_size, macros=macros)


def _score_chunk_in_worker(chunk: list[Any], redact: bool) -> Tables:
    assert _WORKER is not None
    return _WORKER.score_chunk(chunk, redact=redact)
