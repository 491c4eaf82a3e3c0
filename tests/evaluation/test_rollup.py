"""Learned roll-up: the ordinal classifier's contract, fitting on confirmed forms, save/load."""

from __future__ import annotations

import argparse
import json
import math

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLES
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.estimator_checks import estimator_checks_generator

from chatqa.errors import ConfigError
from chatqa.evaluation.grid import GRIDS_DIR, load_grid
from chatqa.evaluation.rollup import (
    OrdinalClassifier,
    RollupModels,
    add_fit_rollup_arguments,
    cv_table,
    expected_calibration_error,
    finding_features,
    fit_rollup,
    fit_rollup_command,
    read_confirmations,
)
from chatqa.evaluation.rollup.features import feature_frame

LEVELS = ["a_ameliorer", "bon", "exceptionnel"]


# -- the estimator contract ------------------------------------------------------------------


def _sklearn_checks():
    """sklearn's estimator checks (``parametrize_with_checks``' list), less the array-API ones.

    The estimator claims no array API support, and those checks skip themselves unless
    SCIPY_ARRAY_API is set: they would show as skipped tests, not as anything we claim.
    """
    out = []
    for estimator in (OrdinalClassifier(),
                      OrdinalClassifier(C=0.5, class_weight="balanced", max_iter=200)):
        for est, check in estimator_checks_generator(estimator, legacy=True):
            name = getattr(check, "func", check).__name__
            if "array_api" not in name:
                out.append(pytest.param(est, check, id=f"{est!r}-{name}"))
    return out


@pytest.mark.parametrize(("estimator", "check"), _sklearn_checks())
def test_rollup_ordinal_classifier_passes_sklearn_checks(estimator, check):
    # every check runs; none is expected to fail
    check(estimator)


def monotone_data(n=300, seed=0):
    """Levels cut from a noisy latent that rises with feature 0; features 1-2 are noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    latent = X[:, 0] + 0.3 * rng.normal(size=n)
    y = np.array(["low", "mid", "high"], dtype=object)[np.digitize(latent, [-0.5, 0.5])]
    return X, y


def cv_kappa(estimator, X, y, labels):
    predicted = np.empty(len(y), dtype=object)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        predicted[test] = estimator.fit(X[train], y[train]).predict(X[test])
    return cohen_kappa_score(y, predicted, labels=labels, weights="quadratic")


def test_rollup_ordinal_classifier_learns_a_monotone_signal():
    X, y = monotone_data()
    order = ["low", "mid", "high"]
    kappa = cv_kappa(OrdinalClassifier(classes=order), X, y, order)
    assert kappa > 0.85
    # the order matters: sorted labels put "mid" last, so "y > low" splits the middle band
    # from both ends, which one linear threshold cannot do
    alphabetical = cv_kappa(OrdinalClassifier(), X, y, order)
    assert alphabetical < kappa - 0.1


def test_rollup_ordinal_classifier_probabilities_are_valid():
    X, y = monotone_data()
    model = OrdinalClassifier(classes=["low", "mid", "high"]).fit(X, y)
    assert model.classes_.tolist() == ["low", "mid", "high"]
    # far outside the training range too, where independent thresholds may cross
    for Z in (X, X * 50, np.full((3, 3), np.nan)):
        proba = model.predict_proba(Z)
        assert proba.shape == (len(Z), 3)
        assert (proba >= 0).all() and (proba <= 1).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        # P(y > k) read back from the probabilities never rises with k
        above = 1 - np.cumsum(proba, axis=1)[:, :-1]
        assert (np.diff(above, axis=1) <= 1e-12).all()
    # more of feature 0, a higher level: P(high) rises along it
    line = np.column_stack([np.linspace(-3, 3, 7), np.zeros(7), np.zeros(7)])
    assert (np.diff(model.predict_proba(line)[:, 2]) > 0).all()


def test_rollup_ordinal_classifier_clips_crossing_thresholds_and_renormalises():
    X, y = monotone_data(60)
    model = OrdinalClassifier(classes=["low", "mid", "high"]).fit(X, y)
    # crossed thresholds: P(y > low) = 0.3 below P(y > mid) = 0.6
    model.estimators_ = [0.3, 0.6]
    # differences: low 1 - 0.3 = 0.7, mid 0.3 - 0.6 = -0.3 -> 0, high 0.6 - 0 = 0.6;
    # renormalised by 0.7 + 0 + 0.6 = 1.3: [0.7/1.3, 0, 0.6/1.3] = [0.5385, 0, 0.4615]
    np.testing.assert_allclose(model.predict_proba(X[:1]), [[0.7 / 1.3, 0.0, 0.6 / 1.3]])
    assert model.predict(X[:1]).tolist() == ["low"]


def test_rollup_ordinal_classifier_level_missing_at_an_end_gets_no_probability():
    X, y = monotone_data()
    keep = y != "high"
    model = OrdinalClassifier(classes=["low", "mid", "high"]).fit(X[keep], y[keep])
    # the threshold "y > mid" no training row crosses is the constant 0
    assert model.estimators_[1] == 0.0
    assert (model.predict_proba(X)[:, 2] == 0).all()


@pytest.mark.parametrize(
    "params, y, match",
    [
        ({}, ["a"] * 6, r"at least 2 classes.*one class"),
        ({"classes": ["a", "b"]}, ["a", "b", "c"] * 2, r"labels \['c'\] that are not in classes"),
        ({"classes": ["a", "a", "b"]}, ["a", "b"] * 3, r"twice"),
        ({"class_weight": {"z": 2.0}}, ["a", "b"] * 3, r"class_weight names \['z'\]"),
    ],
)
def test_rollup_ordinal_classifier_refuses_bad_labels(params, y, match):
    X = np.arange(12, dtype=float).reshape(6, 2)
    with pytest.raises(ValueError, match=match):
        OrdinalClassifier(**params).fit(X, np.array(y, dtype=object))


def test_rollup_ordinal_classifier_balanced_weights_favour_the_rare_level():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 1))
    # the top level is rare (about 7 %) and overlaps the others
    y = np.where(X[:, 0] + rng.normal(size=400) > 2.2, "high", "low").astype(object)
    plain = OrdinalClassifier(classes=["low", "high"]).fit(X, y).predict(X)
    balanced = OrdinalClassifier(classes=["low", "high"], class_weight="balanced").fit(X, y)
    assert (balanced.predict(X) == "high").sum() > (plain == "high").sum()


def test_rollup_expected_calibration_error_by_hand():
    # bin [0.9, 1.0]: 2 rows, confidence 0.95, accuracy 1/2 -> |0.5 - 0.95| = 0.45, share 0.5
    # bin [0.6, 0.7): 2 rows, confidence 0.6, accuracy 1/2 -> |0.5 - 0.6| = 0.1, share 0.5
    # ECE = 0.5 × 0.45 + 0.5 × 0.1 = 0.275
    ece = expected_calibration_error(np.array([0.95, 0.95, 0.6, 0.6]), np.array([1, 0, 1, 0]))
    assert ece == pytest.approx(0.275)


# -- fitting on confirmations: why a criterion is skipped --------------------------------------


@pytest.fixture(scope="module")
def grid():
    return load_grid("fr_chat")


def fake_conversations(grid, n=12):
    """A conversations table with every metric the grid reads, rising with the row."""
    metrics = sorted({m for c in grid.criteria.values() for m in c.metric_names()})
    data = {m: np.arange(n, dtype=float) * 10 for m in metrics}
    return pd.DataFrame({"conversation_id": [f"c{i:02d}" for i in range(n)], **data})


def confirm(criterion, levels, start=0):
    return pd.DataFrame({
        "conversation_id": [f"c{i:02d}" for i in range(start, start + len(levels))],
        "criterion": criterion, "level": levels,
    })


def test_rollup_fit_says_why_criteria_are_skipped(grid):
    first, second, third, fourth = list(grid.criteria)[:4]
    conversations = fake_conversations(grid)
    confirmations = pd.concat([
        confirm(first, ["bon"] * 12),                                  # one level
        confirm(second, ["na"] * 8 + ["bon", "exceptionnel"] * 2),     # 4 rows < min_rows
        confirm(third, ["na"] * 12),                                   # na only
        confirm(fourth, ["a_ameliorer"] * 6 + ["bon"] * 6),            # fits
    ])
    models = fit_rollup(conversations, confirmations, grid, cv=3, min_rows=6)
    assert list(models.models) == [fourth]
    assert models.skipped[first] == (
        "only level 'bon' confirmed (12 rows): a model needs at least 2 levels"
    )
    assert models.skipped[second] == "4 rows confirmed, 8 na left out, fewer than min_rows=6"
    assert models.skipped[third] == (
        "no level but na confirmed (0 rows, 12 na left out): a model needs at least 2 levels"
    )
    for cid in list(grid.criteria)[4:]:
        assert models.skipped[cid] == "no confirmed level"
    report = models.models[fourth].cv
    # 6 of each level: 3 stratified folds; the levels rise with every metric, so CV is exact
    assert (report.rows, report.folds, report.kappa, report.agreement) == (12, 3, 1.0, 1.0)
    assert report.majority == 0.5


def test_rollup_fit_uses_fewer_folds_or_none_and_says_so(grid):
    cid = next(c for c, crit in grid.criteria.items() if crit.weights is None)
    conversations = fake_conversations(grid)
    fewer = fit_rollup(conversations, confirm(cid, ["bon"] * 9 + ["exceptionnel"] * 3), grid,
                       cv=5, min_rows=6).models[cid].cv
    assert fewer.folds == 3
    assert fewer.note == "3 folds, not 5: level 'exceptionnel' has only 3 confirmed rows"
    none = fit_rollup(conversations, confirm(cid, ["bon"] * 11 + ["exceptionnel"]), grid,
                      cv=5, min_rows=6).models[cid]
    assert none.cv.folds == 0 and math.isnan(none.cv.kappa)
    assert none.cv.note.startswith("not cross-validated: level 'exceptionnel' has a single")
    # the model is still fitted on every row
    assert none.rows == 12 and none.estimator.classes_.tolist() == ["bon", "exceptionnel"]


def test_rollup_fit_says_when_the_rule_counts_findings_the_model_does_not_see(grid):
    cid = next(c for c, crit in grid.criteria.items() if finding_features(grid, c))
    keys = [k.removeprefix("findings:") for k in finding_features(grid, cid)]
    models = fit_rollup(fake_conversations(grid), confirm(cid, ["bon", "exceptionnel"] * 6),
                        grid, cv=2, min_rows=6)
    assert models.models[cid].cv.note == (
        f"the rule also counts findings {keys}, which are not features (pass the findings table)"
    )


def test_rollup_fit_counts_conflicts_and_unmatched_rows(grid):
    cid = next(iter(grid.criteria))
    confirmations = pd.concat([
        confirm(cid, ["bon"] * 6 + ["exceptionnel"] * 6).assign(evaluator="ana"),
        # c00 confirmed again, same level (kept once); c01 with another level (left out)
        pd.DataFrame({"conversation_id": ["c00", "c01", "zz"], "criterion": cid,
                      "level": ["bon", "exceptionnel", "bon"], "evaluator": "ben"}),
    ])
    models = fit_rollup(fake_conversations(grid), confirmations, grid, cv=2, min_rows=6)
    assert models.data.confirmation_rows == 15
    assert models.data.conflicting_pairs == 1
    assert models.data.unmatched_rows == 1
    assert models.data.evaluators == 2
    assert models.models[cid].level_counts == {"a_ameliorer": 0, "bon": 5, "exceptionnel": 6}


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda c: c.drop(columns="level"), r"lack the column\(s\) \['level'\]"),
        (lambda c: c.assign(level="excellent"), r"levels \['excellent'\].*its levels"),
        (lambda c: c.assign(criterion="nope"), r"criteria \['nope'\].*another grid"),
        (lambda c: c.assign(level=""), r"12 confirmation row\(s\) have an empty"),
    ],
)
def test_rollup_fit_refuses_confirmations_that_do_not_fit_the_grid(grid, change, match):
    confirmations = change(confirm(next(iter(grid.criteria)), ["bon", "exceptionnel"] * 6))
    with pytest.raises(ConfigError, match=match):
        fit_rollup(fake_conversations(grid), confirmations, grid, min_rows=6)


def test_rollup_fit_uses_the_criterions_own_scale():
    grid = load_grid("en_support")
    cid = "internal_process"                   # scale: no / yes
    assert grid.scale(cid).order == ("no", "yes")
    conversations = fake_conversations(grid)
    model = fit_rollup(conversations, confirm(cid, ["no"] * 6 + ["yes"] * 6), grid, cv=2,
                       min_rows=6).models[cid]
    assert model.estimator.classes_.tolist() == ["no", "yes"]
    assert model.level_counts == {"no": 6, "yes": 6}
    with pytest.raises(ConfigError, match=r"levels \['good'\] .*'internal_process': its levels "
                                          r"\['no', 'yes', 'na'\]"):
        fit_rollup(conversations, confirm(cid, ["no", "good"] * 6), grid, min_rows=6)


def test_rollup_fit_counts_the_findings_features_name(grid):
    cid = "empathie"                           # a thresholds criterion: no weights
    conversations = fake_conversations(grid)
    findings = pd.DataFrame({
        "conversation_id": ["c00", "c00", "c03", "c03", "c03"],
        # grammar.agreement counts under its code, not under the family beside it
        "code": ["marker.empathy", "grammar.agreement", "grammar.agreement", "grammar.usage",
                 "spelling.word"],
        "severity": ["info", "major", "major", "major", "major"],
    })
    features = ["own_words", "findings:marker.empathy", "findings:grammar.agreement",
                "findings:grammar.*", "findings:major"]
    models = fit_rollup(conversations, confirm(cid, ["bon"] * 6 + ["exceptionnel"] * 6), grid,
                        features={cid: features}, findings=findings, cv=2, min_rows=6)
    model = models.models[cid]
    assert model.features == tuple(features)
    assert model.estimator.feature_names_in_.tolist() == features
    # the counts the model was fitted on: c00 and c03, every other conversation 0
    frame = feature_frame(conversations.set_index("conversation_id"), features, findings, cid)
    assert frame.loc["c00"].tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]
    assert frame.loc["c03"].tolist() == [30.0, 0.0, 1.0, 1.0, 1.0]
    assert frame.drop(index=["c00", "c03"]).iloc[:, 1:].eq(0).all().all()
    with pytest.raises(ConfigError, match=r"no column\(s\) \['findings:marker.empathy', .*pass "
                                          r"findings="):
        fit_rollup(conversations, confirm(cid, ["bon", "exceptionnel"] * 6), grid,
                   features={cid: features}, min_rows=6)


def test_rollup_package_exports_resolve():
    import chatqa.evaluation.rollup as rollup

    for name in rollup.__all__:
        assert getattr(rollup, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rollup.nope  # noqa: B018


def test_rollup_fit_refuses_a_missing_feature_column(grid):
    cid = next(iter(grid.criteria))
    with pytest.raises(ConfigError, match=r"no column\(s\) \['nope_ratio'\]"):
        fit_rollup(fake_conversations(grid), confirm(cid, ["bon", "exceptionnel"] * 6), grid,
                   features=["nope_ratio"], min_rows=6)


# -- a real scored run -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """``examples/chats_fr.jsonl`` scored with fr_chat, read back from its folder."""
    import chatqa
    from chatqa.io.tables import read_tables

    out = tmp_path_factory.mktemp("scored")
    chatqa.Pipeline.from_grid("fr_chat").score_archive(EXAMPLES / "chats_fr.jsonl", out=out)
    return out, read_tables(out)


def confirmations_from(forms, grid):
    """The machine's levels as confirmations, every 4th (non-na) one moved a level.

    Moved down a level, or up from the worst: deterministic, so the fits are reproducible.
    """
    order = list(grid.levels.order)
    rows = []
    for i, row in enumerate(forms[["conversation_id", "criterion", "level"]].astype(str)
                            .itertuples(index=False)):
        level = row.level
        if level != "na" and i % 4 == 0:
            k = order.index(level)
            level = order[k - 1] if k > 0 else order[k + 1]
        rows.append({"conversation_id": row.conversation_id, "criterion": row.criterion,
                     "level": level, "evaluator": f"e{i % 3}"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def fitted(scored, grid):
    _, tables = scored
    confirmations = confirmations_from(tables.forms, grid)
    models = fit_rollup(tables.conversations, confirmations, grid, cv=3, min_rows=6,
                        forms=tables.forms, findings=tables.findings)
    return confirmations, models


def test_rollup_fit_on_a_scored_run(scored, fitted, grid):
    _, tables = scored
    confirmations, models = fitted
    assert models.data.conversations == len(tables.conversations) == 10
    assert set(models.models) | set(models.skipped) == set(grid.criteria)
    fitted_with_cv = 0
    for cid in grid.criteria:
        levels = confirmations.loc[confirmations["criterion"] == cid, "level"]
        counts = levels[levels != "na"].value_counts()
        if len(counts) < 2 or counts.sum() < 6:
            assert cid in models.skipped, cid
            continue
        model = models.models[cid]
        assert model.level_counts == {lvl: int(counts.get(lvl, 0)) for lvl in LEVELS}
        assert model.na_rows == int((levels == "na").sum())
        # the model's levels are the confirmed ones, in the grid's order
        assert model.estimator.classes_.tolist() == [lvl for lvl in LEVELS if lvl in counts]
        # its features: the criterion's metrics, then the findings its weights count
        assert model.features == (grid.criteria[cid].metric_names()
                                  + finding_features(grid, cid))
        cv = model.cv
        assert cv.folds == (min(3, counts.min()) if counts.min() >= 2 else 0)
        assert cv.rows == counts.sum()
        if cv.folds:
            fitted_with_cv += 1
            assert -1 <= cv.kappa <= 1 and 0 <= cv.agreement <= 1 and 0 <= cv.ece <= 1
            assert set(cv.brier) == set(model.estimator.classes_)
        # 3 confirmations in 4 are the machine's own level: the rule agrees on most rows
        assert cv.rule_rows > 0 and cv.rule_agreement >= 0.5
    assert fitted_with_cv >= 1
    table = cv_table(models)
    assert table["criterion"].tolist() == list(models.models)
    # the method benchmarks/prefill_eval.py calls is the same table
    pd.testing.assert_frame_equal(models.cv_table(), table)


def test_rollup_save_load_predict(scored, fitted, grid, tmp_path):
    _, tables = scored
    _, models = fitted
    written = models.save(tmp_path / "models", licence="CC0 test data")
    folder = tmp_path / "models" / "fr_chat"
    assert sorted(p.name for p in written) == sorted(
        [f"{cid}.joblib" for cid in models.models] + ["MODEL_CARD.md"]
    )
    card = (folder / "MODEL_CARD.md").read_text("utf-8")
    for heading in ("## Model details", "## Intended use", "## Training data", "## Features",
                    "## Evaluation", "## Skipped criteria", "## Ethical considerations",
                    "## Caveats and recommendations"):
        assert heading in card
    assert grid.sha256 in card and "CC0 test data" in card and "chatqa " in card

    loaded = RollupModels.load(tmp_path / "models", grid)
    assert list(loaded.models) == list(models.models)
    assert loaded.licence == "CC0 test data"
    before = models.predict(tables.conversations, tables.findings)
    after = loaded.predict(tables.conversations, tables.findings)
    pd.testing.assert_frame_equal(before, after)
    assert list(after.columns) == ["conversation_id", "criterion", "level", "confidence",
                                   "reason"]
    assert len(after) == 10 * len(models.models)
    for cid, model in loaded.models.items():
        rows = after[after["criterion"] == cid]
        scored_levels = rows.loc[rows["level"] != "na"]
        assert set(scored_levels["level"]) <= set(model.estimator.classes_)
        floor = 1 / len(model.estimator.classes_)
        assert ((scored_levels["confidence"] >= floor) & (scored_levels["confidence"] <= 1)).all()
        # na exactly where the grid's applicable_if does not hold
        condition = grid.criteria[cid].applicable_if
        records = tables.conversations.to_dict("records")
        expected_na = [condition is not None and condition.unmet(r) is not None for r in records]
        assert (rows["level"] == "na").tolist() == expected_na
    # a model fitted with finding counts needs the findings table
    if any(any(f.startswith("findings:") for f in m.features) for m in models.models.values()):
        with pytest.raises(ConfigError, match=r"pass findings="):
            loaded.predict(tables.conversations)


def test_rollup_load_refuses_another_grid_or_feature_list(fitted, grid, tmp_path):
    _, models = fitted
    models.save(tmp_path)
    other = tmp_path / "fr_chat.toml"
    other.write_bytes((GRIDS_DIR / "fr_chat.toml").read_bytes() + b"\n# a changed grid\n")
    changed = load_grid(other)
    assert changed.name == grid.name and changed.sha256 != grid.sha256
    with pytest.raises(ConfigError, match=rf"fitted for grid 'fr_chat' with sha256 "
                                          rf"{grid.sha256}.*given is 'fr_chat' with sha256 "
                                          rf"{changed.sha256}"):
        RollupModels.load(tmp_path, changed)
    with pytest.raises(ConfigError, match=r"reads the features .*not \['own_words'\]"):
        RollupModels.load(tmp_path, grid, features=["own_words"])
    # a model file tampered with: its estimator reads other columns than it says
    path = next(tmp_path.glob("fr_chat/*.joblib"))
    payload = joblib.load(path)
    payload["features"] = payload["features"][::-1]
    joblib.dump(payload, path)
    with pytest.raises(ConfigError, match=r"Refusing the roll-up model"):
        RollupModels.load(tmp_path, grid, features=payload["features"])
    with pytest.raises(ConfigError, match=r"No roll-up models for grid 'fr_chat'"):
        RollupModels.load(tmp_path / "empty", grid)


# -- reading confirmations and the command line ----------------------------------------------


def test_rollup_read_confirmations_keeps_ids_as_text(tmp_path):
    rows = [{"conversation_id": "007", "criterion": "clarte", "level": "bon", "evaluator": 3}]
    (tmp_path / "c.json").write_text(json.dumps({"confirmations": rows}), "utf-8")
    (tmp_path / "c.csv").write_text("conversation_id,criterion,level,evaluator\n"
                                    "007,clarte,bon,3\n", "utf-8")
    for name in ("c.json", "c.csv"):
        frame = read_confirmations(tmp_path / name)
        assert frame.to_dict("records") == [
            {"conversation_id": "007", "criterion": "clarte", "level": "bon", "evaluator": "3"}
        ]
    (tmp_path / "c.txt").write_text("x", "utf-8")
    with pytest.raises(ConfigError, match=r"use \.csv, \.json or \.jsonl"):
        read_confirmations(tmp_path / "c.txt")


def run_cli(argv):
    parser = argparse.ArgumentParser(prog="chatqa fit-rollup")
    return fit_rollup_command(add_fit_rollup_arguments(parser).parse_args(argv))


def test_rollup_command_fits_saves_and_prints(scored, grid, tmp_path, capsys):
    folder, tables = scored
    path = tmp_path / "confirmations.csv"
    confirmations_from(tables.forms, grid).to_csv(path, index=False)
    code = run_cli([str(folder), str(path), "--models", str(tmp_path / "models"),
                    "--cv", "3", "--min-rows", "6"])
    out = capsys.readouterr().out
    assert code == 0
    assert "90 confirmation rows on 10 conversations" in out
    assert "qw_kappa" in out and "rule_kappa" in out
    assert f"wrote {tmp_path / 'models' / 'fr_chat' / 'MODEL_CARD.md'}" in out
    assert RollupModels.load(tmp_path / "models", grid).models


def test_rollup_command_fits_nothing_and_says_why(scored, tmp_path, capsys):
    folder, _ = scored
    path = tmp_path / "confirmations.csv"
    path.write_text("conversation_id,criterion,level\nfr-0001,clarte,bon\n", "utf-8")
    assert run_cli([str(folder), str(path), "--models", str(tmp_path / "models")]) == 1
    captured = capsys.readouterr()
    assert "skipped clarte: only level 'bon' confirmed (1 row)" in captured.out
    assert "nothing written" in captured.err
    assert not (tmp_path / "models").exists()


def test_rollup_row_proba_equals_predict_proba():
    X, y = monotone_data(200, seed=3)
    X = np.asarray(X, dtype=float).copy()
    X[::7, 1] = np.nan                       # imputed the same way
    model = OrdinalClassifier().fit(X, y)
    for row in X[:25]:
        np.testing.assert_allclose(model.row_proba(row), model.predict_proba(row[None, :])[0],
                                   rtol=1e-12, atol=1e-12)
