"""Canned replies (macros): advisor texts sent word for word in many conversations.

A canned reply is the company's text, not the advisor's: vocabulary and clarity are measured
on the rest. The :class:`MacroTable` is built from the archive itself (a first pass counting,
per normalised text, the conversations it appears in; one small entry per distinct text, so
it streams) or from the client's macro library, written beside the tables as ``macros.csv``
and read back on resume; ``Pipeline.score(conversation, macros=table)`` takes it, so a
conversation's result depends only on itself and the table.

A text's *key* is its folded form (lower case, no accents) where links, e-mail addresses,
anonymisation placeholders (``_Name1_``) and every word holding a digit (a date, a price, an
order or parcel number) are one placeholder each, runs of spaces are one, and no space or
punctuation is left at either end: a template filled in with another order's details is the
same macro (« votre commande 4521 a été expédiée le 12/03 » and « … 8830 … le 02/04 »), and so
are « Bonjour _Name2_ ! » and « bonjour _Name1_ ». A day number followed by a month name
(``resources/macros.toml``) or by a placeholder is one slot too (« le 29 Avril », « le 14
_Name2_ »).
"""

from __future__ import annotations

import csv
import hashlib
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from chatqa.errors import ConfigError, Errors, Warnings
from chatqa.model import Conversation, Role
from chatqa.resources import load_shared_resource
from chatqa.text import fold

#: Conversations a text must appear in to be a macro, unless the grid says otherwise.
DEFAULT_MIN_CONVERSATIONS = 3
_PLACEHOLDER = re.compile(r"_[a-z]+\d+_")
_LINK = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")
_DIGIT_WORD = re.compile(r"[^\s,;:!?()«»]*\d[^\s,;:!?()«»]*")
_SPACE_BEFORE = re.compile(r"\s+(?=[,.;:!?…])")
_SPACES = re.compile(r"\s+")
_EDGES = " \t\n.!?,;:…-–—'\"«»()"
COLUMNS = ("key", "conversations", "source", "text")
#: How keys are made: a table written with another version was counted on other keys.
KEY_VERSION = 2
#: The table's file beside the tables of a run.
MACROS_FILE = "macros.csv"


def macro_key(text: str) -> str:
    """The normalised form of ``text`` that canned replies share (module docstring)."""
    folded = _PLACEHOLDER.sub("_x_", _LINK.sub("_l_", fold(text)))
    folded = _SPACE_BEFORE.sub("", _DIGIT_WORD.sub("0", folded))
    folded = _dated().sub("0", folded)
    return _SPACES.sub(" ", folded).strip(_EDGES)


@lru_cache(maxsize=1)
def _dated() -> re.Pattern[str]:
    """A slotted day number and the month name or placeholder after it (« 0 avril », « 0 _x_ »)."""
    months = "|".join(sorted(map(re.escape, load_shared_resource("macros")["month_names"])))
    return re.compile(rf"\b0 (?:{months}|_x_)(?!\w)")


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def advisor_text_keys(conversation: Conversation) -> Iterator[tuple[str, str]]:
    """``(key digest, text)`` of each distinct advisor text of ``conversation``, in order.

    What a macro table counts: a text sent twice in one conversation counts once.
    """
    seen: set[str] = set()
    for m in conversation.messages:
        if m.role is not Role.ADVISOR or not m.text.strip():
            continue
        digest = _digest(macro_key(m.text))
        if digest not in seen:
            seen.add(digest)
            yield digest, m.text


@dataclass(frozen=True)
class MacroTable:
    """Canned replies by hashed key: in how many conversations each was seen, and an example.

    ``min_conversations`` is the threshold a counted text must reach; texts from a client's
    library (``source = "library"``) are macros whatever their count. ``key_version`` is the
    version of :func:`macro_key` its keys were made with (a table read from an older file keeps
    its own, and says so when written again).
    """

    conversations: Mapping[str, int] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    min_conversations: int = DEFAULT_MIN_CONVERSATIONS
    key_version: int = KEY_VERSION

    def __post_init__(self) -> None:
        """Keep only the macros: counted texts below the threshold are dropped."""
        keep = {k for k, n in self.conversations.items()
                if n >= self.min_conversations or self.sources.get(k) == "library"}
        object.__setattr__(self, "conversations",
                           {k: self.conversations[k] for k in sorted(keep)})
        object.__setattr__(self, "texts", {k: self.texts.get(k, "") for k in sorted(keep)})
        object.__setattr__(self, "sources", {k: self.sources.get(k, "archive")
                                             for k in sorted(keep)})

    def __len__(self) -> int:
        return len(self.conversations)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and _digest(macro_key(text)) in self.conversations

    def is_macro(self, text: str) -> bool:
        """Whether ``text`` is a canned reply of this table."""
        return text in self

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def from_conversations(cls, conversations: Iterable[Conversation], *,
                           min_conversations: int = DEFAULT_MIN_CONVERSATIONS) -> MacroTable:
        """Count the advisor texts of ``conversations`` (one pass, any iterable)."""
        counts: dict[str, int] = {}
        examples: dict[str, str] = {}
        for conversation in conversations:
            if not isinstance(conversation, Conversation):
                continue  # a record that failed to read: the scoring pass reports it
            for digest, text in advisor_text_keys(conversation):
                counts[digest] = counts.get(digest, 0) + 1
                if counts[digest] == min_conversations:  # an example, for macros only
                    examples[digest] = text
        return cls(counts, examples, min_conversations=min_conversations)

    @classmethod
    def from_library(cls, path: str | Path, *, base: MacroTable | None = None) -> MacroTable:
        """The client's macro library, added to ``base`` when given.

        A text file (one macro per line, ``#`` starts a comment) or a CSV with a ``text``
        column.

        Raises:
            ConfigError: E208 when the file does not exist.
        """
        path = Path(path)
        if not path.is_file():
            raise ConfigError(Errors.E208.format(path=path, cwd=Path.cwd()))
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                texts = [row.get("text", "") for row in csv.DictReader(fh)]
        else:
            texts = [line.split("#", 1)[0] for line in path.read_text("utf-8").splitlines()]
        counts = dict(base.conversations) if base else {}
        examples = dict(base.texts) if base else {}
        sources = dict(base.sources) if base else {}
        for text in texts:
            if text.strip():
                digest = _digest(macro_key(text))
                counts.setdefault(digest, 0)
                examples.setdefault(digest, text.strip())
                sources[digest] = "library"
        return cls(counts, examples, sources,
                   min_conversations=base.min_conversations if base else
                   DEFAULT_MIN_CONVERSATIONS,
                   key_version=base.key_version if base else KEY_VERSION)

    def updated(self, other: MacroTable) -> MacroTable:
        """This table with ``other``'s counts added (an appended archive's, say).

        This table keeps only its macros, so a text seen here fewer times than the threshold
        is counted from ``other`` alone; library texts stay macros.
        """
        counts = dict(self.conversations)
        examples = dict(self.texts)
        sources = dict(self.sources)
        for key, n in other.conversations.items():
            counts[key] = counts.get(key, 0) + n
            examples.setdefault(key, other.texts.get(key, ""))
            if other.sources.get(key) == "library":
                sources[key] = "library"
        return MacroTable(counts, examples, sources, min_conversations=self.min_conversations,
                          key_version=self.key_version)

    # -- the file beside the tables ---------------------------------------------------------------
    def write_csv(self, path: str | Path) -> Path:
        """Write the table as CSV (``key, conversations, source, text``); returns the path."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*COLUMNS, f"min_conversations={self.min_conversations}",
                             f"key_version={self.key_version}"])
            for key in self.conversations:
                writer.writerow([key, self.conversations[key], self.sources[key],
                                 self.texts[key]])
        tmp.replace(path)
        return path

    @classmethod
    def read_csv(cls, path: str | Path) -> MacroTable:
        """Read a table written by :meth:`write_csv`."""
        with Path(path).open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            settings = dict(h.split("=", 1) for h in header if "=" in h)
            threshold = int(settings.get("min_conversations", DEFAULT_MIN_CONVERSATIONS))
            version = int(settings.get("key_version", 1))  # files written before it: 1
            if version != KEY_VERSION:
                warnings.warn(Warnings.W006.format(path=path, found=version,
                                                   current=KEY_VERSION), stacklevel=2)
            rows = [r for r in reader if len(r) >= 4]
        return cls({r[0]: int(r[1]) for r in rows}, {r[0]: r[3] for r in rows},
                   {r[0]: r[2] for r in rows}, min_conversations=threshold, key_version=version)

    @classmethod
    def from_file(cls, path: str | Path) -> MacroTable:
        """The ``macros.csv`` of a run (read as written, by key), else the client's library.

        A library is read by :meth:`from_library`.

        Raises:
            ConfigError: E208 when the file does not exist.
        """
        path = Path(path)
        if path.is_file():
            with path.open(encoding="utf-8-sig") as fh:
                if fh.readline().startswith(",".join(COLUMNS)):
                    return cls.read_csv(path)
        return cls.from_library(path)

    def macro_messages(self, conversation: Conversation) -> frozenset[int]:
        """Indices of the conversation's advisor messages that are canned replies."""
        if not self.conversations:
            return frozenset()
        return frozenset(i for i, m in enumerate(conversation.messages)
                         if m.role is Role.ADVISOR and m.text in self)
