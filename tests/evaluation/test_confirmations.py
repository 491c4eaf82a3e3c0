from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from pandas.testing import assert_frame_equal

from chatqa.errors import ConfigError
from chatqa.evaluation import Confirmations, read_confirmations, write_workbook
from chatqa.evaluation.confirmations import KEY
from chatqa.evaluation.workbook import SHEET, level_labels


@pytest.fixture(scope="module")
def blank(scored, tmp_path_factory):
    """The workbook of the run, as written (proposals pre-filled)."""
    tables, grid = scored
    path = tmp_path_factory.mktemp("blank") / "forms.xlsx"
    write_workbook(tables.forms, path, grid=grid, run_id="run-1",
                   conversations=tables.messages)
    return path


def fill(source, target, edits):
    """Fill a workbook as an evaluator would: ``edits`` maps a data row (2 = first) to cells."""
    book = load_workbook(source)
    sheet = book[SHEET]
    header = [c.value for c in sheet[1]]
    for row, cells in edits.items():
        for name, value in cells.items():
            sheet.cell(row, header.index(name) + 1).value = value
    book.save(target)
    return target


def letter(path, name):
    header = [c.value for c in load_workbook(path)[SHEET][1]]
    return load_workbook(path)[SHEET].cell(1, header.index(name) + 1).column_letter


def other_label(grid, level):
    """A label of another level than ``level`` (what an evaluator who disagrees picks)."""
    labels = level_labels(grid)
    return labels["bon"] if level != "bon" else labels["exceptionnel"]


def test_confirmations_read_overrides_by_label(scored, blank, tmp_path):
    tables, grid = scored
    forms = tables.forms
    # rows 2, 12, 30 (forms rows 0, 10, 28) get another level, a comment and a name
    edits = {r: {"level": other_label(grid, forms["level"][r - 2]), "evaluator": "Alice",
                 "comment": f"revu ligne {r}"} for r in (2, 12, 30)}
    path = fill(blank, tmp_path / "alice.xlsx", edits)
    modified = load_workbook(path).properties.modified.replace(tzinfo=UTC)
    confirmations = read_confirmations(path)
    table = confirmations.table
    assert len(table) == 3 and table["override"].all()
    assert set(table["row"]) == {2, 12, 30}
    assert (table["evaluator"] == "Alice").all() and (table["run_id"] == "run-1").all()
    assert (table["grid_sha256"] == grid.sha256).all()
    for row in table.itertuples():
        assert row.proposal == forms["level"][row.row - 2]
        assert level_labels(grid)[row.level] == edits[row.row]["level"]   # stored as the id
        assert row.comment == f"revu ligne {row.row}"
    assert (table["time_source"] == "file").all()
    assert (table["time"] == pd.Timestamp(modified)).all()
    assert (table["advisor"].notna()).all()
    # the 87 rows left as written, with no evaluator known, are not confirmations
    assert len(confirmations.unreviewed) == 87 and confirmations.invalid.empty


def test_confirmations_evaluator_argument_confirms_untouched_rows(scored, blank, tmp_path):
    tables, grid = scored
    edits = {2: {"level": other_label(grid, tables.forms["level"][0])}}
    path = fill(blank, tmp_path / "zoe.xlsx", edits)
    table = read_confirmations(path, evaluator="Zoé").table
    assert len(table) == len(tables.forms)
    assert table["override"].sum() == 1 and (table["evaluator"] == "Zoé").all()
    confirmed = table.set_index(["conversation_id", "criterion"])["level"]
    machine = tables.forms.set_index(["conversation_id", "criterion"])["level"]
    differs = (confirmed.reindex(machine.index) != machine)
    assert differs.sum() == 1 and differs.iloc[0]


@pytest.mark.parametrize("written, level", [
    ("a_ameliorer", "a_ameliorer"), ("À améliorer", "a_ameliorer"), ("a ameliorer", "a_ameliorer"),
    ("  EXCEPTIONNEL ", "exceptionnel"), ("Non applicable", "na"), ("na", "na"),
])
def test_confirmations_level_as_label_or_id(blank, tmp_path, written, level):
    path = fill(blank, tmp_path / "f.xlsx", {5: {"level": written, "evaluator": "Alice"}})
    [row] = read_confirmations(path).table.itertuples()
    assert row.level == level and row.row == 5


def test_confirmations_reimport_is_idempotent(scored, blank, tmp_path):
    tables, grid = scored
    path = fill(blank, tmp_path / "f.xlsx",
                {3: {"level": other_label(grid, tables.forms["level"][1]), "comment": "x"},
                 4: {"level": "Moyen"}})
    first = read_confirmations(path, evaluator="Alice")
    again = first.merge(read_confirmations(path, evaluator="Alice"))
    assert_frame_equal(again.table, first.table)
    assert_frame_equal(again.invalid, first.invalid)
    assert_frame_equal(first.merge(first).table, first.table)
    assert len(first.table) == len(tables.forms) - 1 and len(first.invalid) == 1


def test_confirmations_merge_keeps_the_latest_time(scored, blank, tmp_path):
    tables, grid = scored
    early = fill(blank, tmp_path / "early.xlsx",
                 {2: {"level": "Bon", "time": datetime(2026, 3, 5, 9, 0), "comment": "v1"}})
    late = fill(blank, tmp_path / "late.xlsx",
                {2: {"level": "À améliorer", "time": "2026-03-06 10:30+01:00",
                     "comment": "v2"}})
    one = read_confirmations(early, evaluator="Alice")
    two = read_confirmations(late, evaluator="Alice")
    for merged in (one.merge(two), two.merge(one)):
        row = merged.table[merged.table["row"] == 2].iloc[0]
        assert (row["level"], row["comment"]) == ("a_ameliorer", "v2")
        assert row["time"] == pd.Timestamp("2026-03-06 09:30", tz="UTC")
        assert row["time_source"] == "row"
        assert len(merged.table) == len(tables.forms)
    first = one.table[one.table["row"] == 2].iloc[0]
    assert first["time"] == pd.Timestamp("2026-03-05 09:00", tz="UTC")   # naive: UTC


def test_confirmations_invalid_rows_are_reported_and_the_rest_kept(scored, blank, tmp_path):
    tables, _ = scored
    edits = {
        3: {"level": "Moyen", "evaluator": "Alice", "comment": "à revoir"},   # unknown level
        4: {"reason": "raison modifiée", "evaluator": "Alice"},           # locked column edited
        5: {"comment": "sans nom"},                                       # no evaluator
        6: {"time": "demain matin", "evaluator": "Alice"},                # not a time
        7: {"level": None, "comment": "je ne sais pas", "evaluator": "Alice"},   # no level
        8: {"criterion": "politesse", "evaluator": "Alice"},              # unknown, and locked
    }
    path = fill(blank, tmp_path / "f.xlsx", edits)
    confirmations = read_confirmations(path)
    invalid = confirmations.invalid
    found = set(zip(invalid["row"], invalid["column"], invalid["field"], invalid["code"],
                    strict=True))
    assert found == {
        (3, letter(path, "level"), "level", "E310"),
        (4, letter(path, "reason"), "reason", "E313"),
        (5, letter(path, "evaluator"), "evaluator", "E312"),
        (6, letter(path, "time"), "time", "E314"),
        (7, letter(path, "level"), "level", "E315"),
        (8, letter(path, "criterion"), "criterion", "E313"),
        (8, letter(path, "criterion"), "criterion", "E311"),
    }
    moyen = invalid[invalid["row"] == 3].iloc[0]
    assert moyen["value"] == "Moyen" and moyen["comment"] == "à revoir"
    assert "row 3, column" in moyen["message"] and "'Moyen'" in moyen["message"]
    assert invalid[invalid["row"] == 7].iloc[0]["comment"] == "je ne sais pas"
    # nothing else lost: every other row is confirmed once "Alice" is given for all
    with_name = read_confirmations(path, evaluator="Alice")
    assert len(with_name.table) == len(tables.forms) - 5
    assert not set(with_name.table["row"]) & {3, 4, 6, 7, 8}
    assert with_name.table.loc[with_name.table["row"] == 5, "comment"].item() == "sans nom"


def test_confirmations_several_evaluators_per_conversation(scored, blank, tmp_path):
    tables, grid = scored
    alice = fill(blank, tmp_path / "alice.xlsx", {2: {"level": "Bon"}})
    bob = fill(blank, tmp_path / "bob.xlsx", {2: {"level": "À améliorer"}})
    merged = read_confirmations(alice, evaluator="Alice").merge(
        read_confirmations(bob, evaluator="Bob"))
    assert len(merged.table) == 2 * len(tables.forms)
    assert not merged.table.duplicated(KEY).any()
    first = merged.table[(merged.table["conversation_id"] == "fr-0001")
                         & (merged.table["criterion"] == tables.forms["criterion"][0])]
    assert dict(zip(first["evaluator"], first["level"], strict=True)) == {
        "Alice": "bon", "Bob": "a_ameliorer"}


def test_confirmations_one_file_shared_by_evaluators(blank, tmp_path):
    path = fill(blank, tmp_path / "f.xlsx", {2: {"evaluator": "Alice"}, 3: {"evaluator": "Bob"},
                                             4: {"level": "Bon", "evaluator": "Bob"}})
    table = read_confirmations(path, evaluator="Chef").table
    names = dict(zip(table["row"], table["evaluator"], strict=True))
    assert (names[2], names[3], names[4], names[5]) == ("Alice", "Bob", "Bob", "Chef")


def test_confirmations_blind_has_no_override(scored, tmp_path):
    tables, grid = scored
    path = tmp_path / "blind.xlsx"
    write_workbook(tables.forms, path, grid=grid, run_id="run-2", blind=True)
    fill(path, path, {2: {"level": "Bon", "evaluator": "Alice"},
                      3: {"level": "na", "evaluator": "Alice"}})
    confirmations = read_confirmations(path)
    table = confirmations.table
    assert dict(zip(table["row"], table["level"], strict=True)) == {2: "bon", 3: "na"}
    assert table["override"].isna().all() and table["proposal"].isna().all()
    assert confirmations.invalid.empty and confirmations.unreviewed.empty


def test_confirmations_from_json(scored, tmp_path):
    tables, grid = scored
    items = [
        {"conversation_id": "fr-0001", "criterion": "clarte", "level": "Exceptionnel",
         "evaluator": "Alice", "comment": "clair", "time": "2026-03-05T10:00:00+01:00"},
        {"conversation_id": "fr-0002", "criterion": "clarte", "level": "bon",
         "proposal": "Bon", "evaluator": "Alice"},
        {"conversation_id": "fr-0003", "criterion": "clarte", "level": "bon"},
        {"conversation_id": "fr-0004", "criterion": "politesse", "level": "bon",
         "evaluator": "Alice"},
    ]
    path = tmp_path / "confirmations.json"
    path.write_text(json.dumps(items, ensure_ascii=False), "utf-8")
    confirmations = read_confirmations(path, grid=grid, run_id="run-1")
    table = confirmations.table.set_index("conversation_id")
    assert list(table.index) == ["fr-0001", "fr-0002"]
    assert table.loc["fr-0001", "level"] == "exceptionnel"
    assert table.loc["fr-0001", "time"] == pd.Timestamp("2026-03-05 09:00", tz="UTC")
    assert table.loc["fr-0001", "time_source"] == "row"
    assert table.loc["fr-0002", "time_source"] == "file"
    assert pd.isna(table.loc["fr-0001", "override"])           # no proposal in the item
    assert not table.loc["fr-0002", "override"]
    assert (table["run_id"] == "run-1").all() and (table["grid_sha256"] == grid.sha256).all()
    invalid = confirmations.invalid
    assert set(zip(invalid["row"], invalid["field"], invalid["code"], strict=True)) == {
        (3, "evaluator", "E312"), (4, "criterion", "E311")}
    again = read_confirmations(path, grid=grid, run_id="run-1")
    assert_frame_equal(again.merge(confirmations).table, confirmations.table)


def test_confirmations_json_needs_the_grid_and_run(tmp_path, scored):
    _, grid = scored
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{"conversation_id": "a", "criterion": "clarte",
                                 "level": "bon", "evaluator": "x"}]), "utf-8")
    with pytest.raises(ConfigError, match=r"\[E308\].*grid="):
        read_confirmations(path)
    with pytest.raises(ConfigError, match=r"\[E308\].*run_id"):
        read_confirmations(path, grid=grid)
    path.write_text('{"rows": []}', "utf-8")
    with pytest.raises(ConfigError, match=r"\[E308\].*list of objects"):
        read_confirmations(path, grid=grid, run_id="r")


def test_confirmations_refuses_what_is_not_an_evaluator_workbook(blank, tmp_path, scored):
    _, grid = scored
    plain = tmp_path / "plain.xlsx"
    Workbook().save(plain)
    with pytest.raises(ConfigError, match=r"\[E305\].*no '_chatqa' sheet"):
        read_confirmations(plain)
    text = tmp_path / "notes.txt"
    text.write_text("bon", "utf-8")
    with pytest.raises(ConfigError, match=r"\[E305\].*'\.txt'"):
        read_confirmations(text)
    with pytest.raises(ConfigError, match=r"\[E001\]"):
        read_confirmations(tmp_path / "missing.xlsx")
    other = grid.model_copy(update={"sha256": "0" * 64})
    with pytest.raises(ConfigError, match=rf"\[E309\].*{grid.sha256}"):
        read_confirmations(blank, grid=other)


def test_confirmations_refuses_a_renamed_header(blank, tmp_path):
    book = load_workbook(blank)
    book[SHEET].cell(1, 1).value = "conversation"
    book.save(tmp_path / "f.xlsx")
    with pytest.raises(ConfigError, match=r"\[E305\].*no column 'conversation_id'"):
        read_confirmations(tmp_path / "f.xlsx")


def test_confirmations_empty_merges_to_the_other():
    empty = Confirmations.empty()
    assert len(empty) == 0 and list(empty.table.columns)[:5] == ["conversation_id", "criterion",
                                                                 "grid", "grid_sha256",
                                                                 "run_id"]
    assert_frame_equal(empty.merge(empty).table, empty.table)
