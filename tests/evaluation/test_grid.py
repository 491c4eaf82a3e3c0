from __future__ import annotations

import math

import pytest

from chatqa.errors import GridError
from chatqa.evaluation.grid import load_grid, packaged_grids
from chatqa.evaluation.rules import propose_form_levels

FR_CRITERIA = [
    "orthographe_grammaire", "richesse_vocabulaire", "clarte", "courtoisie_chaleur",
    "empathie", "directivite", "delais_reponse", "relances",
]


def test_grid_fr_chat_has_the_criteria_in_order():
    grid = load_grid("fr_chat")
    assert list(grid.criteria) == FR_CRITERIA
    assert grid.levels.order == ("a_ameliorer", "bon", "exceptionnel")
    assert len(grid.sha256) == 64


@pytest.mark.parametrize("name", ["fr_chat"])
def test_grid_packaged_names_listed(name):
    assert name in packaged_grids()


def test_grid_unknown_name_lists_packaged_grids():
    with pytest.raises(GridError, match=r"\[E301\].*'nope'.*fr_chat"):
        load_grid("nope")


@pytest.mark.parametrize(
    "body, location",
    [
        ("[grid]\nname='x'\n[levels]\norder=['a','b']\n[criteria.c]\nrule='na'\nfoo=1\n",
         "criteria -> c -> foo"),
        ("[grid]\nname='x'\n[levels]\norder=['a','na']\n[criteria]\n", "levels"),
        ("[grid]\nname='x'\n[levels]\norder=['a','b']\n[criteria.c]\nrule='thresholds'\n"
         "[[criteria.c.metrics]]\nname='m'\nbands={z=[0,1]}\n", "unknown level"),
        ("[grid]\nname='x'\n[levels]\norder=['a','b']\n[criteria.c]\nrule='thresholds'\n"
         "[[criteria.c.metrics]]\nname='m'\nbands={a=[5,1]}\n", "lower < upper"),
    ],
)
def test_grid_invalid_file_names_the_place(tmp_path, body, location):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(GridError, match=r"\[E302\]") as info:
        load_grid(path)
    assert location in str(info.value)


@pytest.mark.parametrize(
    "metrics, level, confidence",
    [
        # first 20 s -> exceptionnel (edge 30, margin max(1, 3)=3, 10 s away -> 1.0);
        # mean 40 s -> exceptionnel (edge 45, margin 4.5, 5 s away -> 1.0); no broken hold.
        ({"first_response_s": 20.0, "mean_response_time_s": 40.0, "holds_broken": 0.0},
         "exceptionnel", 1.0),
        # mean 50 s -> bon, worst wins; 50 is 5 s from edge 45 (margin 4.5) -> 1.0;
        # first 29 s is 1 s from edge 30 (margin 3) -> 0.5 + 0.5 * 1/3 = 0.67
        ({"first_response_s": 29.0, "mean_response_time_s": 50.0, "holds_broken": 0.0},
         "bon", 0.67),
        # one broken hold -> a_ameliorer whatever the times; a count (soft_margin = 0): sure
        ({"first_response_s": 5.0, "mean_response_time_s": 5.0, "holds_broken": 1.0},
         "a_ameliorer", 1.0),
        # no answer at all: every metric NaN -> na
        ({"first_response_s": math.nan, "mean_response_time_s": math.nan,
          "holds_broken": math.nan}, "na", 1.0),
    ],
)
def test_rules_thresholds_worst_level_and_confidence(metrics, level, confidence):
    grid = load_grid("fr_chat")
    proposal = propose_form_levels(grid, metrics, [])["delais_reponse"]
    assert proposal.level == level
    assert proposal.confidence == pytest.approx(confidence, abs=0.01)


@pytest.mark.parametrize(
    "opportunities, missed, level",
    [(0.0, 0.0, "na"), (2.0, 0.0, "bon"), (2.0, 1.0, "a_ameliorer")],
)
def test_rules_relances_applicable_only_after_a_silence(opportunities, missed, level):
    grid = load_grid("fr_chat")
    metrics = {"relaunch_opportunities": opportunities, "missed_relaunches": missed}
    proposal = propose_form_levels(grid, metrics, [])["relances"]
    assert proposal.level == level and proposal.confidence == 1.0
    if level == "na":
        assert "silent" in proposal.reason


def test_rules_criteria_without_analyzer_are_na_with_reason():
    grid = load_grid("fr_chat")
    proposals = propose_form_levels(grid, {}, [])
    assert proposals["empathie"].level == "na"
    assert proposals["empathie"].reason == "no analyzer yet"
