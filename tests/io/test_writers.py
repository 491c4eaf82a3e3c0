from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatqa.errors import ConfigError
from chatqa.io.manifest import escape_csv_cell, unescape_csv_cell
from chatqa.io.tables import read_tables
from chatqa.io.writers import TableWriter, visible_controls
from chatqa.tables import TABLE_NAMES, Tables, frame, table_schemas

SCHEMAS = table_schemas(["response_time_s"], ["first_response_s"])
FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'q", "007", "NA",
            "null", ""]


def make_tables(ids=("c1",), texts=None, n_records=None) -> Tables:
    """One customer and one advisor message per conversation, a finding, a form row."""
    texts = texts or {}
    messages, findings, conversations, forms = [], [], [], []
    for cid in ids:
        text = texts.get(cid, "Bonjour, je regarde.")
        messages += [
            {"conversation_id": cid, "message_index": 0, "role": "customer",
             "time": "2026-03-02T10:00:00+00:00", "text": "Bonjour"},
            {"conversation_id": cid, "message_index": 1, "role": "advisor",
             "time": "2026-03-02T10:01:00+00:00", "text": text, "response_time_s": 60.0},
        ]
        findings.append({"conversation_id": cid, "message_index": 1, "analyzer": "x",
                         "code": "spelling", "start": 0, "end": 7, "text": text[:7],
                         "suggestion": None, "severity": "minor", "details": '{"a": "=1"}'})
        conversations.append({"conversation_id": cid, "language": "fr", "n_messages": 2,
                              "n_advisor_messages": 1, "first_response_s": 60.0})
        forms.append({"conversation_id": cid, "grid": "g", "criterion": "delais",
                      "criterion_label": "Délais", "level": "bon", "confidence": 0.9,
                      "rule": "thresholds", "evidence": "spelling@1", "evidence_codes": "",
                      "reason": "ok"})
    return Tables(
        messages=frame(messages, SCHEMAS["messages"]),
        findings=frame(findings, SCHEMAS["findings"]),
        conversations=frame(conversations, SCHEMAS["conversations"]),
        forms=frame(forms, SCHEMAS["forms"]),
        errors=frame([], SCHEMAS["errors"]),
        meta={"n_records": n_records if n_records is not None else len(ids)},
    )


def manifest(out) -> dict:
    return json.loads((out / "meta.json").read_text("utf-8"))


RUN_META = {"chatqa_version": "9.9", "grid": "fr_chat", "grid_sha256": "abc", "levels": ["bon"]}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx"])
def test_writers_chunks_go_to_parts_then_merge_with_a_manifest(tmp_path, fmt):
    out = tmp_path / "out"
    writer = TableWriter(out, fmt, SCHEMAS, meta=RUN_META)
    assert manifest(out)["status"] == "running" and manifest(out)["chunks"] == []
    writer.append(make_tables(["c1", "c2"]))
    writer.append(make_tables(["c3"], n_records=2))
    running = manifest(out)
    assert running["status"] == "running" and running["grid_sha256"] == "abc"
    assert [c["n_records"] for c in running["chunks"]] == [2, 2]
    suffix = "parquet" if fmt == "xlsx" else fmt
    for chunk in running["chunks"]:
        for entry in chunk["files"]:
            assert (out / entry["path"]).stat().st_size == entry["bytes"]
    assert (out / "parts" / "forms" / f"part-00002.{suffix}").is_file()
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    assert not (out / f"forms.{fmt}").exists()     # nothing final before close
    paths = writer.close({"source": "a.jsonl"})
    done = manifest(out)
    assert done["status"] == "complete" and done["source"] == "a.jsonl"
    assert done["format"] == fmt and done["chatqa_version"] == "9.9"
    assert not (out / "parts").exists()
    names = ["chatqa.xlsx"] if fmt == "xlsx" else [f"{n}.{fmt}" for n in TABLE_NAMES]
    assert [p.name for p in paths] == [*names, "meta.json"]
    assert [(f["path"], f["bytes"]) for f in done["files"]] == [
        (n, (out / n).stat().st_size) for n in names
    ]
    tables = read_tables(out)
    assert list(tables.conversations["conversation_id"]) == ["c1", "c2", "c3"]
    assert list(tables.messages["response_time_s"].isna()) == [True, False] * 3
    assert tables.findings["suggestion"].isna().all()
    assert tables.meta["grid"] == "fr_chat"


def test_writers_csv_has_one_bom_one_header_and_parquet_one_row_group_per_chunk(tmp_path):
    for fmt in ("csv", "parquet"):
        writer = TableWriter(tmp_path / fmt, fmt, SCHEMAS)
        for cid in ("c1", "c2", "c3"):
            writer.append(make_tables([cid]))
        writer.close()
    raw = (tmp_path / "csv" / "conversations.csv").read_bytes()
    assert raw.count(b"\xef\xbb\xbf") == 1 and raw.count(b"conversation_id") == 1
    assert raw.decode("utf-8-sig").splitlines()[1:] == [
        "c1,fr,2,1,,,,,,60.0", "c2,fr,2,1,,,,,,60.0", "c3,fr,2,1,,,,,,60.0"]
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "parquet" / "forms.parquet").num_row_groups == 3


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_writers_empty_run_gives_every_table_with_its_columns(tmp_path, fmt):
    TableWriter(tmp_path, fmt, SCHEMAS).close()
    tables = read_tables(tmp_path)
    assert list(tables.messages.columns) == list(SCHEMAS["messages"])
    assert tables.conversations.empty


def test_writers_crash_mid_part_leaves_no_half_file(tmp_path, monkeypatch):
    out = tmp_path / "out"
    writer = TableWriter(out, "csv", SCHEMAS)
    writer.append(make_tables(["c1"]))

    def crash(self, name, df, path):
        path.write_text("half a fi")
        raise OSError("disk full")

    monkeypatch.setattr(TableWriter, "_write_csv", crash)
    with pytest.raises(OSError, match="disk full"):
        writer.append(make_tables(["c2"]))
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["meta.json", *(f"parts/{n}/part-00001.csv" for n in sorted(TABLE_NAMES))]
    assert manifest(out)["status"] == "running" and len(manifest(out)["chunks"]) == 1
    with pytest.raises(ConfigError, match=r"\[E020\].*did not finish: 1 chunks written"):
        read_tables(out)


def test_writers_crash_in_merge_keeps_the_run_unfinished(tmp_path, monkeypatch):
    out = tmp_path / "out"
    writer = TableWriter(out, "parquet", SCHEMAS)
    writer.append(make_tables(["c1"]))

    def crash(self, name, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(TableWriter, "_merge_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        writer.close()
    assert manifest(out)["status"] == "running"
    with pytest.raises(ConfigError, match=r"\[E020\]"):
        read_tables(out)


def test_writers_reused_folder_removes_the_previous_runs_files(tmp_path):
    make_tables(["old"]).write(tmp_path, "parquet")
    (tmp_path / "notes.txt").write_text("mine")
    make_tables(["new"]).write(tmp_path, "csv")
    assert not list(tmp_path.glob("*.parquet"))
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert list(read_tables(tmp_path).conversations["conversation_id"]) == ["new"]


def test_writers_reused_folder_after_a_crash_starts_clean(tmp_path):
    crashed = TableWriter(tmp_path, "jsonl", SCHEMAS)
    crashed.append(make_tables(["old"]))
    (tmp_path / ".forms.jsonl.tmp").write_text("half")
    writer = TableWriter(tmp_path, "jsonl", SCHEMAS)
    assert not list((tmp_path / "parts").rglob("*.jsonl"))
    assert not (tmp_path / ".forms.jsonl.tmp").exists()
    writer.append(make_tables(["new"]))
    writer.close()
    assert list(read_tables(tmp_path).conversations["conversation_id"]) == ["new"]


def test_writers_manifest_never_names_a_file_outside_the_folder(tmp_path):
    victim = tmp_path / "victim.csv"
    victim.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "meta.json").write_text(json.dumps({
        "status": "complete", "format": "csv",
        "files": [{"path": "../victim.csv"}, {"path": str(victim)}, {"path": "notes.txt"}],
    }))
    (out / "notes.txt").write_text("keep")
    TableWriter(out, "csv", SCHEMAS).close()
    assert victim.read_text() == "keep" and (out / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize("fmt, where", [("csv", "forms.csv"), ("xlsx", "chatqa.xlsx"),
                                        ("csv", "meta.json"), ("parquet", "parts")])
def test_writers_folder_named_like_an_output_file_is_refused_up_front(tmp_path, fmt, where):
    path = tmp_path / where
    if where == "parts":
        path.write_text("not a folder")
    else:
        path.mkdir()
    with pytest.raises(ConfigError, match=rf"\[E015\].*{where}"):
        TableWriter(tmp_path, fmt, SCHEMAS)


def test_writers_out_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "out"
    out.write_text("")
    with pytest.raises(ConfigError, match=r"\[E015\].*out'.*a file, not a folder"):
        TableWriter(out, "csv", SCHEMAS)


def test_writers_folder_under_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(ConfigError, match=r"\[E015\] Cannot write to '.*f/out'"):
        TableWriter(tmp_path / "f" / "out", "csv", SCHEMAS)


def test_writers_unwritable_folder_is_refused():
    # /proc refuses new folders to everyone, root included (chmod would not stop root)
    with pytest.raises(ConfigError, match=r"\[E015\] Cannot write to '/proc/chatqa-out'"):
        TableWriter("/proc/chatqa-out", "csv", SCHEMAS)


def test_writers_tables_write_produces_a_complete_manifest(tmp_path):
    tables = make_tables(["c1"])
    tables.meta = {**RUN_META, "status": "forged", "files": []}
    tables.write(tmp_path, "jsonl")
    done = manifest(tmp_path)
    assert done["status"] == "complete" and done["grid"] == "fr_chat"
    assert len(done["files"]) == len(TABLE_NAMES)


# -- exact values ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_writers_ids_and_texts_read_back_exactly(tmp_path, fmt):
    ids = [i for i in FORMULAS if i]
    texts = {cid: f"{cid} \x00\x0b\x1b\r\n<b>" for cid in ids}
    tables = make_tables(ids, texts)
    tables.messages.loc[0, "text"] = ""          # empty stays empty, not missing
    tables.write(tmp_path, fmt)
    back = read_tables(tmp_path)
    assert list(back.conversations["conversation_id"]) == ids
    assert list(back.messages["text"]) == list(tables.messages["text"])
    assert back.messages["text"].iloc[0] == ""
    assert back.findings["suggestion"].isna().all()
    assert list(back.findings["details"]) == ['{"a": "=1"}'] * len(ids)
    assert str(back.conversations["conversation_id"].dtype) == "string"
    assert list(back.findings["start"]) == [0] * len(ids)


def test_writers_csv_cells_are_escaped_against_formulas(tmp_path):
    make_tables(FORMULAS[:4]).write(tmp_path, "csv")
    lines = (tmp_path / "conversations.csv").read_text("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        "\"'=HYPERLINK(\"\"http://x\"\")\"", "'+1", "'-2", "'@SUM(A1)"]
    assert lines[1].endswith(",60.0")            # numbers untouched
    details = (tmp_path / "findings.csv").read_text("utf-8-sig").splitlines()[1]
    assert details.endswith('"{""a"": ""=1""}"')  # JSON untouched


@pytest.mark.parametrize("value, written", [
    ("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-", "'-"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("'x", "''x"), ("", "'"), ("a=1", "a=1"), (" =1", " =1"), ("007", "007"),
])
def test_writers_csv_escape_is_owasp_and_reversible(value, written):
    assert escape_csv_cell(value) == written
    assert unescape_csv_cell(written) == value


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=4))
def test_writers_csv_round_trip_is_exact(tmp_path_factory, values):
    out = tmp_path_factory.mktemp("rt")
    tables = make_tables(["c1"])
    rows = [{"conversation_id": f"c{i}", "message_index": i, "role": "advisor", "time": v,
             "author": v, "text": v} for i, v in enumerate(values)]
    tables.messages = frame(rows, SCHEMAS["messages"])
    tables.conversations = frame([{"conversation_id": v} for v in values if v is not None],
                                 SCHEMAS["conversations"])
    tables.write(out, "csv")
    back = read_tables(out)
    for col in ("time", "author", "text"):
        assert [None if pd.isna(v) else v for v in back.messages[col]] == values
    assert list(back.conversations["conversation_id"]) == [v for v in values if v is not None]


# -- spreadsheets ------------------------------------------------------------------------------
def test_writers_xlsx_cells_are_typed_strings_never_formulas(tmp_path):
    from openpyxl import load_workbook

    ids = [i for i in FORMULAS if i]
    make_tables(ids, {"+1": "=1+1\x00\x1b\x7f"}).write(tmp_path, "xlsx")
    book = load_workbook(tmp_path / "chatqa.xlsx")
    cells = [row[0] for row in book["conversations"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == [i.replace("\r", "\n") for i in ids]  # XML: CR -> LF
    assert {c.data_type for c in cells} == {"s"}
    assert all(c.data_type != "f" for row in book["messages"].iter_rows() for c in row)
    texts = [row[5].value for row in book["messages"].iter_rows(min_row=2)]
    assert "=1+1␀␛␡" in texts
    header = [c.value for c in book["conversations"][1]]
    column = header.index("first_response_s") + 1
    assert book["conversations"].cell(row=2, column=column).value == 60.0   # numbers stay numbers


def test_writers_xlsx_cuts_cells_over_excels_limit(tmp_path):
    from openpyxl import load_workbook

    make_tables(["c1"], {"c1": "x" * 40_000}).write(tmp_path, "xlsx")
    book = load_workbook(tmp_path / "chatqa.xlsx")
    text = book["messages"].cell(row=3, column=6).value
    assert 32_700 < len(text) <= 32_767 and text.endswith("more characters]")


@pytest.mark.parametrize("text, shown", [
    ("a\x00b", "a␀b"), ("\x1b[31m", "␛[31m"), ("\x0b\x0c", "␋␌"), ("\x7f", "␡"),
    ("keep\t\n\r", "keep\t\n\r"), ("\ufffe", "\ufffd"), ("é€", "é€"),
])
def test_writers_control_characters_become_visible_one_for_one(text, shown):
    assert visible_controls(text) == shown
    assert len(visible_controls(text)) == len(text)
