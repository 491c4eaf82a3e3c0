"""chatqa.dask on a real two-process LocalCluster: the tables of one machine, exactly."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from itertools import chain
from pathlib import Path

import dask.dataframe as dd
import distributed
import fsspec
import pandas as pd
import pytest

import chatqa.dask as chatqa_dask
from chatqa import Pipeline
from chatqa.errors import ConfigError, TranscriptError
from chatqa.io import iter_records
from chatqa.macros import MacroTable
from chatqa.tables import TABLE_NAMES, Tables

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "chats_fr.jsonl"
#: Columns that order each table's rows the same way whatever the partitioning.
SORT_KEYS = {
    "messages": ["conversation_id", "message_index"],
    "findings": ["conversation_id", "message_index", "analyzer", "code", "start", "end"],
    "conversations": ["conversation_id"],
    "forms": ["conversation_id", "criterion"],
    "errors": ["file", "line", "conversation_id"],
}


def flat_rows(records: list[dict], suffix: str = "") -> list[dict]:
    """One row per message: the conversation's metadata repeated on each of its rows."""
    rows = []
    for record in records:
        metadata = {k: v for k, v in record.items() if k not in ("id", "messages")}
        for message in record["messages"]:
            rows.append({"conversation_id": record["id"] + suffix, **message, **metadata})
    return rows


def sorted_table(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.sort_values(SORT_KEYS[name], kind="stable").reset_index(drop=True)


def assert_tables_equal(got: Tables, expected: Tables, names=TABLE_NAMES) -> None:
    for name in names:
        pd.testing.assert_frame_equal(sorted_table(getattr(got, name), name),
                                      sorted_table(getattr(expected, name), name))


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> dict:
    """Two files: the example chats (JSONL) and two copies of them with new ids (CSV), plus a
    conversation whose role is unknown, so each advisor text is in three conversations (the
    grid's macro threshold) and the errors table has a row."""
    folder = tmp_path_factory.mktemp("archive")
    records = [json.loads(line) for line in EXAMPLES.read_text("utf-8").splitlines()]
    shutil.copy(EXAMPLES, folder / "a.jsonl")
    bad = {"id": "bad-1", "language": "fr",
           "messages": [{"role": "robot", "time": "2026-03-02T09:00:00+01:00", "text": "Bip"}]}
    rows = flat_rows(records, "-b1") + flat_rows([bad]) + flat_rows(records, "-b2")
    pd.DataFrame(rows).to_csv(folder / "b.csv", index=False)
    frame = pd.concat([pd.DataFrame(flat_rows(records)), pd.read_csv(folder / "b.csv")],
                      ignore_index=True)
    files = [folder / "a.jsonl", folder / "b.csv"]
    return {"glob": str(folder / "*"), "files": files, "frame": frame}


@pytest.fixture(scope="module")
def one_machine(archive) -> tuple[Tables, MacroTable, list[Tables]]:
    """The archive scored on one machine: one macro table over both files, then each file
    (the tables of both, the table, and each file's tables)."""
    pipeline = Pipeline.from_grid("fr_chat")
    table = MacroTable.from_conversations(
        chain.from_iterable(iter_records(f) for f in archive["files"]),
        min_conversations=pipeline.grid.grid.macro_min_conversations,
    )
    parts = [pipeline.score_archive(f, macros=table, progress=False) for f in archive["files"]]
    return Tables.concat(parts), table, parts


@pytest.fixture(scope="module")
def on_files(client, archive):
    tables = chatqa_dask.score(archive["glob"], "fr_chat")
    return tables, tables.compute()


@pytest.fixture(scope="module")
def on_frame(client, archive):
    messages = dd.from_pandas(archive["frame"], npartitions=4)  # conversations cut in two
    tables = chatqa_dask.score(messages, "fr_chat")
    return tables, tables.compute()


def test_dask_files_give_the_tables_of_one_machine(on_files, one_machine):
    lazy, got = on_files
    expected, _, _ = one_machine
    assert_tables_equal(got, expected)
    assert len(got.errors) == 1 and got.errors.loc[0, "code"] == "E010"
    assert got.errors.loc[0, "file"].endswith("b.csv")
    assert len(got.conversations) == 30
    for name, df in lazy:
        assert df.dtypes.to_dict() == getattr(expected, name).dtypes.to_dict()


def test_dask_macro_table_is_the_one_machine_table(on_files, on_frame, one_machine):
    _, table, _ = one_machine
    assert len(table) > 0
    assert on_files[0].macros == table
    assert on_frame[0].macros == table
    assert on_files[1].meta["macros"] == len(table)


def test_dask_frame_gives_the_tables_of_one_machine(on_frame, one_machine):
    _, got = on_frame
    expected, _, _ = one_machine
    assert_tables_equal(got, expected, ["messages", "findings", "conversations", "forms"])
    # a frame has no file or line: the rest of the error is the reader's
    columns = ["conversation_id", "field", "code"]
    pd.testing.assert_frame_equal(got.errors[columns], expected.errors[columns])


def test_dask_each_worker_builds_its_pipeline_once(client, on_files, on_frame):
    loads = client.run(chatqa_dask.pipeline_loads)
    assert len(loads) == 2
    assert all(n == 1 for counts in loads.values() for n in counts.values())
    assert sum(n for counts in loads.values() for n in counts.values()) <= 2
    tasks = on_files[0].parts_meta.npartitions + on_frame[0].parts_meta.npartitions
    assert tasks > len(loads)  # partitions scored on a worker reused its pipeline


def test_dask_one_file_gives_score_archive_output(client, one_machine):
    _, table, (expected, _) = one_machine
    got = chatqa_dask.score(EXAMPLES, "fr_chat", macros=table).compute()
    for name in TABLE_NAMES:  # one file is one task: the rows come in the same order
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))
    assert got.meta["grid_sha256"] == expected.meta["grid_sha256"]
    assert got.meta["analyzers"] == expected.meta["analyzers"]


def test_dask_score_batches_waits_for_a_conversation_cut_between_batches(one_machine):
    _, table, (expected, _) = one_machine
    records = [json.loads(line) for line in EXAMPLES.read_text("utf-8").splitlines()]
    rows = pd.DataFrame(flat_rows(records))
    batches = [rows.iloc[i:i + 7] for i in range(0, len(rows), 7)]
    assert rows.groupby("conversation_id").size().max() > 7  # some are cut
    parts = list(chatqa_dask.score_batches(iter(batches), "fr_chat", table="conversations",
                                           macros=table))
    got = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(got, expected.conversations)


def test_dask_reads_a_remote_url_and_names_it_in_errors(one_machine):
    _, table, _ = one_machine
    fs = fsspec.filesystem("memory")
    fs.pipe("/chatqa-test/chats.jsonl", EXAMPLES.read_bytes() + b'{"id": "x", "messages": 3}\n')
    tables = chatqa_dask.score("memory://chatqa-test/*.jsonl", macros=table)
    got = tables.compute(scheduler="sync")  # memory:// lives in this process only
    assert len(got.conversations) == 10
    (file,) = got.errors["file"]
    assert file.startswith("memory://") and file.endswith("/chatqa-test/chats.jsonl")
    assert got.errors.loc[0, "message"].startswith(f"[E010] {file}:11: conversation 'x'")


def test_dask_path_with_no_file_is_E001(tmp_path):
    with pytest.raises(TranscriptError, match=r"\[E001\]"):
        chatqa_dask.score(str(tmp_path / "*.jsonl"))


def test_dask_spark_schema_lists_the_table_columns():
    schemas = Pipeline.from_grid("fr_chat").schemas
    for name in TABLE_NAMES:
        ddl = chatqa_dask.spark_schema(name, "fr_chat")
        assert [c.split("` ")[0].strip("`") for c in ddl.split(", ")] == list(schemas[name])
    assert "`overall_score` double" in chatqa_dask.spark_schema("conversations")


def test_dask_import_chatqa_does_not_import_dask():
    code = "import sys, chatqa; chatqa.Pipeline; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_dask_without_dask_raises_config_error(monkeypatch):
    monkeypatch.delitem(sys.modules, "chatqa.dask")
    monkeypatch.setitem(sys.modules, "dask", None)  # as if not installed
    with pytest.raises(ConfigError, match=r"\[E109\].*pip install chatqa\[dask\]"):
        importlib.import_module("chatqa.dask")


def test_dask_persist_keeps_the_tables(on_files):
    lazy, got = on_files
    assert_tables_equal(lazy.persist().compute(), got)


def test_dask_to_parquet_writes_every_table_in_one_pass(on_files, tmp_path):
    lazy, got = on_files
    lazy.to_parquet(tmp_path / "out")
    for name in TABLE_NAMES:
        back = pd.read_parquet(tmp_path / "out" / name)
        assert len(back) == len(getattr(got, name))
    assert MacroTable.read_csv(tmp_path / "out" / "macros.csv") == lazy.macros
