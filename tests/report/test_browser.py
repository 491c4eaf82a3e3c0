"""The HTML report in a real browser: Debian's chromium driven by playwright, offline.

The examples are scored for real, the report written, and the pages opened from file://
URLs: the index's filters, its links, and every highlight's note shown on the page. Without
/usr/bin/chromium or playwright the tests skip saying why, except under CI, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from chatqa.report import read_tables, write_report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "chats_fr.jsonl"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require_browser() -> None:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} not found (apt-get install chromium, as "
                       "scripts/install_system_deps.sh does as root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed (pip install -e '.[dev]')")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("the browser test must run in CI: " + "; ".join(missing))
        pytest.skip("; ".join(missing))


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield page
    page.close()
    # the report opens offline: it asks for nothing but its own files
    assert [url for url in requests if not url.startswith("file://")] == []


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Path:
    """The examples scored for real into a csv run folder."""
    from chatqa.pipeline import Pipeline

    out = tmp_path_factory.mktemp("scored") / "out"
    Pipeline.from_grid("fr_chat").score_archive(EXAMPLES, out=out, format="csv",
                                                progress=False)
    return out


@pytest.fixture(scope="module")
def run(scored, tmp_path_factory) -> Path:
    """A report with a page per conversation (forced: the examples are a small run)."""
    out = tmp_path_factory.mktemp("paged") / "out"
    shutil.copytree(scored, out)
    write_report(out, pages=True)
    return out


def _shown_ids(page) -> list[str]:
    return page.locator("#conversations tbody tr:visible td:first-child a").all_inner_texts()


def _advisors(folder: Path) -> dict[str, list[str]]:
    """Each conversation's advisors (authors of advisor messages), first seen first."""
    messages = read_tables(folder).messages
    advisors: dict[str, list[str]] = {}
    for cid, role, author in zip(messages["conversation_id"], messages["role"],
                                 messages["author"], strict=True):
        if role == "advisor" and isinstance(author, str) and author not in advisors.get(cid, []):
            advisors.setdefault(cid, []).append(author)
    return advisors


def test_browser_index_filters_by_advisor_and_level(page, run):
    tables = read_tables(run)
    all_ids = list(tables.conversations["conversation_id"])
    page.goto((run / "report.html").as_uri())
    assert _shown_ids(page) == all_ids
    assert page.inner_text("#count") == f"{len(all_ids)} of {len(all_ids)} conversations shown"

    # redacted: advisors are « Advisor N », numbered in order of first appearance
    advisors = _advisors(run)
    first = next(iter(dict.fromkeys(a for names in advisors.values() for a in names)))
    hers = [cid for cid in all_ids if first in advisors.get(cid, [])]
    page.select_option("#f-advisor", value="Advisor 1")
    assert _shown_ids(page) == hers and 0 < len(hers) < len(all_ids)
    assert page.inner_text("#count") == f"{len(hers)} of {len(all_ids)} conversations shown"
    assert first not in page.content()

    page.select_option("#f-advisor", value="")
    forms = tables.forms
    late = forms[(forms["criterion"] == "delais_reponse") & (forms["level"] == "a_ameliorer")]
    expected = [cid for cid in all_ids if cid in set(late["conversation_id"])]
    page.select_option("#f-criterion", value="delais_reponse")
    page.select_option("#f-level", value="a_ameliorer")
    assert _shown_ids(page) == expected and 0 < len(expected) < len(all_ids)
    # the level is shown by its label in the grid, and only the chosen criterion's column
    cells = page.locator("#conversations tbody tr:visible td.cc:visible").all_inner_texts()
    assert cells == ["À améliorer"] * len(expected)

    # a level on any criterion, and with an advisor: both filters hold
    page.select_option("#f-criterion", value="")
    anywhere = set(forms.loc[forms["level"] == "a_ameliorer", "conversation_id"])
    assert _shown_ids(page) == [cid for cid in all_ids if cid in anywhere]
    page.select_option("#f-advisor", value="Advisor 1")
    assert _shown_ids(page) == [cid for cid in hers if cid in anywhere]
    page.click("#f-reset")
    assert _shown_ids(page) == all_ids


def _check_highlights_explained(page, findings) -> int:
    """Every highlight is followed by note numbers whose notes are shown, with its code."""
    marks = page.locator("mark")
    for i in range(marks.count()):
        mark = marks.nth(i)
        assert mark.is_visible()
        refs = mark.locator("xpath=following-sibling::*[1][self::sup]").locator("a.ref")
        assert refs.count() >= 1, mark.inner_text()
        codes = [c.split(" → ")[0] for c in mark.get_attribute("title").split("; ")]
        texts = []
        for j in range(refs.count()):
            assert refs.nth(j).is_visible()
            note = page.locator(refs.nth(j).get_attribute("href"))
            assert note.is_visible()          # shown on the page, not only in a title
            texts.append(note.inner_text())
        assert all(any(code in text for text in texts) for code in codes), (codes, texts)
    notes = page.locator("ol.notes li")
    assert notes.count() == len(findings)     # one note per finding, none hidden
    for code, reason in findings:
        assert any(code in t and (not reason or reason in t)
                   for t in notes.all_inner_texts()), code
    return marks.count()


def test_browser_conversation_pages_show_every_highlight_reason(page, run):
    tables = read_tables(run)
    findings = tables.findings
    page.goto((run / "report.html").as_uri())
    page.click("#conversations a >> text=fr-0006")
    assert page.url.endswith("/report/conversation-0006.html")
    assert page.inner_text("h2") == "Conversation fr-0006"
    ours = findings[findings["conversation_id"] == "fr-0006"]
    grammar = [c for c in ours["code"] if c.startswith("grammar.")]
    assert grammar   # the example has grammar findings, with their checker's explanation
    assert "Conjugaison erronée" in " ".join(page.locator("ol.notes").all_inner_texts())
    assert _check_highlights_explained(page, [(c, "") for c in ours["code"]]) > 0

    # the criterion's button outlines the highlights of its evidence codes, and only those
    # (a mark holding a grammar note inside a longer courtesy marker is one of them)
    page.click("button.focus >> text=Orthographe")
    marks = page.locator("mark")
    for i in range(marks.count()):
        mark = marks.nth(i)
        notes = [page.locator(f"{a.get_attribute('href')} code").inner_text() for a in
                 mark.locator("xpath=following-sibling::*[1]").locator("a.ref").all()]
        assert ("hit" in (mark.get_attribute("class") or "")) == any(
            n.startswith("grammar.") for n in notes), notes
    assert page.locator("mark.hit").count() >= 1
    assert sorted(page.locator("li.hit code").all_inner_texts()) == sorted(grammar)

    page.click("text=↑ index")
    assert page.url.endswith("/report.html#row-6")

    # and on every page of the run
    for path in sorted((run / "report").glob("conversation-*.html")):
        page.goto(path.as_uri())
        cid = page.inner_text("h2").removeprefix("Conversation ")
        codes = [(c, "") for c in findings.loc[findings["conversation_id"] == cid, "code"]]
        _check_highlights_explained(page, codes)


def test_browser_small_run_is_one_page_with_anchors(page, scored, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(scored, out)
    written = write_report(out)
    assert written == [out / "forms.xlsx", out / "report.html"]
    page.goto((out / "report.html").as_uri())
    page.select_option("#f-level", value="a_ameliorer")
    page.click("#conversations tbody tr:visible a >> nth=0")
    target = page.url.rsplit("#", 1)[1]
    section = page.locator(f"section#{target}")
    assert section.is_visible() and section.locator("h2").inner_text().startswith("Conversation")
    assert page.evaluate(f"document.getElementById('{target}').getBoundingClientRect().top") < 50


def test_browser_index_lists_rows_by_batches_and_reveals_a_linked_row(
    page, scored, tmp_path, monkeypatch
):
    import chatqa.report.index

    monkeypatch.setattr(chatqa.report.index, "LISTED", 3)   # the examples are 10
    out = tmp_path / "out"
    shutil.copytree(scored, out)
    write_report(out, pages=True)
    ids = list(read_tables(out).conversations["conversation_id"])
    page.goto((out / "report.html").as_uri())
    assert _shown_ids(page) == ids[:3]
    assert page.inner_text("#count") == "10 of 10 conversations shown (the first 3 are listed)"
    page.click("#f-more")
    assert _shown_ids(page) == ids[:6]
    page.fill("#f-id", "fr-001")       # fr-0010 only: all listed, no button
    assert _shown_ids(page) == ["fr-0010"] and page.inner_text("#count") == (
        "1 of 10 conversations shown")
    assert not page.is_visible("#f-more")
    # a conversation page's link back lists and shows its row, whatever the filters
    page.goto((out / "report" / "conversation-0009.html").as_uri())
    page.click("text=↑ index")
    assert page.url.endswith("report.html#row-9")
    row = page.locator("#row-9")
    assert row.is_visible() and "here" in row.get_attribute("class")
    assert row.locator("a").inner_text() == ids[8]


def test_browser_markup_in_ids_and_texts_stays_text(page, tmp_path):
    from chatqa.pipeline import Pipeline

    cid = "<img src=x onerror=\"document.title='pwned'\">'</script><b>"
    text = "<script>document.title='pwned'</script> Bonjour, je regarde votre commande."
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": cid, "messages": [
        {"role": "customer", "time": "2026-03-02T10:00:00+01:00", "text": "Bonjour"},
        {"role": "advisor", "time": "2026-03-02T10:00:30+01:00", "text": text}]}) + "\n")
    out = tmp_path / "out"
    Pipeline.from_grid("fr_chat").score_archive(source, out=out, format="csv", progress=False)
    for pages in (True, False):
        write_report(out, pages=pages)
        page.goto((out / "report.html").as_uri())
        assert _shown_ids(page) == [cid]
        page.click("#conversations a")
        assert page.inner_text("section.conversation h2") == f"Conversation {cid}"
        shown = page.evaluate("""() => {
            const cell = document.querySelector('tr.advisor td:last-child').cloneNode(true);
            cell.querySelectorAll('sup, ol').forEach(e => e.remove());
            return cell.textContent; }""")      # the text less note numbers and notes
        assert shown == text
        assert page.title() != "pwned" and page.locator("b:has-text('pwned'), img").count() == 0


def test_browser_missing_skips_saying_why_but_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium not found"):
        _require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run in CI: .*no-chromium not found"):
        _require_browser()
