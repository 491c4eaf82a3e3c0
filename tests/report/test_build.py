from __future__ import annotations

import html as htmllib
import json
import re
import sys
import types

import pandas as pd
import pytest

from chatqa.errors import ConfigError
from chatqa.io.writers import TableWriter
from chatqa.report import read_tables, write_report
from chatqa.report.build import _highlight, pii_finder, render_html
from chatqa.tables import Tables, frame, table_schemas

SCHEMAS = table_schemas([], [])
EMAIL = "jean.dupont@example.com"


def placeholder() -> str:
    """What the redaction in use (chatqa.privacy, or the regex fallback) shows for EMAIL."""
    return pii_finder()(f"à {EMAIL}")[0][2]


def make_tables(convs, errors=()) -> Tables:
    """``convs``: (id, [advisor texts], [(message_index, start, end, code, suggestion)])."""
    messages, findings, conversations, forms = [], [], [], []
    for cid, texts, marks in convs:
        for i, text in enumerate(texts):
            messages.append({"conversation_id": cid, "message_index": i, "role": "advisor",
                             "time": "2026-03-02T10:00:00+00:00", "text": text})
        for i, start, end, code, suggestion in marks:
            findings.append({"conversation_id": cid, "message_index": i, "analyzer": "x",
                             "code": code, "start": start, "end": end,
                             "text": texts[i][start:end], "suggestion": suggestion,
                             "severity": "minor", "details": "{}"})
        conversations.append({"conversation_id": cid, "language": "fr",
                              "n_messages": len(texts), "n_advisor_messages": len(texts)})
        forms.append({"conversation_id": cid, "grid": "g", "criterion": "delais",
                      "criterion_label": "Délais", "level": "bon", "confidence": 0.9,
                      "rule": "thresholds", "evidence": "", "evidence_codes": "",
                      "reason": f"écrire à {EMAIL}"})
    return Tables(
        messages=frame(messages, SCHEMAS["messages"]),
        findings=frame(findings, SCHEMAS["findings"]),
        conversations=frame(conversations, SCHEMAS["conversations"]),
        forms=frame(forms, SCHEMAS["forms"]),
        errors=frame(errors, SCHEMAS["errors"]),
        meta={"grid": "g", "levels": ["bon", "a_ameliorer"]},
    )


def report(tmp_path, tables, fmt="csv", **kw):
    tables.write(tmp_path, fmt)
    write_report(tmp_path, **kw)
    return (tmp_path / "report.html").read_text("utf-8")


def sheet_cells(path, sheet):
    from openpyxl import load_workbook

    return [list(row) for row in load_workbook(path)[sheet].iter_rows(min_row=2)]


# -- refusing partial and mixed folders ---------------------------------------------------------
def test_report_refuses_a_folder_without_manifest(tmp_path):
    (tmp_path / "forms.csv").write_text("conversation_id\n")
    with pytest.raises(ConfigError, match=r"\[E020\].*no manifest"):
        write_report(tmp_path)


def test_report_refuses_a_run_that_did_not_finish(tmp_path):
    writer = TableWriter(tmp_path, "csv", SCHEMAS)
    writer.append(make_tables([("c1", ["Bonjour"], [])]))
    writer.append(make_tables([("c2", ["Bonjour"], [])]))
    with pytest.raises(ConfigError, match=r"\[E020\].*did not finish: 2 chunks written"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_report_refuses_a_manifest_from_an_older_chatqa(tmp_path):
    (tmp_path / "meta.json").write_text(json.dumps({"grid": "fr_chat"}))
    with pytest.raises(ConfigError, match=r"\[E020\].*no run status"):
        read_tables(tmp_path)


@pytest.mark.parametrize("change, message", [
    ("delete", r"forms\.csv, listed in meta\.json, is missing"),
    ("append", r"forms\.csv has \d+ bytes where meta\.json says \d+"),
])
def test_report_refuses_a_listed_file_missing_or_changed(tmp_path, change, message):
    make_tables([("c1", ["Bonjour"], [])]).write(tmp_path, "csv")
    if change == "delete":
        (tmp_path / "forms.csv").unlink()
    else:
        with (tmp_path / "forms.csv").open("a") as fh:
            fh.write("c9,g,x,x,bon,1.0,,,,\r\n")
    with pytest.raises(ConfigError, match=rf"\[E020\].*{message}"):
        read_tables(tmp_path)


@pytest.mark.parametrize("stale", ["forms.parquet", "chatqa.xlsx"])
def test_report_refuses_a_mixed_folder_naming_the_stale_files(tmp_path, stale):
    make_tables([("c1", ["Bonjour"], [])]).write(tmp_path, "csv")
    (tmp_path / stale).write_bytes(b"stale")
    with pytest.raises(ConfigError, match=rf"\[E021\].*csv run, yet {stale}"):
        write_report(tmp_path)


def test_report_reused_folder_reads_only_the_new_run(tmp_path):
    make_tables([("old", ["Bonjour"], [])]).write(tmp_path, "parquet")
    html = report(tmp_path, make_tables([("new", ["Bonjour"], [])]), fmt="jsonl")
    assert "Conversation new" in html and "Conversation old" not in html


# -- exact ids, formulas, control characters ---------------------------------------------------
IDS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "007", "NA", "null", "'q"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx"])
def test_report_workbook_cells_are_exact_strings_never_formulas(tmp_path, fmt):
    tables = make_tables([(cid, ["=1+1", "Bonjour"], [(0, 0, 4, "x", "=2")]) for cid in IDS])
    report(tmp_path, tables, fmt=fmt)
    forms = sheet_cells(tmp_path / "forms.xlsx", "forms")
    assert [row[0].value for row in forms] == IDS
    assert {row[0].data_type for row in forms} == {"s"}
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "forms.xlsx")
    assert not [c.coordinate for s in book for row in s.iter_rows() for c in row
                if c.data_type == "f"]
    assert book["forms"].data_validations.dataValidation[0].formula1 == '"bon,a_ameliorer,na"'


def test_report_control_characters_are_shown_not_crashing(tmp_path):
    text = "Bon\x00jour \x1b[31m<b>&\x0b fin"
    tables = make_tables([("c\x00\x1b", [text], [(0, 9, 12, "x", None)])])
    html = report(tmp_path, tables)
    assert "Conversation c␀␛" in html
    # offsets are on the raw text; the mark covers the same 3 characters, shown visibly,
    # followed by the number of its note
    assert ("Bon␀jour <mark title=\"x\">␛[3</mark><sup class='refs'><a class='ref' "
            "href='#conversation-1-n1'>1</a></sup>1m&lt;b&gt;&amp;␋ fin") in html
    assert "\x00" not in html and "\x1b" not in html
    forms = sheet_cells(tmp_path / "forms.xlsx", "forms")
    assert forms[0][0].value == "c␀␛"
    assert read_tables(tmp_path).messages["text"][0] == text   # the table keeps the raw text


def test_report_html_escapes_markup_in_ids_texts_and_labels(tmp_path):
    tables = make_tables([("<script>x</script>", ["<img src=x onerror=alert(1)>"],
                           [(0, 0, 4, 'x"><b>', "<i>")])])
    html = report(tmp_path, tables, redact=False)
    # the page's own script is its only script: the id is escaped text in the conversation's
    # section, and JSON with no « < » in the index's data
    assert html.count("<script>") == 1 and "<script>x" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert index_data(html)["rows"][0][1] == "<script>x</script>"
    assert "<img" not in html and "<i>" not in html
    assert '<mark title="x&quot;&gt;&lt;b&gt; → &lt;i&gt;">&lt;img</mark>' in html


# -- duplicate ids ------------------------------------------------------------------------------
def test_report_duplicate_ids_are_shown_apart_without_mixing_highlights(tmp_path):
    tables = make_tables([
        ("c1", ["Il y a un probleme."], [(0, 10, 18, "spelling", "problème")]),
        ("c1", ["Tout va bien, merci."], []),
        ("c2", ["Une erreur ici."], [(0, 4, 10, "spelling", None)]),
    ])
    html = report(tmp_path, tables)
    assert html.count("Conversation c1 (occurrence") == 2
    first, second = html.split("Conversation c1 (occurrence 2)")
    assert "Il y a un probleme." in first and "Tout va bien" not in first
    assert "Tout va bien, merci." in second and "probleme" not in second
    assert "Conversation ids found more than once: c1" in html
    assert '<mark title="spelling → problème">' not in html   # c1's findings: no guess
    assert '<mark title="spelling">erreur</mark>' in html       # c2 is not affected
    assert second.count("<td class='lvl-bon'>") == 2             # one form per occurrence


def test_report_finding_that_does_not_point_into_its_message_is_not_drawn():
    tables = make_tables([("c1", ["Bonjour"], [(0, 0, 3, "x", None)])])
    tables.findings.loc[0, "text"] = "zzz"
    assert "<mark" not in render_html(tables)


# -- redaction ---------------------------------------------------------------------------------
def test_report_redacts_by_default_and_not_when_asked(tmp_path):
    text = f"Écrivez à {EMAIL} svp"
    errors = [{"file": "a.jsonl", "line": 3, "conversation_id": "c9", "field": "text",
               "code": "E010", "message": f"bad value {EMAIL!r}"}]
    tables = make_tables([("c1", [text], [(0, 0, 7, "x", None)])], errors)
    html = report(tmp_path, tables)
    assert EMAIL not in html and htmllib.escape(placeholder()) in html
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "forms.xlsx")
    values = [str(c.value) for s in book for row in s.iter_rows() for c in row]
    assert not [v for v in values if EMAIL in v]
    raw = report(tmp_path / "raw", tables, redact=False)
    assert raw.count(EMAIL) == 3   # message, reason, error message


def test_report_personal_data_crossing_a_highlight_is_masked_whole(tmp_path):
    text = f"Mail: {EMAIL} merci"
    start = text.index("dupont")                       # highlight starts inside the e-mail
    tables = make_tables([("c1", [text], [(0, start, len(text), "spelling", "dupond")])])
    html = report(tmp_path, tables)
    assert "dupont" not in html and "dupond" not in html and "example" not in html
    shown = htmllib.escape(placeholder())
    assert f'<mark title="spelling">{shown} merci</mark>' in html
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "forms.xlsx")
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [v for v in cells if "dupont" in v or "example" in v]
    assert f"écrire à {placeholder()}" in cells      # the reason, masked whole


@pytest.mark.parametrize("highlights, pii, expected", [
    ([(0, 3, "a")], [], '<mark title="a">abc</mark>def'),
    ([(1, 2, "a")], [(0, 4, "<X>")], '<mark title="a">&lt;X&gt;</mark>ef'),
    ([(0, 2, "a"), (3, 5, "b")], [(1, 4, "<X>")], '<mark title="a; b">a&lt;X&gt;e</mark>f'),
    ([(4, 6, "a")], [(0, 2, "<X>")], '&lt;X&gt;cd<mark title="a">ef</mark>'),
    ([(0, 4, "a"), (2, 5, "b")], [], '<mark title="a">abcd</mark>ef'),   # overlap: first kept
    ([(5, 9, "a")], [], "abcdef"),                                        # out of range: dropped
])
def test_report_highlight_pieces_are_masked_with_spans_of_the_whole_text(
    highlights, pii, expected
):
    assert _highlight("abcdef", highlights, pii) == expected


@pytest.fixture
def fake_privacy(monkeypatch):
    module = types.ModuleType("chatqa.privacy")

    def redact(text):
        spans = [(m.start(), m.end(), "EMAIL") for m in re.finditer(r"\S+@\S+", text)]
        masked = re.sub(r"\S+@\S+", "<EMAIL>", text)
        return masked, spans

    module.redact = redact
    monkeypatch.setitem(sys.modules, "chatqa.privacy", module)
    return module


def test_report_uses_chatqa_privacy_when_present(tmp_path, fake_privacy):
    html = report(tmp_path, make_tables([("c1", [f"à {EMAIL} ok"], [])]))
    assert "à &lt;EMAIL&gt; ok" in html and EMAIL not in html


def test_report_privacy_spans_that_do_not_match_mask_the_whole_text(fake_privacy):
    fake_privacy.redact = lambda text: ("<MASKED>", [(0, 1, "X")])
    assert pii_finder()("secret text") == [(0, 11, "<MASKED>")]


def test_report_masks_participants_names_with_chatqa_privacy(tmp_path):
    tables = make_tables([("c1", ["Merci Madame Durandière, à bientôt"], [])])
    tables.messages["author"] = "Durandière"
    html = report(tmp_path, tables)
    assert "Durandière" not in html
    assert "Durandière" in report(tmp_path / "raw", tables, redact=False)


def test_report_falls_back_to_the_regexes_without_chatqa_privacy(monkeypatch):
    monkeypatch.setitem(sys.modules, "chatqa.privacy", None)
    assert pii_finder()(f"à {EMAIL} ok") == [(2, 2 + len(EMAIL), "[e-mail]")]
    assert pii_finder(redact=False)(f"à {EMAIL}") == []


@pytest.mark.issue(6)
def test_report_refuses_the_folder_of_a_run_that_crashed_mid_way(tmp_path, make_conversation):
    from chatqa.pipeline import Pipeline

    def archive():
        for i in range(3):
            yield make_conversation(("customer", 0, "Bonjour"), ("advisor", 30, "Bonjour !"),
                                    id=f"c{i}")
        raise RuntimeError("disk unplugged")

    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="unplugged"):
        Pipeline.from_grid("fr_chat").score_archive(archive(), out=out, format="csv",
                                                    chunk_size=2, progress=False)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "meta.json" in files and not [f for f in files if not f.startswith(("parts/",
                                                                                "meta"))]
    assert not [f for f in files if f.endswith(".tmp")]
    with pytest.raises(ConfigError, match=r"\[E020\].*did not finish: 1 chunks written"):
        write_report(out)


# -- index and conversation pages ----------------------------------------------------------------
def index_data(html):
    """The index's rows data, as the page's script reads it."""
    start = html.index("<script type='application/json' id='index-data'>")
    data = html[html.index(">", start) + 1:html.index("</script>", start)]
    assert "<" not in data and "&" not in data
    return json.loads(data)


def pages(folder):
    return sorted(p.name for p in (folder / "report").iterdir()) if (
        folder / "report").exists() else []


def test_report_writes_a_page_per_conversation_with_safe_names(tmp_path):
    ids = [*IDS, "../../etc/passwd", "a/b\\c", "<x>", "é 中"]
    tables = make_tables([(cid, ["Bonjour", "Il y a un probleme."],
                           [(1, 10, 18, "spelling", "problème")]) for cid in ids])
    tables.write(tmp_path, "csv")
    written = write_report(tmp_path, pages=True)
    assert written == [tmp_path / "forms.xlsx", tmp_path / "report.html", tmp_path / "report"]
    names = [f"conversation-{n:04d}.html" for n in range(1, len(ids) + 1)]
    assert pages(tmp_path) == names
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".html") == ["report.html"]
    index = (tmp_path / "report.html").read_text("utf-8")
    assert "<mark" not in index and "probleme" not in index   # texts are on the pages only
    data = index_data(index)
    assert data["link"] == ["report/conversation-", 4, ".html"]
    assert [(row[0], row[1]) for row in data["rows"]] == list(enumerate(ids, start=1))
    for n, (cid, name) in enumerate(zip(ids, names, strict=True), start=1):
        page = (tmp_path / "report" / name).read_text("utf-8")
        assert f"<h2>Conversation {htmllib.escape(cid)}</h2>" in page
        assert f"href='../report.html#row-{n}'" in page
        assert '<mark title="spelling → problème">probleme</mark>' in page


def test_report_is_one_page_up_to_the_limit_then_pages(tmp_path):
    from chatqa.report.pages import ONE_PAGE_MAX

    small = make_tables([(f"c{i}", ["Bonjour"], []) for i in range(ONE_PAGE_MAX)])
    html = report(tmp_path / "small", small)
    assert pages(tmp_path / "small") == [] and html.count("<section") == ONE_PAGE_MAX
    assert index_data(html)["link"] == ["#conversation-", 0, ""]
    assert index_data(html)["rows"][0][:2] == [1, "c0"] and "id='conversation-1'" in html
    large = make_tables([(f"c{i}", ["Bonjour"], []) for i in range(ONE_PAGE_MAX + 1)])
    html = report(tmp_path / "large", large)
    assert len(pages(tmp_path / "large")) == ONE_PAGE_MAX + 1 and "<section" not in html
    with pytest.raises(ValueError, match=rf"{ONE_PAGE_MAX + 1} conversations are too many"):
        write_report(tmp_path / "large", pages=False)
    with pytest.raises(ValueError, match="too many for one page"):
        render_html(large)


def test_report_removes_the_pages_of_an_earlier_report_only(tmp_path):
    report(tmp_path, make_tables([(f"c{i}", ["Bonjour"], []) for i in range(3)]), pages=True)
    assert pages(tmp_path) == [f"conversation-000{n}.html" for n in (1, 2, 3)]
    (tmp_path / "report" / "notes.txt").write_text("mine")
    write_report(tmp_path, conversations=["c1"], pages=True)
    assert pages(tmp_path) == ["conversation-0002.html", "notes.txt"]   # numbered in the run
    write_report(tmp_path)
    assert pages(tmp_path) == ["notes.txt"]
    (tmp_path / "report" / "notes.txt").unlink()
    write_report(tmp_path)
    assert not (tmp_path / "report").exists()


def test_report_index_says_what_was_selected(tmp_path):
    tables = make_tables([(f"c{i}", ["Bonjour"], []) for i in range(1, 6)])
    html = report(tmp_path, tables, conversations=["c2", "c4", "c9"])
    assert ("Selected: conversations c2, c4, c9. 2 of 5 conversations shown. Not in this "
            "run: c9.") in html
    assert "Conversation c2" in html and "Conversation c4" in html
    assert "Conversation c1" not in html and "Conversation c3" not in html
    assert "<output id='shown'>2</output> of 2 conversations shown" in html
    sample = report(tmp_path, tables, sample=2, seed=3)
    assert sample.count("<section") == 2 and "a random sample of 2 (seed 3)" in sample
    assert report(tmp_path, tables, sample=2, seed=3) == sample


def test_report_notes_show_each_finding_reason_next_to_its_highlight(tmp_path):
    text = "Je comprend votre probleme."
    tables = make_tables([("c1", [text, "Au revoir"], [
        (0, 3, 11, "grammar.conjugation", "comprends"),
        (0, 18, 26, "spelling.word", "problème"),
        (0, 0, 11, "marker.empathy", None),                 # overlaps: shares a mark
    ])])
    tables.findings["details"] = [
        '{"message": "Conjugaison erronée.", "rule_id": "conj_1"}', "{}",
        '{"note": "acknowledging the customer"}']
    extra = tables.findings.iloc[[1]].assign(message_index=1, start=pd.NA, end=pd.NA, text="",
                                             code="conduct.closing_missing", suggestion=pd.NA)
    tables.findings = pd.concat([tables.findings, extra], ignore_index=True)
    tables.forms["evidence_codes"] = "grammar.conjugation,spelling.word"
    html = report(tmp_path, tables)
    # numbered by message then position; a mark carries the numbers of every note it covers,
    # the overlapping finding's too (its own mark is not drawn: overlaps keep the first)
    assert ('<mark title="marker.empathy">Je comprend</mark>'
            "<sup class='refs'><a class='ref' href='#conversation-1-n1'>1</a>,"
            "<a class='ref' href='#conversation-1-n2'>2</a></sup>") in html
    assert "<code>grammar.conjugation</code> « comprend » — Conjugaison erronée. → " \
           "<b>comprends</b>" in html
    assert "<code>marker.empathy</code> « Je comprend » — acknowledging the customer" in html
    assert "<code>spelling.word</code> « probleme » → <b>problème</b>" in html
    assert "conj_1" not in html
    assert ("<li id='conversation-1-n4'><span class='n'>[4]</span> "
            "<code>conduct.closing_missing</code> <span class='where'>(the whole message)"
            "</span></li>") in html
    # the criterion's evidence codes name its notes
    assert "data-notes='2 3'" in html
    assert ("<a class='ref' href='#conversation-1-n2'>2</a>, "
            "<a class='ref' href='#conversation-1-n3'>3</a>") in html


def test_report_pages_are_masked_and_advisors_pseudonymised(tmp_path):
    authors = ["Durandière", "Martin", "Durandière"]
    tables = make_tables([(f"c{i}", [f"Bonjour, ici {name}, écrivez à {EMAIL}"], [])
                          for i, name in enumerate(authors)])
    tables.messages["author"] = authors
    tables.write(tmp_path, "csv")
    write_report(tmp_path, pages=True)
    files = [tmp_path / "report.html", *(tmp_path / "report").iterdir()]
    for path in files:
        text = path.read_text("utf-8")
        assert EMAIL not in text and "Durandière" not in text and "Martin" not in text
    index = files[0].read_text("utf-8")
    data = index_data(index)
    assert data["advisors"] == ["Advisor 1", "Advisor 2"]
    assert [row[3] for row in data["rows"]] == [[0], [1], [0]]
    assert "<option value='Advisor 2'>Advisor 2 (1)</option>" in index
    write_report(tmp_path, advisor="Durandière", pages=True)
    index = files[0].read_text("utf-8")
    assert "Selected: advisor Advisor 1. 2 of 3 conversations shown." in index
    assert pages(tmp_path) == ["conversation-0001.html", "conversation-0003.html"]
    write_report(tmp_path, redact=False, advisor="Martin")
    raw = files[0].read_text("utf-8")
    assert "Selected: advisor Martin. 1 of 3" in raw and "Advisor: Martin" in raw
    assert EMAIL in raw


def test_report_levels_are_shown_by_label(tmp_path):
    from chatqa.evaluation.grid import load_grid

    grid = load_grid("fr_chat")
    tables = make_tables([("c1", ["Bonjour"], []), ("c2", ["Bonjour"], [])])
    tables.forms["level"] = ["a_ameliorer", "exceptionnel"]
    tables.meta.update(grid="fr_chat", levels=list(grid.levels.order),
                       grid_sha256=grid.sha256)
    html = report(tmp_path / "grid", tables)
    assert "<td class='lvl-a_ameliorer'>À améliorer</td>" in html
    data = index_data(html)
    assert data["values"] == [["a_ameliorer", "À améliorer"], ["exceptionnel", "Exceptionnel"]]
    assert [row[6] for row in data["rows"]] == [[0], [1]]
    assert "<option value='a_ameliorer'>À améliorer</option>" in html
    assert ".lvl-a_ameliorer{color:#b00020" in html and ".lvl-exceptionnel{color:#0a7d28" in html
    tables.meta["grid_sha256"] = "0" * 64      # the grid changed since the run
    assert "it changed since the run" in report(tmp_path / "changed", tables)
    tables.meta.update(grid="gone", grid_sha256="0" * 64)
    gone = report(tmp_path / "gone", tables)
    assert "<td class='lvl-a_ameliorer'>a_ameliorer</td>" in gone
    assert "Levels are shown by their ids: the grid gone of this run was not found." in gone
    tables.forms["level_label"] = ["À revoir", "Top"]   # the run's own labels come first
    own = report(tmp_path / "own", tables)
    assert "<td class='lvl-a_ameliorer'>À revoir</td>" in own and "not found" not in own


def test_report_never_writes_over_a_workbook_an_evaluator_filled(tmp_path):
    from openpyxl import load_workbook

    tables = make_tables([("c1", ["Bonjour"], []), ("c2", ["Bonjour"], [])])
    report(tmp_path, tables)
    book = load_workbook(tmp_path / "forms.xlsx")
    sheet = book["forms"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("evaluator") + 1).value = "Alice"
    sheet.cell(2, header.index("comment") + 1).value = "vu"
    book.save(tmp_path / "forms.xlsx")
    with pytest.warns(UserWarning, match=r"\[W005\].*1 confirmation"):
        write_report(tmp_path)
    (kept,) = tmp_path.glob("forms.filled-*.xlsx")
    filled = load_workbook(kept)["forms"]
    assert filled.cell(2, header.index("evaluator") + 1).value == "Alice"
    fresh = load_workbook(tmp_path / "forms.xlsx")["forms"]
    assert fresh.cell(2, header.index("evaluator") + 1).value is None
    write_report(tmp_path)           # an untouched workbook is simply written anew
    assert len(list(tmp_path.glob("forms.filled-*.xlsx"))) == 1
