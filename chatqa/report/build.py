"""Build the evaluator workbook (``forms.xlsx``) and ``report.html`` from a scored folder."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from chatqa.errors import ConfigError, Errors
from chatqa.report.redact import redact
from chatqa.tables import FORMATS, TABLE_NAMES, Tables


def read_tables(folder: str | Path) -> Tables:
    """Read the tables ``chatqa score`` wrote in ``folder`` (any of its output formats)."""
    folder = Path(folder)
    for fmt in ("parquet", "csv", "jsonl"):
        if (folder / f"forms.{fmt}").is_file():
            break
    else:
        if (folder / "chatqa.xlsx").is_file():
            sheets = pd.read_excel(folder / "chatqa.xlsx", sheet_name=None)
            return Tables(**{n: sheets[n] for n in TABLE_NAMES}, meta=_meta(folder))
        raise ConfigError(
            Errors.E001.format(file=folder / "forms.<format>", cwd=Path.cwd())
            + f" Expected the output of `chatqa score` ({', '.join(FORMATS)})."
        )
    readers = {
        "parquet": pd.read_parquet,
        "csv": lambda p: pd.read_csv(p, encoding="utf-8-sig"),
        "jsonl": lambda p: pd.read_json(p, lines=True) if p.stat().st_size else pd.DataFrame(),
    }
    tables = {n: readers[fmt](folder / f"{n}.{fmt}") for n in TABLE_NAMES}
    return Tables(**tables, meta=_meta(folder))


def _meta(folder: Path) -> dict:
    path = folder / "meta.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def write_report(folder: str | Path, *, redact_personal_data: bool = False, **kw) -> list[Path]:
    """Write ``forms.xlsx`` (pre-filled forms to confirm) and ``report.html`` into ``folder``."""
    redact_personal_data = kw.pop("redact", redact_personal_data)
    folder = Path(folder)
    tables = read_tables(folder)
    mask = redact if redact_personal_data else (lambda s: s)
    xlsx = folder / "forms.xlsx"
    write_forms_workbook(tables, xlsx, mask)
    page = folder / "report.html"
    page.write_text(render_html(tables, mask), "utf-8")
    return [xlsx, page]


def write_forms_workbook(tables: Tables, path: Path, mask=lambda s: s) -> None:
    """One row per conversation and criterion: the proposal, then empty columns to confirm."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    forms = tables.forms.copy()
    forms["level_confirmed"] = ""
    forms["evaluator"] = ""
    forms["comment"] = ""
    cols = [
        "conversation_id", "criterion", "criterion_label", "level", "confidence", "reason",
        "evidence", "level_confirmed", "evaluator", "comment",
    ]
    findings = tables.findings.copy()
    if len(findings):
        findings["text"] = findings["text"].astype(str).map(mask)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        forms[cols].to_excel(xl, sheet_name="forms", index=False)
        findings.to_excel(xl, sheet_name="evidence", index=False)
        tables.conversations.to_excel(xl, sheet_name="conversations", index=False)
        tables.errors.to_excel(xl, sheet_name="errors", index=False)
        sheet = xl.sheets["forms"]
        levels = sorted(set(tables.forms["level"].dropna().astype(str)) | {"na"})
        meta_levels = tables.meta.get("levels")
        if meta_levels:
            levels = [*meta_levels, "na"]
        dv = DataValidation(type="list", formula1='"' + ",".join(levels) + '"', allow_blank=True)
        sheet.add_data_validation(dv)
        confirm_col = get_column_letter(cols.index("level_confirmed") + 1)
        if len(forms):
            dv.add(f"{confirm_col}2:{confirm_col}{len(forms) + 1}")
        fill = PatternFill("solid", fgColor="FFF2CC")
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in range(2, len(forms) + 2):
            for col in ("level_confirmed", "evaluator", "comment"):
                sheet[f"{get_column_letter(cols.index(col) + 1)}{row}"].fill = fill
        widths = {"criterion_label": 40, "reason": 40, "evidence": 50, "comment": 40}
        for i, col in enumerate(cols, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = widths.get(col, 16)
            if col in widths:
                for row in range(2, len(forms) + 2):
                    sheet.cell(row=row, column=i).alignment = Alignment(wrap_text=True)
        sheet.freeze_panes = "B2"


def _cell(value) -> str:
    """Text of a table cell: empty for missing values (NaN, None), not "nan"."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _highlight(text: str, spans: list[tuple[int, int, str]], mask) -> str:
    """HTML of ``text`` with each (start, end, label) span in a <mark> titled by its label."""
    out, pos = [], 0
    for start, end, code in sorted(spans):
        if start < pos or end > len(text):
            continue
        out.append(html.escape(mask(text[pos:start])))
        out.append(
            f'<mark title="{html.escape(code)}">{html.escape(mask(text[start:end]))}</mark>'
        )
        pos = end
    out.append(html.escape(mask(text[pos:])))
    return "".join(out)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em}
th{background:#f3f3f3}mark{background:#ffe08a}.advisor{background:#eef5ff}
.customer{background:#f7f7f7}.system,.bot{color:#777;font-style:italic}
.lvl-a_ameliorer{color:#b00020;font-weight:bold}.lvl-exceptionnel{color:#0a7d28;font-weight:bold}
.lvl-bon{color:#0b5394}.lvl-na{color:#888}
"""


def render_html(tables: Tables, mask=lambda s: s) -> str:
    """A self-contained HTML page: summary, level counts, then each conversation and its form."""
    meta = tables.meta
    parts = [
        "<!doctype html><html lang='fr'><meta charset='utf-8'><title>chatqa report</title>",
        f"<style>{_CSS}</style>",
        "<h1>chatqa report</h1>",
        f"<p>Grid <b>{html.escape(str(meta.get('grid', '?')))}</b>, chatqa "
        f"{html.escape(str(meta.get('chatqa_version', '?')))}: "
        f"{len(tables.conversations)} conversations scored, {len(tables.errors)} errors.</p>",
    ]
    if len(tables.forms):
        counts = pd.crosstab(tables.forms["criterion"], tables.forms["level"])
        parts += ["<h2>Proposed levels</h2>", counts.to_html()]
    if len(tables.errors):
        parts += ["<h2>Errors</h2>", tables.errors.to_html(index=False, na_rep="")]
    spans: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    for f in tables.findings.itertuples(index=False):
        if pd.notna(f.start) and pd.notna(f.end) and pd.notna(f.message_index):
            label = str(f.code) if not _cell(f.suggestion) else f"{f.code} → {f.suggestion}"
            spans.setdefault((str(f.conversation_id), int(f.message_index)), []).append(
                (int(f.start), int(f.end), label)
            )
    forms = tables.forms.groupby("conversation_id", sort=False) if len(tables.forms) else {}
    messages = (
        tables.messages.groupby("conversation_id", sort=False) if len(tables.messages) else {}
    )
    for cid, msgs in messages:
        parts.append(f"<h2 id='{html.escape(str(cid))}'>Conversation {html.escape(str(cid))}</h2>")
        rows = ["<table><tr><th>#</th><th>time</th><th>role</th><th>text</th></tr>"]
        for m in msgs.itertuples(index=False):
            text = "" if pd.isna(m.text) else str(m.text)
            body = _highlight(text, spans.get((str(cid), int(m.message_index)), []), mask)
            rows.append(
                f"<tr class='{html.escape(str(m.role))}'><td>{m.message_index}</td>"
                f"<td>{html.escape('' if pd.isna(m.time) else str(m.time)[11:19])}</td>"
                f"<td>{html.escape(str(m.role))}</td><td>{body}</td></tr>"
            )
        rows.append("</table>")
        parts += rows
        if len(tables.forms) and cid in forms.groups:
            form = forms.get_group(cid)
            parts.append("<table><tr><th>criterion</th><th>level</th><th>confidence</th>"
                         "<th>reason</th><th>evidence</th></tr>")
            for p in form.itertuples(index=False):
                lvl = html.escape(str(p.level))
                parts.append(
                    f"<tr><td>{html.escape(str(p.criterion_label or p.criterion))}</td>"
                    f"<td class='lvl-{lvl}'>{lvl}</td><td>{p.confidence:.2f}</td>"
                    f"<td>{html.escape(_cell(p.reason))}</td>"
                    f"<td>{html.escape(_cell(p.evidence))}</td></tr>"
                )
            parts.append("</table>")
    parts.append("</html>")
    return "\n".join(parts)
