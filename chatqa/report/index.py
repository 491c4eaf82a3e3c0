r"""The index of a report: what was selected, level counts, errors, and the conversations.

The conversations' table is listed by the page's script from the rows' data, held in the
page as JSON (``<script type="application/json" id="index-data">``): one row is a short
array, so an index of 100,000 conversations is a few MB and opens at once, where as many
HTML rows took the browser more than a minute. The script lists the rows that pass the
filters (advisor, criterion, level, id), at most :data:`LISTED` at a time with a button for
more, and says how many pass. The data is plain JSON, every ``<`` written ``\u003c``, so no
text of the input can end the script; the script puts texts in with ``textContent``.

Data (``index-data``)::

    {"criteria": [[id, label], ...],              # the columns, in the run's order
     "values": [[level id, label], ...],          # a level as shown, per criterion's scale
     "advisors": [name shown, ...],
     "link": [prefix, width, suffix],             # report/conversation-0001.html
     "listed": LISTED,
     "rows": [[number, id, occurrence (0 unless duplicated), [advisor...], date,
               messages, [value or -1 per criterion]], ...]}
"""

from __future__ import annotations

import json
import re
from collections import Counter

from chatqa.io.writers import visible_controls
from chatqa.report.build import _cell, _esc
from chatqa.report.selection import Selection
from chatqa.report.views import IndexRow, RunView

#: How many rows the index lists at a time (the rest one click away, by as many).
LISTED = 1000


def index_body(run: RunView, selection: Selection, link: tuple[str, int, str]) -> str:
    """The index's HTML (the page's body, before any conversation section).

    ``link`` is how a conversation's address is made from its number: prefix, zero-padded
    width, suffix.
    """
    meta, tables = run.meta, run.tables
    rows = [run.index_row(key) for key in selection.keys]
    parts = [
        "<h1>chatqa report</h1>",
        f"<p>Grid <b>{_esc(_cell(meta.get('grid')) or '?')}</b>, chatqa "
        f"{_esc(_cell(meta.get('chatqa_version')) or '?')}: "
        f"{len(tables.conversations)} conversations scored, {len(tables.errors)} errors.</p>",
        f"<p class='selection'>{_esc(selection.description)}</p>",
    ]
    if run.levels_note:
        parts.append(f"<p class='note'>{_esc(run.levels_note)}</p>")
    if run.duplicated:
        parts.append(
            "<p class='warning'>Conversation ids found more than once: "
            f"{_esc(', '.join(sorted(run.duplicated)))}. Each occurrence is shown apart, without "
            "highlights: their findings cannot be told apart.</p>"
        )
    parts += _level_counts(run, rows)
    parts += _errors(run)
    parts += _conversations(run, rows, link)
    return "\n".join(parts)


def index_data(run: RunView, rows: list[IndexRow], link: tuple[str, int, str]) -> str:
    """The rows' data as JSON safe inside a ``<script>`` element (no ``<`` in it)."""
    criteria = list(run.criteria)
    values: dict[tuple[str, str], int] = {}
    advisors: dict[str, int] = {}
    data_rows = []
    for row in rows:
        cells = []
        for c in criteria:
            if c not in row.levels:
                cells.append(-1)
                continue
            value = (row.levels[c], visible_controls(run.level_label(row.levels[c], c)))
            cells.append(values.setdefault(value, len(values)))
        data_rows.append([
            row.number, visible_controls(row.conversation_id),
            row.occurrence + 1 if row.duplicated else 0,
            [advisors.setdefault(visible_controls(a), len(advisors)) for a in row.advisors],
            row.date, row.n_messages, cells,
        ])
    data = {
        "criteria": [[c, visible_controls(run.criteria[c])] for c in criteria],
        "values": [list(v) for v in values],
        "advisors": list(advisors),
        "link": list(link),
        "listed": LISTED,
        "rows": data_rows,
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _conversations(run: RunView, rows: list[IndexRow], link: tuple[str, int, str]) -> list[str]:
    """The filters, the count of conversations that pass them, and the table to fill."""
    criteria = list(run.criteria)
    advisors = Counter(visible_controls(a) for row in rows for a in row.advisors)
    seen = {level for row in rows for level in row.levels.values()}
    levels = [level for level in dict.fromkeys([*run.scale.levels_of(None), "na",
                                                *sorted(seen)]) if level in seen]
    options = {
        "advisor": [("", "all advisors")]
        + [(a, f"{a} ({n})") for a, n in sorted(advisors.items(), key=_natural)],
        "criterion": [("", "all criteria")] + [(c, run.criteria[c]) for c in criteria],
        "level": [("", "any level")] + [(lv, run.level_label(lv)) for lv in levels],
    }
    parts = ["<h2>Conversations</h2><form class='filters' id='filters'>"]
    for name, label in (("advisor", "Advisor"), ("criterion", "Criterion"),
                        ("level", "Level")):
        opts = "".join(
            f"<option value='{_esc(value)}'"
            + (f" data-col='{criteria.index(value) + 1}'" if name == "criterion" and value
               else "")
            + f">{_esc(text)}</option>" for value, text in options[name])
        parts.append(f"<label>{label}<select id='f-{name}'>{opts}</select></label>")
    parts.append("<label>Id contains<input id='f-id' type='search'></label>"
                 "<button type='button' id='f-reset'>Show all</button></form>"
                 f"<p id='count'><output id='shown'>{len(rows)}</output> of {len(rows)} "
                 "conversations shown<span id='listed' hidden></span></p>")
    head = "".join(f"<th class='cc cc{j}' title='{_esc(c)}'>{_esc(run.criteria[c])}</th>"
                   for j, c in enumerate(criteria, start=1))
    parts += [
        "<table id='conversations'><thead><tr><th>conversation</th><th>advisor</th>"
        f"<th>date</th><th>messages</th>{head}</tr></thead><tbody></tbody></table>",
        "<p id='more' hidden><button type='button' id='f-more'>list more</button></p>",
        "<noscript><p class='warning'>This index lists the conversations with JavaScript, "
        "which is off. Each conversation is still there: "
        + ("its page is in the report folder beside this file."
           if link[0].startswith("report/") else "below.") + "</p></noscript>",
        "<script type='application/json' id='index-data'>"
        f"{index_data(run, rows, link)}</script>",
    ]
    return parts


def _level_counts(run: RunView, rows: list[IndexRow]) -> list[str]:
    """How many conversations shown got each level, per criterion, by label."""
    counts = Counter((c, level) for row in rows for c, level in row.levels.items())
    if not counts:
        return []
    levels = list(dict.fromkeys([*run.scale.levels_of(None), "na",
                                 *sorted({level for _, level in counts})]))
    levels = [level for level in levels if any(counts[(c, level)] for c in run.criteria)]
    head = "".join(f"<th class='lvl-{_esc(level)}' title='{_esc(level)}'>"
                   f"{_esc(run.level_label(level))}</th>" for level in levels)
    body = "".join(
        f"<tr><th title='{_esc(c)}'>{_esc(label)}</th>"
        + "".join(f"<td>{counts[(c, level)] or ''}</td>" for level in levels) + "</tr>"
        for c, label in run.criteria.items()
    )
    return ["<h2>Proposed levels</h2>",
            f"<table class='counts'><tr><th>criterion</th>{head}</tr>{body}</table>"]


def _errors(run: RunView) -> list[str]:
    """The run's errors table, messages masked."""
    errors = run.tables.errors
    if not len(errors):
        return []
    cols = list(errors.columns)
    parts = ["<h2>Errors</h2><table><tr>" + "".join(f"<th>{_esc(c)}</th>" for c in cols)
             + "</tr>"]
    for row in errors.itertuples(index=False, name=None):
        cells = [run.mask(v) if c == "message" else _cell(v)
                 for c, v in zip(cols, row, strict=True)]
        parts.append("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in cells) + "</tr>")
    parts.append("</table>")
    return parts


def _natural(item: tuple[str, int]) -> list[object]:
    """Sort key putting « Advisor 2 » before « Advisor 10 »."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", item[0])]
