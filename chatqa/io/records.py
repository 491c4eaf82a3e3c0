"""Build a checked :class:`Conversation` from one source record, or say why not.

Every reader turns its format into the same shape (an id, a list of message mappings, the other
keys as metadata) and calls :func:`build_conversation`, so the checks and the error messages
(file, line, conversation id, field) are the same whatever the format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatqa.errors import Errors, TranscriptError
from chatqa.io.roles import known_roles, parse_role
from chatqa.io.times import ParsedTime, coarsest_resolution, parse_time, place_clock_times
from chatqa.model import Conversation, Message

#: Keys of a message mapping that become Message fields; the others are kept as metadata.
MESSAGE_KEYS = ("role", "time", "text", "author")
_KIND_NAMES = {
    "clock": "a bare HH:MM time",
    "aware": "a date-time with offset",
    "naive": "a date-time without offset",
}
#: Names a source may use for the conversation id.
ID_KEYS = ("id", "conversation_id")


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
    """Return the E010 error for one bad field, naming where it is."""
    shown = value if not isinstance(value, str) or len(value) <= 80 else value[:77] + "..."
    message = Errors.E010.format(
        file=file or "<records>", line=line if line is not None else "?",
        conversation_id=conversation_id if conversation_id is not None else "?",
        field=field, problem=problem, expected=expected, value=shown,
    )
    return TranscriptError(
        message, file=file, line=line, conversation_id=conversation_id, field=field
    )


def conversation_id_of(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Return ``(id, key it came from)``; ids may be strings or integers."""
    for key in ID_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value, key
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value), key
    return None, None


def build_conversation(
    record: Mapping[str, Any],
    *,
    file: str | None = None,
    line: int | None = None,
    message_lines: Sequence[int] | None = None,
) -> Conversation:
    """Check one record ``{"id", "messages": [...], ...}`` and return its Conversation.

    ``message_lines`` gives each message's own line (flat formats, one message per row), so
    an error names the row at fault. Raises TranscriptError (E010) naming the first bad field.
    """
    cid, id_key = conversation_id_of(record)

    def fail(problem: str, expected: str, value: Any, field: str, at: int | None = line):
        return transcript_error(
            problem, expected, value, file=file, line=at, conversation_id=cid, field=field
        )

    if cid is None:
        raise fail("is missing or empty", "a non-empty string or integer id",
                   record.get("id", record.get("conversation_id")), "id")
    raw_messages = record.get("messages")
    if not isinstance(raw_messages, list):
        raise fail("is missing or not a list", "a list of messages", raw_messages, "messages")

    parsed_times: list[ParsedTime] = []
    fields: list[tuple[Any, str, str | None, dict[str, Any]]] = []
    for i, raw in enumerate(raw_messages):
        at = message_lines[i] if message_lines is not None else line
        where = f"messages[{i}]"
        if not isinstance(raw, Mapping):
            raise fail("is not an object", "an object with role, time, text", raw, where, at)
        role = parse_role(raw.get("role"))
        if role is None:
            raise fail("is not a known role", f"one of {known_roles()}", raw.get("role"),
                       f"{where}.role", at)
        text = raw.get("text")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise fail("is not a string", "the message text", text, f"{where}.text", at)
        author = raw.get("author")
        if author is not None and not isinstance(author, str):
            author = str(author)
        try:
            parsed_times.append(parse_time(raw.get("time")))
        except ValueError as exc:
            raise fail(str(exc), "an ISO-8601 date-time with offset, epoch seconds or HH:MM",
                       raw.get("time"), f"{where}.time", at) from None
        extra = {k: v for k, v in raw.items() if k not in MESSAGE_KEYS}
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

    times = place_clock_times(parsed_times)
    messages = tuple(
        Message(role=role, time=t, text=text, author=author, metadata=extra)
        for (role, text, author, extra), t in zip(fields, times, strict=True)
    )
    metadata = {k: v for k, v in record.items() if k not in ("messages", id_key)}
    resolution = coarsest_resolution(parsed_times)
    if resolution is not None:
        metadata["time_resolution"] = resolution
        metadata["time_has_date"] = "clock" not in present
    return Conversation(id=cid, messages=messages, metadata=metadata)


def _time_kind(parsed: ParsedTime) -> str | None:
    """How a time was written: ``clock`` (HH:MM), ``aware`` (with offset), ``naive``, or None."""
    if parsed.clock is not None:
        return "clock"
    if parsed.value is None:
        return None
    return "aware" if parsed.value.tzinfo is not None else "naive"
