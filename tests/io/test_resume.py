"""An interrupted run restarted with the same out= skips the chunks already written."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import EXAMPLES

import chatqa
from chatqa.errors import ConfigError
from chatqa.io.tables import read_tables


def conversations():
    return list(chatqa.read_transcripts(EXAMPLES / "chats_fr.jsonl"))


def stops_after(items, n):
    """The conversations, then a crash after ``n`` of them (a killed run, seen from here)."""
    for k, item in enumerate(items):
        if k == n:
            raise RuntimeError("the machine went down")
        yield item


@pytest.fixture(scope="module")
def pipe():
    return chatqa.Pipeline.from_grid("fr_chat")


def run(pipe, out, source, **kw):
    return pipe.score_archive(source, out=out, format="csv", chunk_size=2, macros=None,
                              progress=False, **kw)


def test_resume_an_interrupted_run_keeps_its_chunks_and_equals_a_whole_run(pipe, tmp_path):
    convs = conversations()
    with pytest.raises(RuntimeError, match="went down"):
        run(pipe, tmp_path / "out", stops_after(convs, 5))
    manifest = json.loads((tmp_path / "out" / "meta.json").read_text("utf-8"))
    assert manifest["status"] == "running" and len(manifest["chunks"]) == 2
    summary = run(pipe, tmp_path / "out", iter(convs))
    assert summary.resumed_records == 4 and "resumed: 4 records" in str(summary)
    assert summary.conversations_scored == 10
    whole = run(pipe, tmp_path / "whole", iter(convs))
    assert whole.resumed_records == 0
    resumed, fresh = read_tables(tmp_path / "out"), read_tables(tmp_path / "whole")
    for name in ("messages", "findings", "conversations", "forms", "errors"):
        pd.testing.assert_frame_equal(getattr(resumed, name), getattr(fresh, name))


def test_resume_refuses_another_run_and_starts_over_when_asked(pipe, tmp_path):
    convs = conversations()
    with pytest.raises(RuntimeError):
        run(pipe, tmp_path / "out", stops_after(convs, 5))
    other = chatqa.Pipeline.from_grid("en_support")
    with pytest.raises(ConfigError, match=r"\[E022\].*grid_sha256 was '[0-9a-f]{64}', now"):
        run(other, tmp_path / "out", iter(convs))
    with pytest.raises(ConfigError, match=r"\[E022\].*chunk_size was 2, now 3"):
        pipe.score_archive(iter(convs), out=tmp_path / "out", format="csv", chunk_size=3,
                           macros=None, progress=False)
    summary = run(other, tmp_path / "out", iter(convs), resume=False)
    assert summary.resumed_records == 0 and summary.conversations_scored == 10
    assert read_tables(tmp_path / "out").meta["grid"] == "en_support"


def test_resume_a_finished_run_is_scored_again_from_scratch(pipe, tmp_path):
    convs = conversations()
    run(pipe, tmp_path / "out", iter(convs))
    again = run(pipe, tmp_path / "out", iter(convs))
    assert again.resumed_records == 0 and again.conversations_scored == 10


def test_resume_stops_at_a_damaged_chunk(pipe, tmp_path):
    convs = conversations()
    with pytest.raises(RuntimeError):
        run(pipe, tmp_path / "out", stops_after(convs, 7))
    manifest = json.loads((tmp_path / "out" / "meta.json").read_text("utf-8"))
    assert len(manifest["chunks"]) == 3
    second = tmp_path / "out" / manifest["chunks"][1]["files"][0]["path"]
    second.write_text("damaged", encoding="utf-8")      # its size no longer matches
    summary = run(pipe, tmp_path / "out", iter(convs))
    assert summary.resumed_records == 2                   # chunk 1 only
    pd.testing.assert_frame_equal(read_tables(tmp_path / "out").conversations,
                                  run(pipe, tmp_path / "w", iter(convs)) and
                                  read_tables(tmp_path / "w").conversations)
