"""One reader per transcript format; each yields Conversations, or a TranscriptError per bad record.

Readers stream: they hold one conversation at a time, so an archive of any size reads in flat
memory. They never raise on a bad record; they yield the error in its place so a batch can
record it and go on (:func:`chatqa.io.read_transcripts` raises it instead).
"""

from __future__ import annotations

import codecs
import csv
import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from chatqa.errors import Errors, TranscriptError
from chatqa.io.records import build_conversation, transcript_error
from chatqa.model import Conversation

Record = Conversation | TranscriptError

#: Column names of the flat (one message per row) formats, as chatqa calls them.
FLAT_COLUMNS = ("conversation_id", "role", "time", "text")
#: Optional flat columns.
FLAT_OPTIONAL = ("author",)
#: Encodings tried, in order, when none is given: UTF-8 (with or without BOM), then Windows.
DEFAULT_ENCODINGS = ("utf-8-sig", "cp1252")


# --- native JSONL -----------------------------------------------------------------------------
def read_jsonl(path: Path, *, encoding: str | None = None) -> Iterator[Record]:
    """Read native JSONL: one conversation object per line, blank lines ignored."""
    file = str(path)
    with path.open(encoding=encoding or "utf-8-sig") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield TranscriptError(
                    Errors.E011.format(file=file, line=line_no, problem=exc.msg),
                    file=file, line=line_no, field=None, code="E011",
                )
                continue
            yield _checked(record, file=file, line=line_no)


def read_json(path: Path, *, encoding: str | None = None) -> Iterator[Record]:
    """Read a ``.json`` file: a list of native conversations, or an Intercom export."""
    data = _load_json(path, encoding)
    if _looks_like_intercom(data):
        yield from _intercom_records(data, str(path))
        return
    items = data.get("conversations") if isinstance(data, Mapping) else data
    if isinstance(data, Mapping) and items is None:
        items = [data]
    if not isinstance(items, list):
        raise TranscriptError(
            Errors.E014.format(file=path, value=type(data).__name__), file=str(path), code="E014"
        )
    for i, record in enumerate(items):
        yield _checked(record, file=str(path), line=i + 1)


def _checked(record: Any, *, file: str, line: int) -> Record:
    if not isinstance(record, Mapping):
        return transcript_error(
            "is not an object", "one JSON object per conversation", record,
            file=file, line=line, conversation_id=None, field="(record)",
        )
    try:
        return build_conversation(record, file=file, line=line)
    except TranscriptError as exc:
        return exc


# --- flat tables: CSV and Parquet -------------------------------------------------------------
def read_csv(
    path: Path,
    *,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Iterator[Record]:
    """Read a flat CSV, one message per row, as exported by a chat tool or by Excel.

    The separator (``,`` ``;`` or tab) is taken from the header line; the encoding is UTF-8
    (with or without BOM) or, failing that, cp1252 (Excel on Windows).
    """
    encoding = encoding or _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        header_line = fh.readline()
        fh.seek(0)
        if delimiter is None:
            delimiter = max(";,\t|", key=header_line.count)
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip().lstrip("\ufeff") for h in header]

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            line_no = reader.line_num
            for values in reader:
                row_line, line_no = line_no + 1, reader.line_num
                if not any(v.strip() for v in values):
                    continue
                yield row_line, dict(zip(header, values, strict=False))

        yield from _group_rows(rows(), header, columns, str(path))


def read_parquet(path: Path, *, columns: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Read a flat Parquet file, one message per row, in batches (line = row number + 1)."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    header = table.schema_arrow.names

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        row_no = 0
        for batch in table.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                row_no += 1
                yield row_no + 1, row

    yield from _group_rows(rows(), header, columns, str(path))


def _group_rows(
    rows: Iterable[tuple[int, dict[str, Any]]],
    header: list[str],
    columns: Mapping[str, str] | None,
    file: str,
) -> Iterator[Record]:
    """Group consecutive rows of one conversation into a record and build it.

    Rows of a conversation must be contiguous (exports are sorted by conversation); a
    conversation whose rows come back later is reported, not silently merged or split.
    """
    names = {c: c for c in (*FLAT_COLUMNS, *FLAT_OPTIONAL)}
    names.update(columns or {})
    mapped = columns or {}
    if "conversation_id" not in header and "id" in header and "conversation_id" not in mapped:
        names["conversation_id"] = "id"
    missing = [names[c] for c in FLAT_COLUMNS if names[c] not in header]
    if missing:
        raise TranscriptError(
            Errors.E012.format(file=file, missing=missing, found=header), file=file, code="E012"
        )
    source_names = set(names.values())
    seen: set[str] = set()
    current: str | None = None
    messages: list[dict[str, Any]] = []
    lines: list[int] = []
    metadata: dict[str, Any] = {}

    def flush() -> Record:
        record = {"id": current, "messages": messages, **metadata}
        try:
            return build_conversation(record, file=file, line=lines[0], message_lines=lines)
        except TranscriptError as exc:
            return exc

    for line_no, row in rows:
        raw_id = row.get(names["conversation_id"])
        cid = None if raw_id is None else str(raw_id).strip()
        if not cid:
            yield transcript_error(
                "is empty", "the conversation id on every row", raw_id, file=file, line=line_no,
                conversation_id=None, field=names["conversation_id"],
            )
            continue
        if cid != current:
            if current is not None:
                yield flush()
            if cid in seen:
                yield transcript_error(
                    "comes back after other conversations", "the rows of each conversation "
                    "together (sort the file by conversation id, then time)", cid, file=file,
                    line=line_no, conversation_id=cid, field=names["conversation_id"],
                )
                current, messages, lines, metadata = None, [], [], {}
                continue
            seen.add(cid)
            current, messages, lines = cid, [], []
            metadata = {k: v for k, v in row.items() if k not in source_names and _filled(v)}
        message = {c: row.get(names[c]) for c in (*FLAT_COLUMNS, *FLAT_OPTIONAL)
                   if names[c] in row}
        message.pop("conversation_id", None)
        if message.get("author") == "":
            message["author"] = None
        messages.append(message)
        lines.append(line_no)
    if current is not None:
        yield flush()


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
    if not _looks_like_intercom(data):
        shown = list(data)[:5] if isinstance(data, Mapping) else type(data).__name__
        raise TranscriptError(
            Errors.E014.format(file=path, value=shown), file=str(path), code="E014"
        )
    yield from _intercom_records(data, str(path))


def _intercom_records(data: Any, file: str) -> Iterator[Record]:
    items = data if isinstance(data, list) else data.get("conversations", [data])
    for i, item in enumerate(items):
        try:
            record = intercom_to_record(item)
        except (TypeError, AttributeError, KeyError) as exc:
            cid = item.get("id") if isinstance(item, Mapping) else None
            yield transcript_error(
                f"is not an Intercom conversation ({exc})", "an object with conversation_parts",
                item if not isinstance(item, Mapping) else list(item)[:6], file=file,
                line=i + 1, conversation_id=cid, field="conversation_parts",
            )
            continue
        yield _checked(record, file=file, line=i + 1)


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
    role = INTERCOM_ROLES.get(str(author.get("type", "")).lower(), author.get("type"))
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


# --- helpers ----------------------------------------------------------------------------------
def _load_json(path: Path, encoding: str | None) -> Any:
    try:
        return json.loads(path.read_text(encoding or "utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise TranscriptError(
            Errors.E011.format(file=path, line=exc.lineno, problem=exc.msg),
            file=str(path), line=exc.lineno, code="E011",
        ) from None


def _detect_encoding(path: Path, candidates: tuple[str, ...] = DEFAULT_ENCODINGS) -> str:
    """Return the first encoding that decodes the whole file (read in blocks, not held)."""
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TranscriptError(
        Errors.E013.format(file=path, encodings=" or ".join(candidates)), file=str(path),
        code="E013",
    )
