"""Incremental runs: archives appended to one folder as date partitions, nothing rescored."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import EXAMPLES

import chatqa
from chatqa.errors import ConfigError
from chatqa.io.dataset import conversation_date
from chatqa.io.tables import read_tables
from chatqa.macros import MacroTable


@pytest.fixture(scope="module")
def pipe():
    return chatqa.Pipeline.from_grid("fr_chat")


def rows():
    return [json.loads(line) for line in (EXAMPLES / "chats_fr.jsonl").read_text("utf-8")
            .splitlines() if line.strip()]


def write(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def by_id(df):
    keys = [c for c in ("conversation_id", "message_index", "criterion", "start", "code")
            if c in df.columns]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def test_two_appended_days_read_back_as_the_whole_archive_scored_once(pipe, tmp_path):
    records = rows()
    day1, day2 = write(tmp_path / "d1.jsonl", records[:6]), write(tmp_path / "d2.jsonl",
                                                                   records[6:])
    out = tmp_path / "out"
    first = pipe.score_archive(day1, out=out, append=True, macros=None, progress=False)
    second = pipe.score_archive(day2, out=out, append=True, macros=None, progress=False)
    assert (first.conversations_scored, second.conversations_scored) == (6, 4)
    dates = sorted(p.name for p in out.glob("date=*"))
    assert dates == ["date=2026-03-02", "date=2026-03-03", "date=2026-03-04"]
    manifest = json.loads((out / "meta.json").read_text("utf-8"))
    assert manifest["layout"] == "dataset" and len(manifest["runs"]) == 2
    grown = read_tables(out)
    whole = pipe.score_archive(EXAMPLES / "chats_fr.jsonl", macros=None, progress=False,
                               n_process=1)
    for name in ("messages", "findings", "conversations", "forms"):
        pd.testing.assert_frame_equal(by_id(getattr(grown, name)), by_id(getattr(whole, name)),
                                      check_categorical=False)


def test_a_dataset_reads_in_duckdb_and_dask_with_its_date_partitions(pipe, tmp_path):
    import dask.dataframe as dd
    import duckdb

    out = tmp_path / "out"
    pipe.score_archive(EXAMPLES / "chats_fr.jsonl", out=out, append=True, progress=False)
    glob = str(out / "*" / "*" / "messages.parquet")
    counts = duckdb.sql(f"select date, count(*) from read_parquet('{glob}', "
                        "hive_partitioning = true) group by date order by date").fetchall()
    per_day: dict[str, int] = {}
    for conv in chatqa.read_transcripts(EXAMPLES / "chats_fr.jsonl"):
        day = conversation_date(conv)  # its first timed message's
        per_day[day] = per_day.get(day, 0) + len(conv.messages)
    assert [(str(d), n) for d, n in counts] == sorted(per_day.items())
    assert len(dd.read_parquet(glob)) == len(read_tables(out).messages) == sum(per_day.values())


def test_appending_updates_the_macro_table_and_refuses_an_archive_twice(pipe, tmp_path):
    def conv(cid, day):
        return {"id": cid, "language": "fr", "messages": [
            {"role": "customer", "time": f"2026-03-0{day}T10:00:00+01:00", "text": "Bonjour"},
            {"role": "advisor", "time": f"2026-03-0{day}T10:00:30+01:00",
             "text": "Bonjour, je suis Julie, que puis-je faire pour vous ?"}]}

    out = tmp_path / "out"
    day1 = write(tmp_path / "d1.jsonl", [conv(f"a{i}", 2) for i in range(3)])
    day2 = write(tmp_path / "d2.jsonl", [conv(f"b{i}", 3) for i in range(2)])
    pipe.score_archive(day1, out=out, append=True, progress=False)
    assert list(MacroTable.read_csv(out / "macros.csv").conversations.values()) == [3]
    pipe.score_archive(day2, out=out, append=True, progress=False)
    assert list(MacroTable.read_csv(out / "macros.csv").conversations.values()) == [5]
    with pytest.raises(ConfigError, match=r"\[E023\].*appended already"):
        pipe.score_archive(day2, out=out, append=True, progress=False)
    other = chatqa.Pipeline.from_grid("en_support")
    with pytest.raises(ConfigError, match=r"\[E023\].*grid_sha256"):
        other.score_archive(write(tmp_path / "d3.jsonl", [conv("c", 4)]), out=out,
                            append=True, progress=False)
    assert len(read_tables(out).conversations) == 5


def test_append_refuses_a_single_run_folder_and_clears_a_crashed_append(pipe, tmp_path):
    single = tmp_path / "single"
    pipe.score_archive(EXAMPLES / "chats_fr.jsonl", out=single, progress=False)
    with pytest.raises(ConfigError, match=r"\[E023\].*single run"):
        pipe.score_archive(EXAMPLES / "chats_fr.jsonl", out=single, append=True,
                           progress=False)
    out = tmp_path / "out"
    records = rows()
    pipe.score_archive(write(tmp_path / "d1.jsonl", records[:3]), out=out, append=True,
                       progress=False)
    stray = out / "date=2026-03-02" / "run=run-crashed"
    stray.mkdir()
    (stray / "messages.parquet").write_bytes(b"half")
    pipe.score_archive(write(tmp_path / "d2.jsonl", records[3:]), out=out, append=True,
                       progress=False)
    assert not stray.exists()
    assert len(read_tables(out).conversations) == 10


def test_conversations_without_a_dated_time_go_to_the_no_date_partition(pipe, tmp_path):
    clock = {"id": "p1", "language": "fr", "messages": [
        {"role": "customer", "time": "10:02", "text": "Bonjour, ma commande ?"},
        {"role": "advisor", "time": "10:03", "text": "Bonjour, je regarde tout de suite."}]}
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="W001"):
        pipe.score_archive(write(tmp_path / "p.jsonl", [clock]), out=out, append=True,
                           progress=False)
    assert [p.name for p in out.glob("date=*")] == ["date=none"]
    assert list(read_tables(out).conversations["conversation_id"]) == ["p1"]


def test_cli_score_append_adds_a_day_and_says_why_it_refuses_one_twice(tmp_path, capsys):
    from chatqa.cli import main

    records = rows()
    day1, day2 = write(tmp_path / "d1.jsonl", records[:6]), write(tmp_path / "d2.jsonl",
                                                                   records[6:])
    out = str(tmp_path / "out")
    assert main(["score", str(day1), "--out", out, "--append", "--no-progress"]) == 0
    assert main(["score", str(day2), "--out", out, "--append", "--no-progress"]) == 0
    assert main(["score", str(day2), "--out", out, "--append", "--no-progress"]) == 2
    assert "E023" in capsys.readouterr().err
    assert len(read_tables(out).conversations) == 10
    assert main(["report", out]) == 0
