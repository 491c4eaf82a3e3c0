"""The bad-input catalogue (tests/data/bad/): no archive crashes a run or loses a conversation."""

from __future__ import annotations

import json
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pytest

from chatqa.errors import ChatQAError
from chatqa.io.tables import read_tables
from chatqa.pipeline import Pipeline
from chatqa.report import write_report

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES = tomllib.loads((BAD / "catalogue.toml").read_text("utf-8")).get("case", [])

GOOD_MESSAGES = [
    {"role": "customer", "time": "2026-03-02T10:00:00+00:00", "text": "Bonjour, ma commande ?"},
    {"role": "advisor", "time": "2026-03-02T10:01:00+00:00", "text": "Bonjour, je regarde."},
]


def _good(cid: str, **extra) -> str:
    return json.dumps({"id": cid, "messages": GOOD_MESSAGES, **extra}, ensure_ascii=False)


# -- generators: inputs too large to keep in the repository ------------------------------------
def gen_huge_message(path: Path) -> None:
    """One advisor message of 1 MB between two good conversations."""
    big = {"role": "advisor", "time": "2026-03-02T10:02:00+00:00",
           "text": "Je vérifie votre dossier. " * 40_000}
    lines = [_good("c1"), json.dumps({"id": "c2", "messages": [*GOOD_MESSAGES, big]}),
             _good("c3")]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def gen_long_word(path: Path) -> None:
    """A 10,000-character "word" in an advisor message."""
    msg = {"role": "advisor", "time": "2026-03-02T10:02:00+00:00",
           "text": "Voici le lien " + "x" * 10_000 + " merci."}
    path.write_text(json.dumps({"id": "c1", "messages": [*GOOD_MESSAGES, msg]}) + "\n", "utf-8")


def gen_deep_json(path: Path) -> None:
    """A line nested 100,000 deep between two good conversations."""
    deep = '{"id": "c2", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text("\n".join([_good("c1"), deep, _good("c3")]) + "\n", "utf-8")


def gen_csv_big_field(path: Path) -> None:
    """A CSV whose text field is 200 KB (over the csv module's default 128 KB limit)."""
    rows = ["conversation_id,role,time,text",
            "c1,customer,2026-03-02T10:00:00+00:00,Bonjour",
            'c1,advisor,2026-03-02T10:01:00+00:00,"' + "Bonjour. " * 22_000 + '"',
            "c2,customer,2026-03-02T10:00:00+00:00,Bonjour",
            "c2,advisor,2026-03-02T10:01:00+00:00,Bonjour madame"]
    path.write_text("\n".join(rows) + "\n", "utf-8")


GENERATORS = {f.__name__: f for f in (gen_huge_message, gen_long_word, gen_deep_json,
                                       gen_csv_big_field)}


# -- extra checks on the tables ----------------------------------------------------------------
def check_truncated(tables, case) -> None:
    """The long message is analysed up to the grid's cap, with a text.truncated finding."""
    assert "text.truncated" in set(tables.findings["code"])


def check_ids_kept(tables, case) -> None:
    """Ids read back exactly as written (no 007 -> 7, no formula)."""
    assert set(tables.conversations["conversation_id"]) == set(case["ids"])


CHECKS = {f.__name__: f for f in (check_truncated, check_ids_kept)}


@pytest.fixture(scope="module")
def pipe():
    return Pipeline.from_grid("fr_chat")


def _cell(value) -> object:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_inputs_catalogue(case, pipe, tmp_path):
    path = BAD / case["file"]
    if "generator" in case:
        path = tmp_path / case["file"]
        GENERATORS[case["generator"]](path)
    args = case.get("args", {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if "raises" in case:
            with pytest.raises(ChatQAError, match=rf"\[{case['raises']}\]"):
                pipe.score_archive(path, progress=False, **args)
            return
        tables = pipe.score_archive(path, progress=False, **args)
    if "warns" in case:
        assert any(f"[{case['warns']}]" in str(w.message) for w in caught), [
            str(w.message) for w in caught
        ]
    rows = sorted(
        (int(_cell(e.line) or 0), str(_cell(e.conversation_id)), str(_cell(e.field)), e.code)
        for e in tables.errors.itertuples()
    )
    expected = sorted(
        (e.get("line", 0), e.get("conversation_id", ""), e.get("field", ""), e["code"])
        for e in case.get("errors", [])
    )
    assert rows == expected, tables.errors["message"].tolist()
    assert len(tables.conversations) == case["scored"]
    assert len(tables.conversations) + len(tables.errors) == case["records"]
    if "check" in case:
        CHECKS[case["check"]](tables, case)
    # what people read is written too, whatever the input held
    out = tmp_path / "out"
    tables.write(out, format="csv")
    write_report(out)
    assert (out / "report.html").stat().st_size > 0
    if case.get("check") == "check_ids_kept":  # and read back exactly from the written tables
        assert set(read_tables(out).conversations["conversation_id"]) == set(case["ids"])
