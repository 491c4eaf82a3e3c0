"""Run a pipeline over an archive: chunks, worker processes, progress, streaming writes.

``run_archive`` reads records in chunks (cut by conversations and by text volume, so chunks
cost about the same), scores each chunk (in this process or in a pool of workers, at most
``2 × n_process`` chunks in flight so memory stays flat), shows a progress bar on a terminal
(messages per second, and the time left when the archive's size is known), and either
collects the tables or streams them to a folder with the per-chunk manifest of
:class:`chatqa.io.writers.TableWriter`.

Workers on Linux are forked from a pipeline already loaded (spaCy, the grammar checker and
every analyzer's resources): they start in milliseconds and share its memory pages until they
write to them. Elsewhere each worker is spawned and loads its own.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatqa.errors import ConfigError, Errors
from chatqa.io.dataset import DatasetAppender, conversation_date, file_sha256
from chatqa.io.writers import TableWriter
from chatqa.macros import MACROS_FILE, MacroTable
from chatqa.model import Conversation
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


#: Distinct advisor texts whose analyses a process keeps. Canned replies are the texts that
#: repeat, and they number in the hundreds or thousands; beyond that the cache only grows
#: (100,000 analyses are about 100 MB), so it is kept well below an archive's size.
DEFAULT_CACHE_SIZE = 20_000


#: Characters of text after which a chunk closes before reaching ``chunk_size`` conversations:
#: long conversations make smaller chunks, so the work of each chunk is about the same.
CHUNK_CHARS = 400_000


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ArchiveSize:
    """Records, messages and characters of an archive, counted while a first pass reads it.

    None before. The progress bar takes the messages as its total (hence a time left); with
    several workers, chunks hold an equal share of the text, small enough that every worker
    gets several: the work is balanced by text volume, not by conversation count.
    """

    #: Chunks per worker, by text volume.
    CHUNKS_PER_WORKER = 4

    def __init__(self) -> None:
        self.records: int | None = None
        self.messages: int | None = None
        self.chars: int | None = None

    def counting(self, records: Iterable[Any]) -> Iterator[Any]:
        """``records`` unchanged; once they are all read, the counts are set."""
        n_records = n_messages = n_chars = 0
        for record in records:
            n_records += 1
            messages = getattr(record, "messages", ())
            n_messages += len(messages)
            n_chars += sum(len(m.text) for m in messages)
            yield record
        self.records, self.messages, self.chars = n_records, n_messages, n_chars

    def count(self, records: Iterable[Any]) -> None:
        """Count ``records`` (a list already in memory)."""
        for _ in self.counting(records):
            pass

    def chunk_size(self, chunk_size: int, n_process: int) -> int:
        """``chunk_size``, made smaller when that leaves fewer than 2 chunks per worker.

        A fallback: chunks are cut by text volume first (:meth:`chunk_chars`).
        """
        if n_process == 1 or not self.records:
            return chunk_size
        return max(1, min(chunk_size, math.ceil(self.records / (2 * n_process))))

    def chunk_chars(self, n_process: int) -> int:
        """Characters of text per chunk: an equal share, ``CHUNKS_PER_WORKER`` per worker."""
        if n_process == 1 or not self.chars:
            return CHUNK_CHARS
        share = math.ceil(self.chars / (self.CHUNKS_PER_WORKER * n_process))
        return max(1, min(CHUNK_CHARS, share))


def check_n_process(n_process: object) -> int:
    """``n_process`` as a number of workers: ``None`` is every available core on Linux.

    Elsewhere ``None`` is one process: workers are spawned there, and a script without the
    ``if __name__ == "__main__":`` guard would fail on the first multi-chunk archive.

    Raises:
        ConfigError: E105 unless ``n_process`` is None or a whole number >= 1.
    """
    if n_process is None:
        return available_cores() if sys.platform == "linux" else 1
    if not isinstance(n_process, int) or isinstance(n_process, bool) or n_process < 1:
        raise ConfigError(Errors.E105.format(value=n_process))
    return n_process


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


def chunked(records: Iterable[Any], size: int,
            max_chars: int = CHUNK_CHARS) -> Iterator[list[Any]]:
    """Lists of at most ``size`` records, closed early once they hold ``max_chars`` of text."""
    chunk: list[Any] = []
    chars = 0
    for record in records:
        chunk.append(record)
        chars += sum(len(m.text) for m in getattr(record, "messages", ()))
        if len(chunk) >= size or chars >= max_chars:
            yield chunk
            chunk = []
            chars = 0
    if chunk:
        yield chunk


def n_messages(chunk: Iterable[Any]) -> int:
    """Messages of the conversations of a chunk (records that failed to read have none)."""
    return sum(len(getattr(record, "messages", ())) for record in chunk)


def run_archive(
    pipeline: Pipeline,
    records: Iterator[Any],
    *,
    meta: Mapping[str, Any],
    n_process: int | None = None,
    out: str | Path | None = None,
    format: str = "parquet",
    chunk_size: int = 256,
    progress: bool | None = None,
    redact: bool = False,
    macros: MacroTable | None = None,
    resume: bool | None = None,
    size: ArchiveSize | None = None,
    append: bool = False,
) -> Tables | ArchiveSummary:
    """Score ``records`` chunk by chunk; return the Tables, or a summary when ``out`` is set.

    With ``out``, the run's macro table is written there as ``macros.csv`` first, and an
    interrupted run of the same archive there is resumed (see :class:`TableWriter`): the
    records its kept chunks hold are read past, not scored again. ``size`` (the archive's,
    when a first pass counted it) gives the progress bar its time left, and with several
    workers makes chunks small enough that each worker gets several. With
    ``append``, the tables go to new partitions of the dataset in ``out``
    (:class:`chatqa.io.dataset.DatasetAppender`) and its macro table is replaced by the
    run's once the run is listed.
    """
    n_process = check_n_process(n_process)
    from tqdm.auto import tqdm

    meta = {**meta, "chunk_size": chunk_size, "chunk_chars": CHUNK_CHARS}
    writer: TableWriter | DatasetAppender | None = None
    if append:
        source = meta.get("source")
        writer = DatasetAppender(out, format, pipeline.schemas, meta,
                                 file_sha256(source) if source else None)
    elif out is not None:
        writer = TableWriter(out, format, pipeline.schemas, meta=meta, resume=resume)
    if writer is not None and macros is not None and not append:
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
        desc="scoring", unit="msg", unit_scale=True, total=size.messages if size else None,
        initial=counts["messages"], disable=None if progress is None else not progress,
        leave=False, dynamic_ncols=True,
    )
    try:
        chunks = (chunked(records, size.chunk_size(chunk_size, n_process),
                          size.chunk_chars(n_process)) if size else chunked(records, chunk_size))
        for part in _scored_chunks(pipeline, chunks, n_process, redact):
            bar.update(int(part.meta["n_messages"]))
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
        if append and macros is not None:  # only once the run is in the dataset
            macros.write_csv(Path(out) / MACROS_FILE)
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
    """Each chunk's tables, in order; an archive of one chunk is scored in this process."""
    first = next(chunks, None)
    if first is None:
        return
    try:
        second = next(chunks, None)
    except Exception:
        yield _counted(pipeline.score_chunk(first, redact=redact), first)  # kept, as any chunk
        raise
    if n_process == 1 or second is None:
        for chunk in itertools.chain([first], [second] if second is not None else [], chunks):
            yield _counted(pipeline.score_chunk(chunk, redact=redact), chunk)
        return
    yield from _pooled(pipeline, itertools.chain([first, second], chunks), n_process, redact)


def _pooled(pipeline: Pipeline, chunks: Iterator[list[Any]], n_process: int,
            redact: bool) -> Iterator[Tables]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    global _WORKER
    # fork on Linux (as spaCy's nlp.pipe does), after loading the pipeline here, so workers
    # inherit the loaded models; scripts without a __main__ guard and notebooks work. spawn
    # elsewhere: each worker loads its own, and a script needs the guard.
    fork = sys.platform == "linux"
    if fork:
        pipeline.load()
        _WORKER = pipeline
    ctx = mp.get_context("fork" if fork else "spawn")
    init = ((_keep_forked_worker, ()) if fork else
            (_init_worker, (pipeline.grid, pipeline.cache_size, pipeline.macros)))
    try:
        with ProcessPoolExecutor(max_workers=n_process, mp_context=ctx, initializer=init[0],
                                 initargs=init[1]) as pool:
            pending: list[tuple[Any, list[Any]]] = []
            try:
                for chunk in chunks:
                    pending.append((pool.submit(_score_chunk_in_worker, chunk, redact), chunk))
                    if len(pending) >= 2 * n_process:  # bounded in flight: memory stays flat
                        future, done = pending.pop(0)
                        yield _counted(future.result(), done)
            except Exception:
                # the archive failed to read on: keep what the workers scored (a resumed run
                # starts after it), then stop
                for future, done in pending:
                    yield _counted(future.result(), done)
                raise
            for future, done in pending:
                yield _counted(future.result(), done)
    finally:
        _WORKER = None


def _counted(tables: Tables, chunk: list[Any]) -> Tables:
    """``tables`` with the chunk's message count and its conversations' dates in ``meta``.

    The count feeds the progress bar, the dates a dataset's partitions.
    """
    tables.meta["n_messages"] = n_messages(chunk)
    tables.meta["dates"] = {r.id: conversation_date(r) for r in chunk
                            if isinstance(r, Conversation)}
    return tables


_WORKER: Pipeline | None = None


def _keep_forked_worker() -> None:
    """A forked worker keeps the pipeline it inherited (loaded before the fork)."""
    assert _WORKER is not None, "forked without a loaded pipeline"


def _init_worker(grid: Grid, cache_size: int, macros: MacroTable | None) -> None:
    global _WORKER
    from chatqa.pipeline import Pipeline

    _WORKER = Pipeline(grid, cache_size=cache_size, macros=macros)


def _score_chunk_in_worker(chunk: list[Any], redact: bool) -> Tables:
    assert _WORKER is not None
    return _WORKER.score_chunk(chunk, redact=redact)
