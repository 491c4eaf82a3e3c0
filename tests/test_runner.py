"""Batch runs: forked workers that keep the loaded pipeline, chunks, progress, cores."""

from __future__ import annotations

import json
import re
import sys

import pandas as pd
import pytest
from conftest import EXAMPLES

import chatqa
import chatqa.nlp
from chatqa import runner
from chatqa.tables import TABLE_NAMES

ARCHIVE = EXAMPLES / "chats_fr.jsonl"


@pytest.fixture(scope="module")
def pipe():
    return chatqa.Pipeline.from_grid("fr_chat")


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked only on Linux")
def test_forked_workers_use_the_pipeline_loaded_before_the_fork(tmp_path, monkeypatch):
    calls = tmp_path / "loads.txt"
    real = chatqa.nlp.load_nlp

    def counting(lang, model=None):  # every process that loads spaCy leaves a line
        with calls.open("a") as fh:
            fh.write(f"{lang}\n")
        return real(lang, model)

    monkeypatch.setattr(chatqa.nlp, "load_nlp", counting)
    fresh = chatqa.Pipeline.from_grid("fr_chat")
    two = fresh.score_archive(ARCHIVE, progress=False, chunk_size=2, n_process=2)
    assert calls.read_text().splitlines() == ["fr"]  # the parent's load, none in a worker
    one = fresh.score_archive(ARCHIVE, progress=False, chunk_size=2, n_process=1)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    assert runner._WORKER is None  # the parent forgets the pipeline it lent the workers


def test_n_process_none_is_every_available_core_on_linux_and_one_elsewhere(monkeypatch):
    assert runner.check_n_process(3) == 3
    monkeypatch.setattr(runner.sys, "platform", "linux")
    assert runner.check_n_process(None) == runner.available_cores() >= 1
    monkeypatch.setattr(runner.sys, "platform", "darwin")  # workers would be spawned there
    assert runner.check_n_process(None) == 1


def test_chunks_close_at_the_text_budget(pipe):
    convs = list(chatqa.read_transcripts(ARCHIVE))
    sizes = [sum(len(m.text) for m in c.messages) for c in convs]
    budget = sizes[0] + sizes[1]  # the first two conversations fill a chunk
    chunks = list(runner.chunked(convs, 256, max_chars=budget))
    assert len(chunks[0]) == 2 and sum(len(c) for c in chunks) == len(convs)
    assert all(sum(sizes[convs.index(c)] for c in chunk[:-1]) < budget for chunk in chunks)
    assert [len(c) for c in runner.chunked(convs, 3)] == [3, 3, 3, 1]


def test_progress_counts_messages_per_second_with_the_time_left(pipe, capsys):
    total = sum(len(c.messages) for c in chatqa.read_transcripts(ARCHIVE))
    pipe.score_archive(ARCHIVE, progress=True, chunk_size=4, n_process=1)
    bar = capsys.readouterr().err.replace("\r", "\n").splitlines()
    shown = [line for line in bar if "scoring" in line and "msg/s" in line]
    # the archive's size, counted by the macro pass, is the bar's total: it has a time left
    assert shown and all(re.search(rf"/{total}(\.0)? \[\d+:\d+<(\d+:\d+|\?)", line)
                         for line in shown), shown
    assert any(re.search(r"<\d+:\d+, [\d.]+msg/s", line) for line in shown), shown


def test_a_source_that_fails_keeps_the_chunks_the_workers_scored(pipe, tmp_path):
    convs = list(chatqa.read_transcripts(ARCHIVE))

    def crashing():
        yield from convs[:7]
        raise RuntimeError("the disk went away")

    with pytest.raises(RuntimeError, match="went away"):
        pipe.score_archive(crashing(), out=tmp_path / "out", format="csv", chunk_size=2,
                           macros=None, progress=False, n_process=2)
    manifest = json.loads((tmp_path / "out" / "meta.json").read_text("utf-8"))
    assert sum(c["n_records"] for c in manifest["chunks"]) == 6  # three whole chunks


def test_chunks_shrink_so_that_every_worker_gets_several(pipe):
    convs = list(chatqa.read_transcripts(ARCHIVE))
    size = runner.ArchiveSize()
    size.count(convs)
    chars = sum(len(m.text) for c in convs for m in c.messages)
    assert (size.records, size.messages, size.chars) == (10, 82, chars)
    assert size.chunk_size(256, 1) == 256           # one process: as asked
    assert size.chunk_size(256, 2) == 3             # 10 records, 2 workers: 2 chunks each
    assert size.chunk_size(1, 2) == 1
    assert runner.ArchiveSize().chunk_size(256, 2) == 256  # size unknown: as asked
    # by text volume first: 4 equal shares of the text per worker
    assert size.chunk_chars(2) == -(-chars // 8) and size.chunk_chars(1) == runner.CHUNK_CHARS
    assert runner.ArchiveSize().chunk_chars(2) == runner.CHUNK_CHARS


def test_chunks_are_balanced_by_text_volume_not_conversation_count(pipe):
    # one long conversation among short ones: chunks of equal text, not of equal count
    convs = list(chatqa.read_transcripts(ARCHIVE))
    long = max(convs, key=lambda c: sum(len(m.text) for m in c.messages))
    convs = [*convs, *([long] * 3)]
    size = runner.ArchiveSize()
    size.count(convs)
    target = size.chunk_chars(2)
    chunks = list(runner.chunked(convs, size.chunk_size(256, 2), target))
    text = [sum(len(m.text) for c in chunk for m in c.messages) for chunk in chunks]
    biggest = max(sum(len(m.text) for m in c.messages) for c in convs)
    assert 6 <= len(chunks) <= 9 and sum(len(c) for c in chunks) == len(convs)
    assert all(t < target + biggest for t in text)       # none holds much more than its share
    assert len({len(c) for c in chunks}) > 1             # so their conversation counts differ


def test_load_builds_the_language_detector_before_workers_fork():
    fresh = chatqa.Pipeline.from_grid("fr_chat")
    assert fresh._detector is not None and "_detector" not in vars(fresh._detector)
    assert fresh.load() is fresh
    assert "_detector" in vars(fresh._detector) and "fr" in fresh._nlp  # built, loaded
