"""Rule kinds: weighted_score, compound applicability, levels mapped to points."""

from __future__ import annotations

import math
import tomllib

import pytest

from chatqa.analyzers.spelling_grammar.analyzer import SEVERITY
from chatqa.errors import GridError
from chatqa.evaluation.form import EvaluationForm
from chatqa.evaluation.grid import load_grid, validate_grid
from chatqa.evaluation.rules import own_findings, propose_form_levels
from chatqa.model import Finding, Severity

LEVELS = """
[grid]
name = "t"
[levels]
order = ["a_ameliorer", "bon", "exceptionnel"]
points = { a_ameliorer = 0, bon = 1, exceptionnel = 2 }
"""



def make_grid(criteria: str):
    return validate_grid(tomllib.loads(LEVELS + criteria))


def findings(*codes: str) -> list[Finding]:
    """One finding per code, in message i, with the severity spelling_grammar gives it."""
    return [
        Finding("t", code, message_index=i, start=0, end=1, text="x",
                severity=SEVERITY.get(code.split(".")[0], Severity.INFO))
        for i, code in enumerate(codes)
    ]


def with_line(criteria: str, line: str) -> str:
    """``criteria`` with ``line`` added to the criterion's own table (after its rule)."""
    return criteria.replace('rule = "weighted_score"\n', f'rule = "weighted_score"\n{line}\n', 1)


def propose(grid, metrics=None, found=()):
    return propose_form_levels(grid, metrics or {}, list(found))["c"]


# -- thresholds with a cap ------------------------------------------------------------------------

CAPPED = """
[criteria.c]
rule = "thresholds"
[[criteria.c.metrics]]
name = "flesch_score"
bands = { exceptionnel = [-inf, 92], bon = [92, 97], a_ameliorer = [97, inf] }
[[criteria.c.metrics]]
name = "own_words"
bands = { bon = [-inf, 30], exceptionnel = [30, inf] }
cap = true
"""


@pytest.mark.parametrize(
    "metrics, level, reason",
    [
        ({"flesch_score": 80.0, "own_words": 45.0}, "exceptionnel", "exceptionnel by"),
        # the cap lowers: few words of one's own keep an elaborate text at « bon »
        ({"flesch_score": 80.0, "own_words": 20.0}, "bon", "bon by own_words=20"),
        # and never raises: the other metric's « à améliorer » stays
        ({"flesch_score": 99.0, "own_words": 200.0}, "a_ameliorer", "a_ameliorer by flesch"),
        # alone it proposes nothing: no verdict from a word count
        ({"own_words": 45.0}, "na", "no value for flesch_score"),
        ({"flesch_score": math.nan, "own_words": 20.0}, "na", "no value for flesch_score"),
    ],
)
def test_rules_thresholds_cap_only_lowers_the_others_level(metrics, level, reason):
    proposal = propose(make_grid(CAPPED), metrics)
    assert proposal.level == level
    assert proposal.reason.startswith(reason), proposal.reason


def test_rules_thresholds_cap_is_false_by_default_and_must_be_a_bool():
    grid = make_grid(CAPPED)
    assert [m.cap for m in grid.criteria["c"].metrics] == [False, True]
    with pytest.raises(GridError, match=r"\[E302\].*metrics -> 1 -> cap: Input should be a valid "
                                        "boolean"):
        make_grid(CAPPED.replace("cap = true", 'cap = "often"'))


# -- weighted_score ------------------------------------------------------------------------------

WEIGHTED = """
[criteria.c]
rule = "weighted_score"
bands = { exceptionnel = [0, 1], bon = [1, 3], a_ameliorer = [3, inf] }
soft_margin = 0
evidence_codes = ["timing.hold"]
[criteria.c.weights]
severities = { major = 1, minor = 0.25 }
codes = { "grammar.*" = 2, "grammar.negation" = 0.5, "typography.capital" = 0 }
"""


@pytest.mark.parametrize(
    "codes, score, level",
    [
        # nothing counted: 0 -> [0, 1) exceptionnel
        ((), 0.0, "exceptionnel"),
        # 4 minor hyphens: 4 × 0.25 = 1.0 -> exactly on the edge, [1, 3) bon
        (("typography.hyphen",) * 4, 1.0, "bon"),
        # grammar.agreement takes its family's 2 (not major's 1); spelling major 1: 2 + 1 = 3
        (("grammar.agreement", "spelling.word"), 3.0, "a_ameliorer"),
        # grammar.negation: its own code's 0.5 beats the family's 2; + spelling 1 = 1.5
        (("grammar.negation", "spelling.word"), 1.5, "bon"),
        # typography.capital weighs 0 (its code beats minor); style is info, not weighted: 0
        (("typography.capital",) * 10 + ("style.remark",), 0.0, "exceptionnel"),
        # 2 × 2 grammar.* + 2 × 0.25 minor + 0.5 negation = 4 + 0.5 + 0.5 = 5
        (("grammar.usage", "grammar.homophone", "typography.hyphen", "language.foreign",
          "grammar.negation"), 5.0, "a_ameliorer"),
    ],
)
def test_rules_weighted_score_weights_by_code_family_severity(codes, score, level):
    proposal = propose(make_grid(WEIGHTED), {}, findings(*codes))
    assert proposal.level == level
    assert proposal.rule == "weighted_score" and proposal.confidence == 1.0  # soft_margin 0
    assert f"score {score:.4g} " in proposal.reason


def test_rules_weighted_score_reason_spells_the_arithmetic():
    found = findings("grammar.usage", "grammar.usage", "grammar.negation", "spelling.word",
                     "typography.hyphen", "typography.capital")
    proposal = propose(make_grid(WEIGHTED), {}, found)
    # codes in the grid's order (grammar.* then grammar.negation), then severities:
    # 2 × 2 + 0.5 × 1 + 1 × 1 + 0.25 × 1 = 5.75
    assert proposal.reason == (
        "a_ameliorer by score 5.75 = 2 × 2 grammar.* + 0.5 × 1 grammar.negation + 1 × 1 major"
        " + 0.25 × 1 minor"
    )
    assert proposal.points == 0


def test_rules_weighted_score_evidence_is_the_findings_that_counted():
    found = findings("grammar.usage", "typography.capital", "style.remark", "spelling.word",
                     "timing.hold")
    proposal = propose(make_grid(WEIGHTED), {}, found)
    # capital weighs 0 and style has no weight: left out; timing.hold is an evidence code
    assert [(e.name, e.message_index) for e in proposal.evidence] == [
        ("grammar.usage", 0), ("spelling.word", 3), ("timing.hold", 4)]


PER_100 = """
[criteria.c]
rule = "weighted_score"
per_100 = "advisor_words"
bands = { exceptionnel = [0, 1], bon = [1, 3], a_ameliorer = [3, inf] }
soft_margin = 0.5
[criteria.c.weights]
severities = { major = 1, minor = 0.25 }
"""


@pytest.mark.parametrize(
    "words, codes, level, confidence",
    [
        # 3 major in 200 words: 100 × 3 / 200 = 1.5 -> bon; 0.5 from edge 1 (margin 0.5) -> 1.0
        (200.0, ("spelling.word",) * 3, "bon", 1.0),
        # 3 major in 50 words: 100 × 3 / 50 = 6 -> a_ameliorer; 3 away from edge 3 -> 1.0
        (50.0, ("spelling.word",) * 3, "a_ameliorer", 1.0),
        # 2 major + 4 minor = 3 in 109 words: 2.752 -> bon; 0.248 from edge 3:
        # 0.5 + 0.5 × 0.248 / 0.5 = 0.748 -> 0.75
        (109.0, ("spelling.word",) * 2 + ("typography.hyphen",) * 4, "bon", 0.75),
        # no error in 20 words: 0 -> exceptionnel; 1 from edge 1 -> 1.0
        (20.0, (), "exceptionnel", 1.0),
    ],
)
def test_rules_weighted_score_per_100_words(words, codes, level, confidence):
    proposal = propose(make_grid(PER_100), {"advisor_words": words}, findings(*codes))
    assert proposal.level == level
    assert proposal.confidence == pytest.approx(confidence, abs=0.005)
    assert f"/ advisor_words={words:g}" in proposal.reason


@pytest.mark.parametrize(
    "metrics, reason",
    [
        ({"advisor_words": 0.0}, "advisor_words has the value 0"),
        ({"advisor_words": math.nan}, "advisor_words has no value"),
        ({}, "advisor_words has no value"),
    ],
)
def test_rules_weighted_score_rate_without_words_is_na(metrics, reason):
    # no words and no error would be a score of 0, the best level: never that
    proposal = propose(make_grid(PER_100), metrics, [])
    assert proposal.level == "na" and proposal.points is None
    assert reason in proposal.reason


METRIC_WEIGHTS = """
[criteria.c]
rule = "weighted_score"
bands = { exceptionnel = [0, 1], bon = [1, 3], a_ameliorer = [3, inf] }
soft_margin = 0
[criteria.c.weights]
metrics = { holds_broken = 2, missed_relaunches = 1 }
codes = { "timing.hold" = 0.5 }
"""


@pytest.mark.parametrize(
    "holds, missed, level",
    [
        (0.0, 0.0, "exceptionnel"),   # 2 × 0 + 1 × 0 + 0.5 × 1 hold = 0.5
        (1.0, 0.0, "bon"),            # 2 × 1 + 0 + 0.5 = 2.5
        (1.0, 1.0, "a_ameliorer"),    # 2 + 1 + 0.5 = 3.5
        (math.nan, 0.0, "na"),        # NaN input: no score, never the best level
        (0.0, math.nan, "na"),
    ],
)
def test_rules_weighted_score_over_metrics_nan_is_na(holds, missed, level):
    metrics = {"holds_broken": holds, "missed_relaunches": missed}
    proposal = propose(make_grid(METRIC_WEIGHTS), metrics, findings("timing.hold"))
    assert proposal.level == level
    if level == "na":
        missing = "holds_broken" if math.isnan(holds) else "missed_relaunches"
        assert proposal.reason.startswith(f"no value for {missing}")


# -- applicability -------------------------------------------------------------------------------

THRESHOLD = """
[criteria.c]
rule = "thresholds"
na_reason = "criterion's reason"
{applicable}
[[criteria.c.metrics]]
name = "first_response_s"
bands = { exceptionnel = [0, 30], bon = [30, 90], a_ameliorer = [90, inf] }
"""

COMPOUND = """
[[criteria.c.applicable_if.all]]
metric = "first_response_s"
reason = "no measurable response time"
[[criteria.c.applicable_if.all]]
any = [{ metric = "handle_time_s", min = 60 }, { metric = "advisor_words", min = 20 }]
reason = "too short to judge"
[[criteria.c.applicable_if.all]]
metric = "unanswered_bursts"
max = 1
"""


@pytest.mark.parametrize(
    "applicable, metrics, level, reason",
    [
        # today's single condition: na_reason when it fails, the level when it holds
        ('applicable_if = { metric = "relaunch_opportunities", min = 1 }',
         {"relaunch_opportunities": 0.0, "first_response_s": 10.0}, "na", "criterion's reason"),
        ('applicable_if = { metric = "relaunch_opportunities", min = 1 }',
         {"relaunch_opportunities": 1.0, "first_response_s": 10.0}, "exceptionnel", None),
        # a condition's own reason beats the criterion's
        ('applicable_if = { metric = "advisor_words", min = 20, reason = "few words" }',
         {"advisor_words": 5.0, "first_response_s": 10.0}, "na", "few words"),
        # all: the first failing member's reason
        (COMPOUND, {"first_response_s": math.nan}, "na", "no measurable response time"),
        # all -> any fails: both members fail (30 < 60, 10 < 20): the group's reason
        (COMPOUND, {"first_response_s": 40.0, "handle_time_s": 30.0, "advisor_words": 10.0},
         "na", "too short to judge"),
        # any holds through its second member (25 >= 20); third member has no reason of its
        # own nor a group's: the criterion's
        (COMPOUND, {"first_response_s": 40.0, "handle_time_s": 30.0, "advisor_words": 25.0,
                    "unanswered_bursts": 2.0}, "na", "criterion's reason"),
        # everything holds: 40 s -> bon
        (COMPOUND, {"first_response_s": 40.0, "handle_time_s": 90.0, "advisor_words": 5.0,
                    "unanswered_bursts": 0.0}, "bon", None),
    ],
)
def test_rules_applicable_if_single_all_any(applicable, metrics, level, reason):
    proposal = propose(make_grid(THRESHOLD.replace("{applicable}", applicable)), metrics)
    assert proposal.level == level
    if reason is not None:
        assert proposal.reason == reason and proposal.confidence == 1.0


@pytest.mark.parametrize(
    "condition, metrics, reason",
    [
        ('{ metric = "m", min = 1 }', {"m": 0.0}, "m=0, below 1"),
        ('{ metric = "m", max = 5 }', {"m": 5.0}, "m=5, not below 5"),
        ('{ metric = "m" }', {}, "m has no value"),
        # any without a reason of its own: its members' reasons, each once
        ('{ any = [{ metric = "m", min = 1 }, { metric = "n", min = 1, reason = "no n" }] }',
         {"m": 0.0, "n": 0.0}, "m=0, below 1; no n"),
    ],
)
def test_rules_applicable_if_generated_reasons(condition, metrics, reason):
    grid = make_grid(
        f"[criteria.c]\nrule='thresholds'\napplicable_if = {condition}\n"
        "[[criteria.c.metrics]]\nname='m'\nbands={bon=[0, inf]}\n"
    )
    proposal = propose(grid, metrics)
    assert (proposal.level, proposal.reason) == ("na", reason)


def test_rules_applicable_if_applies_to_weighted_score():
    grid = make_grid(with_line(PER_100, 'applicable_if = { metric = "advisor_words", min = 20, '
                                        'reason = "under 20 advisor words" }'))
    # 10 words and no error would be a rate of 0 (exceptionnel): the condition makes it na
    proposal = propose(grid, {"advisor_words": 10.0})
    assert (proposal.level, proposal.reason) == ("na", "under 20 advisor words")
    assert [str(e) for e in proposal.evidence] == ["advisor_words=10"]


# -- points --------------------------------------------------------------------------------------

def test_rules_points_on_each_proposal_and_form():
    grid = load_grid("fr_chat")
    metrics = {"first_response_s": 20.0, "mean_response_time_s": 50.0, "holds_broken": 0.0,
               "own_words": 40.0, "relaunch_opportunities": 0.0}
    proposals = propose_form_levels(grid, metrics, [])
    form = EvaluationForm("c1", grid.name, proposals)
    points = form.points()
    # delais: mean 50 s -> bon (1); orthographe: no error in 40 words -> exceptionnel (2);
    # others na
    assert points["delais_reponse"] == 1 and points["orthographe_grammaire"] == 2
    assert points["relances"] is None and points["empathie"] is None
    assert grid.points("bon") == 1 and grid.points("na") is None
    rows = {r["criterion"]: r["points"] for r in form.to_rows()}  # the forms table's column
    assert rows["delais_reponse"] == 1 and rows["relances"] is None


def test_rules_points_absent_from_grid_are_none():
    grid = validate_grid(tomllib.loads(
        "[grid]\nname='t'\n[levels]\norder=['a','b']\n[criteria.c]\nrule='thresholds'\n"
        "[[criteria.c.metrics]]\nname='m'\nbands={a=[0,1], b=[1,inf]}\n"))
    assert propose_form_levels(grid, {"m": 2.0}, [])["c"].points is None
    assert grid.points("b") is None


# -- what a criterion reads and gives ------------------------------------------------------------

def test_grid_criterion_metric_names_and_levels():
    crit = make_grid(with_line(PER_100, 'applicable_if = { all = [{ metric = "handle_time_s" }] }'
                               )).criteria["c"]
    assert crit.metric_names() == ("advisor_words", "handle_time_s")
    assert crit.proposable_levels() == {"exceptionnel", "bon", "a_ameliorer"}
    relances = load_grid("fr_chat").criteria["relances"]
    assert relances.metric_names() == ("relaunch_score", "relaunch_opportunities",
                                       "early_relaunches")
    assert relances.proposable_levels() == {"bon", "a_ameliorer", "exceptionnel"}


def test_own_findings_leave_out_what_is_about_a_canned_reply():
    in_macro = Finding("clarity", "clarity.jargon", 1, 0, 2, "N2", details={"macro": True})
    about_macro = Finding("clarity", "clarity.not_understood", 2, 0, 5, "hein?",
                          details={"advisor_message": 1, "macro": True})
    about_own = Finding("clarity", "clarity.not_understood", 4, 0, 5, "hein?",
                        details={"advisor_message": 3, "macro": False})
    other = Finding("timing", "timing.hold", 3)
    assert own_findings([in_macro, about_macro, about_own, other], {1}) == [about_own, other]
