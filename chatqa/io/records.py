"""Build a checked :class:`Conversation` from one source record, or say why not.

Every reader turns its format into the same shape (an id, a list of message mappings, the other
keys as metadata) and calls :func:`build_conversation`, so the checks and the error messages
(file, line, conversation id, field) are the same whatever the format. Whatever a record holds
(lists for roles, booleans or 5,000-digit integers for ids, structures nested a thousand deep)
it gives a Conversation or one TranscriptError, never another exception.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chatqa.errors import Errors, TranscriptError
from chatqa.io.roles import author_fields, flagged_as_bot, known_roles, parse_role
from chatqa.io.times import ParsedTime, coarsest_resolution, parse_time, place_clock_times
from chatqa.language import normalize_language
from chatqa.model import Conversation, Message, Role
from chatqa.privacy import redact_excerpt
from chatqa.resources import shipped_languages

#: Keys of a message mapping that become Message fields; the others are kept as metadata.
MESSAGE_KEYS = ("role", "time", "text", "author")
_KIND_NAMES = {
    "clock": "a bare HH:MM time",
    "aware": "a date-time with offset",
    "naive": "a date-time without offset",
}
#: Names a source may use for the conversation id.
ID_KEYS = ("id", "conversation_id")
#: Metadata keys that give a conversation's language, in the order they are read.
LANGUAGE_KEYS = ("language", "lang")
#: Longest id accepted, in characters: an id is repeated on every row of every table.
MAX_ID_LENGTH = 1_000
#: Integer ids must fit in 64 bits (larger ones are not ids but data gone wrong).
MAX_INT_ID = 2**63
#: Deepest nesting of lists and objects kept as metadata (deeper values cannot be pickled to
#: worker processes or printed safely).
MAX_METADATA_DEPTH = 64
#: How many characters of a bad value an error message shows (redacted first).
SHOWN_CHARS = 40

#: A character that is not a blank, a control or a format character (Unicode Z*, Cc, Cf).
_VISIBLE = re.compile(
    r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    r"\ufeff\ufff9-\ufffb]"
)
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
_LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ID_EXPECTED = f"a non-empty string (at most {MAX_ID_LENGTH} characters, one line) or an integer"


class _Shown:
    """A value as an error message shows it: a short excerpt, personal data masked.

    Error rows are read by people (and sent to support): they never echo more than
    :data:`SHOWN_CHARS` characters of the value, and never an e-mail, phone or card number.
    """

    __slots__ = ("text",)

    def __init__(self, value: Any) -> None:
        if not isinstance(value, str):
            try:
                text = repr(value)
            except (RecursionError, ValueError, MemoryError):  # too deep, or a huge int
                text = f"<{type(value).__name__}>"
            value = _Repr(text)
        self.text = redact_excerpt(value, SHOWN_CHARS)

    def __repr__(self) -> str:
        return self.text


class _Repr:
    """An object whose repr is a given text (a value's repr, computed safely once)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def transcript_error(
    problem: str,
    expected: str,
    value: Any,
    *,
    file: str | None,
    line: int | None,
    conversation_id: str | None,
    field: str,
) -> TranscriptError:
    """Return the E010 error for one bad field, naming where it is (the value cut short)."""
    message = Errors.E010.format(
        file=file or "<records>", line=line if line is not None else "?",
        conversation_id=conversation_id if conversation_id is not None else "?",
        field=field, problem=problem, expected=expected, value=_Shown(value),
    )
    return TranscriptError(
        message, file=file, line=line, conversation_id=conversation_id, field=field
    )


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a conversation id, or None when it can (see :func:`as_id`)."""
    if value is None:
        return "is missing"
    if isinstance(value, bool):
        return "is a boolean"
    if isinstance(value, int):
        return None if -MAX_INT_ID < value < MAX_INT_ID else (
            "is an integer too large for an id (write long ids as strings)"
        )
    if not isinstance(value, str):
        return f"is a {'decimal number' if isinstance(value, float) else type(value).__name__}"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long"
    if _invisible(value):
        return "is empty or only blanks and control characters"
    if _LINE_BREAKS.search(value):
        return "contains a line break"
    if _SURROGATE.search(value):
        return "holds a lone surrogate (not valid Unicode)"
    return None


def _invisible(text: str) -> bool:
    """True when ``text`` holds only blanks, control and format characters (Z*, Cc, Cf)."""
    found = _VISIBLE.search(text)
    if found is None:
        return True
    if found[0].isascii():
        return False
    return all(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in text)


def as_id(value: Any) -> str:
    """The id ``value`` names, as a string (``7`` -> ``"7"``, ``"007"`` stays ``"007"``).

    Raises:
        ValueError: with the reason (:func:`id_problem`) when it cannot be an id.
    """
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value if isinstance(value, str) else str(value)


def conversation_id_of(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Return ``(id, key it came from)``; ids may be strings or integers, else ``(None, None)``."""
    for key in ID_KEYS:
        if id_problem(record.get(key)) is None:
            return as_id(record[key]), key
    return None, None


def _id_error_of(record: Mapping[str, Any]) -> tuple[str, str, Any]:
    """``(field, problem, value)`` for a record without a usable id."""
    for key in ID_KEYS:
        if record.get(key) is not None:
            return key, id_problem(record[key]) or "is invalid", record[key]
    return "id", "is missing or empty", None


def _check_language(
    metadata: Mapping[str, Any], *, file: str | None, line: int | None, conversation_id: str
) -> None:
    """Raise E019 when the record names a language chatqa has no resources for."""
    for key in LANGUAGE_KEYS:
        value = metadata.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if normalize_language(value) is None:
            raise TranscriptError(
                Errors.E019.format(
                    file=file or "<records>", line=line if line is not None else "?",
                    conversation_id=conversation_id, field=key,
                    value=value[:40] if isinstance(value, str) else value,
                    available=list(shipped_languages()),
                ),
                file=file, line=line, conversation_id=conversation_id, field=key, code="E019",
            )
        return


def build_conversation(
    record: Mapping[str, Any],
    *,
    file: str | None = None,
    line: int | None = None,
    message_lines: Sequence[int] | None = None,
) -> Conversation:
    """Check one record ``{"id", "messages": [...], ...}`` and return its Conversation.

    ``message_lines`` gives each message's own line (flat formats, one message per row), so
    an error names the row at fault. A message flagged as automatic (``roles.toml`` [flags])
    reads as role ``bot``. Times that go back within the conversation are kept as given and
    the conversation's metadata records ``time_order = "backwards"``.

    Raises:
        TranscriptError: (E010) naming the first bad field.
    """
    cid, id_key = conversation_id_of(record)

    def fail(problem: str, expected: str, value: Any, field: str, at: int | None = line):
        return transcript_error(
            problem, expected, value, file=file, line=at, conversation_id=cid, field=field
        )

    if cid is None:
        field, problem, value = _id_error_of(record)
        raise fail(problem, _ID_EXPECTED, value, field)
    raw_messages = record.get("messages")
    if not isinstance(raw_messages, list):
        raise fail("is missing or not a list", "a list of messages", raw_messages, "messages")

    parsed_times: list[ParsedTime] = []
    fields: list[tuple[Role, str, str | None, dict[str, Any]]] = []
    for i, raw in enumerate(raw_messages):
        at = message_lines[i] if message_lines is not None else line
        where = f"messages[{i}]"
        if not isinstance(raw, Mapping):
            raise fail("is not an object", "an object with role, time, text", raw, where, at)
        raw_role = raw.get("role")
        role = parse_role(raw_role)
        if role is None:
            problem = "is not a known role" if isinstance(raw_role, str) else (
                "is missing" if raw_role is None else f"is a {type(raw_role).__name__}, not a "
                "role name")
            raise fail(problem, f"one of {known_roles()}", raw_role, f"{where}.role", at)
        text = raw.get("text")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise fail("is not a string", "the message text", text, f"{where}.text", at)
        if _SURROGATE.search(text):
            raise fail("holds a lone surrogate (not valid Unicode)", "the message text as "
                       "valid Unicode", text, f"{where}.text", at)
        author = raw.get("author")
        if author is None:  # a source's own key for the author (roles.toml [names])
            author = next((raw[k] for k in author_fields()
                           if isinstance(raw.get(k), str | int) and str(raw[k]).strip()), None)
        if isinstance(author, int | float) and not isinstance(author, bool):
            author = str(author)
        if author is not None and (not isinstance(author, str) or _SURROGATE.search(author)):
            raise fail("is not a string" if not isinstance(author, str) else "holds a lone "
                       "surrogate (not valid Unicode)", "the author's name or id", author,
                       f"{where}.author", at)
        try:
            parsed_times.append(parse_time(raw.get("time")))
        except ValueError as exc:
            raise fail(str(exc), "an ISO-8601 date-time with offset, epoch seconds or HH:MM",
                       raw.get("time"), f"{where}.time", at) from None
        extra = {k: v for k, v in raw.items() if k not in MESSAGE_KEYS}
        deep = _too_deep(extra)
        if deep is not None:
            raise fail(f"is nested more than {MAX_METADATA_DEPTH} levels deep", "flat "
                       "metadata", type(extra[deep]).__name__, f"{where}.{deep}", at)
        flag = flagged_as_bot(raw) if role is not Role.SYSTEM else None
        if flag is not None and role is not Role.BOT:
            extra["source_role"] = raw_role
            role = Role.BOT
        fields.append((role, text, author, extra))

    kinds = [_time_kind(p) for p in parsed_times]
    present = [k for k in kinds if k is not None]
    if len(set(present)) > 1:
        odd = next(i for i, k in enumerate(kinds) if k is not None and k != present[0])
        raise fail(
            f"is {_KIND_NAMES[kinds[odd]]} while earlier times of the conversation are "
            f"{_KIND_NAMES[present[0]]}",
            "every time of a conversation written the same way (all with offset, all without, "
            "or all HH:MM)",
            raw_messages[odd].get("time"), f"messages[{odd}].time",
            message_lines[odd] if message_lines is not None else line,
        )

    metadata = {k: v for k, v in record.items() if k not in ("messages", id_key)}
    _check_language(metadata, file=file, line=line, conversation_id=cid)
    deep = _too_deep(metadata)
    if deep is not None:
        raise fail(f"is nested more than {MAX_METADATA_DEPTH} levels deep", "flat metadata",
                   type(metadata[deep]).__name__, str(deep))
    times = place_clock_times(parsed_times)
    messages = tuple(
        Message(role=role, time=t, text=text, author=author, metadata=extra)
        for (role, text, author, extra), t in zip(fields, times, strict=True)
    )
    resolution = coarsest_resolution(parsed_times)
    if resolution is not None:
        metadata["time_resolution"] = resolution
        metadata["time_has_date"] = "clock" not in present
    if backwards_step(times) is not None:
        metadata["time_order"] = "backwards"
    return Conversation(id=cid, messages=messages, metadata=metadata)


def backwards_step(times: Sequence[datetime | None]) -> int | None:
    """Index of the first time earlier than the timed message before it, or None.

    Bare clock times have already rolled over midnight (:func:`place_clock_times`), so a
    clock that goes back by less than 12 hours counts as going backwards too.
    """
    previous: datetime | None = None
    for i, current in enumerate(times):
        if current is None:
            continue
        if previous is not None and current < previous:
            return i
        previous = current
    return None


def _too_deep(mapping: Mapping[str, Any]) -> str | None:
    """The first key of ``mapping`` whose value nests lists / objects too deep, or None."""
    for key, value in mapping.items():
        if not isinstance(value, list | dict):
            continue
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_METADATA_DEPTH:
                return key
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children if isinstance(c, list | dict))
    return None


def _time_kind(parsed: ParsedTime) -> str | None:
    """How a time was written: ``clock`` (HH:MM), ``aware`` (with offset), ``naive``, or None."""
    if parsed.clock is not None:
        return "clock"
    if parsed.value is None:
        return None
    return "aware" if parsed.value.tzinfo is not None else "naive"
