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

``report.html`` is an index of the conversations shown (filterable in the page); each
conversation is a page of its own under ``report/``, or a section of ``report.html`` when at
most :data:`~chatqa.report.pages.ONE_PAGE_MAX` are shown (:mod:`chatqa.report.pages`).
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.io.tables import read_tables
from chatqa.io.writers import visible_controls
from chatqa.tables import Tables

__all__ = ["read_tables", "render_html", "write_report"]

#: A personal-data span on the raw text: (start, end, placeholder shown instead).
Span = tuple[int, int, str]
#: Finds the personal-data spans of a text, given the participants' names.
SpanFinder = Callable[..., list[Span]]


def write_report(
    folder: str | Path,
    *,
    redact: bool = True,
    conversations: Iterable[str] | str | None = None,
    advisor: str | None = None,
    sample: int | None = None,
    seed: int = 0,
    pages: bool | None = None,
) -> list[Path]:
    """Write ``forms.xlsx`` (pre-filled forms to confirm) and the HTML report into ``folder``.

    The HTML report is ``report.html``, an index of the conversations shown (filterable by
    advisor, criterion and level), with each conversation on a page of its own under
    ``report/`` (``report/conversation-0001.html``...), or, for a selection of at most
    :data:`~chatqa.report.pages.ONE_PAGE_MAX` conversations, in sections of ``report.html``.
    Pages of an earlier report that this one does not write are removed.

    Args:
        folder: a finished run, written by ``chatqa score --out`` or ``Tables.write``.
        redact: mask personal data (e-mails, phone numbers, IBANs, card numbers...) in every
            text shown, and show advisors as « Advisor 1 », « Advisor 2 »...; ``False`` shows
            the raw text and the advisors' names.
        conversations: show only these conversation ids (ids not in the run are named in
            the index).
        advisor: show only the conversations of this advisor (a message author of role
            advisor, or the « Advisor N » the redacted index shows).
        sample: show a random sample of this many of the conversations selected so far.
        seed: the seed of the sample: the same seed gives the same sample.
        pages: ``True`` writes one page per conversation whatever their number, ``False``
            one page with every conversation (refused above ``ONE_PAGE_MAX``), ``None``
            chooses by the number of conversations shown.

    Returns:
        The files written: ``forms.xlsx``, ``report.html`` and, when written, the
        ``report/`` folder of conversation pages.

    Raises:
        ConfigError: ``E020`` / ``E021`` when the folder holds no finished run or mixes runs
            (see :func:`~chatqa.io.tables.read_tables`).
        ValueError: a selection argument is malformed, or matches no conversation.
    """
    from chatqa.report.pages import write_html_report
    from chatqa.report.selection import select_conversations
    from chatqa.report.views import RunView

    folder = Path(folder)
    tables = read_tables(folder)
    finder = pii_finder(redact)
    run = RunView(tables, finder, pseudonyms=redact)
    selection = select_conversations(
        run.order, run.advisors, conversations=conversations, advisor=advisor,
        sample=sample, seed=seed, aliases=run.advisor_aliases(),
    )
    from chatqa.report.forms_workbook import write_run_workbook

    advisors = {cid: tuple(run.shown_advisor(name) for name in names)
                for (cid, _), names in run.advisors.items()}
    books = write_run_workbook(folder, tables, _masker(finder), _participants(tables), advisors)
    return [*books, *write_html_report(folder, run, selection, pages=pages)]


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


def _shown_finding(
    text: Any, suggestion: Any, message: str | None, start: Any, end: Any,
    names: tuple[str, ...], finder: SpanFinder,
) -> tuple[str, str, bool]:
    """A finding's ``text`` and ``suggestion`` as shown, and whether it touches personal data.

    A finding touching personal data of its ``message`` shows the masked text of the message
    over its span (grown to the personal data's edges), and the placeholders as suggestion.
    """
    mask = _masker(finder)
    shown, proposed = mask(text, names), mask(suggestion, names)
    if message is None or pd.isna(start) or pd.isna(end):
        return shown, proposed, False
    start, end = int(start), int(end)
    pii = finder(message, names)
    touched = [p for p in pii if p[0] < end and start < p[1]]
    if not touched:
        return shown, proposed, False
    start, end = min(start, touched[0][0]), max(end, touched[-1][1])
    shown = _apply(message, pii, start, end)
    proposed = " ".join(p[2] for p in touched) if _cell(suggestion) else ""
    return shown, proposed, True


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
def _highlight(
    text: str,
    highlights: Sequence[tuple[int, int, str]],
    pii: Sequence[Span] = (),
    marker: Callable[[int, int], str] | None = None,
) -> str:
    """HTML of ``text`` with each (start, end, label) span in a ``<mark>`` titled by its label.

    Offsets are on the raw text; each piece is masked (``pii``), then escaped. ``marker``,
    given the (start, end) of a mark as drawn, returns HTML to put right after it (the
    numbers of the notes that explain it).
    """
    out, pos = [], 0
    for start, end, label in _shown_spans(text, highlights, pii):
        out.append(_esc(_apply(text, pii, pos, start)))
        out.append(f'<mark title="{_esc(label)}">{_esc(_apply(text, pii, start, end))}</mark>')
        if marker is not None:
            out.append(marker(start, end))
        pos = end
    out.append(_esc(_apply(text, pii, pos, len(text))))
    return "".join(out)


def render_html(tables: Tables, finder: SpanFinder = _no_spans) -> str:
    """The whole report as one self-contained page: the index, then every conversation.

    For a small run (at most :data:`~chatqa.report.pages.ONE_PAGE_MAX` conversations);
    :func:`write_report` writes a page per conversation for a larger one.

    Raises:
        ValueError: the run has more than ``ONE_PAGE_MAX`` conversations.
    """
    from chatqa.report.pages import render_one_page
    from chatqa.report.selection import select_conversations
    from chatqa.report.views import RunView

    run = RunView(tables, finder, pseudonyms=finder is not _no_spans)
    return render_one_page(run, select_conversations(run.order, run.advisors))
