"""The evaluator workbook: the pre-filled forms, one row per conversation and criterion, to confirm.

What the evaluator sees (sheet ``forms``):

- the machine's columns, locked (sheet protection on, no password: anyone can read, filter
  and widen columns): the conversation, its advisor when known (to filter by team), the
  criterion, and, unless ``blind``, the proposal (a level *label*, « À améliorer », never the id
  ``a_ameliorer``), its confidence, reason and evidence;
- the evaluator's columns, unlocked: ``level`` (pre-filled with the proposal, a drop-down of
  the grid's level labels), ``evaluator``, ``comment`` and ``time`` (optional: when the row was
  judged; else the file's modified time is used);
- a hidden ``_check`` column: a short digest of each locked cell, so that an edited machine
  cell is found (row and column) when the file is read back.

A hidden ``_chatqa`` sheet holds the grid's name and sha256, the run id, the blind flag, the
chatqa version, the levels and their labels, the criteria and the column layout:
:func:`chatqa.evaluation.read_confirmations` needs nothing else to read the file back.

Blind mode (``blind=True``) leaves out the proposal, confidence, reason, justification and
evidence, and the ``level`` column is empty: the evaluator grades without seeing the machine.

Texts that come from input are typed strings, never formulas
(:func:`chatqa.io.writers.xlsx_cell`). More rows than ``max_rows`` are split over several
files (``forms_001.xlsx``, ...), cut between conversations when one fits.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from chatqa.errors import ConfigError, Errors
from chatqa.evaluation.grid import NA, Grid
from chatqa.io.writers import XLSX_MAX_ROWS, xlsx_cell, xlsx_value
from chatqa.text import fold

__all__ = [
    "CHECK_COLUMN",
    "FORMAT",
    "META_SHEET",
    "SHEET",
    "ColumnSpec",
    "evaluator_rows",
    "level_labels",
    "level_lookup",
    "row_check",
    "write_workbook",
]

#: The data sheet, the hidden metadata sheet and the hidden digest column.
SHEET = "forms"
META_SHEET = "_chatqa"
CHECK_COLUMN = "_check"
#: What the ``_chatqa`` sheet says the file is, and the version of its layout.
FORMAT = "chatqa-evaluator-workbook"
FORMAT_VERSION = 1
#: Hex characters of each locked cell's digest in ``_check``.
DIGEST_CHARS = 6

Role = Literal["key", "machine", "evaluator", "check"]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of the evaluator rows: who fills it, its width and whether text wraps."""

    name: str
    role: Role
    width: float = 14
    wrap: bool = False
    blind: bool = True          # shown in blind mode
    optional: bool = False      # shown only when the forms table (or the advisors) has it


#: Every column the workbook may have, in order. ``key`` and ``machine`` columns are locked.
COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("conversation_id", "key", 16),
    ColumnSpec("advisor", "machine", 16, optional=True),
    ColumnSpec("section", "machine", 18, wrap=True, optional=True),
    ColumnSpec("criterion", "key", 20),
    ColumnSpec("criterion_label", "machine", 34, wrap=True),
    ColumnSpec("proposal", "machine", 16, blind=False),
    ColumnSpec("confidence", "machine", 11, blind=False),
    ColumnSpec("reason", "machine", 40, wrap=True, blind=False),
    ColumnSpec("justification", "machine", 40, wrap=True, blind=False, optional=True),
    ColumnSpec("evidence", "machine", 44, wrap=True, blind=False),
    ColumnSpec("level", "evaluator", 18),
    ColumnSpec("evaluator", "evaluator", 16),
    ColumnSpec("comment", "evaluator", 40, wrap=True),
    ColumnSpec("time", "evaluator", 17),
)
#: Machine columns holding texts derived from the input, passed through ``mask``.
MASKED = ("reason", "justification", "evidence")
#: Columns of ``conversations`` that name a conversation's advisor, by preference.
ADVISOR_COLUMNS = ("advisor", "advisors", "author")


def level_labels(grid: Grid) -> dict[str, str]:
    """Each level id of the grid, worst to best then ``na``, with its label (the id if none)."""
    labels = {level: grid.levels.labels.get(level, level) for level in grid.levels.order}
    labels[NA] = grid.levels.labels.get(NA, NA)
    seen: dict[str, str] = {}
    for level, label in labels.items():
        if label in seen:
            raise ConfigError(Errors.E318.format(first=seen[label], second=level,
                                                 grid=grid.name, label=label))
        seen[label] = level
    return labels


def level_lookup(labels: Mapping[str, str]) -> dict[str, str]:
    """Map what an evaluator may write (a label or an id, any case or accents) to a level id.

    Exact labels win over exact ids, which win over folded forms (« a ameliorer »); a folded
    form shared by two levels is left out rather than guessed.
    """
    lookup: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for level, label in labels.items():
        for text in (level, label):
            folded.setdefault(fold(text.strip()), set()).add(level)
    for key, levels in folded.items():
        if len(levels) == 1:
            lookup[key] = next(iter(levels))
    lookup.update({level: level for level in labels})
    lookup.update({label: level for level, label in labels.items()})
    return lookup


def _digest_text(value: Any) -> str:
    """The text a cell's digest is taken over; equal for a value and its read-back copy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return repr(float(value))          # 1 written as 1.0 is read back as 1
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n")   # XML reads CR LF as LF


def row_check(values: Sequence[Any]) -> str:
    """The ``_check`` cell of a row: a short digest of each locked cell, in column order."""
    return "".join(
        hashlib.blake2b(_digest_text(v).encode("utf-8"),
                        digest_size=DIGEST_CHARS // 2).hexdigest()
        for v in values
    )


def _text(value: Any) -> str | None:
    """A table value as text; None when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _advisors(forms: pd.DataFrame, conversations: pd.DataFrame | None) -> pd.Series | None:
    """The advisor(s) of each row's conversation, joined with ``, ``; None when unknown."""
    if "advisor" in forms.columns:
        return forms["advisor"].map(_text)
    if conversations is None or "conversation_id" not in conversations.columns:
        return None
    column = next((c for c in ADVISOR_COLUMNS if c in conversations.columns), None)
    if column is None:
        return None
    table = conversations
    if "role" in table.columns:           # a messages table: the advisors' messages only
        table = table[table["role"].astype("string") == "advisor"]
    names: dict[str, list[str]] = {}
    for cid, name in zip(table["conversation_id"].map(_text), table[column].map(_text),
                         strict=True):
        if cid is not None and name is not None and name.strip():
            known = names.setdefault(cid, [])
            if name.strip() not in known:
                known.append(name.strip())
    return forms["conversation_id"].map(lambda c: ", ".join(names.get(_text(c), [])) or None)


def _layout(forms: pd.DataFrame, blind: bool, has_advisor: bool) -> list[ColumnSpec]:
    """The columns shown, in order."""
    present = set(forms.columns) | ({"advisor"} if has_advisor else set())
    return [c for c in COLUMNS
            if (c.blind or not blind) and (not c.optional or c.name in present)]


def evaluator_rows(
    forms: pd.DataFrame,
    grid: Grid,
    blind: bool = False,
    *,
    conversations: pd.DataFrame | None = None,
    mask: Callable[[str], str] | None = None,
) -> pd.DataFrame:
    """The rows an evaluator confirms: one per conversation and criterion, levels as labels.

    The workbook writes these rows; ``to_csv`` / ``to_json(orient="records")`` export the
    same ones.

    Args:
        forms: the ``forms`` table of a run (``conversation_id``, ``criterion``, ``level``...);
            ``section``, ``justification``, ``level_label`` and ``advisor`` are used when
            present.
        grid: the grid the run was scored with (levels, labels, criteria).
        blind: leave out the proposal, its confidence, reason and evidence; ``level`` empty.
        conversations: a table with ``conversation_id`` and ``advisor`` (or ``author``; one
            row per message is fine: the advisors' names are joined) to show the advisor.
        mask: applied to the machine's texts that come from the input (reason, evidence).

    Returns:
        The columns of the workbook (without ``_check``): ``proposal`` and ``level`` hold
        labels; ``level`` is the proposal (empty when blind), ``evaluator``, ``comment`` and
        ``time`` are empty.

    Raises:
        ConfigError: E306 when ``forms`` lacks a column, or holds another grid's criteria or
            levels; E318 when two levels share a label.
    """
    labels = level_labels(grid)
    _check_forms(forms, grid, labels, blind)
    advisors = _advisors(forms, conversations)
    layout = _layout(forms, blind, advisors is not None)
    out: dict[str, Any] = {}
    for spec in layout:
        name = spec.name
        if name == "advisor":
            values = advisors
        elif name == "criterion_label" and name not in forms.columns:
            values = forms["criterion"].map(lambda c: grid.criteria[str(c)].label or str(c))
        elif name == "proposal":
            values = _proposal_labels(forms, labels)
        elif name == "level":
            values = (pd.Series([None] * len(forms), index=forms.index, dtype="object")
                      if blind else _proposal_labels(forms, labels))
        elif spec.role == "evaluator":
            values = pd.Series([None] * len(forms), index=forms.index, dtype="object")
        else:
            values = forms[name]
        values = pd.Series(values, index=forms.index).astype("object")
        if name in MASKED and mask is not None:
            values = values.map(lambda v: mask(t) if (t := _text(v)) is not None else None)
        out[name] = values.where(values.notna(), None)
    return pd.DataFrame(out, columns=[c.name for c in layout]).reset_index(drop=True)


def _proposal_labels(forms: pd.DataFrame, labels: Mapping[str, str]) -> pd.Series:
    """The proposal of each row as its label (the grid's; else ``level_label``; else the id)."""
    shown = forms["level"].map(lambda v: labels.get(str(v)) if _text(v) is not None else None)
    if "level_label" in forms.columns:
        shown = shown.where(shown.notna(), forms["level_label"].map(_text))
    return shown


def _check_forms(
    forms: pd.DataFrame, grid: Grid, labels: Mapping[str, str], blind: bool
) -> None:
    needed = ("conversation_id", "criterion") if blind else ("conversation_id", "criterion",
                                                             "level")
    missing = [c for c in needed if c not in forms.columns]
    if missing:
        raise ConfigError(Errors.E306.format(
            grid=grid.name, problem=f"it has no column(s) {missing} (its columns: "
            f"{list(forms.columns)})"))
    if "grid" in forms.columns:
        others = sorted({str(g) for g in forms["grid"].dropna()} - {grid.name})
        if others:
            raise ConfigError(Errors.E306.format(
                grid=grid.name, problem=f"its rows were scored with the grid(s) {others}"))
    unknown = sorted({str(c) for c in forms["criterion"].dropna()} - set(grid.criteria))
    if unknown:
        raise ConfigError(Errors.E306.format(
            grid=grid.name, problem=f"unknown criteria {unknown}; the grid's criteria are "
            f"{list(grid.criteria)}"))
    proposed = forms["level"].dropna() if "level" in forms.columns else []
    levels = sorted({str(v) for v in proposed} - set(labels))
    if levels:
        raise ConfigError(Errors.E306.format(
            grid=grid.name, problem=f"unknown levels {levels}; the grid's levels are "
            f"{list(labels)}"))


def _parts(conversation_ids: Sequence[Any], max_rows: int) -> list[tuple[int, int]]:
    """``[start, end)`` row ranges of at most ``max_rows``, cut between conversations.

    A file ends before a conversation that would not fit whole; a conversation longer than
    ``max_rows`` cannot fit anywhere, so it fills files to the brim.
    """
    parts: list[tuple[int, int]] = []
    start, n = 0, len(conversation_ids)
    while start < n:
        end = min(start + max_rows, n)
        if end < n and conversation_ids[end] == conversation_ids[end - 1]:
            first = end                      # the first row of the conversation cut at `end`
            while first > start and conversation_ids[first - 1] == conversation_ids[end]:
                first -= 1
            last = end                       # one past its last row
            while last < n and conversation_ids[last] == conversation_ids[end]:
                last += 1
            if first > start and last - first <= max_rows:
                end = first
        parts.append((start, end))
        start = end
    return parts or [(0, 0)]


def write_workbook(
    forms: pd.DataFrame,
    path: str | Path,
    *,
    grid: Grid,
    run_id: str,
    blind: bool = False,
    conversations: pd.DataFrame | None = None,
    max_rows: int = 1_000_000,
    mask: Callable[[str], str] | None = None,
) -> list[Path]:
    """Write the evaluator workbook of a run's forms; split it when it has too many rows.

    Args:
        forms: the ``forms`` table of the run.
        path: the file to write (``forms.xlsx``); split files are named after it
            (``forms_001.xlsx``, ``forms_002.xlsx``, ...) in the same folder.
        grid: the grid the run was scored with.
        run_id: the run's id, written in the hidden ``_chatqa`` sheet and kept with every
            confirmation read back.
        blind: no proposal, confidence, reason or evidence; the level column empty.
        conversations: a table naming each conversation's advisor (see
            :func:`evaluator_rows`).
        max_rows: data rows per file, at most 1,048,575 (Excel's limit less the header).
        mask: applied to the machine's texts that come from the input (reason, evidence).

    Returns:
        The files written, in order.

    Raises:
        ConfigError: E306 for forms of another grid, E307 for a bad ``max_rows``, E318 when two
            levels share a label.
    """
    limit = XLSX_MAX_ROWS - 1
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or not 1 <= max_rows <= limit:
        raise ConfigError(Errors.E307.format(limit=f"{limit:,}", value=max_rows))
    rows = evaluator_rows(forms, grid, blind, conversations=conversations, mask=mask)
    layout = [c for c in COLUMNS if c.name in rows.columns]
    parts = _parts(list(rows["conversation_id"]), max_rows)
    path = Path(path)
    if len(parts) == 1:
        targets = [path]
    else:
        targets = [path.with_name(f"{path.stem}_{i:03d}{path.suffix}")
                   for i in range(1, len(parts) + 1)]
    meta = _meta(grid, run_id, blind, layout)
    for i, ((start, end), target) in enumerate(zip(parts, targets, strict=True), start=1):
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            _write_part(rows.iloc[start:end], layout, tmp,
                        {**meta, "part": i, "parts": len(parts), "rows": end - start},
                        labels=list(level_labels(grid).values()))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return targets


def _meta(grid: Grid, run_id: str, blind: bool, layout: Sequence[ColumnSpec]) -> dict[str, Any]:
    from openpyxl.utils import get_column_letter

    from chatqa import __version__

    columns = [{"name": c.name, "letter": get_column_letter(i), "role": c.role}
               for i, c in enumerate(layout, start=1)]
    columns.append({"name": CHECK_COLUMN, "letter": get_column_letter(len(layout) + 1),
                    "role": "check"})
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "grid": grid.name,
        "grid_sha256": grid.sha256,
        "run_id": run_id,
        "blind": blind,
        "chatqa_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sheet": SHEET,
        "levels": list(level_labels(grid)),
        "labels": level_labels(grid),
        "criteria": list(grid.criteria),
        "columns": columns,
    }


def _write_part(rows: pd.DataFrame, layout: Sequence[ColumnSpec], path: Path,
                meta: Mapping[str, Any], labels: Sequence[str]) -> None:
    """Write one workbook: the ``forms`` sheet, protected, and the hidden ``_chatqa`` sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    names = [c.name for c in layout]
    n_cols, n_rows = len(layout) + 1, len(rows)
    last = n_rows + 1
    for i, spec in enumerate(layout, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = spec.width
    check_letter = get_column_letter(n_cols)
    sheet.column_dimensions[check_letter].hidden = True
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(n_cols - 1)}{max(last, 2)}"
    protection = sheet.protection
    protection.sheet = True                 # no password: protection guards against slips
    protection.autoFilter = False           # filtering, sorting and resizing stay allowed
    protection.sort = False
    protection.formatColumns = False
    protection.formatRows = False

    level_letter = get_column_letter(names.index("level") + 1)
    listed = ",".join(labels)
    if "," in "".join(labels) or '"' in listed or len(listed) > 250:
        source = f"'{META_SHEET}'!$B$2:$B${len(labels) + 1}"   # labels listed in _chatqa
    else:
        source = f'"{listed}"'
    validation = DataValidation(
        type="list", formula1=source, allow_blank=True, showErrorMessage=True,
        showInputMessage=True, errorTitle="Level", promptTitle="Level",
        error="Choose a level from the list.", prompt="Choose a level from the list.",
    )
    validation.add(f"{level_letter}2:{level_letter}{max(last, 2)}")
    sheet.data_validations.append(validation)

    bold = Font(bold=True)
    to_fill = PatternFill("solid", fgColor="FFF2CC")
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    unlocked = Protection(locked=False)
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    sheet.append([xlsx_cell(sheet, spec.name, font=bold,
                            fill=to_fill if spec.role == "evaluator" else header_fill)
                  for spec in layout] + [xlsx_cell(sheet, CHECK_COLUMN, font=bold)])
    locked = [i for i, spec in enumerate(layout) if spec.role in ("key", "machine")]
    for values in rows.itertuples(index=False, name=None):
        cells = []
        for spec, value in zip(layout, values, strict=True):
            style: dict[str, Any] = {"alignment": wrapped if spec.wrap else top}
            if spec.role == "evaluator":
                style.update(protection=unlocked, fill=to_fill)
                if spec.name == "time":
                    style["number_format"] = "yyyy-mm-dd hh:mm"
            elif spec.name == "confidence":
                style["number_format"] = "0.00"
            cells.append(xlsx_cell(sheet, value, **style))
        written = [xlsx_value(values[i]) for i in locked]
        cells.append(xlsx_cell(sheet, row_check(written)))
        sheet.append(cells)

    info = book.create_sheet(META_SHEET)
    info.sheet_state = "hidden"
    info.protection.sheet = True
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 60
    info.append([xlsx_cell(info, "key", font=bold), xlsx_cell(info, "value", font=bold)])
    for label in labels:                   # rows 2.. hold the labels the drop-down may list
        info.append([xlsx_cell(info, "label"), xlsx_cell(info, label)])
    for key, value in meta.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        info.append([xlsx_cell(info, key), xlsx_cell(info, text)])
    book.save(path)
