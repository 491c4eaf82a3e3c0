"""The data chatqa reads and produces: conversations, messages, roles and findings.

Frozen dataclasses, so results are plain data that can be cached, pickled across processes
and compared in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """Who wrote a message."""

    ADVISOR = "advisor"
    CUSTOMER = "customer"
    BOT = "bot"
    SYSTEM = "system"


class Severity(StrEnum):
    """How much a finding should weigh with an evaluator."""

    INFO = "info"
    MINOR = "minor"
    MAJOR = "major"


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation.

    ``time`` is timezone-aware when the source gives an offset, naive otherwise, and ``None``
    when the source gives no time. ``metadata`` keeps the source's other keys.
    """

    role: Role
    time: datetime | None
    text: str
    author: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation as read: ``messages`` in source order, system messages included.

    ``metadata`` keeps the source's other keys, plus what the reader assumed (for example
    ``time_resolution`` and ``time_has_date`` for times written ``HH:MM``).
    """

    id: str
    messages: tuple[Message, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def language(self) -> str | None:
        """The language given by the source (``language`` or ``lang`` metadata), if any."""
        value = self.metadata.get("language") or self.metadata.get("lang")
        return str(value).strip() or None if value else None


@dataclass(frozen=True, slots=True)
class Finding:
    """One located observation with its evidence.

    ``start`` / ``end`` are character offsets into the text of message ``message_index``
    (the position in ``Conversation.messages`` as read), so ``text == message.text[start:end]``.
    """

    analyzer: str
    code: str
    message_index: int | None = None
    start: int | None = None
    end: int | None = None
    text: str = ""
    suggestion: str | None = None
    severity: Severity = Severity.MINOR
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)
