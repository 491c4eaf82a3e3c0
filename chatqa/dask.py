"""Score an archive on a Dask cluster: the tables of one machine, partition by partition.

``score(source, grid)`` takes a path, a glob or a list of chatqa inputs (JSONL, Parquet,
CSV..., local or any fsspec URL), or a Dask DataFrame of messages, and returns the five result
tables as Dask DataFrames (:class:`DaskTables`). It is ``Pipeline.score_archive`` cut in
pieces a cluster can share, with the same guarantees:

1. **One macro table for the whole archive**, counted first (a distributed group-by on each
   advisor text's :func:`chatqa.macros.macro_key`), then sent to the workers with the grid.
   A conversation's result depends only on itself and that table, as on one machine.
2. **Files are read by chatqa's own readers**, one task per file (``score_archive`` on the
   file, i.e. :func:`chatqa.io.iter_records`), so validation and the ``errors`` table are
   those of one machine. A Dask DataFrame's rows go through the same record builder
   (:func:`chatqa.io.records.build_conversation`) as every reader.
3. **Each worker builds the pipeline once**: :func:`load_pipeline` is cached per process,
   keyed by the grid's and the macro table's sha256, so every partition a worker scores
   reuses its spaCy pipeline and its cache of analysed texts.

Dask is an optional dependency (``pip install chatqa[dask]``); ``import chatqa`` never
imports this module. ``docs/performance.md`` shows a run on a cluster and what it costs.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import math
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chatqa.errors import ChatQAError, ConfigError, Errors, TranscriptError

try:
    import dask
    import dask.dataframe as dd
    from dask.delayed import delayed
except ImportError as exc:  # the optional extra is not installed
    raise ConfigError(Errors.E109.format(problem=exc)) from exc

from chatqa.columns import TABLE_NAMES, frame
from chatqa.evaluation.grid import Grid, load_grid
from chatqa.io.records import as_id, build_conversation, id_problem
from chatqa.macros import MACROS_FILE, MacroTable, advisor_text_keys
from chatqa.model import Conversation
from chatqa.runner import DEFAULT_CACHE_SIZE
from chatqa.tables import Tables

if TYPE_CHECKING:
    from chatqa.pipeline import Pipeline

__all__ = [
    "DaskTables", "PipelineSpec", "count_macros", "load_pipeline", "pipeline_loads",
    "score", "score_batches", "score_frame", "spark_schema",
]

#: Columns every messages frame must have (``author`` and metadata columns are optional).
MESSAGE_FRAME_COLUMNS = ("conversation_id", "role", "time", "text")
#: The column :func:`score` adds to a Dask DataFrame: partition number << 40 | row position.
ORDER = "_chatqa_order"
_ORDER_BITS = 40
#: Keyword arguments :func:`score` passes to chatqa's readers (``storage_options`` to fsspec).
READ_OPTIONS = ("input_format", "columns", "encoding", "storage_options")
#: One row per (conversation, distinct advisor text key): the first pass of the macro table.
MACRO_ROWS = {"key": "string", "order": "int64", "text": "string"}
_SOURCE_FRAME = "<dask DataFrame>"
_PART_META = {"meta": "string"}
_SPARK_TYPES = {"string": "string", "Int64": "bigint", "float64": "double",
                "boolean": "boolean"}


# --- the tables --------------------------------------------------------------------------------
@dataclass
class DaskTables:
    """The five result tables of a run as Dask DataFrames, plus the run's macro table and meta.

    Each partition of the input is scored once for all five tables, when they are computed
    together: use :meth:`compute`, :meth:`persist` or :meth:`to_parquet`, not
    ``tables.messages.compute()`` then ``tables.findings.compute()`` (which scores twice).
    Rows come partition by partition, with each partition's own index.
    """

    messages: dd.DataFrame
    findings: dd.DataFrame
    conversations: dd.DataFrame
    forms: dd.DataFrame
    errors: dd.DataFrame
    macros: MacroTable | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    parts_meta: dd.DataFrame | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[tuple[str, dd.DataFrame]]:
        """Iterate over ``(name, Dask DataFrame)`` pairs, in ``TABLE_NAMES`` order."""
        return ((name, getattr(self, name)) for name in TABLE_NAMES)

    def compute(self, **kwargs: Any) -> Tables:
        """Compute the five tables at once (one scoring per partition) as :class:`Tables`.

        Keyword arguments go to ``dask.compute`` (``scheduler=``...). Each table gets a fresh
        ``RangeIndex``; ``meta`` lists the analyzers left out for a language met on a worker.
        """
        *frames, metas = dask.compute(*(df for _, df in self), self.parts_meta, **kwargs)
        tables = {name: df.reset_index(drop=True) for name, df in zip(TABLE_NAMES, frames,
                                                                      strict=True)}
        parts = [json.loads(m) for m in metas["meta"]] if metas is not None else []
        return Tables(**tables, meta=_merged_meta(self.meta, parts))

    def persist(self, **kwargs: Any) -> DaskTables:
        """Score every partition once and keep the five tables in the cluster's memory."""
        *frames, metas = dask.persist(*(df for _, df in self), self.parts_meta, **kwargs)
        return DaskTables(*frames, macros=self.macros, meta=dict(self.meta), parts_meta=metas)

    def to_parquet(self, out: str | os.PathLike[str], **kwargs: Any) -> None:
        """Write each table as a Parquet dataset ``out/<table>/`` in one computation.

        One file per partition (Dask's ``to_parquet``; keyword arguments go to it for every
        table). A local ``out`` also gets the run's ``macros.csv``.
        """
        out = os.fspath(out).rstrip("/")
        writes = [df.to_parquet(f"{out}/{name}", compute=False, **kwargs) for name, df in self]
        dask.compute(*writes)
        if "://" not in out and self.macros is not None:
            self.macros.write_csv(Path(out) / MACROS_FILE)


def _merged_meta(meta: Mapping[str, Any], parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    merged = dict(meta)
    unavailable = {k: dict(v) for k, v in meta.get("analyzers_unavailable", {}).items()}
    for part in parts:
        for lang, reasons in part.get("analyzers_unavailable", {}).items():
            unavailable.setdefault(lang, {}).update(reasons)
    merged["analyzers_unavailable"] = {k: unavailable[k] for k in sorted(unavailable)}
    return merged


# --- one pipeline per worker process -----------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PipelineSpec:
    """What a worker needs to build the run's pipeline: the grid and the macro table.

    Equal and hashed by ``(grid_sha256, macros_sha256, cache_size)``, so it keys the cache of
    :func:`load_pipeline`. Build it with :meth:`of`.
    """

    grid: Grid
    macros: MacroTable | None
    grid_sha256: str
    macros_sha256: str
    cache_size: int = DEFAULT_CACHE_SIZE

    @classmethod
    def of(cls, grid: str | Path | Grid, macros: MacroTable | None = None, *,
           cache_size: int = DEFAULT_CACHE_SIZE) -> PipelineSpec:
        """The spec of a grid (name, path or Grid) and a macro table, with their hashes."""
        grid = grid if isinstance(grid, Grid) else load_grid(grid)
        grid_sha = grid.sha256 or hashlib.sha256(grid.model_dump_json().encode()).hexdigest()
        return cls(grid, macros, grid_sha, macros_sha256(macros), cache_size)

    @property
    def key(self) -> tuple[str, str, int]:
        """``(grid sha256, macro table sha256, cache size)``."""
        return (self.grid_sha256, self.macros_sha256, self.cache_size)

    @property
    def name(self) -> str:
        """A short name of the key, as :func:`pipeline_loads` counts it."""
        return f"{self.grid.name}:{self.grid_sha256[:12]}:{self.macros_sha256[:12]}"

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PipelineSpec) and other.key == self.key


def macros_sha256(macros: MacroTable | None) -> str:
    """The sha256 of a macro table's content (``"none"`` for no table)."""
    if macros is None:
        return "none"
    content = [macros.min_conversations, macros.conversations, macros.sources, macros.texts]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


_LOADS: Counter[str] = Counter()
_LOAD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _worker(spec: PipelineSpec) -> tuple[Pipeline, threading.Lock]:
    from chatqa.pipeline import Pipeline

    _LOADS[spec.name] += 1
    return Pipeline(spec.grid, cache_size=spec.cache_size, macros=spec.macros), threading.Lock()


def _worker_of(spec: PipelineSpec) -> tuple[Pipeline, threading.Lock]:
    with _LOAD_LOCK:  # two threads of a worker missing the cache at once build it once
        return _worker(spec)


def load_pipeline(spec: PipelineSpec) -> Pipeline:
    """This process's pipeline for ``spec``, built on first use and kept (4 specs at most).

    A pipeline is used by one thread at a time (the scoring functions hold its lock): run
    workers with one thread each (``dask worker --nthreads 1``) and as many as cores.
    """
    return _worker_of(spec)[0]


def pipeline_loads() -> dict[str, int]:
    """How many pipelines this process built, by spec name (read with ``client.run``)."""
    return dict(_LOADS)


# --- messages frames -> records ------------------------------------------------------------------
def _value(value: Any) -> Any:
    """A cell as a reader gives it: missing values None, numpy scalars Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_records(
    messages: pd.DataFrame, message_columns: Sequence[str] = ()
) -> Iterator[tuple[int, Conversation | TranscriptError]]:
    """The records of a frame of messages, as ``(order, Conversation or TranscriptError)``.

    Rows are taken in the order of the :data:`ORDER` column when there is one, else as they
    come; all rows of a conversation id make one conversation, in the order of its first row
    (its ``order``). ``role``, ``time``, ``text``, ``author`` and the ``message_columns`` are
    the message's; every other column is the conversation's metadata, read from its first
    row (as the flat readers do; empty cells are left out). Each conversation is checked by
    :func:`chatqa.io.records.build_conversation`: a bad one gives its TranscriptError; a row
    without a usable id is a record of its own (E010 on ``id``).
    """
    _check_columns(messages.columns)
    if ORDER in messages.columns:
        messages = messages.sort_values(ORDER, kind="stable")
        orders = messages[ORDER].to_numpy()
    else:
        orders = np.arange(len(messages))
    own = {"conversation_id", "role", "time", "text", "author", ORDER, *message_columns}
    groups: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
    for order, row in zip(orders, messages.to_dict("records"), strict=True):
        row = {k: _value(v) for k, v in row.items()}
        cid = row["conversation_id"]
        key = as_id(cid) if id_problem(cid) is None else ("bad id", int(order))
        groups.setdefault(key, []).append((int(order), row))
    for rows in groups.values():
        first = rows[0][1]
        metadata = {k: v for k, v in first.items() if k not in own and v is not None
                    and not (isinstance(v, str) and v == "")}
        record = {**metadata, "id": first["conversation_id"],
                  "messages": [_message(row, message_columns) for _, row in rows]}
        try:
            yield rows[0][0], build_conversation(record)
        except TranscriptError as exc:
            yield rows[0][0], exc


def _message(row: Mapping[str, Any], message_columns: Sequence[str]) -> dict[str, Any]:
    message = {k: row[k] for k in ("role", "time", "text") if k in row}
    for k in ("author", *message_columns):
        if row.get(k) is not None:
            message[k] = row[k]
    return message


def _check_columns(columns: Iterable[str]) -> None:
    found = list(columns)
    missing = [c for c in MESSAGE_FRAME_COLUMNS if c not in found]
    if missing:
        raise TranscriptError(
            Errors.E012.format(file=_SOURCE_FRAME, missing=missing, found=found[:20]),
            file=_SOURCE_FRAME, code="E012",
        )


def score_frame(pipeline: Pipeline, messages: pd.DataFrame, *,
                message_columns: Sequence[str] = (), redact: bool = False,
                chunk_size: int = 256) -> Tables:
    """Score a pandas frame of messages (:func:`frame_records`) as ``score_archive`` would."""
    from chatqa.runner import run_archive

    records = (record for _, record in frame_records(messages, message_columns))
    tables = run_archive(pipeline, records, meta=pipeline.meta(), chunk_size=chunk_size,
                         progress=False, redact=redact, macros=pipeline.macros)
    return _finished(tables, pipeline)


def _finished(tables: Tables, pipeline: Pipeline) -> Tables:
    """The tables with the meta a partition reports back: analyzers left out, per language."""
    unavailable = pipeline.meta()["analyzers_unavailable"]
    return Tables(*(df for _, df in tables), meta={"analyzers_unavailable": unavailable})


def _meta_row(tables: Tables) -> pd.DataFrame:
    """A partition's meta as a one-row frame (so it computes with the tables)."""
    return frame([{"meta": json.dumps(tables.meta, ensure_ascii=False)}], _PART_META)


# --- tasks run on the workers --------------------------------------------------------------------
def _score_partition(messages: pd.DataFrame, spec: PipelineSpec,
                     message_columns: Sequence[str], redact: bool, chunk_size: int) -> Tables:
    pipeline, lock = _worker_of(spec)
    with lock:
        return score_frame(pipeline, messages, message_columns=message_columns, redact=redact,
                           chunk_size=chunk_size)


def _score_file(path: str, spec: PipelineSpec, read_options: Mapping[str, Any],
                redact: bool, chunk_size: int) -> Tables:
    pipeline, lock = _worker_of(spec)
    options = dict(read_options)
    storage = options.pop("storage_options", None) or {}
    with lock, _local_copy(path, storage) as local:
        try:
            tables = pipeline.score_archive(local, macros=spec.macros, progress=False,
                                            redact=redact, chunk_size=chunk_size, **options)
        except TranscriptError as exc:  # unreadable as a whole: one errors row for the file
            tables = pipeline.score_chunk([exc], redact=redact)
        if local != path:  # a remote file read from a local copy: name the file as given
            tables.errors["file"] = tables.errors["file"].replace(local, path)
            tables.errors["message"] = tables.errors["message"].str.replace(local, path,
                                                                            regex=False)
    return _finished(tables, pipeline)


def _macro_rows(records: Iterable[tuple[int, Conversation | ChatQAError]]) -> pd.DataFrame:
    """One row per conversation and distinct advisor text key (as MacroTable counts them)."""
    rows = []
    for order, conversation in records:
        if not isinstance(conversation, Conversation):
            continue  # a record that failed to read: the scoring pass reports it
        rows.extend((key, order, text) for key, text in advisor_text_keys(conversation))
    return frame(({"key": k, "order": o, "text": t} for k, o, t in rows), MACRO_ROWS)


def _frame_macro_rows(messages: pd.DataFrame, message_columns: Sequence[str]) -> pd.DataFrame:
    return _macro_rows(frame_records(messages, message_columns))


def _file_macro_rows(path: str, index: int, read_options: Mapping[str, Any]) -> pd.DataFrame:
    from chatqa.io import iter_records

    options = dict(read_options)
    storage = options.pop("storage_options", None) or {}
    fmt = options.pop("input_format", None)
    base = index << _ORDER_BITS
    with _local_copy(path, storage) as local:
        try:
            records = iter_records(local, fmt, **options)
            return _macro_rows((base + i, r) for i, r in enumerate(records))
        except TranscriptError:  # unreadable as a whole: the scoring pass reports it
            return frame([], MACRO_ROWS)


def _first_uses(rows: pd.DataFrame, keys: frozenset[str], n: int) -> pd.DataFrame:
    """Each key's first ``n`` rows (by order) among ``keys``."""
    rows = rows[rows["key"].isin(keys)].sort_values("order", kind="stable")
    return rows.groupby("key", sort=False).head(n)


@contextmanager
def _local_copy(path: str, storage_options: Mapping[str, Any]) -> Iterator[str]:
    """A local path to read ``path`` from: itself, or a temporary copy of a remote file."""
    if "://" not in path or path.startswith("file://"):
        yield path.removeprefix("file://")
        return
    import fsspec

    suffix = "".join(Path(path.rsplit("/", 1)[-1]).suffixes[-1:])
    fd, local = tempfile.mkstemp(prefix="chatqa-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as dst, fsspec.open(path, "rb", **storage_options) as src:
            shutil.copyfileobj(src, dst, 16 << 20)
        yield local
    finally:
        os.unlink(local)


# --- the client side ---------------------------------------------------------------------------
def input_files(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """The files of a path, a glob or a list of them, in order (local paths made absolute).

    Raises:
        TranscriptError: E001 when a path or a glob names no file.
    """
    sources = [source] if isinstance(source, str | os.PathLike) else list(source)
    files: list[str] = []
    for item in map(os.fspath, sources):
        if "://" in item and not item.startswith("file://"):
            import fsspec

            fs, _, paths = fsspec.core.get_fs_token_paths(
                item, storage_options=dict(storage_options or {}))
            found = [fs.unstrip_protocol(p) for p in sorted(paths)]
        else:
            local = os.path.abspath(os.path.expanduser(item.removeprefix("file://")))
            found = [local] if os.path.isfile(local) else sorted(
                f for f in glob.glob(local) if os.path.isfile(f))
        if not found:
            raise TranscriptError(Errors.E001.format(file=item, cwd=Path.cwd()), file=item,
                                  code="E001")
        files.extend(found)
    return files


def _prepared(messages: dd.DataFrame, shuffle: bool | None) -> dd.DataFrame:
    """The frame with its :data:`ORDER` column, its partitions aligned on conversations."""
    _check_columns(messages.columns)
    meta = messages._meta.assign(**{ORDER: np.int64(0)}).iloc[:0]
    ordered = messages.map_partitions(_with_order, meta=meta)
    if shuffle is None:
        shuffle = not _aligned(messages)
    if shuffle:
        ordered = ordered.shuffle("conversation_id", npartitions=messages.npartitions)
    return ordered


def _with_order(messages: pd.DataFrame, partition_info: Mapping[str, Any] | None = None
                ) -> pd.DataFrame:
    number = partition_info["number"] if partition_info else 0
    order = (number << _ORDER_BITS) + np.arange(len(messages), dtype="int64")
    return messages.assign(**{ORDER: order})


def _partition_ids(ids: pd.Series) -> pd.Series:
    """The distinct conversation ids of a partition, hashed to 64 bits."""
    hashed = pd.util.hash_pandas_object(ids.dropna().astype(str), index=False)
    return pd.Series(hashed.unique(), dtype="uint64")


def _aligned(messages: dd.DataFrame) -> bool:
    """Whether no conversation id is in two partitions (one pass over the id column)."""
    if messages.npartitions == 1:
        return True
    ids = messages["conversation_id"].map_partitions(_partition_ids, meta=("ids", "uint64"))
    n_ids, n_unique = dask.compute(ids.size, ids.nunique())
    return int(n_ids) == int(n_unique)


def _counted(rows: dd.DataFrame, min_conversations: int) -> MacroTable:
    """The macro table of the macro rows: a distributed count, then each macro's example."""
    counts = rows.groupby("key").size(split_out=max(1, rows.npartitions // 32))
    kept = counts[counts >= min_conversations].compute()
    if kept.empty:
        return MacroTable({}, {}, min_conversations=min_conversations)
    keys = delayed(frozenset(kept.index), name=f"chatqa-macro-keys-{len(kept)}-"
                   f"{hashlib.sha256(' '.join(sorted(kept.index)).encode()).hexdigest()}")
    firsts = rows.map_partitions(_first_uses, keys, min_conversations,
                                 meta=rows._meta).compute()
    firsts = firsts.sort_values("order", kind="stable")
    examples = firsts.groupby("key", sort=False).nth(min_conversations - 1)
    return MacroTable(
        {str(k): int(n) for k, n in kept.items()},
        dict(zip(examples["key"], examples["text"], strict=True)),
        min_conversations=min_conversations,
    )


def count_macros(
    source: dd.DataFrame | str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    grid: str | Path | Grid = "fr_chat",
    *,
    message_columns: Sequence[str] = (),
    shuffle: bool | None = None,
    **read_options: Any,
) -> MacroTable:
    """The archive's macro table, counted on the cluster, as ``MacroTable.from_conversations``.

    Every advisor text's key (:func:`chatqa.macros.macro_key`) is counted once per
    conversation by a distributed group-by; the keys seen in at least the grid's
    ``macro_min_conversations`` conversations are kept, with the text of the conversation
    that reached the threshold (in input order) as example. Arguments as :func:`score`.
    """
    grid = grid if isinstance(grid, Grid) else load_grid(grid)
    read_options = _read_options(read_options)
    if not isinstance(source, dd.DataFrame):
        source = input_files(source, read_options.get("storage_options"))
    rows = _macro_row_frame(source, message_columns, shuffle, read_options)
    return _counted(rows, grid.grid.macro_min_conversations)


def _read_options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(READ_OPTIONS))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {unknown}; read options are "
                        f"{list(READ_OPTIONS)}")
    return dict(options)


def _macro_row_frame(source: dd.DataFrame | list[str], message_columns: Sequence[str],
                     shuffle: bool | None, read_options: Mapping[str, Any]) -> dd.DataFrame:
    """The macro rows of a frame of messages, or of files (as :func:`input_files` lists)."""
    meta = frame([], MACRO_ROWS)
    if isinstance(source, dd.DataFrame):
        messages = source if ORDER in source.columns else _prepared(source, shuffle)
        return messages.map_partitions(_frame_macro_rows, list(message_columns), meta=meta)
    files = source
    return dd.from_delayed([delayed(_file_macro_rows)(f, i, read_options)
                            for i, f in enumerate(files)], meta=meta)


def score(
    source: dd.DataFrame | str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    grid: str | Path | Grid = "fr_chat",
    *,
    macros: MacroTable | str | os.PathLike[str] | None = "auto",
    redact: bool = False,
    message_columns: Sequence[str] = (),
    shuffle: bool | None = None,
    chunk_size: int = 256,
    cache_size: int = DEFAULT_CACHE_SIZE,
    **read_options: Any,
) -> DaskTables:
    """Score an archive on the current Dask scheduler; return the five tables, lazily.

    Args:
        source: either

            * a path, a glob (``"s3://bucket/chats/*.jsonl"``) or a list of them: chatqa
              inputs of any format :func:`chatqa.io.iter_records` reads, one task per file
              (so a file's conversations are read, checked and scored together, and its bad
              records go to ``errors`` exactly as on one machine; a file unreadable as a whole
              is one ``errors`` row and the run goes on). Local paths are made absolute: the
              workers must see them (a shared file system); other URLs are read through
              fsspec (install its backend, e.g. ``s3fs``). Keep files to a partition's size
              (``docs/performance.md``).
            * a Dask DataFrame of messages, one row per message, with the columns
              ``conversation_id, role, time, text`` (``author`` optional) and conversation
              metadata columns such as ``language`` (:func:`frame_records`). A conversation
              must lie in one partition: with ``shuffle=None`` one pass over the id column
              checks it, and when a conversation is split the frame is repartitioned by
              ``conversation_id`` (``ddf.shuffle("conversation_id")``); rows keep their
              input order within a conversation whatever the shuffle does. ``shuffle=True``
              shuffles without checking, ``False`` trusts the partitions.
        grid: a packaged grid name, a ``.toml`` path or a :class:`Grid`.
        macros: ``"auto"`` counts the canned replies over the whole input first
            (:func:`count_macros`); a path reads a macro library; a :class:`MacroTable` is
            used as is; None uses none. The table is sent to every worker with the grid.
        redact: mask personal data in the tables, as ``score_archive(redact=True)``.
        message_columns: columns of a Dask DataFrame that belong to each message rather than
            to the conversation (``automatic_greeting``, ``agent_pseudonym``...).
        shuffle: see ``source``.
        chunk_size: conversations per NLP pass within a partition.
        cache_size: distinct advisor texts whose analyses each worker keeps.
        **read_options: for files: ``input_format``, ``columns``, ``encoding`` (as
            ``score_archive``) and ``storage_options`` (fsspec).

    Returns:
        :class:`DaskTables`; nothing is scored until it is computed (the macro table, with
        ``"auto"``, is counted now).

    Raises:
        TranscriptError: E001 when a path names no file; E012 when the frame lacks a column.
    """
    from chatqa.pipeline import Pipeline

    read_options = _read_options(read_options)
    if isinstance(source, pd.DataFrame):
        raise TypeError("score takes a Dask DataFrame: pass dd.from_pandas(frame, "
                        "npartitions=...), or score a pandas frame with score_frame")
    is_frame = isinstance(source, dd.DataFrame)
    if is_frame and read_options:
        raise TypeError(f"read options {sorted(read_options)} apply to files, not to a "
                        "Dask DataFrame")
    pipeline = Pipeline.from_grid(grid)  # checks the grid now; gives the schemas and the meta
    messages = _prepared(source, shuffle) if is_frame else None
    files = [] if is_frame else input_files(source, read_options.get("storage_options"))
    if macros == "auto":
        table = _counted(
            _macro_row_frame(messages if is_frame else files, message_columns, shuffle,
                             read_options),
            pipeline.grid.grid.macro_min_conversations,
        )
    elif macros is None or isinstance(macros, MacroTable):
        table = macros
    else:
        table = MacroTable.from_library(macros)
    spec = PipelineSpec.of(pipeline.grid, table, cache_size=cache_size)
    shared = delayed(spec, name=f"chatqa-spec-{'-'.join(map(str, spec.key))}")
    if messages is not None:
        parts = [delayed(_score_partition)(p, shared, list(message_columns), redact, chunk_size)
                 for p in messages.to_delayed()]
    else:
        parts = [delayed(_score_file)(f, shared, read_options, redact, chunk_size)
                 for f in files]
    schemas = pipeline.schemas
    frames = {
        name: dd.from_delayed([delayed(getattr)(p, name) for p in parts],
                              meta=frame([], schemas[name]))
        for name in TABLE_NAMES
    }
    meta = {**pipeline.meta(),
            "source": _SOURCE_FRAME if is_frame else os.fspath(source)
            if isinstance(source, str | os.PathLike) else [os.fspath(s) for s in source],
            "macros": len(table) if table is not None else None}
    parts_meta = dd.from_delayed([delayed(_meta_row)(p) for p in parts],
                                 meta=frame([], _PART_META))
    return DaskTables(**frames, macros=table, meta=meta, parts_meta=parts_meta)


# --- Spark and other engines that hand over batches of rows ---------------------------------------
def score_batches(
    batches: Iterable[pd.DataFrame],
    grid: str | Path | Grid = "fr_chat",
    *,
    table: str = "conversations",
    macros: MacroTable | None = None,
    message_columns: Sequence[str] = (),
    redact: bool = False,
    chunk_size: int = 256,
) -> Iterator[pd.DataFrame]:
    """Score a stream of message batches and yield one table of each batch's conversations.

    The shape of Spark's ``mapInPandas`` (``docs/performance.md``): the rows of a conversation
    must come together (sort by ``conversation_id`` within the partition), but a conversation
    may be cut between two batches: the last conversation of a batch waits for the next one.
    The process's pipeline is :func:`load_pipeline`'s, so it is built once per worker.

    Args:
        batches: pandas frames of messages (:func:`frame_records`).
        grid: a packaged grid name, a ``.toml`` path or a :class:`Grid`.
        table: which table to yield (``messages``, ``findings``, ``conversations``, ``forms``,
            ``errors``), with the columns of :func:`spark_schema`.
        macros: the run's macro table (count it once, e.g. with :func:`count_macros`).
        message_columns: columns that belong to each message (:func:`frame_records`).
        redact: mask personal data in the tables.
        chunk_size: conversations per NLP pass.
    """
    if table not in TABLE_NAMES:
        raise ValueError(f"table must be one of {list(TABLE_NAMES)}; got {table!r}")
    pipeline, lock = _worker_of(PipelineSpec.of(grid, macros))
    pending: pd.DataFrame | None = None
    for batch in batches:
        rows = batch if pending is None else pd.concat([pending, batch], ignore_index=True)
        if rows.empty:
            continue
        ids = rows["conversation_id"]
        last = ids.iloc[-1]
        done = ids.ne(last) if _value(last) is not None else pd.Series(True, index=rows.index)
        pending = rows[~done]
        if done.any():
            with lock:
                tables = score_frame(pipeline, rows[done], message_columns=message_columns,
                                     redact=redact, chunk_size=chunk_size)
            yield getattr(tables, table)
    if pending is not None and len(pending):
        with lock:
            tables = score_frame(pipeline, pending, message_columns=message_columns,
                                 redact=redact, chunk_size=chunk_size)
        yield getattr(tables, table)


def spark_schema(table: str, grid: str | Path | Grid = "fr_chat") -> str:
    """The Spark DDL schema of a result table of ``grid`` (the schema ``mapInPandas`` needs)."""
    from chatqa.pipeline import Pipeline

    schema = Pipeline.from_grid(grid).schemas[table]
    return ", ".join(f"`{name}` {_SPARK_TYPES[str(dtype)]}" for name, dtype in schema.items())
