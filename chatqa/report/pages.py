"""The HTML report's files: ``report.html``, and a page per conversation under ``report/``.

``report.html`` is the index (:mod:`chatqa.report.index`): what was selected, level counts,
errors, and one row per conversation, filterable in the page. Each conversation
(:mod:`chatqa.report.conversation`) is a page of its own, ``report/conversation-0001.html``:
numbered by its place in the run, so a name is safe whatever the id and the same in every
report of the run; it links back to its row of the index and to its neighbours. A selection
of at most :data:`ONE_PAGE_MAX` conversations is written as one page instead, the
conversations under the index, reached by anchors (``#conversation-1``): a small report is
one file to send, a large one is never one page. Pages are self-contained (CSS and script
inlined, :mod:`chatqa.report.assets`) and open offline from a file:// URL.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from chatqa.io.writers import atomic_write_text
from chatqa.report.assets import CONVERSATION_JS, CSS, INDEX_JS
from chatqa.report.build import _esc
from chatqa.report.conversation import render_conversation
from chatqa.report.index import index_body
from chatqa.report.selection import Key, Selection
from chatqa.report.views import RunView

#: The most conversations written as one page; above, each conversation has its own page.
ONE_PAGE_MAX = 50
#: The folder of the conversation pages, beside ``report.html``.
PAGES_DIR = "report"
_PAGE_NAME = re.compile(r"\.?conversation-\d+\.html(\.tmp)?")


def write_html_report(
    folder: Path, run: RunView, selection: Selection, *, pages: bool | None = None
) -> list[Path]:
    """Write ``report.html`` (and the pages under ``report/``); return what was written.

    Pages are written first, the index last, so the index never links to a page not yet
    written; pages of an earlier report that this one does not write are removed.

    Raises:
        ValueError: ``pages=False`` for more than :data:`ONE_PAGE_MAX` conversations.
    """
    if pages is False and len(selection.keys) > ONE_PAGE_MAX:
        raise ValueError(f"{len(selection.keys)} conversations are too many for one page "
                         f"(at most {ONE_PAGE_MAX}): use pages=True, or select fewer")
    index = folder / "report.html"
    directory = folder / PAGES_DIR
    if pages is False or (pages is None and len(selection.keys) <= ONE_PAGE_MAX):
        atomic_write_text(index, render_one_page(run, selection))
        _remove_pages(directory, keep=set())
        return [index]
    directory.mkdir(exist_ok=True)
    names: dict[Key, str] = {}
    for i, key in enumerate(selection.keys):
        neighbours = (selection.keys[i - 1] if i else None,
                      selection.keys[i + 1] if i + 1 < len(selection.keys) else None)
        name = page_name(run.number[key], run)
        _write_page(directory / name, render_conversation_page(run, key, neighbours))
        names[key] = name
    _remove_pages(directory, keep=set(names.values()))
    body = index_body(run, selection, (f"{PAGES_DIR}/conversation-", _width(run), ".html"))
    atomic_write_text(index, _document("chatqa report", body, run, INDEX_JS))
    return [index, directory]


def page_name(number: int, run: RunView) -> str:
    """The file name of conversation ``number``'s page: ``conversation-0001.html``.

    Numbers are zero-padded to 4 digits, or as many as the run's count has.
    """
    return f"conversation-{number:0{_width(run)}d}.html"


def _width(run: RunView) -> int:
    return max(4, len(str(len(run.order))))


def render_one_page(run: RunView, selection: Selection) -> str:
    """The index and the conversations of ``selection`` in one page, linked by anchors.

    Raises:
        ValueError: more than :data:`ONE_PAGE_MAX` conversations are selected.
    """
    if len(selection.keys) > ONE_PAGE_MAX:
        raise ValueError(f"{len(selection.keys)} conversations are too many for one page "
                         f"(at most {ONE_PAGE_MAX}): write a page per conversation")
    body = [index_body(run, selection, ("#conversation-", 0, ""))]
    body += [render_conversation(run.conversation(key), back=f"#row-{run.number[key]}")
             for key in selection.keys]
    return _document("chatqa report", "\n".join(body), run, INDEX_JS + CONVERSATION_JS)


def render_conversation_page(
    run: RunView, key: Key, neighbours: tuple[Key | None, Key | None] = (None, None)
) -> str:
    """A conversation's own page, linking back to its row of the index and to its neighbours."""
    number = run.number[key]
    nav = [f"<a href='../report.html#row-{number}'>↑ index</a>"]
    for label, other in zip(("‹ previous", "next ›"), neighbours, strict=True):
        if other is not None:
            nav.append(f"<a href='{page_name(run.number[other], run)}'>{label}</a>")
    view = run.conversation(key)
    body = (f"<nav>{''.join(nav)}</nav>\n"
            + render_conversation(view, back=f"../report.html#row-{number}"))
    return _document(f"Conversation {key[0]} — chatqa report", body, run, CONVERSATION_JS)


# -- pieces ------------------------------------------------------------------------------------
def _document(title: str, body: str, run: RunView, script: str) -> str:
    """A whole page: its CSS (level colours included) and script inlined."""
    levels: dict[str, str | None] = {}
    for criterion in [*run.criteria, None]:
        for level in run.scale.levels_of(criterion):
            levels.setdefault(level, criterion)
    columns = "".join(f"#conversations[data-only='{j}'] .cc:not(.cc{j}){{display:none}}"
                      for j in range(1, len(run.criteria) + 1))
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_esc(title)}</title><style>{CSS}{run.scale.css(levels)}{columns}</style>"
        f"</head><body>\n{body}\n<script>{script}</script></body></html>"
    )


def _write_page(path: Path, text: str) -> None:
    """Write a page under a temporary name, then rename it: never half written."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_pages(directory: Path, keep: set[str]) -> None:
    """Remove the conversation pages of an earlier report from ``directory``, and it if empty."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        if path.name not in keep and _PAGE_NAME.fullmatch(path.name) and path.is_file():
            path.unlink()
    if not any(directory.iterdir()):
        directory.rmdir()
