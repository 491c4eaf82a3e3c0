from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from chatqa.errors import ConfigError
from chatqa.evaluation import evaluator_rows, write_workbook
from chatqa.evaluation.workbook import CHECK_COLUMN, META_SHEET, SHEET, level_labels
from chatqa.io.writers import XLSX_MAX_ROWS

MACHINE_ONLY = ["proposal", "confidence", "reason", "justification", "evidence"]


@pytest.fixture(scope="module")
def book(scored, tmp_path_factory):
    tables, grid = scored
    path = tmp_path_factory.mktemp("book") / "forms.xlsx"
    written = write_workbook(tables.forms, path, grid=grid, run_id="run-1",
                             conversations=tables.messages)
    return written, load_workbook(path)


def rows_of(sheet) -> pd.DataFrame:
    values = list(sheet.iter_rows(values_only=True))
    return pd.DataFrame(values[1:], columns=values[0])


def meta_of(workbook) -> dict:
    return {k: v for k, v in workbook[META_SHEET].iter_rows(values_only=True)
            if k not in ("key", "label")}


def test_workbook_one_row_per_conversation_and_criterion(scored, book):
    tables, _ = scored
    written, workbook = book
    rows = rows_of(workbook[SHEET])
    assert len(written) == 1 and len(rows) == len(tables.forms) == 10 * 9
    assert list(zip(rows["conversation_id"], rows["criterion"], strict=True)) == list(
        zip(tables.forms["conversation_id"], tables.forms["criterion"], strict=True))


def test_workbook_shows_level_labels_prefilled_not_ids(scored, book):
    tables, grid = scored
    rows = rows_of(book[1][SHEET])
    labels = level_labels(grid)
    expected = [labels[level] for level in tables.forms["level"]]
    assert list(rows["proposal"]) == expected
    assert list(rows["level"]) == expected           # the proposal, pre-filled
    assert set(rows["level"]) <= set(labels.values())
    assert not set(rows["level"]) & set(grid.levels.order)
    assert "À améliorer" in set(rows["level"])


def test_workbook_level_column_has_a_dropdown_of_the_labels(book):
    sheet = book[1][SHEET]
    header = [c.value for c in sheet[1]]
    letter = sheet.cell(1, header.index("level") + 1).column_letter
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    validation = validations[0]
    assert validation.type == "list" and validation.showErrorMessage
    assert str(validation.sqref) == f"{letter}2:{letter}{sheet.max_row}"
    assert validation.formula1 == '"À améliorer,Bon,Exceptionnel,Non applicable"'


def test_workbook_locks_the_machine_columns_only(book):
    sheet = book[1][SHEET]
    assert sheet.protection.sheet and not sheet.protection.password
    assert sheet.protection.autoFilter is False and sheet.protection.sort is False
    header = [c.value for c in sheet[1]]
    for column, name in enumerate(header, start=1):
        cell = sheet.cell(2, column)
        assert cell.protection.locked is (name not in ("level", "evaluator", "comment",
                                                       "time")), name
    assert sheet.freeze_panes == "B2"
    check = sheet.cell(1, header.index(CHECK_COLUMN) + 1).column_letter
    assert sheet.column_dimensions[check].hidden
    reason = sheet.cell(2, header.index("reason") + 1)
    assert reason.alignment.wrap_text
    assert sheet.column_dimensions[reason.column_letter].width >= 30


def test_workbook_hidden_sheet_says_grid_run_and_layout(scored, book):
    from chatqa import __version__

    _, grid = scored
    workbook = book[1]
    assert workbook[META_SHEET].sheet_state == "hidden"
    meta = meta_of(workbook)
    assert meta["grid"] == "fr_chat" and meta["grid_sha256"] == grid.sha256
    assert meta["run_id"] == "run-1" and meta["blind"] == "false"
    assert meta["chatqa_version"] == __version__
    columns = json.loads(meta["columns"])
    header = [c.value for c in workbook[SHEET][1]]
    assert [c["name"] for c in columns] == header
    assert {c["name"]: c["role"] for c in columns}["level"] == "evaluator"
    assert json.loads(meta["labels"])["a_ameliorer"] == "À améliorer"


def test_workbook_names_each_conversations_advisor(scored, book):
    tables, _ = scored
    rows = rows_of(book[1][SHEET])
    advisors = (tables.messages[tables.messages["role"] == "advisor"]
                .groupby("conversation_id")["author"].first())
    assert list(rows["advisor"]) == [advisors[c] for c in rows["conversation_id"]]
    assert {"Julie", "Karim", "Sophie"} <= set(rows["advisor"])


def test_workbook_blind_has_no_proposal(scored, tmp_path):
    tables, grid = scored
    path = tmp_path / "blind.xlsx"
    write_workbook(tables.forms, path, grid=grid, run_id="run-1", blind=True)
    workbook = load_workbook(path)
    rows = rows_of(workbook[SHEET])
    assert not set(MACHINE_ONLY) & set(rows.columns)
    assert "advisor" not in rows.columns              # no conversations given
    assert rows["level"].isna().all() and len(rows) == len(tables.forms)
    assert meta_of(workbook)["blind"] == "true"
    assert len(workbook[SHEET].data_validations.dataValidation) == 1


def test_workbook_splits_between_conversations(scored, tmp_path):
    tables, grid = scored
    written = write_workbook(tables.forms, tmp_path / "forms.xlsx", grid=grid, run_id="r",
                             max_rows=20)
    # 9 rows a conversation: 2 conversations (18 rows) a file, 10 conversations in 5 files
    assert [p.name for p in written] == [f"forms_{i:03d}.xlsx" for i in range(1, 6)]
    assert not (tmp_path / "forms.xlsx").exists()
    parts = [rows_of(load_workbook(p)[SHEET]) for p in written]
    assert [len(p) for p in parts] == [18] * 5
    assert pd.concat(parts)["criterion"].tolist() == tables.forms["criterion"].tolist()
    assert all(p["conversation_id"].nunique() == 2 for p in parts)
    assert meta_of(load_workbook(written[2]))["part"] == "3"


def test_workbook_splits_a_conversation_longer_than_max_rows(scored, tmp_path):
    tables, grid = scored
    written = write_workbook(tables.forms, tmp_path / "f.xlsx", grid=grid, run_id="r",
                             max_rows=4)
    sizes = [len(rows_of(load_workbook(p)[SHEET])) for p in written]
    assert sum(sizes) == len(tables.forms) and max(sizes) == 4
    assert len(written) == len(tables.forms) // 4 + 1 and written[-1].name == "f_023.xlsx"


@pytest.mark.parametrize("max_rows", [0, XLSX_MAX_ROWS, 2.5, True])
def test_workbook_refuses_bad_max_rows(scored, tmp_path, max_rows):
    tables, grid = scored
    with pytest.raises(ConfigError, match=r"\[E307\].*1,048,575"):
        write_workbook(tables.forms, tmp_path / "f.xlsx", grid=grid, run_id="r",
                       max_rows=max_rows)


def test_workbook_texts_are_strings_never_formulas(scored, tmp_path):
    tables, grid = scored
    forms = tables.forms.copy()
    forms.loc[0, "reason"] = '=HYPERLINK("http://evil.example","clic")'
    forms.loc[0, "conversation_id"] = "=1+1"
    path = tmp_path / "f.xlsx"
    write_workbook(forms, path, grid=grid, run_id="=cmd|' /C calc'!A0")
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    header = [c.value for c in sheet[1]]
    reason = sheet.cell(2, header.index("reason") + 1)
    assert reason.data_type == "s" and reason.value.startswith("=HYPERLINK")
    assert sheet.cell(2, 1).data_type == "s" and sheet.cell(2, 1).value == "=1+1"
    assert meta_of(workbook)["run_id"] == "=cmd|' /C calc'!A0"


def test_workbook_masks_the_machine_texts(scored, tmp_path):
    tables, grid = scored
    path = tmp_path / "f.xlsx"
    write_workbook(tables.forms, path, grid=grid, run_id="r",
                   mask=lambda text: re.sub(r"\d", "#", text))
    rows = rows_of(load_workbook(path)[SHEET])
    assert rows["evidence"].str.contains("#").any()
    assert not rows["evidence"].str.contains(r"\d").any()
    assert not rows["reason"].dropna().str.contains(r"\d").any()
    assert rows["conversation_id"].str.fullmatch(r"fr-\d{4}").all()   # ids are not masked


def test_evaluator_rows_are_the_workbook_rows_as_csv_and_json(scored, book, tmp_path):
    tables, grid = scored
    rows = evaluator_rows(tables.forms, grid, conversations=tables.messages)
    sheet = rows_of(book[1][SHEET]).drop(columns=CHECK_COLUMN)
    assert list(rows.columns) == list(sheet.columns)
    assert rows["level"].tolist() == sheet["level"].tolist()
    rows.to_csv(tmp_path / "rows.csv", index=False)
    rows.to_json(tmp_path / "rows.json", orient="records", force_ascii=False)
    from_csv = pd.read_csv(tmp_path / "rows.csv", dtype=str)
    from_json = json.loads((tmp_path / "rows.json").read_text("utf-8"))
    assert from_csv["proposal"].tolist() == sheet["proposal"].tolist()
    assert [r["level"] for r in from_json] == sheet["level"].tolist()
    assert from_json[0]["evaluator"] is None


def test_evaluator_rows_uses_new_forms_columns_when_present(scored):
    tables, grid = scored
    forms = tables.forms.drop(columns=[c for c in ("section", "justification", "level_label")
                                       if c in tables.forms.columns])
    bare = evaluator_rows(forms, grid)
    assert "section" not in bare.columns and "justification" not in bare.columns
    forms = forms.assign(section="accueil", justification="parce que")
    full = evaluator_rows(forms, grid)
    assert full["section"].eq("accueil").all() and full["justification"].eq("parce que").all()
    assert "justification" not in evaluator_rows(forms, grid, blind=True).columns


@pytest.mark.parametrize("change, problem", [
    ({"grid": "autre_grille"}, r"scored with the grid\(s\) \['autre_grille'\]"),
    ({"level": "moyen"}, r"unknown levels \['moyen'\]"),
    ({"criterion": "politesse"}, r"unknown criteria \['politesse'\]"),
])
def test_workbook_refuses_forms_of_another_grid(scored, tmp_path, change, problem):
    tables, grid = scored
    forms = tables.forms.copy()
    for column, value in change.items():
        forms[column] = forms[column].astype("object")
        forms.loc[3, column] = value
    with pytest.raises(ConfigError, match=rf"\[E306\].*{problem}"):
        write_workbook(forms, tmp_path / "f.xlsx", grid=grid, run_id="r")


def test_workbook_of_no_forms_has_a_header_only(scored, tmp_path):
    tables, grid = scored
    [path] = write_workbook(tables.forms.iloc[:0], tmp_path / "f.xlsx", grid=grid, run_id="r")
    sheet = load_workbook(path)[SHEET]
    assert sheet.max_row == 1 and sheet.cell(1, 1).value == "conversation_id"


def with_labels(grid, **labels):
    levels = grid.levels.model_copy(update={"labels": {**grid.levels.labels, **labels}})
    return grid.model_copy(update={"levels": levels})


def test_workbook_lists_labels_with_commas_from_the_hidden_sheet(scored, tmp_path):
    from chatqa.evaluation import read_confirmations

    tables, grid = scored
    grid = with_labels(grid, bon="Bon, sans plus")
    path = tmp_path / "f.xlsx"
    write_workbook(tables.forms, path, grid=grid, run_id="r")
    workbook = load_workbook(path)
    [validation] = workbook[SHEET].data_validations.dataValidation
    assert validation.formula1 == f"'{META_SHEET}'!$B$2:$B$5"
    listed = [row[1] for row in workbook[META_SHEET].iter_rows(min_row=2, max_row=5,
                                                                values_only=True)]
    assert listed == ["À améliorer", "Bon, sans plus", "Exceptionnel", "Non applicable"]
    header = [c.value for c in workbook[SHEET][1]]
    workbook[SHEET].cell(2, header.index("level") + 1).value = "Bon, sans plus"
    workbook.save(path)
    table = read_confirmations(path, evaluator="Alice").table
    assert table.loc[table["row"] == 2, "level"].item() == "bon"


def test_workbook_refuses_two_levels_with_one_label(scored, tmp_path):
    tables, grid = scored
    with pytest.raises(ConfigError, match=r"\[E318\].*'bon' and 'exceptionnel'.*'Bien'"):
        write_workbook(tables.forms, tmp_path / "f.xlsx", run_id="r",
                       grid=with_labels(grid, bon="Bien", exceptionnel="Bien"))
