from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pandas.testing import assert_frame_equal
from sklearn.metrics import cohen_kappa_score

from chatqa.errors import ConfigError
from chatqa.evaluation import (
    agreement,
    evaluator_agreement,
    read_confirmations,
    write_workbook,
)
from chatqa.evaluation.agreement import weighted_kappa
from chatqa.evaluation.workbook import SHEET, level_labels

NA = "na"


def fill(source, target, levels):
    """Set the level cell of data rows (2 = first) to a label, as an evaluator would."""
    book = load_workbook(source)
    sheet = book[SHEET]
    header = [c.value for c in sheet[1]]
    for row, label in levels.items():
        sheet.cell(row, header.index("level") + 1).value = label
    book.save(target)
    return target


@pytest.fixture(scope="module")
def confirmed(scored, tmp_path_factory):
    """Alice and Bob confirm the whole run, each changing some levels.

    Alice: every ``clarte`` row is « Bon » (one level only), the first row of each of the
    first 4 conversations gets another level, the first ``na`` proposal becomes « Bon ».
    Bob: the second row of each conversation gets another level.
    """
    tables, grid = scored
    forms = tables.forms
    labels = level_labels(grid)
    folder = tmp_path_factory.mktemp("agreement")
    blank = folder / "forms.xlsx"
    write_workbook(forms, blank, grid=grid, run_id="run-1")

    def other(level):
        return labels["bon"] if level != "bon" else labels["exceptionnel"]

    alice = {i + 2: labels["bon"] for i in forms.index[forms["criterion"] == "clarte"]}
    firsts = forms.index[~forms["conversation_id"].duplicated()]
    alice.update({i + 2: other(forms["level"][i]) for i in firsts[:4]})
    first_na = forms.index[(forms["level"] == NA) & (forms["criterion"] != "clarte")][0]
    alice[first_na + 2] = labels["bon"]
    bob = {i + 3: other(forms["level"][i + 1]) for i in firsts}
    one = read_confirmations(fill(blank, folder / "alice.xlsx", alice), evaluator="Alice")
    two = read_confirmations(fill(blank, folder / "bob.xlsx", bob), evaluator="Bob")
    return one, two, forms.loc[first_na, "criterion"]


@pytest.fixture(scope="module")
def report(scored, confirmed):
    tables, grid = scored
    return agreement(tables.forms, confirmed[0], grid)


def pairs_by_hand(forms, table):
    joined = table.merge(forms[["conversation_id", "criterion", "level"]],
                         on=["conversation_id", "criterion"], suffixes=("_human", "_machine"))
    return joined[["criterion", "conversation_id", "level_machine", "level_human"]]


def test_agreement_kappa_equals_sklearn_on_the_same_pairs(scored, confirmed, report):
    tables, grid = scored
    pairs = pairs_by_hand(tables.forms, confirmed[0].table)
    stats = report.to_frame().set_index("criterion")
    assert list(stats.index) == list(grid.criteria)
    compared = 0
    for criterion, group in pairs.groupby("criterion"):
        graded = group[(group["level_machine"] != NA) & (group["level_human"] != NA)]
        assert stats.loc[criterion, "graded"] == len(graded)
        assert stats.loc[criterion, "exact"] == pytest.approx(
            (graded["level_machine"] == graded["level_human"]).mean())
        if graded["level_machine"].nunique() < 2 or graded["level_human"].nunique() < 2:
            assert math.isnan(stats.loc[criterion, "kappa"])
            continue
        expected = cohen_kappa_score(graded["level_machine"], graded["level_human"],
                                     labels=list(grid.levels.order), weights="quadratic")
        assert stats.loc[criterion, "kappa"] == pytest.approx(expected)
        compared += 1
    assert compared >= 1


def test_agreement_confusion_matrix_counts(scored, confirmed, report):
    tables, grid = scored
    pairs = pairs_by_hand(tables.forms, confirmed[0].table)
    order = list(grid.levels.order)
    for criterion, group in pairs.groupby("criterion"):
        matrix = report.confusion(criterion)
        assert list(matrix.index) == order and list(matrix.columns) == order
        assert (matrix.index.name, matrix.columns.name) == ("machine", "evaluator")
        by_hand = (pd.crosstab(group["level_machine"], group["level_human"])
                   .reindex(index=order, columns=order, fill_value=0))
        assert (matrix.to_numpy() == by_hand.to_numpy()).all()
        assert matrix.to_numpy().sum() == report.to_frame().set_index("criterion").loc[
            criterion, "graded"]
    # the first row of fr-0001 moved away from the machine's level
    first = tables.forms.iloc[0]
    human = confirmed[0].table.set_index(["conversation_id", "criterion"]).loc[
        (first["conversation_id"], first["criterion"]), "level"]
    assert human != first["level"]
    if NA not in (human, first["level"]):
        assert report.confusion(first["criterion"]).loc[first["level"], human] >= 1


def test_agreement_reports_na_apart(scored, confirmed, report):
    tables, _ = scored
    _, _, criterion = confirmed
    pairs = pairs_by_hand(tables.forms, confirmed[0].table)
    stats = report.to_frame().set_index("criterion")
    for name, group in pairs.groupby("criterion"):
        either = (group["level_machine"] == NA) | (group["level_human"] == NA)
        both = (group["level_machine"] == NA) & (group["level_human"] == NA)
        assert stats.loc[name, "na_pairs"] == either.sum()
        assert stats.loc[name, "na_both"] == both.sum()
        assert stats.loc[name, "pairs"] == len(group)
        assert stats.loc[name, "graded"] + either.sum() == len(group)
    # Alice said « Bon » where the machine said na once on this criterion
    row = stats.loc[criterion]
    assert row["na_both"] == row["na_pairs"] - 1
    assert row["na_agreement"] == pytest.approx(row["na_both"] / row["na_pairs"])
    with_na = report.confusion(criterion, include_na=True)
    assert with_na.loc[NA, "bon"] == 1 and list(with_na.index)[-1] == NA
    assert with_na.loc[NA, NA] == row["na_both"]


def test_agreement_one_level_only_gives_nan_kappa_and_a_note(report):
    stats = report.to_frame().set_index("criterion")
    clarte = stats.loc["clarte"]
    assert math.isnan(clarte["kappa"]) and math.isnan(clarte["kappa_low"])
    assert math.isnan(clarte["kappa_high"])
    # Alice confirmed every clarte row as « Bon », whatever the machine proposed
    assert "the evaluators gave one level only (Bon) on the 10 graded" in clarte["note"]
    assert not math.isnan(clarte["exact"])
    defined = stats[stats["kappa"].notna()]
    assert len(defined) >= 1
    assert defined["note"].str.fullmatch(r"(interval from \d+ of 1000 resamples .*)?").all()


def test_agreement_bootstrap_interval_is_fixed_by_the_seed(scored, confirmed, report):
    tables, grid = scored
    stats = report.to_frame()
    defined = stats[stats["kappa"].notna()]
    assert (defined["kappa_low"] <= defined["kappa_high"]).all()
    assert defined["kappa_low"].between(-1, 1).all() and defined["kappa_high"].between(-1, 1).all()
    again = agreement(tables.forms, confirmed[0], grid)
    assert_frame_equal(again.to_frame(), stats)
    fewer = agreement(tables.forms, confirmed[0], grid, n_boot=0).to_frame()
    assert fewer["kappa_low"].isna().all()
    assert_frame_equal(fewer[["kappa", "exact"]], stats[["kappa", "exact"]])


def test_weighted_kappa_is_sklearns_formula(report, scored):
    _, grid = scored
    order = list(grid.levels.order)
    pairs = report.pairs[(report.pairs["level_a"] != NA) & (report.pairs["level_b"] != NA)]
    matrix = pd.crosstab(pairs["level_a"], pairs["level_b"]).reindex(
        index=order, columns=order, fill_value=0).to_numpy()
    expected = cohen_kappa_score(pairs["level_a"], pairs["level_b"], labels=order,
                                 weights="quadratic")
    assert weighted_kappa(matrix) == pytest.approx(expected)
    stacked = weighted_kappa(np.stack([matrix, np.diag([3, 0, 0])]))   # one level: 0/0
    assert stacked[0] == pytest.approx(expected) and math.isnan(stacked[1])


def test_agreement_pairs_every_evaluator_with_the_machine(scored, confirmed):
    tables, grid = scored
    both = confirmed[0].merge(confirmed[1])
    stats = agreement(tables.forms, both, grid, n_boot=50).to_frame().set_index("criterion")
    single = agreement(tables.forms, confirmed[0], grid, n_boot=50).to_frame().set_index(
        "criterion")
    assert (stats["pairs"] == 2 * single["pairs"]).all()
    table = agreement(tables.forms, both.table, grid, n_boot=50).to_frame()
    assert_frame_equal(table.set_index("criterion"), stats)


def test_evaluator_agreement_between_two_evaluators(scored, confirmed):
    _, grid = scored
    alice, bob, _ = confirmed
    calibration = evaluator_agreement(alice.merge(bob), grid, n_boot=100)
    stats = calibration.to_frame()
    assert set(zip(stats["rater_a"], stats["rater_b"], strict=True)) == {("Alice", "Bob")}
    joined = alice.table.merge(bob.table, on=["conversation_id", "criterion"],
                               suffixes=("_a", "_b"))
    for row in stats.itertuples():
        group = joined[joined["criterion"] == row.criterion]
        graded = group[(group["level_a"] != NA) & (group["level_b"] != NA)]
        assert row.pairs == len(group) and row.graded == len(graded)
        if not math.isnan(row.kappa):
            assert row.kappa == pytest.approx(cohen_kappa_score(
                graded["level_a"], graded["level_b"], labels=list(grid.levels.order),
                weights="quadratic"))
        matrix = calibration.confusion(row.criterion, pair=("Bob", "Alice"))
        assert matrix.to_numpy().sum() == row.graded
        assert (matrix.index.name, matrix.columns.name) == ("evaluator_a", "evaluator_b")
    assert evaluator_agreement(alice, grid).to_frame().empty


def test_agreement_markdown_is_a_plain_table(report, scored):
    _, grid = scored
    text = report.to_markdown()
    lines = text.splitlines()
    assert len(lines) == 2 + len(grid.criteria)
    assert lines[0].startswith("| criterion") and "kappa" in lines[0] and "na pairs" in lines[0]
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
    assert any("clarte" in line and "one level only" in line for line in lines)


def test_agreement_plot_writes_a_png(report, tmp_path):
    path = report.plot(tmp_path / "agreement.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_agreement_plot_names_the_missing_package(report, tmp_path, monkeypatch):
    # None in sys.modules is how Python blocks an import: `import matplotlib` then fails
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ConfigError, match=r"\[E317\].*pip install matplotlib"):
        report.plot(tmp_path / "agreement.png")
    assert not (tmp_path / "agreement.png").exists()


def test_agreement_refuses_bad_input(scored, confirmed, report):
    tables, grid = scored
    with pytest.raises(ConfigError, match=r"\[E316\].*'politesse'"):
        report.confusion("politesse")
    other = grid.model_copy(update={"sha256": "0" * 64})
    with pytest.raises(ConfigError, match=r"\[E309\]"):
        agreement(tables.forms, confirmed[0], other)
    table = confirmed[0].table.copy()
    with pytest.raises(ConfigError, match=r"\[E319\].*\['evaluator'\]"):
        agreement(tables.forms, table.drop(columns="evaluator"), grid)
    table["level"] = table["level"].astype("object")
    table.loc[0, "level"] = "Bon"          # a label: tables hold ids
    with pytest.raises(ConfigError, match=r"\[E319\].*\['Bon'\]"):
        agreement(tables.forms, table, grid)
