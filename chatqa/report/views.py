"""What the report shows of a run, conversation by conversation, masked, before any HTML.

:class:`RunView` reads the tables once: the conversations in the run's order (a duplicated id
once per occurrence), their advisors, dates and proposed levels for the index, and, on
demand, one conversation's messages, numbered notes (one per finding, with its code, quoted
text, reason and suggestion) and form. Only the conversations a report shows are built, so a
report of 20 conversations out of 100,000 masks 20 conversations' texts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from chatqa.io.times import NOMINAL_DAY
from chatqa.report.build import (
    Span,
    SpanFinder,
    _cell,
    _duplicated_ids,
    _masker,
    _ordinals,
    _participants,
    _shown_finding,
)
from chatqa.report.levels import LevelScale, level_scale
from chatqa.report.selection import Key
from chatqa.tables import Tables

#: Keys of a finding's ``details`` holding a sentence that explains it, first found wins.
REASON_KEYS = ("message", "reason", "note", "explanation")
#: Keys of ``details`` that say nothing to a reader (backend internals).
_QUIET_KEYS = {"rule_id", "backend", "pattern", "patterns", "suggestions"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Note:
    """One finding as the report explains it, numbered within its conversation."""

    number: int
    code: str
    quote: str              # the finding's text, masked
    reason: str             # its details' message (or note), masked
    suggestion: str         # masked; empty when the finding touches personal data
    label: str              # the highlight's title: code, and → suggestion
    message_index: int | None
    span: tuple[int, int] | None   # on the raw message text; None: not drawn


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message: its raw text (masked when rendered) and the notes about it."""

    index: str
    time: str
    role: str
    text: str
    pii: tuple[Span, ...]          # personal data in ``text``, masked when shown
    notes: tuple[Note, ...]


@dataclass(frozen=True, slots=True)
class CriterionView:
    """One criterion of the form: the proposal, and the notes its evidence codes name."""

    criterion: str
    label: str
    level: str
    level_label: str
    confidence: str
    reason: str
    justification: str      # the grid's sentence for people, when the run has one
    evidence: str
    codes: tuple[str, ...]
    notes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One conversation as the index lists it."""

    number: int
    conversation_id: str
    occurrence: int
    duplicated: bool
    advisors: tuple[str, ...]
    date: str
    n_messages: int
    levels: dict[str, str]


@dataclass(frozen=True, slots=True)
class ConversationView:
    """One conversation as its page shows it."""

    row: IndexRow
    messages: tuple[MessageView, ...]
    criteria: tuple[CriterionView, ...]
    other_notes: tuple[Note, ...]    # findings on no message of the conversation


class RunView:
    """A run's tables, grouped per conversation, ready to be shown masked."""

    def __init__(self, tables: Tables, finder: SpanFinder, *, pseudonyms: bool = True) -> None:
        """Group the tables; ``pseudonyms`` shows advisors as « Advisor 1 », « Advisor 2 »."""
        self.tables = tables
        self.finder = finder
        self.mask: Callable[..., str] = _masker(finder)
        self.meta = tables.meta
        self.scale: LevelScale = level_scale(tables.meta)
        self.duplicated = _duplicated_ids(tables)
        self.participants = _participants(tables)
        self._messages = _columns(tables.messages, ["message_index", "role", "time", "author",
                                                    "text"])
        self._forms = _columns(tables.forms, ["criterion", "criterion_label", "level",
                                              "level_label", "confidence", "reason",
                                              "justification", "evidence", "evidence_codes"])
        self._findings = _columns(tables.findings, ["message_index", "code", "start", "end",
                                                    "text", "suggestion", "details"])
        self._message_rows = _positions(tables.messages, ["conversation_id", "message_index"])
        self._form_rows = _positions(tables.forms, ["conversation_id", "criterion"])
        self._finding_rows: dict[str, list[int]] = {}
        for i, cid in enumerate(tables.findings["conversation_id"].tolist()):
            self._finding_rows.setdefault(_cell(cid), []).append(i)
        conversations = tables.conversations
        order = list(zip(conversations["conversation_id"].map(_cell).tolist(),
                         _ordinals(conversations, ["conversation_id"]).tolist(), strict=True))
        seen = set(order)
        order += [key for key in self._message_rows if key not in seen]
        self.order: tuple[Key, ...] = tuple(order)
        self.number: dict[Key, int] = {key: n for n, key in enumerate(self.order, start=1)}
        self.criteria: dict[str, str] = {}
        self._level_labels: dict[tuple[str, str], str] = {}
        for criterion, label, level, level_label in zip(
            self._forms["criterion"], self._forms["criterion_label"], self._forms["level"],
            self._forms["level_label"], strict=True,
        ):
            self.criteria.setdefault(_cell(criterion), _cell(label) or _cell(criterion))
            if _cell(level_label):
                self._level_labels.setdefault((_cell(criterion), _cell(level)),
                                              _cell(level_label))
                self._level_labels.setdefault(("", _cell(level)), _cell(level_label))
        levels = {_cell(level) for level in self._forms["level"]}
        #: Why levels are shown by their ids, when some are.
        self.levels_note = ("" if all(("", level) in self._level_labels for level in levels)
                            else self.scale.note)
        self.advisors: dict[Key, tuple[str, ...]] = {}
        names: dict[str, None] = {}
        for key in self.order:
            authors = dict.fromkeys(
                _cell(self._messages["author"][i]).strip()
                for i in self._message_rows.get(key, ())
                if _cell(self._messages["role"][i]) == "advisor"
                and _cell(self._messages["author"][i]).strip())
            self.advisors[key] = tuple(authors)
            names.update(authors)
        self._shown_names = {name: (f"Advisor {n}" if pseudonyms else name)
                             for n, name in enumerate(names, start=1)}

    def advisor_aliases(self) -> dict[str, str]:
        """The name each advisor is shown by -> their name, when it differs (pseudonyms)."""
        return {shown: name for name, shown in self._shown_names.items() if shown != name}

    def shown_advisor(self, name: str) -> str:
        """How an advisor is shown: their name, or « Advisor N » when pseudonymised."""
        return self._shown_names.get(name, name)

    def level_label(self, level: str, criterion: str = "") -> str:
        """A level's label: as the forms table gives it, else from the grid, else its id."""
        return (self._level_labels.get((criterion, level))
                or self._level_labels.get(("", level))
                or self.scale.label(level, criterion or None))

    def index_row(self, key: Key) -> IndexRow:
        """What the index lists of one conversation."""
        cid, occurrence = key
        rows = self._message_rows.get(key, [])
        times = (_cell(self._messages["time"][i]) for i in rows)
        date = next((t[:10] for t in times if _DATE.match(t)), "")
        if date == NOMINAL_DAY.isoformat():
            date = ""    # bare clock times, placed on a nominal day: no date known
        levels = {_cell(self._forms["criterion"][i]): _cell(self._forms["level"][i])
                  for i in self._form_rows.get(key, ())}
        return IndexRow(
            number=self.number[key], conversation_id=cid, occurrence=occurrence,
            duplicated=cid in self.duplicated,
            advisors=tuple(self.shown_advisor(a) for a in self.advisors.get(key, ())),
            date=date, n_messages=len(rows), levels=levels,
        )

    def conversation(self, key: Key) -> ConversationView:
        """One conversation: its messages with their notes, and its form."""
        row = self.index_row(key)
        cid = key[0]
        names = self.participants.get(cid, ())
        m = self._messages
        texts = {int(m["message_index"][i]): _cell(m["text"][i])
                 for i in self._message_rows.get(key, ()) if pd.notna(m["message_index"][i])}
        notes = [] if row.duplicated else self._notes(cid, texts, names)
        by_message: dict[int | None, list[Note]] = {}
        for note in notes:
            where = note.message_index if note.message_index in texts else None
            by_message.setdefault(where, []).append(note)
        messages = []
        for i in self._message_rows.get(key, ()):
            index = m["message_index"][i]
            own = by_message.get(int(index), []) if pd.notna(index) else []
            text = _cell(m["text"][i])
            messages.append(MessageView(index=_cell(index), time=_cell(m["time"][i]),
                                        role=_cell(m["role"][i]), text=text,
                                        pii=tuple(self.finder(text, names)), notes=tuple(own)))
        f = self._forms
        criteria = []
        for i in self._form_rows.get(key, ()):
            criterion, level = _cell(f["criterion"][i]), _cell(f["level"][i])
            codes = tuple(c.strip() for c in _cell(f["evidence_codes"][i]).split(",")
                          if c.strip())
            confidence = f["confidence"][i]
            criteria.append(CriterionView(
                criterion=criterion,
                label=_cell(f["criterion_label"][i]) or criterion,
                level=level, level_label=self.level_label(level, criterion),
                confidence=f"{confidence:.2f}" if pd.notna(confidence) else "",
                reason=self.mask(f["reason"][i], names),
                justification=self.mask(f["justification"][i], names),
                evidence=self.mask(f["evidence"][i], names),
                codes=codes,
                notes=tuple(n.number for n in notes if n.code in codes),
            ))
        return ConversationView(row=row, messages=tuple(messages), criteria=tuple(criteria),
                                other_notes=tuple(by_message.get(None, [])))

    def _notes(self, cid: str, texts: dict[int, str], names: tuple[str, ...]) -> list[Note]:
        """The conversation's findings as numbered notes: by message, then position."""
        f = self._findings
        rows = self._finding_rows.get(cid, [])

        def position(i: int) -> tuple[Any, ...]:
            index, start = f["message_index"][i], f["start"][i]
            return (pd.isna(index), 0 if pd.isna(index) else int(index), pd.notna(start),
                    0 if pd.isna(start) else int(start), i)

        notes = []
        for number, i in enumerate(sorted(rows, key=position), start=1):
            index = int(f["message_index"][i]) if pd.notna(f["message_index"][i]) else None
            message = texts.get(index) if index is not None else None
            start, end, found = f["start"][i], f["end"][i], _cell(f["text"][i])
            span = None
            if message is not None and pd.notna(start) and pd.notna(end):
                s, e = int(start), int(end)
                if 0 <= s < e <= len(message) and (not found or message[s:e] == found):
                    span = (s, e)
            quote, _, touched = _shown_finding(found, f["suggestion"][i], message, start,
                                               end, names, self.finder)
            suggestion = self.mask(f["suggestion"][i], names)
            if span is not None and any(p < span[1] and span[0] < q
                                        for p, q, _ in self.finder(message, names)):
                suggestion = ""   # it would spell out the personal data masked
            code = _cell(f["code"][i])
            notes.append(Note(
                number=number, code=code, quote=quote,
                reason="" if touched else self.mask(_reason(f["details"][i]), names),
                suggestion="" if touched else suggestion,
                label=code if not suggestion else f"{code} → {suggestion}",
                message_index=index, span=span,
            ))
        return notes


def _reason(details: Any) -> str:
    """The sentence of a finding's ``details`` that explains it, else its telling values."""
    text = _cell(details)
    if not text:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    for key in REASON_KEYS:
        if isinstance(data.get(key), str) and data[key].strip():
            return data[key].strip()
    values = [f"{k}={v}" for k, v in data.items()
              if k not in _QUIET_KEYS and isinstance(v, str | int | float | bool)]
    return ", ".join(values)


def _columns(df: pd.DataFrame, names: list[str]) -> dict[str, list[Any]]:
    """The columns of ``df`` as lists (missing columns: all NA), for fast access by row."""
    return {name: df[name].tolist() if name in df else [pd.NA] * len(df) for name in names}


def _positions(df: pd.DataFrame, keys: list[str]) -> dict[Key, list[int]]:
    """Row positions of each (conversation id, occurrence), in order of first appearance."""
    positions: dict[Key, list[int]] = {}
    if not len(df):
        return positions
    ids = df["conversation_id"].map(_cell).tolist()
    for i, key in enumerate(zip(ids, _ordinals(df, keys).tolist(), strict=True)):
        positions.setdefault(key, []).append(i)
    return positions
