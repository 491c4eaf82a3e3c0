"""Rule ``model``: a grid criterion whose level is a fitted roll-up model's prediction.

The model is fitted on a real scored run (``examples/chats_fr.jsonl`` with ``fr_chat``), on
confirmations made from the run's own forms with some levels moved, saved as ``chatqa
fit-rollup`` saves it, and named by a child grid of ``fr_chat`` that switches ``empathie`` to
``rule = "model"``.
"""

from __future__ import annotations

import math
import os
import re
import shutil

import joblib
import pandas as pd
import pytest
from conftest import EXAMPLES

import chatqa
from chatqa.errors import GridError
from chatqa.evaluation.grid import GRIDS_DIR, load_grid
from chatqa.evaluation.rollup import fit_rollup, grid_rule
from chatqa.evaluation.rules import propose_form_levels
from chatqa.model import Finding

ARCHIVE = EXAMPLES / "chats_fr.jsonl"
ORDER = ["a_ameliorer", "bon", "exceptionnel"]
#: empathie's metrics in fr_chat, and the count of its empathy markers
FEATURES = ("empathy_answered_ratio", "unprompted_empathy_markers", "empathy_opportunities",
            "findings:marker.empathy")
SWITCH = '[criteria.empathie]\nrule = "model"\nmodel = "{model}"\nmetrics = []\n'
#: the two lines of docs/rollup.md that switch fr_chat's clarte to the model shipped with chatqa
SHIPPED = '[criteria.clarte]\nrule = "model"\nmodel = "chatqa:models/fr_chat/clarte.joblib"\n'


@pytest.fixture(scope="module")
def run():
    """``examples/chats_fr.jsonl`` scored with fr_chat (the tables, in memory)."""
    return chatqa.Pipeline.from_grid("fr_chat").score_archive(ARCHIVE)


def confirmations_from(forms, criterion="empathie"):
    """The run's own levels of ``criterion`` as confirmations, some moved a level.

    Of its non-na levels, the 2nd of every 4 moves up a level and the 4th down (within the
    scale); na stays na (left out of the fit, counted).
    """
    rows = forms.loc[forms["criterion"] == criterion, ["conversation_id", "level"]].astype(str)
    out, rank = [], 0
    for cid, level in rows.itertuples(index=False):
        if level != "na":
            step = {1: 1, 3: -1}.get(rank % 4, 0)
            level = ORDER[min(max(ORDER.index(level) + step, 0), len(ORDER) - 1)]
            rank += 1
        out.append({"conversation_id": cid, "criterion": criterion, "level": level,
                    "evaluator": "ana"})
    return pd.DataFrame(out)


def fit(run, features=FEATURES):
    return fit_rollup(run.conversations, confirmations_from(run.forms), "fr_chat",
                      criteria=["empathie"], features={"empathie": list(features)}, cv=2,
                      min_rows=4, findings=run.findings)


@pytest.fixture(scope="module")
def saved(run, tmp_path_factory):
    """The fitted models and the folder holding ``models/fr_chat/empathie.joblib``."""
    base = tmp_path_factory.mktemp("model_rule")
    models = fit(run)
    models.save(base / "models")
    return base, models


@pytest.fixture(scope="module")
def child(saved):
    """A child grid of fr_chat beside ``models/``, with empathie switched to the model."""
    base, _ = saved
    path = base / "child.toml"
    path.write_text('[grid]\nextends = "fr_chat"\n\n'
                    + SWITCH.format(model="models/fr_chat/empathie.joblib"), "utf-8")
    return path


@pytest.fixture(scope="module")
def child_run(child):
    return chatqa.Pipeline.from_grid(child).score_archive(ARCHIVE)


def write_grid(folder, body, grid_keys=""):
    """A child grid of fr_chat (the packaged file, by its absolute path) in ``folder``."""
    path = folder / "grid.toml"
    path.write_text(f"[grid]\nextends = '{GRIDS_DIR / 'fr_chat.toml'}'\n{grid_keys}\n{body}",
                    "utf-8")
    return path


def model_file(saved):
    base, _ = saved
    return base / "models" / "fr_chat" / "empathie.joblib"


# -- the level, the confidence, the na path ----------------------------------------------------


def test_model_rule_fits_a_model_of_moved_levels(saved, run):
    _, models = saved
    model = models.models["empathie"]
    confirmed = confirmations_from(run.forms)
    levels = confirmed.loc[confirmed["level"] != "na", "level"]
    # the moved levels make the model's classes: more than the rule's single 'bon'
    assert set(run.forms.loc[run.forms["criterion"] == "empathie", "level"]) - {"na"} == {"bon"}
    assert model.estimator.classes_.tolist() == [lvl for lvl in ORDER if lvl in set(levels)]
    assert len(model.estimator.classes_) >= 2
    assert model.features == FEATURES
    assert model.na_rows == int((confirmed["level"] == "na").sum())


def test_model_rule_fills_the_form_with_the_models_level(saved, run, child, child_run):
    _, models = saved
    expected = models.predict(run.conversations, run.findings).set_index("conversation_id")
    forms = child_run.forms
    empathie = forms[forms["criterion"] == "empathie"].set_index("conversation_id")
    assert len(empathie) == len(run.conversations) == 10
    by_model = empathie[empathie["rule"] == "model"]
    assert len(by_model) >= 1
    for cid, row in empathie.iterrows():
        want = expected.loc[cid]
        assert row["level"] == want["level"], cid
        if want["level"] == "na":
            # applicable_if first: na with the grid's reason, the rule's confidence
            assert row["reason"] == want["reason"]
            assert (row["confidence"], row["confidence_kind"]) == (1.0, "heuristic")
            continue
        assert row["rule"] == "model"
        assert row["confidence_kind"] == "model"
        # the model's max probability, as RollupModels.predict gives it for the run's table
        assert row["confidence"] == round(want["confidence"], 2)
        assert 1 / len(models.models["empathie"].estimator.classes_) <= row["confidence"] <= 1
        assert row["reason"].startswith(f"{row['level']} by model empathie.joblib (P: ")
        assert "unprompted_empathy_markers=" in row["evidence"]
        assert row["justification"]
    # the other criteria are fr_chat's
    others = forms[forms["criterion"] != "empathie"].reset_index(drop=True)
    same = run.forms[run.forms["criterion"] != "empathie"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others[["conversation_id", "criterion", "level", "confidence",
                                          "rule"]],
                                  same[["conversation_id", "criterion", "level", "confidence",
                                        "rule"]])


def test_model_rule_does_not_need_the_grids_sha256(saved, child):
    # `rule = "model"` changed the grid's sha256; the model is accepted all the same
    payload = joblib.load(model_file(saved))
    grid = load_grid(child)
    assert payload["grid_sha256"] == load_grid("fr_chat").sha256 != grid.sha256
    assert grid.criteria["empathie"].rule == "model"
    assert grid.criteria["empathie"].metrics == ()


def test_model_rule_counts_findings_and_gives_evidence(saved, child):
    grid = load_grid(child)
    metrics = {"empathy_answered_ratio": 1.0, "unprompted_empathy_markers": 2.0,
               "empathy_opportunities": 1.0}
    marker = Finding("markers", "marker.empathy", message_index=3, start=0, end=4, text="Oups")
    other = Finding("markers", "marker.courtesy", message_index=1, start=0, end=5, text="Merci")
    proposal = propose_form_levels(grid, metrics, [marker, marker, other])["empathie"]
    estimator = saved[1].models["empathie"].estimator
    row = pd.DataFrame([[1.0, 2.0, 1.0, 2.0]], columns=list(FEATURES))
    proba = estimator.predict_proba(row)[0]
    assert proposal.level == estimator.classes_[proba.argmax()]
    assert proposal.confidence == round(proba.max(), 2)
    assert proposal.confidence_kind == "model" and proposal.rule == "model"
    assert [str(e) for e in proposal.evidence] == [
        "empathy_answered_ratio=1", "unprompted_empathy_markers=2", "empathy_opportunities=1",
        "marker.empathy@3", "marker.empathy@3",
    ]


@pytest.mark.parametrize(
    "metrics, level_expected",
    [
        ({"n_messages": 5.0}, False),                                        # nothing measured
        ({"n_messages": 5.0, "unprompted_empathy_markers": 2.0}, True),      # two imputed
    ],
)
def test_model_rule_imputes_a_missing_metric_but_not_all(saved, tmp_path, metrics,
                                                          level_expected):
    # applicable_if on a count of messages only, so the model's features may all be missing
    body = SWITCH.format(model=model_file(saved)) + (
        'applicable_if = { metric = "n_messages", min = 1 }\n')
    grid = load_grid(write_grid(tmp_path, body))
    proposal = propose_form_levels(grid, metrics, [])["empathie"]
    if not level_expected:
        assert proposal.level == "na" and proposal.rule == "model"
        assert proposal.reason == ("no value for empathy_answered_ratio, "
                                   "unprompted_empathy_markers, empathy_opportunities: nothing "
                                   "for model empathie.joblib to read")
        return
    estimator = saved[1].models["empathie"].estimator
    row = pd.DataFrame([[math.nan, 2.0, math.nan, 0.0]], columns=list(FEATURES))
    proba = estimator.predict_proba(row)[0]   # the model's imputer fills the NaN
    assert proposal.level == estimator.classes_[proba.argmax()]
    assert proposal.confidence == round(proba.max(), 2)
    assert proposal.reason.endswith(
        "; imputed (no value): empathy_answered_ratio, empathy_opportunities")


def test_model_rule_applies_applicable_if_first(child):
    grid = load_grid(child)
    proposal = propose_form_levels(
        grid, {"empathy_opportunities": 0.0, "unprompted_empathy_markers": 0.0}, [])["empathie"]
    assert proposal.level == "na" and proposal.confidence == 1.0
    assert proposal.reason == grid.criteria["empathie"].applicable_if.reason


def test_model_rule_loads_a_file_once_per_version(saved, tmp_path, monkeypatch):
    loads = []
    read = grid_rule.read_payload
    monkeypatch.setattr(grid_rule, "read_payload", lambda path: loads.append(path) or read(path))
    monkeypatch.setattr(grid_rule, "_PAYLOADS", {})
    monkeypatch.setattr(grid_rule, "_CHECKED", {})
    copy = tmp_path / "empathie.joblib"
    shutil.copy(model_file(saved), copy)
    path = write_grid(tmp_path, SWITCH.format(model="empathie.joblib") + SHIPPED)
    metrics = {"unprompted_empathy_markers": 1.0, "empathy_opportunities": 0.0}
    for _ in range(2):
        grid = load_grid(path)                       # checked at load
        for _ in range(3):
            propose_form_levels(grid, metrics, [])    # and used
    # (the clarte model shipped with chatqa, which the grid switches to, loads once too)
    assert [p for p in loads if p == copy] == [copy]
    assert len(loads) == 2
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))   # a new version
    propose_form_levels(grid, metrics, [])
    assert [p for p in loads if p == copy] == [copy, copy]
    assert len([k for k in grid_rule._PAYLOADS if str(copy) in str(k)]) == 1   # old one gone


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, grid_keys, location, match",
    [
        ('[criteria.empathie]\nrule = "model"\nmetrics = []\n', "",
         "criteria -> empathie -> model", r"rule 'model' needs model = "),
        ('[criteria.delais_reponse]\nmodel = "m.joblib"\n', "",
         "criteria -> delais_reponse -> model", r"only rule 'model' reads 'model'; this "
                                                r"criterion's rule is 'thresholds'"),
        ('[criteria.empathie]\nrule = "model"\nmodel = "m.joblib"\nmetrics = []\n'
         "bands = { bon = [0, 1] }\n", "",
         "criteria -> empathie -> bands", r"reads no `bands` .*remove them"),
    ],
)
def test_model_rule_schema_refuses(tmp_path, body, grid_keys, location, match):
    with pytest.raises(GridError, match=r"\[E302\]") as info:
        load_grid(write_grid(tmp_path, body, grid_keys))
    assert info.value.location == location
    assert re.search(match, str(info.value)), str(info.value)


#: (name, the grid's body or how to make it, [grid] keys, error code, message pattern)
REFUSALS = [
    ("missing file", lambda base, model: SWITCH.format(model=base / "nope.joblib"), "",
     "E321", r"cannot load its model '.*nope\.joblib': no such file"),
    ("not a pickle", "garbage", "", "E321", r"it cannot be read \("),
    ("another pickle", "dict", "", "E321",
     r"it is not a chatqa roll-up model of format 1 \(found None\)"),
    ("another criterion",
     lambda base, model: f'[criteria.clarte]\nrule = "model"\nmodel = "{model}"\n'
                         "metrics = []\n", "",
     "E322", r"Criterion 'clarte' .*was fitted for criterion 'empathie', not for 'clarte'"),
    ("another grid name", "renamed", "", "E322",
     r"was fitted for grid 'en_support', not for grid 'fr_chat' \(nor for a grid it "
     r"extends: \['fr_chat'\]\)"),
    ("another scale",
     lambda base, model: SWITCH.format(model=model)
     + '[criteria.empathie.scale]\norder = ["no", "yes"]\n', "", "E322",
     r"proposes the levels \[.*\], not levels of criterion 'empathie''s scale "
     r"\['no', 'yes'\]"),
    ("macros left out",
     lambda base, model: SWITCH.format(model=model) + "exclude_macros = true\n", "",
     "E322", r"counts findings \['marker.empathy'\] in every message.*exclude_macros"),
]


@pytest.mark.parametrize(("make", "grid_keys", "code", "match"),
                         [pytest.param(*case[1:], id=case[0]) for case in REFUSALS])
def test_model_rule_refuses_at_grid_load(saved, tmp_path, make, grid_keys, code, match):
    model = model_file(saved)
    if make == "garbage":
        model = tmp_path / "garbage.joblib"
        model.write_bytes(b"not a pickle at all")
    elif make == "dict":
        model = tmp_path / "dict.joblib"
        joblib.dump({"criterion": "empathie"}, model)
    elif make == "renamed":    # fitted for a grid that is neither this one nor its parent
        payload = joblib.load(model)
        model = tmp_path / "renamed.joblib"
        joblib.dump({**payload, "grid": "en_support"}, model)
    body = (SWITCH.format(model=model) if isinstance(make, str) else make(tmp_path, model))
    with pytest.raises(GridError, match=rf"\[{code}\]") as info:
        load_grid(write_grid(tmp_path, body, grid_keys))
    message = str(info.value)
    assert re.search(match, message), message
    assert info.value.location.endswith("-> model")
    assert ".joblib'" in message    # the file is named


@pytest.mark.parametrize(
    "extra, match",
    [
        # a column of the run's table that no analyzer declares: the form's own score
        ("overall_score", r"reads \['overall_score'\], which the grid's analyzers do not "
                          r"give \(declared metrics: \["),
        ("findings:nope.*", r"reads \['findings:nope\.\*'\], which the grid's analyzers do "
                            r"not give \(codes emitted: \["),
    ],
)
def test_model_rule_refuses_features_the_analyzers_do_not_give(run, tmp_path, extra, match):
    models = fit(run, FEATURES + (extra,))
    models.save(tmp_path / "models")
    model = tmp_path / "models" / "fr_chat" / "empathie.joblib"
    path = write_grid(tmp_path, SWITCH.format(model=model))
    load_grid(path)   # the grid alone cannot tell: its analyzers are built with the pipeline
    where = re.escape(f"'fr_chat' ('{path}'): the model '{model}' ")
    with pytest.raises(GridError, match=rf"\[E323\] Criterion 'empathie' of grid {where}"
                                        + match):
        chatqa.Pipeline.from_grid(path)


@pytest.mark.parametrize("criterion", ["empathie", "deontologie"])
def test_model_rule_a_child_switching_the_rule_drops_the_parents_rule_settings(tmp_path,
                                                                              criterion):
    # thresholds (empathie: metric bands) and weighted_score (deontologie: weights, bands,
    # soft_margin) both switch to `model` without clearing anything: the schema accepts the
    # child, and what fails is only the model file that is not there
    body = f'[criteria.{criterion}]\nrule = "model"\nmodel = "m.joblib"\n'
    with pytest.raises(GridError, match=r"\[E321\].*no such file"):
        load_grid(write_grid(tmp_path, body, ""))


def test_model_rule_a_grid_extending_the_models_grid_uses_it(saved, tmp_path):
    # a client's grid named otherwise, extending fr_chat, takes fr_chat's models: its own
    # empathie model and the clarte model shipped with chatqa
    grid = load_grid(write_grid(tmp_path, SWITCH.format(model=model_file(saved)) + SHIPPED,
                                'name = "client_x"'))
    assert grid.name == "client_x" and grid.grid.lineage == ("fr_chat",)
    assert grid.criteria["empathie"].rule == grid.criteria["clarte"].rule == "model"



def test_model_rule_the_shipped_clarte_model_is_two_lines_away(tmp_path):
    # fr_chat proposes clarte by its thresholds; the documented child grid by the model
    assert load_grid("fr_chat").criteria["clarte"].rule == "thresholds"
    grid = load_grid(write_grid(tmp_path, SHIPPED, ""))
    metrics = {"clarity_issues_per_100_words": 0.0, "sentence_words_mean": 12.0,
               "lix_score": 30.0, "own_words": 80.0, "grammar_errors_per_100_words": 2.5}
    proposal = propose_form_levels(grid, metrics, [])["clarte"]
    assert proposal.rule == "model" and proposal.confidence_kind == "model"
    assert proposal.level in ORDER and 1 / 3 <= proposal.confidence <= 1
    # fr_chat's rule on the same metrics: two grammar errors in 80 own words cap it at « bon »
    rule = propose_form_levels(load_grid("fr_chat"), metrics, [])["clarte"]
    assert (rule.rule, rule.level) == ("thresholds", "bon")
