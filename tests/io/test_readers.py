"""Readers on real files of every format, including malformed input and the shared real chats."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

import chatqa
from chatqa.errors import TranscriptError
from chatqa.io import iter_records, read_transcripts
from chatqa.model import Conversation, Role


def _jsonl(path, *records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                              for r in records) + "\n", encoding="utf-8")
    return path


def _record(cid="c1", **changes):
    record = {
        "id": cid,
        "channel": "chat",
        "messages": [
            {"role": "customer", "time": "2026-03-02T10:00:00+01:00", "text": "Bonjour"},
            {"role": "agent", "time": "2026-03-02T10:00:42+01:00", "text": "Bonjour !",
             "author": "Julie", "canned": True},
        ],
    }
    record.update(changes)
    return record


# --- native JSONL -----------------------------------------------------------------------------
def test_readers_jsonl_builds_conversations_and_keeps_other_keys(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", _record("c1"), "", _record("c2"))
    convs = list(read_transcripts(src))
    assert [c.id for c in convs] == ["c1", "c2"]
    first = convs[0]
    assert first.metadata["channel"] == "chat"
    assert first.metadata["time_resolution"] == "second" and first.metadata["time_has_date"]
    customer, advisor = first.messages
    assert (customer.role, advisor.role, advisor.author) == (Role.CUSTOMER, Role.ADVISOR, "Julie")
    assert advisor.time == datetime(2026, 3, 2, 10, 0, 42, tzinfo=timezone(timedelta(hours=1)))
    assert advisor.metadata == {"canned": True}
    assert (advisor.time - customer.time).total_seconds() == 42


def test_readers_conversation_id_key_and_z_times(tmp_path):
    record = {"conversation_id": "x9", "messages": [
        {"role": "client", "time": "2020-04-01T17:31:32.000Z", "text": "hi"}]}
    (conv,) = read_transcripts(_jsonl(tmp_path / "a.jsonl", record))
    assert conv.id == "x9" and conv.messages[0].role == Role.CUSTOMER
    assert conv.messages[0].time == datetime(2020, 4, 1, 17, 31, 32, tzinfo=UTC)


@pytest.mark.parametrize(
    ("alias", "role"),
    [("agent", Role.ADVISOR), ("Conseiller", Role.ADVISOR), ("conseillère", Role.ADVISOR),
     ("admin", Role.ADVISOR), ("client", Role.CUSTOMER), ("user", Role.CUSTOMER),
     ("chatbot", Role.BOT), ("system", Role.SYSTEM)],
)
def test_readers_role_aliases(tmp_path, alias, role):
    record = {"id": "c", "messages": [{"role": alias, "time": None, "text": "x"}]}
    (conv,) = read_transcripts(_jsonl(tmp_path / "a.jsonl", record))
    assert conv.messages[0].role == role


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"role": "manager"}, "messages[1].role", "not a known role"),
        ({"time": "not a time"}, "messages[1].time", "ISO-8601"),
        ({"time": "25:10"}, "messages[1].time", "not a valid clock time"),
        ({"text": 42}, "messages[1].text", "not a string"),
        ({"time": "10:00"}, "messages[1].time", "bare HH:MM time"),
    ],
)
def test_readers_bad_field_names_file_line_conversation_and_field(tmp_path, change, field,
                                                                   fragment):
    bad = _record("c2")
    bad["messages"][1].update(change)
    src = _jsonl(tmp_path / "a.jsonl", _record("c1"), bad)
    with pytest.raises(TranscriptError) as info:
        list(read_transcripts(src))
    err = info.value
    assert (err.file, err.line, err.conversation_id, err.field) == (str(src), 2, "c2", field)
    assert fragment in str(err) and "[E010]" in str(err) and str(src) in str(err)


@pytest.mark.parametrize(
    ("record", "field"),
    [({"messages": []}, "id"), ({"id": "c", "messages": "hello"}, "messages"),
     ({"id": "c", "messages": ["hello"]}, "messages[0]"), (["not", "an object"], "(record)")],
)
def test_readers_bad_records(tmp_path, record, field):
    src = _jsonl(tmp_path / "a.jsonl", record)
    (err,) = list(iter_records(src))
    assert isinstance(err, TranscriptError) and err.field == field and err.line == 1


def test_readers_batch_yields_errors_in_place_and_goes_on(tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", _record("c1"), '{"id": "c2", "messages": [', _record("c3"))
    records = list(iter_records(src))
    assert [type(r).__name__ for r in records] == ["Conversation", "TranscriptError",
                                                   "Conversation"]
    assert records[1].code == "E011" and records[1].line == 2 and "[E011]" in str(records[1])


# --- bare clock times -------------------------------------------------------------------------
def test_readers_clock_times_roll_over_midnight_and_say_so(tmp_path):
    record = {"id": "night", "messages": [
        {"role": "advisor", "time": None, "text": "Bonjour, en quoi puis-je vous aider ?"},
        {"role": "customer", "time": "23:58", "text": "bonsoir"},
        {"role": "agent", "time": "00:03", "text": "Bonsoir !"},
        {"role": "customer", "time": "00:02", "text": "?"},
    ]}
    src = _jsonl(tmp_path / "a.jsonl", record, {**record, "id": "night2"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        convs = list(read_transcripts(src))
    assert len([w for w in caught if "[W001]" in str(w.message)]) == 1  # once per file
    messages = convs[0].messages
    assert messages[0].time is None
    assert (messages[2].time - messages[1].time).total_seconds() == 300  # 23:58 -> 00:03
    # a clock that goes back a minute is out of order, not a new day
    assert (messages[3].time - messages[2].time).total_seconds() == -60
    assert convs[0].metadata["time_resolution"] == "minute"
    assert convs[0].metadata["time_has_date"] is False


def test_readers_clock_times_with_seconds(tmp_path):
    record = {"id": "s", "messages": [{"role": "customer", "time": "9:05:30", "text": "a"}]}
    (conv,) = read_transcripts(_jsonl(tmp_path / "a.jsonl", record))
    assert conv.metadata["time_resolution"] == "second"
    assert conv.messages[0].time.time().isoformat() == "09:05:30"


def test_readers_untimed_conversation_has_no_resolution(tmp_path):
    record = {"id": "u", "messages": [{"role": "customer", "text": "a"}]}
    (conv,) = read_transcripts(_jsonl(tmp_path / "a.jsonl", record))
    assert conv.messages[0].time is None and "time_resolution" not in conv.metadata


# --- flat CSV -----------------------------------------------------------------------------------
CSV_ROWS = [
    ("c1", "client", "2026-03-02 10:00:00", "Bonjour, où est mon colis ?"),
    ("c1", "conseiller", "2026-03-02 10:00:30", "Bonjour, je regarde.\nUn instant."),
    ("c2", "client", "2026-03-02 11:00:00", "Problème de facture"),
]


def _write_csv(path, sep, encoding, header=("conversation_id", "role", "time", "text")):
    lines = [sep.join(header)]
    for row in CSV_ROWS:
        lines.append(sep.join(f'"{v}"' if ("\n" in v or sep in v) else v for v in row))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize(
    ("sep", "encoding"), [(",", "utf-8"), (";", "utf-8-sig"), (";", "cp1252"), ("\t", "utf-8")]
)
def test_readers_csv_plain_and_excel_exports(tmp_path, sep, encoding):
    src = _write_csv(tmp_path / "chats.csv", sep, encoding)
    c1, c2 = read_transcripts(src)
    assert [m.role for m in c1.messages] == [Role.CUSTOMER, Role.ADVISOR]
    assert c1.messages[0].text == "Bonjour, où est mon colis ?"
    assert c1.messages[1].text == "Bonjour, je regarde.\nUn instant."
    assert (c1.messages[1].time - c1.messages[0].time).total_seconds() == 30
    assert c2.messages[0].text == "Problème de facture"


def test_readers_csv_column_mapping_and_row_line_numbers(tmp_path):
    src = _write_csv(tmp_path / "chats.csv", ",", "utf-8",
                     header=("chat_id", "speaker", "sent_at", "body"))
    columns = {"conversation_id": "chat_id", "role": "speaker", "time": "sent_at", "text": "body"}
    assert [c.id for c in read_transcripts(src, columns=columns)] == ["c1", "c2"]
    # row 3 of the data starts on line 5: the second row spans lines 3-4
    text = src.read_text().replace("Problème de facture", "x").replace(",client,2026-03-02 11",
                                                                        ",boss,2026-03-02 11")
    src.write_text(text)
    records = list(iter_records(src, columns=columns))
    err = records[1]
    assert isinstance(err, TranscriptError)
    assert (err.line, err.conversation_id, err.field) == (5, "c2", "messages[0].role")


def test_readers_csv_missing_columns_lists_what_was_found(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("chat,who,when,what\n1,client,10:00,x\n")
    with pytest.raises(TranscriptError, match=r"\[E012\].*conversation_id.*'chat'"):
        list(iter_records(src))


def test_readers_csv_conversation_split_in_two_goes_to_errors_whole(tmp_path):
    src = tmp_path / "split.csv"
    src.write_text("conversation_id,role,time,text\na,client,10:00,x\nb,client,10:01,y\n"
                   "a,agent,10:02,z\n")
    records = list(iter_records(src))
    assert [type(r).__name__ for r in records] == ["Conversation", "TranscriptError"]
    assert records[0].id == "b"
    err = records[1]
    assert (err.code, err.line, err.conversation_id, err.field) == ("E018", 2, "a",
                                                                   "conversation_id")
    assert "lines 2, 4" in str(err)


def test_readers_csv_undecodable_bytes(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_bytes(b"conversation_id,role,time,text\n1,client,,\x81\x8d\n")
    with pytest.raises(TranscriptError, match=r"\[E013\]"):
        list(iter_records(src))


# --- flat Parquet -------------------------------------------------------------------------------
def test_readers_parquet_with_timestamps_and_mapping(tmp_path):
    frame = pd.DataFrame({
        "chat": ["p1", "p1", "p2"],
        "role": ["customer", "advisor", "customer"],
        "time": pd.to_datetime(["2026-03-02T10:00:00Z", "2026-03-02T10:01:05Z",
                                "2026-03-02T12:00:00Z"]),
        "text": ["Bonjour", "Bonjour, je regarde", "Salut"],
        "queue": ["fr", "fr", "en"],
    })
    src = tmp_path / "chats.parquet"
    frame.to_parquet(src)
    p1, p2 = read_transcripts(src, columns={"conversation_id": "chat"})
    assert (p1.messages[1].time - p1.messages[0].time).total_seconds() == 65
    assert p1.metadata["queue"] == "fr" and p2.metadata["queue"] == "en"


def test_readers_parquet_bad_row_names_its_row(tmp_path):
    frame = pd.DataFrame({"conversation_id": ["p1", "p1"], "role": ["customer", "pilot"],
                          "time": [None, None], "text": ["a", "b"]})
    src = tmp_path / "chats.parquet"
    frame.to_parquet(src)
    (err,) = list(iter_records(src))
    assert (err.line, err.field) == (3, "messages[1].role")


# --- Intercom -----------------------------------------------------------------------------------
def _intercom(cid="215", nested=True):
    parts = [
        {"type": "conversation_part", "id": "1", "part_type": "assignment", "body": None,
         "created_at": 1772445610, "author": {"type": "bot", "id": "b1", "name": "Operator"}},
        {"type": "conversation_part", "id": "2", "part_type": "comment",
         "body": "<p>Bonjour, je suis Julie.</p><p>Je regarde &amp; je reviens.</p>",
         "created_at": 1772445640, "author": {"type": "admin", "id": "a1", "name": "Julie"}},
        {"type": "conversation_part", "id": "3", "part_type": "note",
         "body": "<p>client VIP</p>", "created_at": 1772445650,
         "author": {"type": "admin", "id": "a1", "name": "Julie"}},
        {"type": "conversation_part", "id": "4", "part_type": "comment", "body": "<p>Merci</p>",
         "created_at": 1772445700, "author": {"type": "user", "id": "u1", "name": ""}},
    ]
    return {
        "type": "conversation", "id": cid, "created_at": 1772445600, "state": "closed",
        "source": {"type": "conversation", "id": "s1", "delivered_as": "customer_initiated",
                   "body": "<p>Mon colis n'est pas arrivé</p>",
                   "author": {"type": "lead", "id": "u1", "name": "Léa"}},
        "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts,
                               "total_count": 4} if nested else parts,
    }


@pytest.mark.parametrize("wrap", ["object", "list", "conversations", "flat_parts"])
def test_readers_intercom_export(tmp_path, wrap):
    data = {"object": _intercom(), "list": [_intercom()],
            "conversations": {"conversations": [_intercom()]},
            "flat_parts": [_intercom(nested=False)]}[wrap]
    src = tmp_path / "intercom.json"
    src.write_text(json.dumps(data))
    (conv,) = read_transcripts(src)  # .json sniffs the Intercom shape
    assert conv.id == "215" and conv.metadata["state"] == "closed"
    roles = [m.role for m in conv.messages]
    assert roles == [Role.CUSTOMER, Role.SYSTEM, Role.ADVISOR, Role.SYSTEM, Role.CUSTOMER]
    assert conv.messages[2].text == "Bonjour, je suis Julie.\nJe regarde & je reviens."
    assert conv.messages[2].author == "Julie"
    assert conv.messages[3].metadata["part_type"] == "note"
    assert (conv.messages[2].time - conv.messages[0].time).total_seconds() == 40
    assert conv.messages[0].time.tzinfo is not None


def test_readers_intercom_format_on_other_json_is_refused(tmp_path):
    src = tmp_path / "x.json"
    src.write_text(json.dumps({"hello": 1}))
    with pytest.raises(TranscriptError, match=r"\[E014\].*hello"):
        list(read_transcripts(src, format="intercom"))


def test_readers_native_json_list(tmp_path):
    src = tmp_path / "x.json"
    src.write_text(json.dumps([_record("a"), _record("b")]))
    assert [c.id for c in read_transcripts(src)] == ["a", "b"]


# --- formats and files --------------------------------------------------------------------------
def test_readers_format_errors(tmp_path):
    with pytest.raises(TranscriptError, match=r"\[E001\]"):
        list(read_transcripts(tmp_path / "missing.jsonl"))
    odd = tmp_path / "chats.xml"
    odd.write_text("<x/>")
    with pytest.raises(TranscriptError, match=r"\[E002\].*'\.xml'.*jsonl"):
        list(read_transcripts(odd))
    with pytest.raises(TranscriptError, match=r"\[E003\].*'yaml'"):
        list(read_transcripts(odd, format="yaml"))


def test_readers_public_api():
    assert chatqa.read_transcripts is read_transcripts


# --- the shared real chats ----------------------------------------------------------------------
@pytest.mark.parametrize(("folder", "count"), [("chats_fr_pmc", 228), ("chats_en_twitter", 525)])
def test_readers_shared_real_chats_read_without_error(shared_data, folder, count):
    records = list(iter_records(shared_data / folder / "conversations.jsonl"))
    errors = [r for r in records if not isinstance(r, Conversation)]
    assert errors == [] and len(records) == count
    assert all(m.role in (Role.ADVISOR, Role.CUSTOMER, Role.BOT) for r in records
               for m in r.messages)


def test_readers_examples_are_valid():
    from conftest import EXAMPLES

    convs = list(read_transcripts(EXAMPLES / "chats_fr.jsonl"))
    assert len(convs) == 10 and all(c.language == "fr" for c in convs)


@pytest.mark.issue(6)
def test_readers_error_rows_show_a_short_redacted_excerpt(tmp_path):
    secret = "Mon IBAN FR76 3000 6000 0112 3456 7890 189, appelez le 06 12 34 56 78 " * 3
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "c1", "messages": [
        {"role": "martian", "time": None, "text": "x"}], "x": 1}) + "\n" + json.dumps(
        {"id": "c2", "messages": [{"role": secret, "time": None, "text": "x"}]}) + "\n")
    records = list(iter_records(path))
    message = str(records[1])
    assert "FR76" not in message and "06 12" not in message
    got = message.split("got ", 1)[1]
    assert len(got) <= 41  # the excerpt, cut at 40 characters, and the final full stop
