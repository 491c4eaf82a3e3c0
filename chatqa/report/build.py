"""Build the evaluator workbook (``forms.xlsx``) and ``report.html`` from a scored folder.

What people read is safe whatever the input held:

- personal data is masked by default (``redact=True``) in every input-derived text shown:
  message texts, findings' text and suggestion, reasons, evidence, error messages. Highlights
  are placed on the raw text, then each piece is masked with the personal-data spans found on
  the whole text, so a highlight never points at the wrong characters of the text shown and a
  span crossing a highlight's edge is still masked whole (the highlight grows to cover it);
- control characters are shown as Unicode control pictures (``␀``, ``␛``:
  :func:`~chatqa.io.writers.visible_controls`), HTML is escaped after slicing;
- workbook cells holding input are typed strings, never formulas;
- a conversation id appearing twice is rendered twice, separately, with a warning, and its
  findings are not highlighted (they cannot be told apart).
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.io.tables import read_tables
from chatqa.io.writers import atomic_write_text, visible_controls, xlsx_cell
from chatqa.tables import Tables

__all__ = ["read_tables", "render_html", "write_forms_workbook", "write_report"]

#: A personal-data span on the raw text: (start, end, placeholder shown instead).
Span = tuple[int, int, str]
#: Finds the personal-data spans of a text, given the participants' names.
SpanFinder = Callable[..., list[Span]]


def write_report(folder: str | Path, *, redact: bool = True) -> list[Path]:
    """Write ``forms.xlsx`` (pre-filled forms to confirm) and ``report.html`` into ``folder``.

    Args:
        folder: a finished run, written by ``chatqa score --out`` or ``Tables.write``.
        redact: mask personal data (e-mails, phone numbers, IBANs, card numbers...) in every
            text shown; ``False`` shows the raw text.

    Returns:
        The two files written.

    Raises:
        ConfigError: ``E020`` / ``E021`` when the folder holds no finished run or mixes runs
            (see :func:`~chatqa.io.tables.read_tables`).
    """
    folder = Path(folder)
    tables = read_tables(folder)
    finder = pii_finder(redact)
    xlsx = folder / "forms.xlsx"
    tmp = xlsx.with_name(".forms.xlsx.tmp")
    try:
        write_forms_workbook(tables, tmp, finder)
        tmp.replace(xlsx)
    finally:
        tmp.unlink(missing_ok=True)
    page = folder / "report.html"
    atomic_write_text(page, render_html(tables, finder))
    return [xlsx, page]


# -- personal data ----------------------------------------------------------------------------
def pii_finder(redact: bool = True) -> SpanFinder:
    """The personal-data span finder: ``chatqa.privacy`` when present, else the regexes.

    The finder is called as ``finder(text, names)`` (``names``: a tuple of the conversation's
    participants' names, masked too when ``chatqa.privacy`` is there) and caches its answers:
    a report asks for the spans of a text several times.
    """
    if not redact:
        return _no_spans
    try:
        privacy = importlib.import_module("chatqa.privacy")
    except ModuleNotFoundError as exc:
        if exc.name != "chatqa.privacy":
            raise
        return lru_cache(maxsize=4096)(_regex_spans)

    @lru_cache(maxsize=4096)
    def find(text: str, names: tuple[str, ...] = ()) -> list[Span]:
        if names:
            return _privacy_spans(lambda t: privacy.redact(t, names=names), text)
        return _privacy_spans(privacy.redact, text)

    return find


def _no_spans(text: str, names: tuple[str, ...] = ()) -> list[Span]:
    return []


def _regex_spans(text: str, names: tuple[str, ...] = ()) -> list[Span]:
    """Spans of ``chatqa/report/redact.py``'s patterns, on the raw text, first kind wins."""
    from chatqa.report.redact import _patterns

    found: list[Span] = []
    for pattern, replacement in _patterns():
        for m in pattern.finditer(text):
            if m.end() > m.start() and not any(
                m.start() < e and s < m.end() for s, e, _ in found
            ):
                found.append((m.start(), m.end(), replacement))
    return sorted(found)


def _privacy_spans(redact: Callable[[str], Any], text: str) -> list[Span]:
    """Spans from ``privacy.redact(text) -> (masked, spans)``, checked against ``masked``.

    Each span is ``(start, end, label)`` on the raw text (or an object with ``start``, ``end``
    and ``placeholder`` / ``label`` / ``kind``, as ``chatqa.privacy.PiiSpan``); overlapping
    spans are merged, the first placeholder kept. If the spans do not rebuild ``masked``
    exactly, the whole text is one span shown as ``masked``: personal data never leaks through
    a mismatch.
    """
    masked, raw_spans = redact(text)
    spans: list[Span] = []
    for item in raw_spans:
        if isinstance(item, Sequence) and not isinstance(item, str):
            start, end, *rest = item
            label = rest[0] if rest else ""
        else:
            start, end = item.start, item.end
            label = next((getattr(item, a) for a in ("placeholder", "label", "kind")
                          if getattr(item, a, None)), "")
        label = str(label)
        if not (label.startswith("<") and label.endswith(">")):
            label = f"<{label.upper() or 'REDACTED'}>"
        spans.append((int(start), int(end), label))
    spans = _merge_spans(spans)
    if _apply(text, spans) != masked:
        return [(0, len(text), masked)] if text else []
    return spans


def _merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sorted spans, each overlapping run merged into one with its first placeholder."""
    merged: list[Span] = []
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end, merged[-1][2])
            continue
        merged.append((start, end, label))
    return merged


def _apply(text: str, spans: Sequence[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` with each span inside it replaced by its placeholder."""
    end = len(text) if end is None else end
    out, pos = [], start
    for s, e, label in spans:
        if s < pos or e > end:
            continue
        out += [text[pos:s], label]
        pos = e
    out.append(text[pos:end])
    return "".join(out)


def _masker(finder: SpanFinder) -> Callable[..., str]:
    """``mask(value, names=())``: text of a cell as shown, empty for missing, data masked."""

    def mask(value: Any, names: tuple[str, ...] = ()) -> str:
        text = _cell(value)
        return _apply(text, finder(text, names)) if text else text

    return mask


def _shown_spans(
    text: str, highlights: Sequence[tuple[int, int, str]], pii: Sequence[Span]
) -> list[tuple[int, int, str]]:
    """Highlights on ``text``, overlaps dropped, each grown to cover a PII span it cuts."""
    kept: list[tuple[int, int, str]] = []
    pos = 0
    for start, end, label in sorted(highlights):
        if start < pos or start < 0 or end > len(text) or end <= start:
            continue
        kept.append((start, end, label))
        pos = end
    grown: list[tuple[int, int, str]] = []
    for start, end, label in kept:
        changed = True
        while changed:
            changed = False
            for s, e, _ in pii:
                if s < end and start < e and (s < start or e > end):
                    start, end, changed = min(start, s), max(end, e), True
        if grown and start < grown[-1][1]:
            s0, e0, l0 = grown.pop()
            start, end, label = s0, max(e0, end), f"{l0}; {label}"
        grown.append((start, end, label))
    return grown


# -- helpers ----------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    """Text of a table cell: empty for missing values (NaN, None, NA), not "nan"."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def _esc(text: str) -> str:
    return html.escape(visible_controls(text))


def _ordinals(df: pd.DataFrame, keys: list[str]) -> Any:
    """For each row, how many earlier rows share its ``keys``: 0, then 1 for a duplicate..."""
    if not len(df):
        return pd.Series([], dtype="int64").to_numpy()
    keyed = [df[k].astype("string").fillna("\x00na").reset_index(drop=True) for k in keys]
    return keyed[0].groupby(keyed, sort=False, dropna=False).cumcount().to_numpy()


def _finding_views(tables: Tables, finder: SpanFinder) -> pd.DataFrame:
    """Findings with ``text`` and ``suggestion`` as shown to people (masked).

    A finding touching personal data of its message shows the masked text of the message over
    its span (grown to the personal data's edges), and the placeholders as suggestion.
    """
    findings = tables.findings.copy()
    if not len(findings):
        return findings
    messages: dict[tuple[str, int], str] = {}
    duplicated = _duplicated_ids(tables)
    for m in tables.messages.itertuples(index=False):
        if pd.notna(m.message_index):
            messages.setdefault((_cell(m.conversation_id), int(m.message_index)), _cell(m.text))
    mask = _masker(finder)
    participants = _participants(tables)
    texts, suggestions = [], []
    for f in findings.itertuples(index=False):
        cid = _cell(f.conversation_id)
        names = participants.get(cid, ())
        message = None
        if cid not in duplicated and pd.notna(f.message_index):
            message = messages.get((cid, int(f.message_index)))
        text, suggestion = mask(f.text, names), mask(f.suggestion, names)
        if message is not None and pd.notna(f.start) and pd.notna(f.end):
            start, end = int(f.start), int(f.end)
            pii = finder(message, names)
            touched = [p for p in pii if p[0] < end and start < p[1]]
            if touched:
                start, end = min(start, touched[0][0]), max(end, touched[-1][1])
                text = _apply(message, pii, start, end)
                suggestion = " ".join(p[2] for p in touched) if _cell(f.suggestion) else ""
        texts.append(text)
        suggestions.append(suggestion)
    findings["text"] = pd.array(texts, dtype="string")
    findings["suggestion"] = pd.array(suggestions, dtype="string")
    return findings


def _participants(tables: Tables) -> dict[str, tuple[str, ...]]:
    """Each conversation's participants' names (message authors), to mask in its texts."""
    names: dict[str, set[str]] = {}
    if "author" in tables.messages:
        for cid, author in zip(tables.messages["conversation_id"], tables.messages["author"],
                               strict=True):
            if _cell(author).strip():
                names.setdefault(_cell(cid), set()).add(_cell(author).strip())
    return {cid: tuple(sorted(v)) for cid, v in names.items()}


def _duplicated_ids(tables: Tables) -> set[str]:
    ids = tables.conversations["conversation_id"].map(_cell)
    return set(ids[ids.duplicated()])


# -- workbook ---------------------------------------------------------------------------------
def write_forms_workbook(tables: Tables, path: Path, finder: SpanFinder = _no_spans) -> None:
    """One row per conversation and criterion: the proposal, then empty columns to confirm.

    Sheets ``forms``, ``evidence`` (the findings), ``conversations`` and ``errors``. Every cell
    holding input is a typed string (never a formula), control characters are shown as control
    pictures, and texts are masked with ``finder``'s spans.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    mask = _masker(finder)
    participants = _participants(tables)
    bold = Font(bold=True)
    cols = [
        "conversation_id", "criterion", "criterion_label", "level", "confidence", "reason",
        "evidence", "level_confirmed", "evaluator", "comment",
    ]
    masked_cols = {"reason", "evidence"}
    to_fill = {"level_confirmed", "evaluator", "comment"}
    widths = {"criterion_label": 40, "reason": 40, "evidence": 50, "comment": 40}
    fill = PatternFill("solid", fgColor="FFF2CC")
    wrap = Alignment(wrap_text=True)
    book = Workbook(write_only=True)

    sheet = book.create_sheet("forms")
    sheet.freeze_panes = "B2"
    for i, col in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = widths.get(col, 16)
    levels = sorted(set(tables.forms["level"].dropna().astype(str)) | {"na"})
    if tables.meta.get("levels"):
        levels = [*map(str, tables.meta["levels"]), "na"]
    formula = '"' + ",".join(levels).replace('"', '""') + '"'
    validation = DataValidation(type="list", formula1=formula, allow_blank=True)
    confirm = get_column_letter(cols.index("level_confirmed") + 1)
    if len(tables.forms):
        validation.add(f"{confirm}2:{confirm}{len(tables.forms) + 1}")
        sheet.data_validations.append(validation)
    sheet.append([xlsx_cell(sheet, c, font=bold) for c in cols])
    for row in tables.forms.itertuples(index=False):
        values = row._asdict()
        cells = []
        for col in cols:
            style: dict[str, Any] = {}
            if col in to_fill:
                value, style["fill"] = None, fill
            elif col in masked_cols:
                value = mask(values.get(col),
                             participants.get(_cell(values.get("conversation_id")), ()))
            else:
                value = values.get(col)
            if col in widths:
                style["alignment"] = wrap
            cells.append(xlsx_cell(sheet, value, **style))
        sheet.append(cells)

    findings = _finding_views(tables, finder)
    if len(findings) and "details" in findings:
        findings["details"] = findings["details"].map(mask)
    errors = tables.errors.copy()
    if len(errors) and "message" in errors:
        errors["message"] = errors["message"].map(mask)
    for name, df in (("evidence", findings), ("conversations", tables.conversations),
                     ("errors", errors)):
        sheet = book.create_sheet(name)
        sheet.append([xlsx_cell(sheet, c, font=bold) for c in df.columns])
        for row in df.astype("object").itertuples(index=False, name=None):
            sheet.append([xlsx_cell(sheet, v) for v in row])
    book.save(path)


# -- HTML -------------------------------------------------------------------------------------
def _highlight(
    text: str, highlights: Sequence[tuple[int, int, str]], pii: Sequence[Span] = ()
) -> str:
    """HTML of ``text`` with each (start, end, label) span in a ``<mark>`` titled by its label.

    Offsets are on the raw text; each piece is masked (``pii``), then escaped.
    """
    out, pos = [], 0
    for start, end, label in _shown_spans(text, highlights, pii):
        out.append(_esc(_apply(text, pii, pos, start)))
        out.append(f'<mark title="{_esc(label)}">{_esc(_apply(text, pii, start, end))}</mark>')
        pos = end
    out.append(_esc(_apply(text, pii, pos, len(text))))
    return "".join(out)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em}
th{background:#f3f3f3}mark{background:#ffe08a}.advisor{background:#eef5ff}
.customer{background:#f7f7f7}.system,.bot{color:#777;font-style:italic}
.lvl-a_ameliorer{color:#b00020;font-weight:bold}.lvl-exceptionnel{color:#0a7d28;font-weight:bold}
.lvl-bon{color:#0b5394}.lvl-na{color:#888}.warning{background:#fde2e1;padding:.5em}
"""


def render_html(tables: Tables, finder: SpanFinder = _no_spans) -> str:
    """A self-contained HTML page: summary, level counts, then each conversation and its form.

    Conversations are rendered in the order of the ``conversations`` table; one whose id
    appears more than once is rendered once per occurrence, with a warning, without
    highlights.
    """
    meta = tables.meta
    mask = _masker(finder)
    participants = _participants(tables)
    parts = [
        "<!doctype html><html lang='fr'><meta charset='utf-8'><title>chatqa report</title>",
        f"<style>{_CSS}</style>",
        "<h1>chatqa report</h1>",
        f"<p>Grid <b>{_esc(_cell(meta.get('grid')) or '?')}</b>, chatqa "
        f"{_esc(_cell(meta.get('chatqa_version')) or '?')}: "
        f"{len(tables.conversations)} conversations scored, {len(tables.errors)} errors.</p>",
    ]
    duplicated = _duplicated_ids(tables)
    if duplicated:
        parts.append(
            "<p class='warning'>Conversation ids found more than once: "
            f"{_esc(', '.join(sorted(duplicated)))}. Each occurrence is shown apart, without "
            "highlights: their findings cannot be told apart.</p>"
        )
    if len(tables.forms):
        counts = pd.crosstab(tables.forms["criterion"].astype(str),
                             tables.forms["level"].astype(str))
        parts += ["<h2>Proposed levels</h2>", counts.to_html()]
    if len(tables.errors):
        cols = list(tables.errors.columns)
        parts.append("<h2>Errors</h2><table><tr>"
                     + "".join(f"<th>{_esc(c)}</th>" for c in cols) + "</tr>")
        for row in tables.errors.itertuples(index=False, name=None):
            cells = [mask(v) if c == "message" else _cell(v) for c, v in zip(cols, row,
                                                                             strict=True)]
            parts.append("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in cells) + "</tr>")
        parts.append("</table>")

    spans: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    messages_by_key: dict[tuple[str, int], str] = {}
    for m in tables.messages.itertuples(index=False):
        if pd.notna(m.message_index):
            messages_by_key.setdefault((_cell(m.conversation_id), int(m.message_index)),
                                       _cell(m.text))
    for f in tables.findings.itertuples(index=False):
        cid = _cell(f.conversation_id)
        if cid in duplicated or not (pd.notna(f.start) and pd.notna(f.end)
                                     and pd.notna(f.message_index)):
            continue
        key, start, end = (cid, int(f.message_index)), int(f.start), int(f.end)
        text = messages_by_key.get(key)
        if text is None or (_cell(f.text) and text[start:end] != _cell(f.text)):
            continue   # a finding that does not point into its message is not drawn
        names = participants.get(cid, ())
        suggestion = mask(f.suggestion, names)
        if any(s < end and start < e for s, e, _ in finder(text, names)):
            suggestion = ""   # the suggestion would spell out the personal data masked
        label = _cell(f.code) if not suggestion else f"{_cell(f.code)} → {suggestion}"
        spans.setdefault(key, []).append((start, end, label))

    messages = tables.messages.assign(_k=_ordinals(tables.messages,
                                                   ["conversation_id", "message_index"]))
    forms = tables.forms.assign(_k=_ordinals(tables.forms, ["conversation_id", "criterion"]))
    conversations = tables.conversations.assign(
        _k=_ordinals(tables.conversations, ["conversation_id"])
    )
    msg_groups = _groups(messages)
    form_groups = _groups(forms)
    order = [(_cell(c), int(k)) for c, k in
             zip(conversations["conversation_id"], conversations["_k"], strict=True)]
    seen = set(order)
    order += [key for key in msg_groups if key not in seen]
    for n, (cid, k) in enumerate(order, start=1):
        dup = cid in duplicated
        title = f"Conversation {cid}" + (f" (occurrence {k + 1})" if dup else "")
        parts.append(f"<h2 id='conversation-{n}'>{_esc(title)}</h2>")
        if dup:
            parts.append(f"<p class='warning'>Id {_esc(cid)} appears more than once in this "
                         "run: findings are not highlighted.</p>")
        rows = ["<table><tr><th>#</th><th>time</th><th>role</th><th>text</th></tr>"]
        for m in msg_groups.get((cid, k), pd.DataFrame()).itertuples(index=False):
            text = _cell(m.text)
            index = int(m.message_index) if pd.notna(m.message_index) else -1
            body = _highlight(text, [] if dup else spans.get((cid, index), []),
                              finder(text, participants.get(cid, ())))
            role = _cell(m.role)
            rows.append(
                f"<tr class='{_esc(role)}'><td>{_esc(_cell(m.message_index))}</td>"
                f"<td>{_esc(_cell(m.time)[11:19])}</td>"
                f"<td>{_esc(role)}</td><td>{body}</td></tr>"
            )
        rows.append("</table>")
        parts += rows
        form = form_groups.get((cid, k))
        if form is not None:
            parts.append("<table><tr><th>criterion</th><th>level</th><th>confidence</th>"
                         "<th>reason</th><th>evidence</th></tr>")
            for p in form.itertuples(index=False):
                lvl = _esc(_cell(p.level))
                confidence = f"{p.confidence:.2f}" if pd.notna(p.confidence) else ""
                parts.append(
                    f"<tr><td>{_esc(_cell(p.criterion_label) or _cell(p.criterion))}</td>"
                    f"<td class='lvl-{lvl}'>{lvl}</td><td>{confidence}</td>"
                    f"<td>{_esc(mask(p.reason, participants.get(cid, ())))}</td>"
                    f"<td>{_esc(mask(p.evidence, participants.get(cid, ())))}</td></tr>"
                )
            parts.append("</table>")
    parts.append("</html>")
    return "\n".join(parts)


def _groups(df: pd.DataFrame) -> dict[tuple[str, int], pd.DataFrame]:
    """Rows of ``df`` by (conversation id, occurrence), in order of appearance."""
    if not len(df):
        return {}
    return {
        (_cell(cid), int(k)): group
        for (cid, k), group in df.groupby([df["conversation_id"].astype("string")
                                           .fillna(""), "_k"], sort=False)
    }
