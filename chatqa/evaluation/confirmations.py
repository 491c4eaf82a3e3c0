"""Evaluators' confirmations read back from a filled workbook (or a JSON list), keyed and checked.

A confirmation is one evaluator's level for one criterion of one conversation, keyed by
``(conversation_id, criterion, grid_sha256, run_id, evaluator)``: several evaluators may grade
one conversation (calibration), and the same evaluator re-importing a file replaces their rows
(:meth:`Confirmations.merge`, the latest ``time`` wins).

What a row says is kept, or set aside with the reason; never dropped silently:

- the level may be written as a label (« À améliorer ») or an id (``a_ameliorer``), any case or
  accents; it is stored as the id;
- ``time`` is the row's own time when filled (``time_source = "row"``), else the file's (the
  workbook's modified time, a JSON file's modification time: ``"file"``), else the time of
  the import (``"import"``);
- ``override`` is true when the level differs from the proposal (null in blind mode, where
  the evaluator saw none);
- a row with an unknown level or criterion, no evaluator (none in the row, none passed), an
  unreadable time, no level but an evaluator's input, or an edited locked column goes to
  ``invalid``, one entry per problem, with its row number, column letter and name, and what
  the evaluator wrote;
- a workbook row the evaluator left as it was written (the proposal pre-filled, nothing else)
  with no evaluator known is not a confirmation: it is listed in ``unreviewed``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.errors import ConfigError, Errors
from chatqa.evaluation.grid import Grid
from chatqa.evaluation.workbook import (
    CHECK_COLUMN,
    FORMAT,
    META_SHEET,
    level_labels,
    level_lookup,
    row_check,
)
from chatqa.text import fold

__all__ = ["CONFIRMATION_COLUMNS", "INVALID_COLUMNS", "KEY", "UNREVIEWED_COLUMNS",
           "Confirmations", "read_confirmations"]

#: What identifies a confirmation: one evaluator, one criterion of one conversation, one run.
KEY = ["conversation_id", "criterion", "grid_sha256", "run_id", "evaluator"]
#: Columns of :attr:`Confirmations.table` and their dtypes.
CONFIRMATION_COLUMNS: dict[str, str] = {
    "conversation_id": "string",
    "criterion": "string",
    "grid": "string",
    "grid_sha256": "string",
    "run_id": "string",
    "evaluator": "string",
    "level": "string",
    "proposal": "string",
    "override": "boolean",
    "comment": "string",
    "time": "datetime64[ns, UTC]",
    "time_source": "string",
    "advisor": "string",
    "source": "string",
    "row": "Int64",
}
#: Columns of :attr:`Confirmations.invalid`: where, what was wrong, what the evaluator wrote.
INVALID_COLUMNS: dict[str, str] = {
    "source": "string",
    "row": "Int64",
    "column": "string",
    "field": "string",
    "value": "string",
    "code": "string",
    "message": "string",
    "conversation_id": "string",
    "criterion": "string",
    "level": "string",
    "evaluator": "string",
    "comment": "string",
}
#: Columns of :attr:`Confirmations.unreviewed`: workbook rows left as written, no evaluator.
UNREVIEWED_COLUMNS: dict[str, str] = {
    "source": "string",
    "row": "Int64",
    "conversation_id": "string",
    "criterion": "string",
}


def _frame(rows: Sequence[Mapping[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=list(schema))
    for column, dtype in schema.items():
        if dtype.startswith("datetime"):
            df[column] = pd.to_datetime(df[column], utc=True).astype(dtype)
        else:
            df[column] = df[column].astype("object").where(df[column].notna(), None)
            df[column] = df[column].astype(dtype)
    return df


def _dedupe(table: pd.DataFrame) -> pd.DataFrame:
    """One row per key: the latest time; at equal times, the row read last."""
    ordered = table.sort_values("time", kind="stable")
    kept = ordered.drop_duplicates(KEY, keep="last")
    return kept.sort_values([*KEY, "time"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class Confirmations:
    """Confirmed levels (``table``), rows set aside with their reason (``invalid``).

    ``unreviewed`` lists the workbook rows left as written (the proposal pre-filled, nothing
    else) when no evaluator was known for them: not confirmations, not errors either.
    """

    table: pd.DataFrame
    invalid: pd.DataFrame
    unreviewed: pd.DataFrame = field(default_factory=lambda: _frame([], UNREVIEWED_COLUMNS))

    @classmethod
    def empty(cls) -> Confirmations:
        """No confirmation."""
        return cls(_frame([], CONFIRMATION_COLUMNS), _frame([], INVALID_COLUMNS))

    def __len__(self) -> int:
        return len(self.table)

    def merge(self, other: Confirmations) -> Confirmations:
        """Both sets, one row per key (the latest time wins): merging a file twice changes nothing.

        ``invalid`` and ``unreviewed`` keep each distinct entry once.
        """
        table = _dedupe(pd.concat([self.table, other.table], ignore_index=True))
        return Confirmations(table.astype(CONFIRMATION_COLUMNS),
                             _union(self.invalid, other.invalid, INVALID_COLUMNS),
                             _union(self.unreviewed, other.unreviewed, UNREVIEWED_COLUMNS))


def _union(one: pd.DataFrame, two: pd.DataFrame, schema: Mapping[str, str]) -> pd.DataFrame:
    both = pd.concat([one, two], ignore_index=True).drop_duplicates()
    return both.reset_index(drop=True).astype(dict(schema))


def read_confirmations(
    path: str | Path,
    *,
    evaluator: str | None = None,
    grid: Grid | None = None,
    run_id: str | None = None,
) -> Confirmations:
    """Read an evaluator workbook (or a JSON list of confirmations) back.

    Args:
        path: a workbook written by :func:`~chatqa.evaluation.write_workbook` and filled, or a
            ``.json`` list of ``{conversation_id, criterion, level, evaluator, comment, time}``
            (``proposal``, ``grid_sha256``, ``run_id`` and ``advisor`` are read when present).
        evaluator: the evaluator of every row whose evaluator cell is empty (a file filled by
            one person); rows left as written then count as confirmed.
        grid: the grid the forms were made with; needed for JSON (levels, labels, criteria),
            checked against the workbook's grid sha256 when given.
        run_id: the run of JSON items that do not say theirs.

    Returns:
        The confirmations, deduplicated on the key, and the invalid rows.

    Raises:
        ConfigError: E001 for a missing file; E305 for a file that is not an evaluator
            workbook; E308 for JSON that is not a list of objects, or lacks the grid or run;
            E309 when ``grid`` is not the grid the workbook was written with.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(Errors.E001.format(file=path, cwd=Path.cwd()))
    name = (evaluator or "").strip() or None
    if path.suffix.lower() == ".json":
        return _read_json(path, name, grid, run_id)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path, name, grid)
    raise ConfigError(Errors.E305.format(file=path, problem=f"its suffix is {path.suffix!r}, "
                                         "not .xlsx or .json"))


# -- shared row checks --------------------------------------------------------------------------
def _cell_text(value: Any) -> str | None:
    """A cell as stripped text; None when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _time(value: Any) -> pd.Timestamp:
    """A time cell as a UTC timestamp (naive: UTC); ValueError when it is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        value = from_excel(value)           # a date Excel kept as a serial number
    stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    if pd.isna(stamp):
        raise ValueError(f"not a time: {value!r}")
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


class _Rows:
    """Collects confirmations and invalid entries while a file is read."""

    def __init__(self, source: Path, grid_name: str, labels: Mapping[str, str],
                 criteria: Sequence[str]) -> None:
        self.source = str(source)
        self.grid_name = grid_name
        self.labels = dict(labels)
        self.lookup = level_lookup(labels)
        self.criteria = list(criteria)
        self.table: list[dict[str, Any]] = []
        self.invalid: list[dict[str, Any]] = []
        self.unreviewed: list[dict[str, Any]] = []

    def problem(self, code: str, where: str, row: int, column: str | None, field: str,
                value: Any, entered: Mapping[str, Any], **extra: Any) -> None:
        message = getattr(Errors, code).format(where=where, value=value, **extra)
        self.invalid.append({
            "source": self.source, "row": row, "column": column, "field": field,
            "value": None if value is None else str(value), "code": code, "message": message,
            **{k: entered.get(k) for k in ("conversation_id", "criterion", "level",
                                           "evaluator", "comment")},
        })

    def level(self, text: str | None) -> str | None:
        if text is None:
            return None
        return self.lookup.get(text, self.lookup.get(fold(text.strip())))

    def result(self) -> Confirmations:
        table = _dedupe(_frame(self.table, CONFIRMATION_COLUMNS)).astype(CONFIRMATION_COLUMNS)
        return Confirmations(table, _frame(self.invalid, INVALID_COLUMNS),
                             _frame(self.unreviewed, UNREVIEWED_COLUMNS))


# -- workbook -----------------------------------------------------------------------------------
def _read_workbook(path: Path, evaluator: str | None, grid: Grid | None) -> Confirmations:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ConfigError(Errors.E305.format(file=path, problem=f"it cannot be opened "
                                             f"({type(exc).__name__}: {exc})")) from None
    try:
        meta = _workbook_meta(path, book)
        if grid is not None and grid.sha256 and meta["grid_sha256"] != grid.sha256:
            raise ConfigError(Errors.E309.format(found=meta["grid_sha256"], grid=grid.name,
                                                 expected=grid.sha256))
        if meta["sheet"] not in book.sheetnames:
            raise ConfigError(Errors.E305.format(file=path, problem=f"it has no sheet "
                                                 f"{meta['sheet']!r}"))
        lines = book[meta["sheet"]].iter_rows(values_only=True)
        header = [_cell_text(v) for v in next(lines, ())]
        columns = meta["columns"]
        position = {}
        for column in columns:
            if column["name"] not in header:
                raise ConfigError(Errors.E305.format(
                    file=path, problem=f"its header has no column {column['name']!r} (found "
                    f"{[h for h in header if h]}); do not rename the header row"))
            position[column["name"]] = header.index(column["name"])
        modified = book.properties.modified      # openpyxl: naive, in UTC
        file_time = None if modified is None else _time(modified)
        rows = _Rows(path, meta["grid"], meta["labels"], meta["criteria"])
        for number, line in enumerate(lines, start=2):
            cells = {c["name"]: line[position[c["name"]]] if position[c["name"]] < len(line)
                     else None for c in columns}
            if all(_cell_text(v) is None for v in cells.values()):
                continue
            _workbook_row(rows, meta, columns, cells, number, evaluator, file_time)
    finally:
        book.close()
    return rows.result()


def _workbook_meta(path: Path, book: Any) -> dict[str, Any]:
    if META_SHEET not in book.sheetnames:
        raise ConfigError(Errors.E305.format(file=path, problem=f"it has no {META_SHEET!r} "
                                             "sheet"))
    meta: dict[str, Any] = {}
    for line in book[META_SHEET].iter_rows(values_only=True):
        if line and len(line) > 1 and line[0] not in (None, "key", "label"):
            meta[str(line[0])] = line[1]
    if meta.get("format") != FORMAT:
        raise ConfigError(Errors.E305.format(file=path, problem=f"its {META_SHEET!r} sheet "
                                             f"says format {meta.get('format')!r}"))
    try:
        for key in ("labels", "criteria", "columns", "levels"):
            meta[key] = json.loads(meta[key])
        meta["blind"] = json.loads(meta["blind"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ConfigError(Errors.E305.format(file=path, problem=f"its {META_SHEET!r} sheet is "
                                             f"damaged ({type(exc).__name__}: {exc})")) from None
    for key in ("grid", "grid_sha256", "run_id", "sheet"):
        meta[key] = "" if meta.get(key) is None else str(meta[key])
    return meta


def _workbook_row(rows: _Rows, meta: Mapping[str, Any], columns: Sequence[Mapping[str, str]],
                  cells: Mapping[str, Any], number: int, evaluator: str | None,
                  file_time: pd.Timestamp | None) -> None:
    """Check one filled row; add it to the confirmations or set it aside."""
    letters = {c["name"]: c["letter"] for c in columns}
    blind = bool(meta["blind"])

    def where(field: str) -> str:
        return f"{rows.source}: row {number}, column {letters[field]} ({field})"

    level_text = _cell_text(cells.get("level"))
    row_evaluator = _cell_text(cells.get("evaluator"))
    comment = cells.get("comment")
    comment = None if _cell_text(comment) is None else str(comment)
    entered = {"conversation_id": _cell_text(cells.get("conversation_id")),
               "criterion": _cell_text(cells.get("criterion")), "level": level_text,
               "evaluator": row_evaluator, "comment": comment}
    before = len(rows.invalid)

    locked = [c["name"] for c in columns if c["role"] in ("key", "machine")]
    written = str(cells.get(CHECK_COLUMN) or "")
    width = len(row_check([None]))
    if len(written) != width * len(locked):
        rows.problem("E313", where(CHECK_COLUMN), number, letters[CHECK_COLUMN], CHECK_COLUMN,
                     cells.get(CHECK_COLUMN), entered)
    else:
        for i, name in enumerate(locked):
            if row_check([cells.get(name)]) != written[i * width:(i + 1) * width]:
                rows.problem("E313", where(name), number, letters[name], name,
                             cells.get(name), entered)

    criterion = entered["criterion"]
    if criterion is not None and criterion not in rows.criteria:
        rows.problem("E311", where("criterion"), number, letters["criterion"], "criterion",
                     criterion, entered, grid=rows.grid_name, allowed=rows.criteria)
    proposal = None if blind else rows.level(_cell_text(cells.get("proposal")))
    level = rows.level(level_text)
    time_text = cells.get("time")
    has_time = _cell_text(time_text) is not None
    if level_text is None:
        if row_evaluator or comment or has_time:
            rows.problem("E315", where("level"), number, letters["level"], "level",
                         comment or row_evaluator or time_text, entered)
        elif len(rows.invalid) == before:
            return                          # not graded: nothing entered
    elif level is None:
        rows.problem("E310", where("level"), number, letters["level"], "level", level_text,
                     entered, allowed=list(rows.labels.values()))
    untouched = (not blind and level is not None and level == proposal
                 and not comment and not has_time and row_evaluator is None)
    who = row_evaluator or evaluator
    if who is None and level is not None:
        if untouched and len(rows.invalid) == before:
            rows.unreviewed.append({"source": rows.source, "row": number,
                                    "conversation_id": entered["conversation_id"],
                                    "criterion": criterion})
            return
        rows.problem("E312", where("evaluator"), number, letters["evaluator"], "evaluator",
                     None, entered)
    stamp, source = file_time, "file"
    if has_time:
        try:
            stamp, source = _time(time_text), "row"
        except (ValueError, TypeError, OverflowError):
            rows.problem("E314", where("time"), number, letters["time"], "time", time_text,
                         entered)
    if len(rows.invalid) > before:
        return
    if stamp is None:
        stamp, source = pd.Timestamp(datetime.now(UTC)), "import"
    rows.table.append({
        "conversation_id": entered["conversation_id"], "criterion": criterion,
        "grid": meta["grid"], "grid_sha256": meta["grid_sha256"], "run_id": meta["run_id"],
        "evaluator": who, "level": level, "proposal": proposal,
        "override": None if blind or proposal is None else level != proposal,
        "comment": comment, "time": stamp, "time_source": source,
        "advisor": _cell_text(cells.get("advisor")), "source": rows.source, "row": number,
    })


# -- JSON ---------------------------------------------------------------------------------------
def _read_json(path: Path, evaluator: str | None, grid: Grid | None,
               run_id: str | None) -> Confirmations:
    try:
        items = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(Errors.E308.format(file=path, problem=f"not valid JSON ({exc})")
                          ) from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError(Errors.E308.format(
            file=path, problem="expected a list of objects {conversation_id, criterion, "
            "level, evaluator, comment, time}"))
    if grid is None:
        raise ConfigError(Errors.E308.format(
            file=path, problem="pass grid= (the grid the forms were made with): JSON items "
            "do not carry its levels and criteria"))
    lacking = [key for key, given in (("run_id", run_id), ("grid_sha256", grid.sha256))
               if not given and any(not i.get(key) for i in items)]
    if lacking:
        raise ConfigError(Errors.E308.format(
            file=path, problem=f"some items have no {lacking}; pass run_id= (and a grid loaded "
            "with load_grid, which knows its sha256)"))
    shas = sorted({str(i["grid_sha256"]) for i in items if i.get("grid_sha256")} - {grid.sha256})
    if shas and grid.sha256:
        raise ConfigError(Errors.E309.format(found=shas, grid=grid.name, expected=grid.sha256))
    file_time = pd.Timestamp(path.stat().st_mtime, unit="s", tz=UTC)
    rows = _Rows(path, grid.name, level_labels(grid), list(grid.criteria))
    for number, item in enumerate(items, start=1):
        _json_item(rows, item, number, evaluator, grid, run_id, file_time)
    return rows.result()


def _json_item(rows: _Rows, item: Mapping[str, Any], number: int, evaluator: str | None,
               grid: Grid, run_id: str | None, file_time: pd.Timestamp) -> None:
    def where(field: str) -> str:
        return f"{rows.source}: item {number}, field {field!r}"

    entered = {k: _cell_text(item.get(k)) for k in ("conversation_id", "criterion", "level",
                                                    "evaluator")}
    comment = item.get("comment")
    entered["comment"] = None if _cell_text(comment) is None else str(comment)
    before = len(rows.invalid)
    criterion = entered["criterion"]
    if criterion not in rows.criteria:
        rows.problem("E311", where("criterion"), number, None, "criterion", criterion, entered,
                     grid=rows.grid_name, allowed=rows.criteria)
    if entered["conversation_id"] is None:
        rows.problem("E320", where("conversation_id"), number, None, "conversation_id",
                     item.get("conversation_id"), entered)
    level = rows.level(entered["level"])
    if entered["level"] is None:
        rows.problem("E315", where("level"), number, None, "level",
                     entered["comment"] or entered["evaluator"], entered)
    elif level is None:
        rows.problem("E310", where("level"), number, None, "level", entered["level"], entered,
                     allowed=list(rows.labels.values()))
    who = entered["evaluator"] or evaluator
    if who is None:
        rows.problem("E312", where("evaluator"), number, None, "evaluator", None, entered)
    stamp, source = file_time, "file"
    if _cell_text(item.get("time")) is not None:
        try:
            stamp, source = _time(item["time"]), "row"
        except (ValueError, TypeError, OverflowError):
            rows.problem("E314", where("time"), number, None, "time", item["time"], entered)
    if len(rows.invalid) > before:
        return
    proposal = rows.level(_cell_text(item.get("proposal")))
    rows.table.append({
        "conversation_id": entered["conversation_id"], "criterion": criterion,
        "grid": grid.name, "grid_sha256": _cell_text(item.get("grid_sha256")) or grid.sha256,
        "run_id": _cell_text(item.get("run_id")) or run_id, "evaluator": who, "level": level,
        "proposal": proposal, "override": None if proposal is None else level != proposal,
        "comment": entered["comment"], "time": stamp, "time_source": source,
        "advisor": _cell_text(item.get("advisor")), "source": rows.source, "row": number,
    })
