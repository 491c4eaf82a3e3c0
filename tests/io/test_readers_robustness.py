"""Readers on broken, hostile and odd input: one item per record, never a crash (issue 6).

Every test names the input and the exact outcome: the errors row (line, conversation id, field,
code) or the repair. ``tests/data/bad/catalogue.toml`` runs the same kinds through the whole
pipeline; these tests pin the reader's own behaviour, fast.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import os
import tempfile
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatqa.errors import ChatQAError, TranscriptError
from chatqa.io import iter_records, read_transcripts
from chatqa.io.readers import CSV_FIELD_LIMIT, sniff_encoding
from chatqa.io.records import MAX_METADATA_DEPTH, build_conversation
from chatqa.io.times import parse_time
from chatqa.model import Conversation, Role

T0 = "2026-03-02T10:00:00+00:00"
T1 = "2026-03-02T10:01:00+00:00"
MESSAGES = [{"role": "customer", "time": T0, "text": "Bonjour, ma commande ?"},
            {"role": "advisor", "time": T1, "text": "Bonjour, je regarde."}]
HEADER = "conversation_id,role,time,text\n"


def _rec(cid="c1", messages=None, **extra) -> dict:
    return {"id": cid, "messages": MESSAGES if messages is None else messages, **extra}


def _jsonl(path: Path, *lines) -> Path:
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    path.write_text(text + "\n", "utf-8")
    return path


def _rows(records) -> list[tuple]:
    """(kind, line, conversation id, field, code) of each item, in order."""
    return [("ok", r.id) if isinstance(r, Conversation)
            else (r.code, r.line, r.conversation_id, r.field) for r in records]


def _read(path: Path, **kwargs) -> tuple[list, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = list(iter_records(path, **kwargs))
    return records, [str(w.message) for w in caught]


# --- 1. undecodable bytes ---------------------------------------------------------------------
def test_readers_jsonl_invalid_utf8_line_is_one_e016_and_the_rest_is_read(tmp_path):
    src = tmp_path / "a.jsonl"
    lines = [json.dumps(_rec(c)) for c in ("c1", "c2", "c3")]
    lines[1] = lines[1].replace("je regarde", "je regarde \udcff")
    src.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape") + b"\n")
    records, _ = _read(src)
    assert _rows(records) == [("ok", "c1"), ("E016", 2, "c2", "(line)"), ("ok", "c3")]
    assert "byte 0xff" in str(records[1]) and str(src) in str(records[1])


def test_readers_jsonl_invalid_utf8_in_the_id_leaves_the_id_empty(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_bytes(b'{"id": "c\xc3(", "messages": []}\n')
    (err,) = iter_records(src)
    assert (err.code, err.line, err.conversation_id, err.field) == ("E016", 1, None, "(line)")


def test_readers_json_invalid_utf8_is_a_whole_file_e013(tmp_path):
    src = tmp_path / "a.json"
    src.write_bytes(json.dumps([_rec("c1")]).encode().replace(b"Bonjour", b"Bonj\x80ur"))
    with pytest.raises(TranscriptError, match=r"\[E013\].*a\.json") as info:
        list(iter_records(src))
    assert info.value.code == "E013" and info.value.file == str(src)


# --- 2. CSV fields and csv errors -------------------------------------------------------------
def test_readers_csv_field_over_128_kb_reads(tmp_path):
    src = tmp_path / "a.csv"
    big = "Bonjour. " * 22_000  # 198 KB
    src.write_text(HEADER + f'c1,client,{T0},"{big}"\nc2,client,{T0},Salut\n', "utf-8")
    c1, c2 = read_transcripts(src)
    assert c1.messages[0].text == big and c2.id == "c2"
    assert CSV_FIELD_LIMIT == 64 * 1024 * 1024


def test_readers_csv_error_on_a_row_is_a_row_error(tmp_path, monkeypatch):
    import chatqa.io.readers as readers

    src = tmp_path / "a.csv"
    src.write_text(HEADER + f'c1,client,{T0},Bonjour\nc2,client,{T0},"{"x" * 2000}"\n'
                   f"c3,client,{T0},Salut\n", "utf-8")
    saved = csv.field_size_limit()
    monkeypatch.setattr(readers, "CSV_FIELD_LIMIT", 1000)
    try:
        csv.field_size_limit(1000)
        records = list(iter_records(src))
    finally:
        csv.field_size_limit(saved)
    # the unreadable row is a record of its own (its id is unknown), yielded at once
    assert _rows(records) == [("E010", 3, None, "(row)"), ("ok", "c1"), ("ok", "c3")]
    assert "field larger than field limit" in str(records[0])


# --- 3. Parquet that is not Parquet -----------------------------------------------------------
@pytest.mark.parametrize("content", [b"", b"conversation_id,role\nc1,client\n", "truncated"])
def test_readers_parquet_unreadable_is_e006(tmp_path, content):
    src = tmp_path / "a.parquet"
    if content == "truncated":
        pq.write_table(pa.table({"conversation_id": ["c1"] * 9, "role": ["customer"] * 9,
                                 "time": [None] * 9, "text": ["x"] * 9}), src)
        content = src.read_bytes()[:-30]
    src.write_bytes(content)
    with pytest.raises(TranscriptError, match=r"\[E006\].*not a readable Parquet file"):
        list(iter_records(src))


# --- 4. times that overflow -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "fragment"),
    [(1e20, "outside the years"), (-1e30, "outside the years"), (10**400, "outside the years"),
     (1772445600000, "outside the years"), (math.inf, "not a finite number"),
     (-math.inf, "not a finite number"), (math.nan, "not a finite number"),
     ("NaN", "not an ISO-8601"), ("Infinity", "not an ISO-8601"), ("1e20", "not an ISO-8601"),
     (True, "boolean"), ([1], "list"), ({"t": 1}, "dict"), (b"10:00", "bytes")],
)
def test_readers_parse_time_out_of_range_raises_value_error(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_time(value)


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN", "1e400"])
def test_readers_json_non_finite_literals_as_time_are_e010(tmp_path, literal):
    message = f'{{"role": "advisor", "time": {literal}, "text": "a"}}'
    src = _jsonl(tmp_path / "a.jsonl", f'{{"id": "c1", "messages": [{message}]}}')
    (err,) = iter_records(src)
    assert (err.code, err.line, err.conversation_id, err.field) == (
        "E010", 1, "c1", "messages[0].time")


# --- 5. deep nesting --------------------------------------------------------------------------
def test_readers_jsonl_deeply_nested_line_is_e011(tmp_path):
    deep = '{"id": "c2", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    src = _jsonl(tmp_path / "a.jsonl", _rec("c1"), deep, _rec("c3"))
    records = list(iter_records(src))
    assert _rows(records) == [("ok", "c1"), ("E011", 2, None, None), ("ok", "c3")]
    assert "nested too deeply" in str(records[1])


def test_readers_json_deeply_nested_file_is_e011(tmp_path):
    src = tmp_path / "a.json"
    src.write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(TranscriptError, match=r"\[E011\].*nested too deeply"):
        list(iter_records(src))


def test_readers_metadata_nested_deeper_than_the_limit_is_e010(tmp_path):
    nested: object = "x"
    for _ in range(MAX_METADATA_DEPTH + 1):
        nested = [nested]
    src = _jsonl(tmp_path / "a.jsonl", _rec("c1", tags=nested), _rec("c2", tags=[[["ok"]]]))
    assert _rows(iter_records(src)) == [("E010", 1, "c1", "tags"), ("ok", "c2")]


# --- 6. encodings -----------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["foo", "hex", "rot13", "utf-9"])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".json", ".parquet"])
def test_readers_unknown_encoding_is_e005_before_reading(tmp_path, encoding, suffix):
    src = tmp_path / f"a{suffix}"
    src.write_text("anything")
    with pytest.raises(TranscriptError, match=rf"\[E005\].*'{encoding}'"):
        iter_records(src, encoding=encoding)


def test_readers_jsonl_wrong_encoding_fails_only_the_lines_it_cannot_decode(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", _rec("c1"), _rec("c2", [{"role": "advisor", "text": "à"}]))
    records = list(iter_records(src, encoding="ascii"))
    assert _rows(records) == [("ok", "c1"), ("E016", 2, "c2", "(line)")]
    assert "not valid ascii" in str(records[1])


def test_readers_csv_wrong_encoding_per_row_when_some_rows_decode(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + f"c1,client,{T0},Bonjour\nc2,client,{T0},Très bien\n"
                   f"c2,conseiller,{T1},Parfait\nc3,client,{T0},Merci\n", "utf-8")
    records = list(iter_records(src, encoding="ascii"))
    assert _rows(records) == [("ok", "c1"), ("E016", 3, "c2", "text"), ("ok", "c3")]


def test_readers_csv_where_no_row_decodes_is_e013(tmp_path):
    src = tmp_path / "a.csv"
    src.write_bytes(b"conversation_id,role,time,text\nc1,client,,\x81\x8d\nc2,client,,\x9d\n")
    with pytest.raises(TranscriptError, match=r"\[E013\].*cp1252"):
        list(iter_records(src))


def test_readers_csv_mostly_utf8_is_utf8_with_e016_not_cp1252_mojibake(tmp_path):
    src = tmp_path / "a.csv"
    text = HEADER + f"c1,client,{T0},Où est ma commande ?\nc1,conseiller,{T1},Voilà\n"
    src.write_bytes(text.encode() + b"c2,client,,Probl\xe8me\n")  # one cp1252 row
    c1, err = iter_records(src)
    assert c1.messages[0].text == "Où est ma commande ?"
    assert (err.code, err.line, err.conversation_id, err.field) == ("E016", 4, "c2", "text")


def test_readers_csv_cp1252_file_reads_as_cp1252(tmp_path):
    src = tmp_path / "a.csv"
    src.write_bytes((HEADER.replace(",", ";") + "c1;client;;Problème réglé\n").encode("cp1252"))
    (conv,) = read_transcripts(src)
    assert conv.messages[0].text == "Problème réglé"


# --- 7. Excel: sep= line, UTF-16 "Unicode text" -----------------------------------------------
def test_readers_csv_excel_sep_line_is_the_separator_and_lines_stay_physical(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("sep=;\r\nconversation_id;role;time;text\r\n"
                   "c1;client;;Bonjour, ma commande, svp\r\nc2;client;;a\r\nc2;pilot;;b\r\n",
                   "utf-8")
    records = list(iter_records(src))
    assert _rows(records) == [("ok", "c1"), ("E010", 5, "c2", "messages[1].role")]
    assert records[0].messages[0].text == "Bonjour, ma commande, svp"


@pytest.mark.parametrize("bom", [True, False])
def test_readers_csv_utf16_excel_unicode_text(tmp_path, bom):
    text = ("conversation_id\trole\ttime\ttext\r\nc1\tclient\t\tOù est ma commande ?\r\n"
            "c1\tconseiller\t\tJe vérifie, un instant ; merci\r\n")
    src = tmp_path / "export.txt"
    src.write_bytes((codecs.BOM_UTF16_LE if bom else b"") + text.encode("utf-16-le"))
    (conv,) = read_transcripts(src)
    assert [m.text for m in conv.messages] == ["Où est ma commande ?",
                                              "Je vérifie, un instant ; merci"]


def test_readers_utf16_given_without_bom_reads_little_endian(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_bytes((json.dumps(_rec("c1")) + "\n").encode("utf-16-le"))
    assert [c.id for c in read_transcripts(src, encoding="utf-16")] == ["c1"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [(codecs.BOM_UTF8 + b"a", "utf-8-sig"), (codecs.BOM_UTF16_LE + b"a\x00", "utf-16"),
     (codecs.BOM_UTF16_BE + b"\x00a", "utf-16"), (codecs.BOM_UTF32_LE + b"a\x00\x00\x00", "utf-32"),
     ("conversation_id".encode("utf-16-le"), "utf-16-le"),
     ("conversation_id".encode("utf-16-be"), "utf-16-be"),
     (b"conversation_id,role", None), (b"c\x00,client,\x00", None), (b"", None)],
)
def test_readers_sniff_encoding(head, expected):
    assert sniff_encoding(head) == expected


# --- 8. ragged rows ---------------------------------------------------------------------------
def test_readers_csv_ragged_row_text_absorbs_the_extra_fields_and_warns_once(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("conversation_id,role,time,text,author\n"
                   f"c1,client,{T0},Bonjour, je voudrais, svp,Léa\n"
                   f"c1,conseiller,{T1},Oui, bien sûr,Julie\nc2,client,{T0},ok,Max\n", "utf-8")
    (c1, c2), warned = _read(src)
    assert [m.text for m in c1.messages] == ["Bonjour, je voudrais, svp", "Oui, bien sûr"]
    assert [m.author for m in c1.messages] == ["Léa", "Julie"]
    assert c1.messages[0].metadata["repaired"] == "W003"
    assert "repaired" not in c2.messages[0].metadata
    w003 = [w for w in warned if "[W003]" in w]
    assert len(w003) == 1 and ":2:" in w003[0] and "7 fields" in w003[0]


def test_readers_csv_trailing_separators_are_not_a_repair(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + f"c1,client,{T0},Bonjour,,\n", "utf-8")
    (conv,), warned = _read(src)
    assert conv.messages[0].text == "Bonjour" and warned == []


def test_readers_csv_short_row_is_e010_naming_the_missing_field(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + f"c1,client,{T0},Bonjour\nc1,conseiller,{T1}\nc2,client\n", "utf-8")
    records = list(iter_records(src))
    assert _rows(records) == [("E010", 3, "c1", "text"), ("E010", 4, "c2", "time")]
    assert "3 fields where the header has 4" in str(records[0])


def test_readers_csv_unclosed_quote_is_not_scored(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + f'c1,client,{T0},"Bonjour\nc2,client,{T0},Merci\n', "utf-8")
    (err,) = iter_records(src)
    assert (err.code, err.line, err.conversation_id, err.field) == ("E010", 2, "c1", "text")
    assert "never closed" in str(err)


def test_readers_csv_quoted_multiline_text_is_not_an_unclosed_quote(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + f'c1,client,{T0},"Bonjour\nencore"\nc1,conseiller,{T1},Oui\n', "utf-8")
    (conv,) = read_transcripts(src)
    assert conv.messages[0].text == "Bonjour\nencore"


# --- 9. rows of a conversation that are not together ------------------------------------------
def test_readers_csv_interleaved_conversations_go_to_errors_whole(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + "".join(f"{c},client,,{i}\n" for i, c in enumerate("aabcab")), "utf-8")
    records = list(iter_records(src))
    assert _rows(records) == [("ok", "c"), ("E018", 2, "a", "conversation_id"),
                              ("E018", 4, "b", "conversation_id")]
    assert "lines 2-3, 6" in str(records[1]) and "lines 4, 7" in str(records[2])


def test_readers_parquet_interleaved_conversation_goes_to_errors_whole(tmp_path):
    src = tmp_path / "a.parquet"
    pq.write_table(pa.table({"conversation_id": ["a", "b", "a"], "role": ["customer"] * 3,
                             "time": [None] * 3, "text": ["x", "y", "z"]}), src)
    assert _rows(iter_records(src)) == [("ok", "b"), ("E018", 2, "a", "conversation_id")]


def test_readers_rows_with_empty_id_do_not_break_a_conversation(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + f"c1,client,{T0},a\n,client,{T0},b\nc1,conseiller,{T1},c\n", "utf-8")
    records = list(iter_records(src))
    assert _rows(records) == [("E010", 3, None, "conversation_id"), ("ok", "c1")]


# --- 10. duplicate ids ------------------------------------------------------------------------
def test_readers_jsonl_duplicate_ids_name_the_first_line(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", _rec("c1"), _rec("c2"), _rec("c1"), _rec("c1"))
    records = list(iter_records(src))
    assert _rows(records) == [("ok", "c1"), ("ok", "c2"), ("E017", 3, "c1", "id"),
                              ("E017", 4, "c1", "id")]
    assert "read at line 1" in str(records[2])


def test_readers_duplicate_of_a_bad_record_is_still_a_duplicate(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", _rec("c1", [{"role": "pilot"}]), _rec("c1"))
    assert _rows(iter_records(src)) == [("E010", 1, "c1", "messages[0].role"),
                                        ("E017", 2, "c1", "id")]


def test_readers_json_duplicate_ids(tmp_path):
    src = tmp_path / "a.json"
    src.write_text(json.dumps([_rec("7"), {**_rec(), "id": 7}]))
    assert _rows(iter_records(src)) == [("ok", "7"), ("E017", 2, "7", "id")]


# --- 11. times going backwards ----------------------------------------------------------------
def test_readers_times_backwards_are_kept_marked_and_warned_once(tmp_path):
    back = _rec("c1", [MESSAGES[1], MESSAGES[0]])
    src = _jsonl(tmp_path / "a.jsonl", back, {**back, "id": "c2"}, _rec("c3"))
    (c1, c2, c3), warned = _read(src)
    assert c1.messages[0].time > c1.messages[1].time  # as given
    assert c1.metadata["time_order"] == "backwards" == c2.metadata["time_order"]
    assert "time_order" not in c3.metadata
    w002 = [w for w in warned if "[W002]" in w]
    assert len(w002) == 1 and ":1:" in w002[0] and "messages[1]" in w002[0]


@pytest.mark.filterwarnings("ignore:.*W001")
def test_readers_clock_rollover_is_not_backwards(tmp_path):
    record = _rec("n", [{"role": "customer", "time": "23:58", "text": "a"},
                        {"role": "advisor", "time": "00:03", "text": "b"}])
    (conv,) = read_transcripts(_jsonl(tmp_path / "a.jsonl", record))
    assert "time_order" not in conv.metadata


def test_readers_flat_backwards_warning_names_the_row(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + f"c1,client,{T1},a\nc1,conseiller,{T0},b\n", "utf-8")
    (conv,), warned = _read(src)
    assert conv.metadata["time_order"] == "backwards"
    assert any("[W002]" in w and "a.csv:3:" in w for w in warned)


# --- 12, 13. control characters and ids -------------------------------------------------------
def test_readers_control_characters_and_nul_are_kept(tmp_path):
    text = "Bon\x00jour\x07 \x1b[31m\u200b\u2028fin"
    src = _jsonl(tmp_path / "a.jsonl", _rec("c\x01", [{"role": "advisor", "text": text}]))
    (conv,) = read_transcripts(src)
    assert conv.id == "c\x01" and conv.messages[0].text == text
    csv_src = tmp_path / "a.csv"
    csv_src.write_text(HEADER + f'c\x01,client,,"{text}"\n', "utf-8")
    (conv,) = read_transcripts(csv_src)
    assert conv.id == "c\x01" and conv.messages[0].text == text


@pytest.mark.parametrize(
    ("cid", "fragment"),
    [(" \t ", "only blanks"), ("\x00\x01", "only blanks"), ("\u200b\ufeff", "only blanks"),
     ("", "only blanks"), ("a\nb", "line break"), ("a\u2028b", "line break"),
     (True, "boolean"), (1.5, "decimal number"), (10**30, "too large"),
     (["c1"], "list"), ({"v": 1}, "dict"), ("x" * 1001, "1001 characters")],
)
def test_readers_unusable_ids_are_e010_on_id(tmp_path, cid, fragment):
    (err,) = iter_records(_jsonl(tmp_path / "a.jsonl", _rec(cid)))
    assert (err.code, err.line, err.conversation_id, err.field) == ("E010", 1, None, "id")
    assert fragment in str(err)


def test_readers_ids_stay_strings_in_csv_and_parquet_ints_become_str(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(HEADER + "007,client,,a\n0042,client,,b\n", "utf-8")
    assert [c.id for c in read_transcripts(src)] == ["007", "0042"]
    pq_src = tmp_path / "a.parquet"
    pq.write_table(pa.table({"conversation_id": pa.array([7, 7, -3], pa.int64()),
                             "role": ["customer"] * 3, "time": [None] * 3,
                             "text": ["a", "b", "c"]}), pq_src)
    assert [c.id for c in read_transcripts(pq_src)] == ["7", "-3"]


def test_readers_parquet_bool_and_float_ids_are_e010(tmp_path):
    src = tmp_path / "a.parquet"
    pq.write_table(pa.table({"conversation_id": [True, None], "role": ["customer"] * 2,
                             "time": [None] * 2, "text": ["a", "b"]}), src)
    assert _rows(iter_records(src)) == [("E010", 2, None, "conversation_id"),
                                        ("E010", 3, None, "conversation_id")]


def test_readers_parquet_timestamp_past_year_9999_is_e010(tmp_path):
    src = tmp_path / "a.parquet"
    times = pa.array([0, 400_000_000_000], pa.timestamp("s"))  # year 14645
    pq.write_table(pa.table({"conversation_id": ["a", "b"], "role": ["customer"] * 2,
                             "time": times, "text": ["x", "y"]}), src)
    assert _rows(iter_records(src)) == [("ok", "a"), ("E010", 3, "b", "messages[0].time")]


def test_readers_lone_surrogates_are_e010(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl",
                 '{"id": "c1", "messages": [{"role": "advisor", "text": "a\\ud800"}]}',
                 '{"id": "c2", "messages": [{"role": "advisor", "author": "\\udfff"}]}')
    assert _rows(iter_records(src)) == [("E010", 1, "c1", "messages[0].text"),
                                        ("E010", 2, "c2", "messages[0].author")]


# --- 14. bot flags ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "role"),
    [({"automatic_greeting": True}, Role.BOT), ({"automated": "true"}, Role.BOT),
     ({"is_bot": 1}, Role.BOT), ({"auto": "yes"}, Role.BOT),
     ({"automatic_greeting": False}, Role.ADVISOR), ({"bot": "Operator"}, Role.ADVISOR),
     ({"is_bot": 2}, Role.ADVISOR), ({}, Role.ADVISOR)],
)
def test_readers_bot_flags_make_a_message_a_bots(tmp_path, flags, role):
    record = _rec("c1", [{"role": "agent", "time": None, "text": "Bonjour", **flags}])
    (conv,) = read_transcripts(_jsonl(tmp_path / "a.jsonl", record))
    message = conv.messages[0]
    assert message.role == role
    assert message.metadata.get("source_role") == ("agent" if role is Role.BOT else None)


def test_readers_bot_flag_leaves_system_messages_system(tmp_path):
    record = _rec("c1", [{"role": "system", "text": "closed", "automated": True}])
    (conv,) = read_transcripts(_jsonl(tmp_path / "a.jsonl", record))
    assert conv.messages[0].role == Role.SYSTEM


@pytest.mark.filterwarnings("ignore:.*W001")
def test_readers_shared_french_chats_automatic_greeting_is_the_bots(shared_data):
    convs = list(read_transcripts(shared_data / "chats_fr_pmc" / "conversations.jsonl"))
    assert len(convs) == 228
    greetings = [m for c in convs for m in c.messages if m.metadata.get("automatic_greeting")]
    assert len(greetings) == 228
    assert all(m.role == Role.BOT and m.metadata["source_role"] == "agent" for m in greetings)
    others = [m for c in convs for m in c.messages if not m.metadata.get("automatic_greeting")]
    assert {m.role for m in others} == {Role.ADVISOR, Role.CUSTOMER}


# --- 15. values of the wrong type -------------------------------------------------------------
@pytest.mark.parametrize(
    ("record", "field"),
    [(_rec("c1", [{"role": ["advisor"], "text": "a"}]), "messages[0].role"),
     (_rec("c1", [{"role": {"name": "advisor"}, "text": "a"}]), "messages[0].role"),
     (_rec("c1", [{"role": None, "text": "a"}]), "messages[0].role"),
     ({"id": "c1", "messages": {"0": MESSAGES[0]}}, "messages"),
     (_rec("c1", [{"role": "advisor", "text": ["a"]}]), "messages[0].text"),
     (_rec("c1", [{"role": "advisor", "author": {"n": 1}}]), "messages[0].author"),
     (_rec("c1", [{"role": "advisor", "time": {"t": 1}}]), "messages[0].time"),
     (["c1", MESSAGES], "(record)"), ('"c1"', "(record)"), (None, "(record)")],
)
def test_readers_wrong_types_are_one_clear_e010(tmp_path, record, field):
    (err,) = iter_records(_jsonl(tmp_path / "a.jsonl", record))
    assert err.code == "E010" and err.field == field and err.line == 1


def test_readers_error_messages_show_a_short_value():
    nested: object = []
    for _ in range(3000):
        nested = [nested]
    record = {"id": "c1", "messages": [nested]}
    with pytest.raises(TranscriptError) as info:
        build_conversation(record, file="f", line=1)
    assert len(str(info.value)) < 400


# --- 16. empty files --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content"),
    [("a.jsonl", b""), ("a.jsonl", b"\n\n  \r\n\t\n"), ("a.jsonl", codecs.BOM_UTF8),
     ("a.json", b""), ("a.json", codecs.BOM_UTF8 + b"  \n"), ("a.csv", b""),
     ("a.csv", HEADER.encode()), ("a.csv", b"\n\n\r\n"), ("a.csv", codecs.BOM_UTF8),
     ("a.csv", b"sep=;\r\n"), ("a.txt", codecs.BOM_UTF16_LE), ("a.json", b"[]")],
)
def test_readers_empty_files_are_no_records(tmp_path, name, content):
    src = tmp_path / name
    src.write_bytes(content)
    records, warned = _read(src)
    assert records == [] and warned == []


# --- other kinds ------------------------------------------------------------------------------
def test_readers_csv_mac_line_endings(tmp_path):
    src = tmp_path / "a.csv"
    src.write_bytes(HEADER.replace("\n", "\r").encode() + b"c1,client,,a\rc1,conseiller,,b\r")
    (conv,) = read_transcripts(src)
    assert [m.text for m in conv.messages] == ["a", "b"]


def test_readers_jsonl_huge_integer_literal_is_e011(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", '{"id": "c1", "n": ' + "9" * 5000 + "}")
    (err,) = iter_records(src)
    assert (err.code, err.line) == ("E011", 1)


def test_readers_file_the_system_cannot_read_is_e006(tmp_path, monkeypatch):
    import chatqa.io.readers as readers

    def refuse(path, encoding):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(readers, "_open_text", refuse)
    src = _jsonl(tmp_path / "a.jsonl", _rec())
    with pytest.raises(TranscriptError, match=r"\[E006\].*Permission denied"):
        list(iter_records(src))


def test_readers_intercom_broken_parts_is_e010(tmp_path):
    src = tmp_path / "a.json"
    src.write_text(json.dumps([{"id": 5, "conversation_parts": 3}]))
    (err,) = iter_records(src)
    assert (err.code, err.conversation_id, err.field) == ("E010", "5", "conversation_parts")


# --- hypothesis: nothing but chatqa errors, one item per record ------------------------------
_SETTINGS = settings(max_examples=int(os.environ.get("CHATQA_FUZZ_EXAMPLES", 150)), deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _items(path: Path, **kwargs) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return list(iter_records(path, **kwargs))
        except ChatQAError:
            return []


@_SETTINGS
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".jsonl", ".csv", ".json"]))
def test_readers_arbitrary_bytes_raise_only_chatqa_errors(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / f"a{suffix}"
        src.write_bytes(data)
        for item in _items(src):
            assert isinstance(item, Conversation | TranscriptError)


@_SETTINGS
@given(text=st.text(max_size=300), suffix=st.sampled_from([".jsonl", ".csv", ".json"]))
def test_readers_arbitrary_text_raises_only_chatqa_errors(text, suffix):
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / f"a{suffix}"
        src.write_text(HEADER + text if suffix == ".csv" else text, "utf-8",
                       errors="surrogatepass")
        for item in _items(src):
            assert isinstance(item, Conversation | TranscriptError)


_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
                    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                         st.integers(), max_size=2))
_roles = st.one_of(st.sampled_from(["customer", "agent", "bot", "pilot", ""]), _values)
_message = st.fixed_dictionaries(
    {"role": _roles, "time": st.one_of(_values, st.sampled_from([T0, "10:00", "25:00"])),
     "text": st.one_of(st.text(max_size=30), _values)},
    optional={"author": _values, "automatic_greeting": _values},
)
_record = st.one_of(
    st.fixed_dictionaries({"id": st.one_of(st.sampled_from(["c1", "c2", "007"]), _values),
                           "messages": st.one_of(st.lists(_message, max_size=3), _values)}),
    _values,
)
_line = st.one_of(_record.map(lambda r: json.dumps(r, ensure_ascii=False)),
                  st.text(max_size=40).filter(lambda t: "\n" not in t and "\r" not in t))


@_SETTINGS
@given(lines=st.lists(_line, max_size=8))
def test_readers_jsonl_gives_one_item_per_nonblank_line(lines):
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "a.jsonl"
        src.write_text("\n".join(lines) + "\n", "utf-8", errors="surrogatepass")
        if sniff_encoding(src.read_bytes()[:4096]) not in (None, "utf-8-sig"):
            return
        items = _items(src)
        expected = [line for i, line in enumerate(lines)
                    if (line.lstrip("\ufeff") if i == 0 else line).strip()]
        assert len(items) == len(expected)


_cell = st.text(max_size=12)
_row = st.tuples(st.sampled_from(["a", "b", "c", "007"]),
                 st.sampled_from(["client", "conseiller", "pilot", ""]),
                 st.one_of(st.sampled_from(["", T0, T1, "10:00", "1e20", "NaN"]), _cell), _cell)


@_SETTINGS
@given(rows=st.lists(_row, max_size=8), delimiter=st.sampled_from([",", ";", "\t"]))
def test_readers_csv_gives_one_item_per_conversation(rows, delimiter):
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "a.csv"
        with src.open("w", encoding="utf-8", newline="", errors="surrogatepass") as fh:
            writer = csv.writer(fh, delimiter=delimiter)
            writer.writerow(["conversation_id", "role", "time", "text"])
            writer.writerows(rows)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # W001 for HH:MM times
                items = list(iter_records(src))
        except TranscriptError as exc:  # only when no row decodes (lone surrogates)
            assert exc.code == "E013"
            return
        assert len(items) == len({cid for cid, *_ in rows})


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(_values, st.floats(allow_nan=True, allow_infinity=True),
                       st.integers(min_value=-(10**30), max_value=10**30), st.datetimes(),
                       st.binary(max_size=8), st.text(alphabet="0123456789:.-+TZe ", max_size=25)))
def test_readers_parse_time_raises_only_value_error(value):
    try:
        parse_time(value)
    except ValueError:
        pass
