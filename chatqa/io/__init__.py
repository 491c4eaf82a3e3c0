"""Read transcripts in any supported format as :class:`~chatqa.model.Conversation` objects.

``read_transcripts`` is for people: it raises the first bad record as a TranscriptError naming
file, line, conversation and field. ``iter_records`` is for batches: it yields the error in the
record's place so the run records it and goes on.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from chatqa.errors import Errors, TranscriptError, Warnings
from chatqa.io.readers import (
    check_encoding,
    read_csv,
    read_intercom,
    read_json,
    read_jsonl,
    read_parquet,
)
from chatqa.model import Conversation

__all__ = ["FORMATS", "SUFFIXES", "iter_records", "read_transcripts"]

#: Format name -> reader.
FORMATS: dict[str, Callable[..., Iterator[Conversation | TranscriptError]]] = {
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "parquet": read_parquet,
    "intercom": read_intercom,
}
#: File suffix -> format name.
SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv",
    ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
}


def iter_records(
    source: str | os.PathLike[str],
    format: str | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Iterator[Conversation | TranscriptError]:
    """Yield each conversation of ``source``, or a TranscriptError in place of a bad one.

    Args:
        source: path to the archive.
        format: one of :data:`FORMATS`; by default taken from the file suffix.
        columns: for flat formats, ``{"conversation_id": "your column", "role": ..., "time":
            ..., "text": ..., "author": ...}``.
        encoding: text encoding (a Python codec name); by default the BOM's (UTF-8, UTF-16,
            UTF-32), else UTF-8, and for CSV cp1252 when the file is not UTF-8.

    Raises:
        TranscriptError: at the call, when the file is missing or of unknown format or
            encoding (E001-E005); while iterating, before the first record, when it is
            unreadable as a whole (E006, E011-E014). Per-record problems are yielded, not
            raised: each record gives exactly one Conversation or one TranscriptError.
    """
    path = Path(source)
    if not path.is_file():
        raise TranscriptError(Errors.E001.format(file=path, cwd=Path.cwd()), file=str(path),
                              code="E001")
    name = format or SUFFIXES.get(path.suffix.lower())
    if name is None:
        raise TranscriptError(
            Errors.E002.format(file=path, suffix=path.suffix, formats=sorted(FORMATS)),
            file=str(path), code="E002",
        )
    if name not in FORMATS:
        raise TranscriptError(Errors.E003.format(format=name, formats=sorted(FORMATS)),
                              file=str(path), code="E003")
    check_encoding(encoding, str(path))
    kwargs: dict[str, object] = {}
    if name in ("csv", "parquet"):
        kwargs["columns"] = columns
    if name != "parquet":
        kwargs["encoding"] = encoding
    return _records(FORMATS[name](path, **kwargs), path, name)


def read_transcripts(
    source: str | os.PathLike[str],
    format: str | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Iterator[Conversation]:
    """Yield the conversations of ``source``; raise on the first bad record.

    See :func:`iter_records` for the arguments. Use ``Pipeline.score_archive`` to score an
    archive that may hold bad records: they go to its ``errors`` table instead.

    Raises:
        TranscriptError: naming the file, line, conversation id and field at fault.
    """
    for record in iter_records(source, format, columns=columns, encoding=encoding):
        if isinstance(record, TranscriptError):
            raise record
        yield record


def _records(records: Iterator[Conversation | TranscriptError], path: Path, name: str
             ) -> Iterator[Conversation | TranscriptError]:
    """The reader's records, warning W001 once; an OS error reading the file becomes E006."""
    warned = False
    try:
        for record in records:
            if not warned and isinstance(record, Conversation) and \
                    record.metadata.get("time_has_date") is False:
                warnings.warn(
                    Warnings.W001.format(file=path,
                                         resolution=record.metadata["time_resolution"]),
                    stacklevel=3,
                )
                warned = True
            yield record
    except OSError as exc:
        raise TranscriptError(
            Errors.E006.format(file=path, format=name, problem=exc.strerror or exc),
            file=str(path), code="E006",
        ) from None
    except UnicodeError as exc:  # a codec that fails outside its error handler (UTF-7...)
        raise TranscriptError(
            Errors.E013.format(
                file=path, encodings=getattr(exc, "encoding", None) or "the encoding given"
            ),
            file=str(path), code="E013",
        ) from None
