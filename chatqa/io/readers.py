"""One reader per transcript format; each yields Conversations, or a TranscriptError per bad record.

Readers stream: they hold one conversation at a time, so an archive of any size reads in flat
memory. They never raise on a bad record; they yield the error in its place so a batch can
record it and go on (:func:`chatqa.io.read_transcripts` raises it instead). Each record of the
file gives exactly one item, a Conversation or one TranscriptError, so records read = records
scored + rows of the ``errors`` table. A file unreadable as a whole raises a TranscriptError
with its code (E005, E006, E011-E014) before the first record.

Text is decoded line by line: bytes that are not valid in the file's encoding spoil their line
(E016) and nothing else. Flat files (CSV, Parquet) are read twice: a first pass notes which
conversation ids come back after another conversation, so such a conversation goes to the
errors whole (E018) and is never scored from a part; it keeps one entry per id, so memory stays
O(number of conversations).
"""

from __future__ import annotations

import codecs
import csv
import html
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, TextIO

from chatqa.errors import Errors, TranscriptError, Warnings
from chatqa.io.records import (
    as_id,
    backwards_step,
    build_conversation,
    conversation_id_of,
    id_problem,
    transcript_error,
)
from chatqa.model import Conversation

Record = Conversation | TranscriptError

#: Column names of the flat (one message per row) formats, as chatqa calls them.
FLAT_COLUMNS = ("conversation_id", "role", "time", "text")
#: Optional flat columns.
FLAT_OPTIONAL = ("author",)
#: Encodings tried for a CSV without BOM, in order: UTF-8, then Windows (Excel).
DEFAULT_ENCODINGS = ("utf-8", "cp1252")
#: Largest CSV field read, in characters (the csv module's own default is 128 KB); a longer
#: field is an error for its row. The limit is process-wide (``csv.field_size_limit``).
CSV_FIELD_LIMIT = 64 * 1024 * 1024
#: Separators a CSV header is searched for, when no ``sep=`` line names one.
CSV_SEPARATORS = ";,\t|"
#: Rows per Parquet batch.
PARQUET_BATCH = 4096

#: Error handler that turns each undecodable byte ``b`` into the lone surrogate U+DC00 + b, a
#: character no strict decoder ever produces: a line holding one had bytes that do not decode.
_MARK = "chatqa.mark_undecodable"
_MARKED = re.compile("[\udc00-\udcff]")


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(_MARK, _mark_undecodable)

#: Excel's first line naming the separator: ``sep=;``.
_SEP_LINE = re.compile(r'^\s*"?sep=([^\r\n"])"?\s*$', re.IGNORECASE)


# --- native JSONL -----------------------------------------------------------------------------
def read_jsonl(path: Path, *, encoding: str | None = None) -> Iterator[Record]:
    """Read native JSONL: one conversation object per line, blank lines ignored.

    The encoding is UTF-8 (with or without BOM), or UTF-16 / UTF-32 by their BOM, unless
    given. A line with undecodable bytes gives one E016 error; the other lines are read.
    """
    encoding = _text_encoding(path, encoding, "utf-8-sig")
    state = _FileState(str(path), encoding)
    with _open_text(path, encoding) as fh:
        for line_no, line in enumerate(fh, start=1):
            if line_no == 1:
                line = line.lstrip("\ufeff")
            if not line.strip():
                continue
            if _MARKED.search(line):
                yield _undecodable_line(line, state, line_no)
                continue
            record, problem = _loads(line)
            if problem is not None:
                yield TranscriptError(
                    Errors.E011.format(file=state.file, line=line_no, problem=problem),
                    file=state.file, line=line_no, field=None, code="E011",
                )
                continue
            yield state.checked(record, line_no)


def read_json(path: Path, *, encoding: str | None = None) -> Iterator[Record]:
    """Read a ``.json`` file: a list of native conversations, or an Intercom export.

    A record's ``line`` is its position in the list (1 for the first). An empty file reads as
    no record.
    """
    state = _FileState(str(path))
    data = _load_json(path, encoding)
    if data is _EMPTY:
        return
    if _looks_like_intercom(data):
        yield from _intercom_records(data, state)
        return
    items = data.get("conversations") if isinstance(data, Mapping) else data
    if isinstance(data, Mapping) and items is None:
        items = [data]
    if not isinstance(items, list):
        raise TranscriptError(
            Errors.E014.format(file=path, value=type(data).__name__), file=str(path), code="E014"
        )
    for i, record in enumerate(items):
        yield state.checked(record, i + 1)


# --- flat tables: CSV and Parquet -------------------------------------------------------------
def read_csv(
    path: Path,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Iterator[Record]:
    """Read a flat CSV, one message per row, as exported by a chat tool or by Excel.

    The separator is Excel's ``sep=`` first line when there is one, else the commonest of
    ``; , tab |`` in the header line. The encoding is UTF-16 / UTF-32 / UTF-8 by their BOM (or
    UTF-16 by its NUL bytes: Excel's "Unicode text"), else UTF-8 if the file is (mostly) UTF-8,
    else cp1252 (Excel on Windows). A row with more fields than the header has unquoted
    separators in its text: they are joined back into the text column (W003).
    """
    file = str(path)
    encoding = _text_encoding(path, encoding, None) or _utf8_or_cp1252(path)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)

    def open_rows() -> _CsvRows:
        rows = _CsvRows(path, encoding, delimiter)
        if rows.header is not None:
            names = _flat_names(rows.header, columns, file)
            rows.text_index = rows.header.index(names["text"])
        return rows

    with closing(open_rows()) as first:
        if first.header is None:
            return
        names = _flat_names(first.header, columns, file)
        broken = _noncontiguous_ids(first, names["conversation_id"], file, encoding)
    with closing(open_rows()) as rows:
        yield from _group_rows(rows, names, broken, _FileState(file, encoding))


def read_parquet(path: Path, *, columns: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Read a flat Parquet file, one message per row, in batches (line = row number + 1)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = str(path)
    failures = (pa.ArrowException, OSError, ValueError)
    try:
        table = pq.ParquetFile(path)
        header = table.schema_arrow.names
    except failures as exc:
        raise _not_parquet(file, exc) from None
    names = _flat_names(header, columns, file)
    if names["conversation_id"] not in header:  # pragma: no cover - _flat_names checked it
        return

    def rows() -> Iterator[_FlatRow]:
        row_no = 0
        try:
            for batch in table.iter_batches(batch_size=PARQUET_BATCH):
                for values in _batch_rows(batch):
                    row_no += 1
                    yield _FlatRow(row_no + 1, values)
        except failures as exc:
            raise _not_parquet(file, exc) from None

    broken = _noncontiguous_ids(rows(), names["conversation_id"], file, None)
    yield from _group_rows(rows(), names, broken, _FileState(file))


def _not_parquet(file: str, exc: BaseException) -> TranscriptError:
    problem = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return TranscriptError(Errors.E006.format(file=file, format="Parquet", problem=problem),
                           file=file, code="E006")


class UnreadableValue:
    """A Parquet cell pyarrow cannot turn into a Python value (a timestamp past year 9999)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"<unreadable value: {self.reason}>"


def _batch_rows(batch: Any) -> list[dict[str, Any]]:
    """The rows of a record batch as dicts; cells that cannot convert become UnreadableValue."""
    try:
        return batch.to_pylist()
    except (ValueError, OverflowError, ArithmeticError):
        pass
    import pyarrow as pa

    columns: dict[str, list[Any]] = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        try:
            columns[name] = column.to_pylist()
        except (ValueError, OverflowError, ArithmeticError, pa.ArrowException):
            cells = []
            for scalar in column:
                try:
                    cells.append(scalar.as_py())
                except (ValueError, OverflowError, ArithmeticError, pa.ArrowException) as exc:
                    cells.append(UnreadableValue(f"{column.type}: {exc}"[:120]))
            columns[name] = cells
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(),
                                                                      strict=True)]


@dataclass(frozen=True, slots=True)
class _FlatRow:
    """One row of a flat file: its first line, its cells, and what is wrong with it if known.

    ``bad_line``: the first line of the row with undecodable bytes; ``problem``: ``(field,
    why)`` the row could not be read (csv error, fewer fields than the header); ``repaired``:
    ``(fields found, fields expected, separator)`` when extra fields were joined back into the
    text column.
    """

    line: int
    values: Mapping[str, Any]
    bad_line: int | None = None
    problem: tuple[str, str] | None = None
    repaired: tuple[int, int, str] | None = None


class _Lines:
    """The physical lines of a text file, counted, noting the first one that did not decode."""

    def __init__(self, fh: TextIO) -> None:
        self._fh = fh
        self.number = 0
        self.bad: int | None = None
        self.quoted = False  # the last line read holds a quote character

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._fh)
        self.number += 1
        if self.number == 1:
            line = line.lstrip("\ufeff")
        if self.bad is None and _MARKED.search(line):
            self.bad = self.number
        self.quoted = '"' in line
        return line


class _CsvRows:
    """One pass over a CSV: finds the ``sep=`` line, the separator and the header, then rows."""

    def __init__(self, path: Path, encoding: str, delimiter: str | None) -> None:
        self.file = str(path)
        self.encoding = encoding
        self._fh = _open_text(path, encoding)
        self._lines = _Lines(self._fh)
        self.header: list[str] | None = None
        self.delimiter = delimiter or ","
        self.text_index: int | None = None
        sep = None
        pending: list[str] = []
        for line in self._lines:
            if self._lines.number == 1 and (match := _SEP_LINE.match(line)):
                sep = match[1]
                continue
            if line.strip():
                pending.append(line)
                break
            self._lines.bad = None  # a blank line before the header
        if not pending:
            return
        self.delimiter = delimiter or sep or max(CSV_SEPARATORS, key=pending[0].count)
        self._reader = csv.reader(chain(pending, self._lines), delimiter=self.delimiter)
        try:
            header = next(self._reader)
        except csv.Error as exc:
            raise TranscriptError(
                Errors.E012.format(file=self.file, missing=list(FLAT_COLUMNS),
                                   found=f"an unreadable header ({exc})"),
                file=self.file, code="E012",
            ) from None
        if self._lines.bad is not None:
            raise TranscriptError(
                Errors.E013.format(file=self.file, encodings=shown_encoding(encoding)),
                file=self.file,
                line=self._lines.bad, code="E013",
            )
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        self._end = self._lines.number

    def close(self) -> None:
        self._fh.close()

    def __iter__(self) -> Iterator[_FlatRow]:
        header = self.header or []
        width = len(header)
        while True:
            self._lines.bad = None
            try:
                values = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start, self._end = self._end + 1, self._lines.number
                yield _FlatRow(start, {}, self._lines.bad, ("(row)", f"is not a readable CSV "
                                                                    f"row ({exc})"))
                continue
            start, self._end = self._end + 1, self._lines.number
            bad = self._lines.bad
            if len(values) == width and start == self._end and bad is None:  # the usual row
                if "".join(values).strip():
                    yield _FlatRow(start, dict(zip(header, values, strict=True)))
                continue
            if bad is None and not "".join(values).strip():
                continue
            repaired = None
            if len(values) > width:
                while len(values) > width and values[-1] == "":
                    values.pop()  # trailing separators
                if len(values) > width and self.text_index is not None:
                    repaired = (len(values), width, self.delimiter)
                    t, extra = self.text_index, len(values) - width
                    values[t:t + extra + 1] = [self.delimiter.join(values[t:t + extra + 1])]
            row = dict(zip(header, values, strict=False))
            problem = None
            if self._end > start and not self._lines.quoted and values:
                # a row spanning lines ends on the line that closes its quote, unless the
                # quote is never closed and the rest of the file was read into one field
                column = header[min(len(values), width) - 1]
                problem = (column, f"opens a quote that is never closed: lines {start}-"
                                   f"{self._end} were read as one row")
            elif len(values) < width:
                problem = (header[len(values)], f"is missing: the row has {len(values)} fields "
                                                f"where the header has {width}")
            yield _FlatRow(start, row, bad, problem, repaired)


def _flat_names(header: Sequence[str], columns: Mapping[str, str] | None, file: str) -> dict:
    """Map chatqa column names to the file's; raise E012 when a required one is missing."""
    names = {c: c for c in (*FLAT_COLUMNS, *FLAT_OPTIONAL)}
    names.update(columns or {})
    mapped = columns or {}
    if "conversation_id" not in header and "id" in header and "conversation_id" not in mapped:
        names["conversation_id"] = "id"
    missing = [names[c] for c in FLAT_COLUMNS if names[c] not in header]
    if missing:
        found = [h[:40] for h in header[:20]] + (["..."] if len(header) > 20 else [])
        raise TranscriptError(
            Errors.E012.format(file=file, missing=missing, found=found), file=file, code="E012"
        )
    return names


class _FlatIds:
    """The id of each row's id cell, remembering the last one (rows come in runs)."""

    def __init__(self, column: str) -> None:
        self.column = column
        self._last: tuple[Any, tuple[str | None, str | None]] = (None, (None, "is missing"))

    def __call__(self, row: _FlatRow) -> tuple[str | None, str | None]:
        value = row.values.get(self.column)
        last_value, result = self._last
        if value is last_value or (type(value) is str and value == last_value):
            return result
        result = _flat_id(value)
        self._last = (value, result)
        return result


def _flat_id(value: Any) -> tuple[str | None, str | None]:
    """``(id, None)`` for a usable id cell, else ``(None, why)``."""
    if isinstance(value, str):
        if _MARKED.search(value):
            return None, "has bytes that do not decode"
        value = value.strip()
    problem = id_problem(value)
    if problem is not None:
        return None, problem
    return as_id(value), None


def _noncontiguous_ids(
    rows: Iterable[_FlatRow], column: str, file: str, encoding: str | None
) -> set[str]:
    """First pass: the ids whose rows come back after another conversation's rows.

    A CSV in which no data row decodes is in the wrong encoding as a whole: E013.
    """
    id_of = _FlatIds(column)
    first_line: dict[str, int] = {}
    broken: set[str] = set()
    last: str | None = None
    n_rows = n_bad = 0
    for row in rows:
        n_rows += 1
        n_bad += row.bad_line is not None
        cid, _ = id_of(row)
        if cid is None or cid == last:
            continue
        if cid in first_line:
            broken.add(cid)
        else:
            first_line[cid] = row.line
        last = cid
    if encoding is not None and n_rows and n_bad == n_rows:
        raise TranscriptError(
            Errors.E013.format(file=file, encodings=shown_encoding(encoding)), file=file,
            code="E013",
        )
    return broken


def _group_rows(
    rows: Iterable[_FlatRow],
    names: Mapping[str, str],
    broken: set[str],
    state: _FileState,
) -> Iterator[Record]:
    """Second pass: group the rows of each conversation into a record and build it.

    Rows of a conversation must be contiguous (exports are sorted by conversation); a
    conversation whose rows are not (``broken``, from the first pass) gives one E018 error
    naming its lines, after the other records. A row without a usable id is a record of its
    own (E010 on the id column, or E016 when its bytes do not decode).
    """
    file = state.file
    id_column = names["conversation_id"]
    id_of = _FlatIds(id_column)
    source_names = set(names.values())
    broken_lines: dict[str, list[int]] = {cid: [] for cid in broken}
    current: str | None = None
    group: list[_FlatRow] = []

    def flush() -> Record:
        bad = next((r for r in group if r.bad_line is not None or r.problem), None)
        if bad is not None:
            return _row_error(bad, current, names, state)
        first = group[0]
        metadata = {k: v for k, v in first.values.items()
                    if k not in source_names and _filled(v)}
        messages = []
        for row in group:
            message = {c: row.values.get(names[c]) for c in (*FLAT_COLUMNS, *FLAT_OPTIONAL)
                       if names[c] in row.values}
            message.pop("conversation_id", None)
            if message.get("author") == "":
                message["author"] = None
            if row.repaired is not None:
                message["repaired"] = "W003"
                found, expected, delimiter = row.repaired
                state.warn_once("W003", Warnings.W003.format(
                    file=file, line=row.line, found=found, expected=expected,
                    delimiter=delimiter, column=names["text"],
                ))
            messages.append(message)
        record = {"id": current, "messages": messages, **metadata}
        lines = [r.line for r in group]
        return state.build(record, lines[0], lines)

    for row in rows:
        cid, why = id_of(row)
        if cid is None:
            if row.bad_line is not None or row.problem is not None:
                yield _row_error(row, None, names, state)
            else:
                yield transcript_error(
                    why or "is empty", "the conversation id on every row", row.values.get(
                        id_column), file=file, line=row.line, conversation_id=None,
                    field=id_column,
                )
            continue
        if cid in broken_lines:
            broken_lines[cid].append(row.line)
            continue
        if cid != current:
            if current is not None:
                yield flush()
            current, group = cid, []
        group.append(row)
    if current is not None:
        yield flush()
    for cid, lines in sorted(broken_lines.items(), key=lambda item: item[1][:1]):
        yield TranscriptError(
            Errors.E018.format(file=file, conversation_id=cid, lines=_line_ranges(lines)),
            file=file, line=lines[0] if lines else None, conversation_id=cid, field=id_column,
            code="E018",
        )


def _row_error(
    row: _FlatRow, cid: str | None, names: Mapping[str, str], state: _FileState
) -> TranscriptError:
    """The error of a conversation (or an id-less row) that holds an unreadable row."""
    if row.bad_line is not None:
        field, mark = next(((k, m) for k, v in row.values.items() if isinstance(v, str) and
                            (m := _MARKED.search(v))), ("(line)", None))
        byte = f"byte 0x{ord(mark[0]) - 0xDC00:02x}" if mark else "undecodable bytes"
        where = f" in column '{field}'" if mark else ""
        return _undecodable(f"{byte}{where}", state, row.bad_line, cid, field)
    field, problem = row.problem or ("(row)", "is unreadable")
    value = row.values.get(field) if field in row.values else None
    return transcript_error(problem, "one field per header column", value, file=state.file,
                            line=row.line, conversation_id=cid, field=field)


def _line_ranges(lines: Sequence[int], most: int = 20) -> str:
    """``[2, 3, 4, 9]`` -> ``"2-4, 9"`` (at most ``most`` ranges)."""
    ranges: list[list[int]] = []
    for n in lines:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    shown = [f"{a}-{b}" if a != b else str(a) for a, b in ranges[:most]]
    return ", ".join(shown) + (", ..." if len(ranges) > most else "")


def _filled(value: Any) -> bool:
    return value is not None and value != "" and value == value


# --- Intercom ---------------------------------------------------------------------------------
#: Intercom author types, as chatqa roles.
INTERCOM_ROLES = {"admin": "advisor", "team": "advisor", "user": "customer",
                  "lead": "customer", "contact": "customer", "bot": "bot"}
#: Intercom part types that carry a message everyone sees; others become system messages.
INTERCOM_MESSAGE_PARTS = frozenset({"comment", "open", "source"})


def read_intercom(path: Path, *, encoding: str | None = None) -> Iterator[Record]:
    """Read an Intercom export: one conversation object, a list, or ``{"conversations": [...]}``.

    The conversation's ``source`` is its first message; each ``conversation_parts`` entry
    follows. Bodies are HTML and are turned into plain text; ``created_at`` is epoch seconds.
    Notes, assignments and state changes are kept as system messages with their ``part_type``.
    """
    data = _load_json(path, encoding)
    if data is _EMPTY:
        return
    if not _looks_like_intercom(data):
        shown = list(data)[:5] if isinstance(data, Mapping) else type(data).__name__
        raise TranscriptError(
            Errors.E014.format(file=path, value=shown), file=str(path), code="E014"
        )
    yield from _intercom_records(data, _FileState(str(path)))


def _intercom_records(data: Any, state: _FileState) -> Iterator[Record]:
    items = data if isinstance(data, list) else data.get("conversations", [data])
    if not isinstance(items, list):
        items = [items]
    for i, item in enumerate(items):
        try:
            record = intercom_to_record(item)
        except (TypeError, AttributeError, KeyError, ValueError, RecursionError) as exc:
            cid = item.get("id") if isinstance(item, Mapping) else None
            yield transcript_error(
                f"is not an Intercom conversation ({type(exc).__name__})",
                "an object with conversation_parts",
                item if not isinstance(item, Mapping) else list(item)[:6], file=state.file,
                line=i + 1, conversation_id=None if id_problem(cid) else as_id(cid),
                field="conversation_parts",
            )
            continue
        yield state.checked(record, i + 1)


def intercom_to_record(conv: Mapping[str, Any]) -> dict[str, Any]:
    """Turn one Intercom conversation object into the native record shape."""
    parts_field = conv["conversation_parts"]
    parts = parts_field.get("conversation_parts", []) if isinstance(parts_field, Mapping) \
        else parts_field
    messages = []
    source = conv.get("source")
    if isinstance(source, Mapping) and source.get("body"):
        messages.append(_intercom_message(source, conv.get("created_at"), "source"))
    for part in parts:
        messages.append(_intercom_message(part, part.get("created_at"), part.get("part_type")))
    skip = {"conversation_parts", "source", "type"}
    metadata = {k: v for k, v in conv.items() if k not in skip and k != "id"}
    return {"id": conv.get("id"), "messages": messages, **metadata}


def _intercom_message(part: Mapping[str, Any], created_at: Any, part_type: str | None) -> dict:
    author = part.get("author") or {}
    author_type = author.get("type")
    role = INTERCOM_ROLES.get(author_type.lower(), author_type) if isinstance(
        author_type, str) else author_type
    if part_type not in INTERCOM_MESSAGE_PARTS and part_type is not None:
        role = "system"
    return {
        "role": role,
        "time": created_at,
        "text": html_to_text(part.get("body") or ""),
        "author": author.get("name") or author.get("id"),
        "part_type": part_type,
        "part_id": part.get("id"),
    }


_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def html_to_text(body: str) -> str:
    """Plain text of an HTML body: line breaks for blocks, tags dropped, entities decoded."""
    text = _TAGS.sub("", _BLOCK_TAGS.sub("\n", body))
    return html.unescape(text).strip()


def _looks_like_intercom(data: Any) -> bool:
    if isinstance(data, Mapping) and "conversations" in data:
        data = data["conversations"]
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, Mapping) and "conversation_parts" in first


# --- one file's state: ids seen, warnings given -----------------------------------------------
class _FileState:
    """What a reader remembers of one file: the ids seen (-> first line), warnings given."""

    def __init__(self, file: str, encoding: str | None = None) -> None:
        self.file = file
        self.encoding = shown_encoding(encoding or "utf-8")
        self.seen: dict[str, int] = {}
        self.warned: set[str] = set()

    def warn_once(self, code: str, message: str) -> None:
        """Warn ``message`` unless a warning of ``code`` was given for this file already."""
        if code not in self.warned:
            self.warned.add(code)
            warnings.warn(message, stacklevel=4)

    def checked(self, record: Any, line: int) -> Record:
        """One record of a JSON format: checked, its id unique in the file (else E017)."""
        if not isinstance(record, Mapping):
            return transcript_error(
                "is not an object", "one JSON object per conversation", record,
                file=self.file, line=line, conversation_id=None, field="(record)",
            )
        cid, id_key = conversation_id_of(record)
        if cid is not None:
            first = self.seen.setdefault(cid, line)
            if first != line:
                return TranscriptError(
                    Errors.E017.format(file=self.file, line=line, conversation_id=cid,
                                       first_line=first),
                    file=self.file, line=line, conversation_id=cid, field=id_key, code="E017",
                )
        return self.build(record, line, None)

    def build(self, record: Mapping[str, Any], line: int, lines: Sequence[int] | None) -> Record:
        """Build the Conversation (or its error); warn W002 for the file's first time step back."""
        try:
            conv = build_conversation(record, file=self.file, line=line, message_lines=lines)
        except TranscriptError as exc:
            return exc
        if conv.metadata.get("time_order") == "backwards" and "W002" not in self.warned:
            times = [m.time for m in conv.messages]
            i = backwards_step(times)
            if i is not None:
                previous = next(t for t in reversed(times[:i]) if t is not None)
                self.warn_once("W002", Warnings.W002.format(
                    file=self.file, line=lines[i] if lines else line, conversation_id=conv.id,
                    index=i, previous=previous.isoformat(), current=times[i].isoformat(),
                ))
        return conv


# --- helpers ----------------------------------------------------------------------------------
_EMPTY = object()


def check_encoding(encoding: str | None, file: str | None = None) -> None:
    """Raise E005 unless ``encoding`` is None or the name of a Python text codec."""
    if encoding is None:
        return
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise TranscriptError(Errors.E005.format(encoding=encoding), file=file, code="E005")


def _text_encoding(path: Path, encoding: str | None, default: str | None) -> str | None:
    """The encoding given (checked), else the one the file's BOM or NUL bytes say, else default."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if encoding is not None:
        check_encoding(encoding, str(path))
        name = codecs.lookup(encoding).name
        if name in ("utf-16", "utf-32") and sniff_encoding(head) != name:
            return f"{name}-le"  # no BOM: Python's decoder would refuse the whole stream
        return encoding
    return sniff_encoding(head) or default


def sniff_encoding(head: bytes) -> str | None:
    """The encoding a file's first bytes reveal: a BOM, or UTF-16's NUL bytes; else None.

    Excel's "Unicode text" export is UTF-16 LE with a BOM; without a BOM, UTF-16 text in a
    Latin script has a NUL in (nearly) every other byte.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    pairs = len(head) // 2
    if pairs >= 2:
        even_nul, odd_nul = head[0:2 * pairs:2].count(0), head[1:2 * pairs:2].count(0)
        if odd_nul >= 0.75 * pairs and even_nul <= 0.05 * pairs:
            return "utf-16-le"
        if even_nul >= 0.75 * pairs and odd_nul <= 0.05 * pairs:
            return "utf-16-be"
    return None


def _utf8_or_cp1252(path: Path) -> str:
    """UTF-8 when the file decodes as UTF-8, or mostly so; else cp1252 (Excel on Windows).

    "Mostly": lines with valid multi-byte UTF-8 are at least as many as lines that do not
    decode (those then give E016). A cp1252 file with accents has no valid UTF-8 sequences.
    """
    good = bad = 0
    with path.open("rb") as fh:
        for raw in fh:
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
            else:
                good += 1
    return DEFAULT_ENCODINGS[0] if good >= bad else DEFAULT_ENCODINGS[1]


def shown_encoding(encoding: str) -> str:
    """The codec's name as people know it (``utf-8-sig`` is UTF-8 with a BOM: ``utf-8``)."""
    name = codecs.lookup(encoding).name
    return "utf-8" if name == "utf-8-sig" else name


def _open_text(path: Path, encoding: str) -> TextIO:
    """Open for reading text line by line; undecodable bytes are marked, not raised."""
    return path.open(encoding=encoding, errors=_MARK, newline="")


def _undecodable_line(line: str, state: _FileState, line_no: int) -> TranscriptError:
    """E016 for a JSONL line with undecodable bytes, naming its id when it is still readable."""
    mark = _MARKED.search(line)
    problem = f"byte 0x{ord(mark[0]) - 0xDC00:02x} at column {mark.start() + 1}" if mark \
        else "undecodable bytes"
    record, _ = _loads(_MARKED.sub("\ufffd", line))
    cid = conversation_id_of(record)[0] if isinstance(record, Mapping) else None
    if cid is not None and "\ufffd" in cid:
        cid = None
    return _undecodable(problem, state, line_no, cid, "(line)")


def _undecodable(
    problem: str, state: _FileState, line: int, conversation_id: str | None, field: str
) -> TranscriptError:
    return TranscriptError(
        Errors.E016.format(file=state.file, line=line, encoding=state.encoding,
                           problem=problem),
        file=state.file, line=line, conversation_id=conversation_id, field=field, code="E016",
    )


def _loads(text: str) -> tuple[Any, str | None]:
    """``(value, None)``, or ``(None, why)`` when ``text`` is not JSON chatqa can read."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        return None, str(exc).split(":")[0]


def _load_json(path: Path, encoding: str | None) -> Any:
    """The JSON value of a whole file; E013 if it does not decode, E011 if it is not JSON."""
    file = str(path)
    encoding = _text_encoding(path, encoding, "utf-8-sig")
    with _open_text(path, encoding) as fh:
        text = fh.read()
    if _MARKED.search(text):
        line = text.count("\n", 0, _MARKED.search(text).start()) + 1
        raise TranscriptError(
            Errors.E013.format(file=file, encodings=shown_encoding(encoding)), file=file,
            line=line, code="E013",
        )
    text = text.lstrip("\ufeff")
    if not text.strip():
        return _EMPTY
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(
            Errors.E011.format(file=file, line=exc.lineno, problem=exc.msg),
            file=file, line=exc.lineno, code="E011",
        ) from None
    except (RecursionError, ValueError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(
            ":")[0]
        raise TranscriptError(Errors.E011.format(file=file, line="?", problem=problem),
                              file=file, code="E011") from None


