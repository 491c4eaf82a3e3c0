from __future__ import annotations

import math
import tomllib

import pytest

from chatqa.errors import ConfigError, GridError
from chatqa.evaluation.grid import load_grid, packaged_grids, validate_grid
from chatqa.evaluation.rules import propose_form_levels

FR_CRITERIA = [
    "orthographe_grammaire", "richesse_vocabulaire", "clarte", "courtoisie_chaleur",
    "empathie", "directivite", "deontologie", "delais_reponse", "relances",
]


def test_grid_fr_chat_has_the_criteria_in_order():
    grid = load_grid("fr_chat")
    assert list(grid.criteria) == FR_CRITERIA
    assert grid.levels.order == ("a_ameliorer", "bon", "exceptionnel")
    assert len(grid.sha256) == 64


@pytest.mark.parametrize("name", ["fr_chat", "en_support"])
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
    "opportunities, score, level",
    [(0.0, float("nan"), "na"), (2.0, 1.0, "bon"), (2.0, 0.0, "a_ameliorer"),
     (1.0, 2.0, "exceptionnel")],
)
def test_rules_relances_applicable_only_after_a_silence(opportunities, score, level):
    grid = load_grid("fr_chat")
    metrics = {"relaunch_opportunities": opportunities, "early_relaunches": 0.0,
               "relaunch_score": score}
    proposal = propose_form_levels(grid, metrics, [])["relances"]
    assert proposal.level == level and proposal.confidence == 1.0
    if level == "na":
        assert "silencieux" in proposal.reason


def test_rules_criteria_without_analyzer_are_na_with_reason():
    grid = validate_grid({"grid": {"name": "x"},
                          "levels": {"order": ["a_ameliorer", "bon", "exceptionnel"]},
                          "criteria": {"ton": {"rule": "na", "reason": "no analyzer yet"}}})
    proposals = propose_form_levels(grid, {}, [])
    assert proposals["ton"].level == "na"
    assert proposals["ton"].reason == "no analyzer yet"


HEAD = "[grid]\nname='x'\n[levels]\norder=['a_ameliorer','bon','exceptionnel']\n"
SCORE = ("rule='weighted_score'\n"
         "bands={exceptionnel=[0,1], bon=[1,3], a_ameliorer=[3,inf]}\n")


@pytest.mark.parametrize(
    "body, location, problem",
    [
        # points: every level, increasing, none for na
        ("points={a_ameliorer=0, bon=1}\n[criteria]\n", "levels -> points",
         "no points for level 'exceptionnel'"),
        ("points={a_ameliorer=0, bon=1, exceptionnel=1}\n[criteria]\n",
         "levels -> points -> exceptionnel", "must increase from worst to best"),
        ("points={a_ameliorer=0, bon=1, exceptionnel=2, na=0}\n[criteria]\n",
         "levels -> points -> na", "'na' has no points"),
        # weights: keys are codes or families, severities are known, numbers are finite
        ("[criteria.x]\n" + SCORE + "[criteria.x.weights]\ncodes={'Grammar.Foo'=1}\n",
         "criteria -> x -> weights -> codes -> Grammar.Foo", "neither a finding code"),
        ("[criteria.x]\n" + SCORE + "[criteria.x.weights]\ncodes={'grammar.*.x'=1}\n",
         "criteria -> x -> weights -> codes -> grammar.*.x", "nor a code family"),
        ("[criteria.x]\n" + SCORE + "[criteria.x.weights]\nseverities={huge=1}\n",
         "criteria -> x -> weights -> severities -> huge", "'info', 'minor' or 'major'"),
        ("[criteria.x]\n" + SCORE + "[criteria.x.weights]\nseverities={minor=nan}\n",
         "criteria -> x -> weights -> severities -> minor", "finite number"),
        # a weighted_score needs weights and bands; bands belong to it alone
        ("[criteria.x]\n" + SCORE, "criteria -> x -> weights", "at least one weight"),
        ("[criteria.x]\nrule='weighted_score'\n[criteria.x.weights]\nseverities={minor=1}\n",
         "criteria -> x -> bands", "needs bands on the score"),
        ("[criteria.x]\nrule='thresholds'\nbands={bon=[0,2]}\n", "criteria -> x -> bands",
         "only rule 'weighted_score' reads 'bands'"),
        ("[criteria.x]\nrule='na'\nper_100='advisor_words'\n", "criteria -> x -> per_100",
         "only rule 'weighted_score'"),
        ("[criteria.x]\n" + SCORE + "[criteria.x.weights]\nseverities={minor=1}\n"
         "[[criteria.x.metrics]]\nname='m'\nbands={bon=[0,1]}\n", "criteria -> x -> metrics",
         "belong to rule 'thresholds'"),
    ],
)
def test_grid_invalid_levels_and_weights_name_the_key(tmp_path, body, location, problem):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + body)
    with pytest.raises(GridError, match=r"\[E302\]") as info:
        load_grid(path)
    assert f"invalid at {location}: " in str(info.value)
    assert problem in str(info.value)
    assert info.value.location == location


@pytest.mark.parametrize(
    "body, location, problem",
    [
        # empty, overlapping (shadowed) bands, on a metric or on a score
        ("[criteria.x]\nrule='thresholds'\n[[criteria.x.metrics]]\nname='m'\n"
         "bands={bon=[2,2]}\n", "criteria -> x -> metrics -> 0 -> bands -> bon",
         "lower < upper"),
        ("[criteria.x]\nrule='thresholds'\n[[criteria.x.metrics]]\nname='m'\n"
         "bands={bon=[0,2], a_ameliorer=[1,inf]}\n",
         "criteria -> x -> metrics -> 0 -> bands -> a_ameliorer", "overlaps band 'bon'"),
        # exceptionnel [0, 5) is wholly inside bon [0, 10): shadowed
        ("[criteria.x]\nrule='weighted_score'\nbands={bon=[0,10], exceptionnel=[0,5]}\n"
         "[criteria.x.weights]\nseverities={minor=1}\n", "criteria -> x -> bands -> exceptionnel",
         "overlaps"),
        # finding counts with non-negative weights: the score is never below 0
        ("[criteria.x]\nrule='weighted_score'\nbands={exceptionnel=[-inf,0], bon=[0,inf]}\n"
         "[criteria.x.weights]\nseverities={minor=1}\n", "criteria -> x -> bands -> exceptionnel",
         "never below 0"),
        # every weight 0: the score is always 0
        ("[criteria.x]\nrule='weighted_score'\nbands={bon=[0,1], a_ameliorer=[1,inf]}\n"
         "[criteria.x.weights]\ncodes={'grammar.*'=0}\n", "criteria -> x -> bands -> a_ameliorer",
         "always 0"),
        # applicable only when m >= 1: m's band [0, 1) can never be proposed
        ("[criteria.x]\nrule='thresholds'\napplicable_if={metric='m', min=1}\n"
         "[[criteria.x.metrics]]\nname='m'\nbands={bon=[0,1], a_ameliorer=[1,inf]}\n",
         "criteria -> x -> metrics -> 0 -> bands -> bon", "applies only when m is in [1, inf)"),
        # conditions that can never all hold
        ("[criteria.x]\nrule='thresholds'\n"
         "applicable_if={all=[{metric='m', min=1}, {metric='m', max=1}]}\n",
         "criteria -> x -> applicable_if", "can never all hold"),
        ("[criteria.x]\nrule='thresholds'\napplicable_if={all=[{metric='m', min=3, max=1}]}\n",
         "criteria -> x -> applicable_if -> all -> 0 -> max", "min must be below max"),
        ("[criteria.x]\nrule='thresholds'\napplicable_if={any=[]}\n",
         "criteria -> x -> applicable_if -> any", "at least one condition"),
        ("[criteria.x]\nrule='thresholds'\napplicable_if={metric='m', all=[{metric='m'}]}\n",
         "criteria -> x -> applicable_if", "got metric and all"),
        ("[criteria.x]\nrule='thresholds'\napplicable_if={any=[{min=1}]}\n",
         "criteria -> x -> applicable_if -> any -> 0", "got none of them"),
        ("[criteria.x]\nrule='thresholds'\napplicable_if={all=[{metric='m', why='?'}]}\n",
         "criteria -> x -> applicable_if -> all -> 0 -> why", "Extra inputs"),
    ],
)
def test_grid_unreachable_band_or_condition_is_an_error(tmp_path, body, location, problem):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + body)
    with pytest.raises(GridError, match=r"\[E302\]") as info:
        load_grid(path)
    assert f"invalid at {location}: " in str(info.value)
    assert problem in str(info.value)


CODES = {"spelling.word", "grammar.agreement", "grammar.negation", "typography.capital",
         "timing.hold"}
METRICS = {"advisor_words", "first_response_s", "holds_broken"}


@pytest.mark.parametrize(
    "weights, extra, error, match",
    [
        ("codes={'grammar.foo'=1}", "", GridError,
         r"\[E302\].*at criteria -> x -> weights -> codes -> grammar\.foo: no analyzer of the "
         r"grid emits 'grammar\.foo'; codes of family 'grammar': \['grammar\.agreement', "
         r"'grammar\.negation'\]"),
        ("codes={'style.*'=1}", "", GridError,
         r"\[E302\].*codes -> style\.\*: .*families emitted: \['grammar\.\*', "
         r"'spelling\.\*', 'timing\.\*', 'typography\.\*'\]"),
        ("metrics={nope_s=1}", "", ConfigError, r"\[E303\].*'x'.*'nope_s'"),
        ("codes={'spelling.word'=1}", "per_100='words_nope'\n", ConfigError,
         r"\[E303\].*'words_nope'"),
        ("codes={'spelling.word'=1}",
         "applicable_if={any=[{metric='holds_broken'},{metric='nope'}]}\n",
         ConfigError, r"\[E303\].*'nope'"),
    ],
)
def test_grid_check_inputs_names_undeclared_metrics_and_codes(weights, extra, error, match):
    body = (HEAD + "[criteria.x]\nrule='weighted_score'\n" + extra
            + "bands={bon=[-inf,inf]}\n[criteria.x.weights]\n" + weights + "\n")
    grid = validate_grid(tomllib.loads(body))
    with pytest.raises(error, match=match):
        grid.check_inputs(METRICS, CODES)


def test_grid_check_inputs_accepts_fr_chat():
    from chatqa.analyzers.base import get_factory

    grid = load_grid("fr_chat")
    from chatqa.evaluation.rollup.grid_rule import grid_model

    used = {m for c in grid.criteria.values() for m in c.metric_names()}
    used |= {f for cid, c in grid.criteria.items() if c.rule == "model"
             for f in grid_model(grid, cid).features if not f.startswith("findings:")}
    codes = {code for name in grid.analyzers for code in get_factory(name)("fr").codes}
    grid.check_inputs(used, codes)


@pytest.mark.parametrize(("flesch", "marks", "level"), [
    (101.0, 0.0, "bon"),           # terse answers of short words: « correct but plain », no worse
    (75.0, 1.0, "exceptionnel"),   # one familiar word is left to the other metrics
    (75.0, 2.0, "a_ameliorer"),    # two marks of a familiar register: « à améliorer »
    (101.0, 3.0, "a_ameliorer"),
    (75.0, float("nan"), "exceptionnel"),  # the markers did not run: no cap, no level lost
])
def test_grid_fr_chat_richesse_a_ameliorer_from_register_not_short_words(flesch, marks, level):
    metrics = {"own_words": 80.0, "vocabulary_issues_per_100_words": 0.0, "flesch_score": flesch,
               "repeated_passages": 0.0, "connectors": 2.0, "familiar_register_marks": marks}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["richesse_vocabulaire"]
    assert proposal.level == level


@pytest.mark.parametrize(("own_words", "marks", "level"), [
    (14.0, 1.0, "a_ameliorer"),  # one familiar mark in a line or two: what the lines are
    (8.0, 1.0, "a_ameliorer"),
    (15.0, 1.0, "bon"),          # from 15 own words one mark is left to the other metrics
    (40.0, 1.0, "exceptionnel"),
    (14.0, 0.0, "bon"),          # thin text without a mark: « bon » (no variety shows in it)
    (7.0, 0.0, "na"),            # under one own sentence: nothing to judge
])
def test_grid_fr_chat_richesse_one_familiar_mark_in_thin_text(own_words, marks, level):
    metrics = {"own_words": own_words, "vocabulary_issues_per_100_words": 0.0,
               "flesch_score": 75.0, "repeated_passages": 0.0, "connectors": 2.0,
               "familiar_register_marks": marks, "long_word_ratio": 0.25,
               "familiar_register_marks_per_100_words": 100 * marks / own_words}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["richesse_vocabulaire"]
    assert proposal.level == level


@pytest.mark.parametrize(("own_words", "codes", "level"), [
    (14.0, 1.0, "a_ameliorer"),  # one internal code in a line or two: shorthand, not wording
    (28.0, 2.0, "a_ameliorer"),  # two in under 29 own words
    (40.0, 1.0, "exceptionnel"),  # one in 40 words is left to clarte
    (40.0, 0.0, "exceptionnel"),
    (40.0, float("nan"), "exceptionnel"),  # not measured: no cap, no level lost
])
def test_grid_fr_chat_richesse_capped_by_internal_codes(own_words, codes, level):
    metrics = {"own_words": own_words, "vocabulary_issues_per_100_words": 0.0,
               "flesch_score": 75.0, "repeated_passages": 0.0, "connectors": 2.0,
               "familiar_register_marks": 0.0, "long_word_ratio": 0.25,
               "jargon_per_100_words": 100 * codes / own_words}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["richesse_vocabulaire"]
    assert proposal.level == level


@pytest.mark.parametrize(("repeated", "level"), [(0.0, "exceptionnel"), (1.0, "exceptionnel"),
                                                 (2.0, "bon"), (5.0, "bon")])
def test_grid_fr_chat_richesse_capped_by_passages_written_again(repeated, level):
    metrics = {"own_words": 80.0, "vocabulary_issues_per_100_words": 0.0, "flesch_score": 75.0,
               "repeated_passages": repeated}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["richesse_vocabulaire"]
    assert proposal.level == level


@pytest.mark.parametrize(("long_words", "level"), [
    (0.25, "exceptionnel"), (0.2, "exceptionnel"),  # one own word in five of 7 letters or more
    (0.19, "bon"), (0.05, "bon"),                    # plain everyday words: « bon » at best
    (float("nan"), "exceptionnel"),                  # not measured: no cap, no level lost
])
def test_grid_fr_chat_richesse_capped_by_few_long_words(long_words, level):
    metrics = {"own_words": 80.0, "vocabulary_issues_per_100_words": 0.0, "flesch_score": 75.0,
               "repeated_passages": 0.0, "connectors": 2.0, "familiar_register_marks": 0.0,
               "long_word_ratio": long_words}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["richesse_vocabulaire"]
    assert proposal.level == level


@pytest.mark.parametrize(("not_understood", "level"), [
    (0.0, "exceptionnel"),
    (1.0, "bon"),          # lost once, then helped: « bon »
    (2.0, "a_ameliorer"),  # lost again: unsure what to do
])
def test_grid_fr_chat_clarte_customer_lost_once_is_bon_twice_a_ameliorer(not_understood, level):
    metrics = {"own_words": 150.0, "clarity_issues": 0.0, "clarity_issues_per_100_words": 0.0,
               "sentence_words_mean": 12.0, "grammar_errors_per_100_words": 0.0,
               "vocabulary_issues_per_100_words": 0.0, "not_understood_messages": not_understood}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["clarte"]
    assert proposal.level == level


@pytest.mark.parametrize(("issues", "level"), [(0.0, "exceptionnel"), (1.0, "bon"), (2.0, "bon")])
def test_grid_fr_chat_clarte_exceptionnel_only_without_a_clarity_fault(issues, level):
    # one fault in 150 own words is under the rate's edge (0.67 per 100), yet not exceptionnel
    metrics = {"own_words": 150.0, "clarity_issues": issues,
               "clarity_issues_per_100_words": 100 * issues / 150, "sentence_words_mean": 12.0,
               "lix_score": 35.0, "vocabulary_issues_per_100_words": 0.0,
               "not_understood_messages": 0.0}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["clarte"]
    assert proposal.level == level


@pytest.mark.parametrize(("vocabulary", "clarte", "richesse"), [
    (0.0, "exceptionnel", "exceptionnel"),
    (2.0, "bon", "bon"),
    (3.0, "bon", "a_ameliorer"),   # one issue in about 33 own words: poor wording
    (12.0, "bon", "a_ameliorer"),  # fillers make a text clumsy, not hard to follow
])
def test_grid_fr_chat_vocabulary_issues_weigh_less_on_clarte(vocabulary, clarte, richesse):
    metrics = {"own_words": 80.0, "clarity_issues": 0.0, "clarity_issues_per_100_words": 0.0,
               "sentence_words_mean": 10.0, "grammar_errors_per_100_words": 0.0,
               "vocabulary_issues_per_100_words": vocabulary, "not_understood_messages": 0.0,
               "flesch_score": 75.0, "repeated_passages": 0.0, "connectors": 2.0,
               "familiar_register_marks": 0.0}
    levels = propose_form_levels(load_grid("fr_chat"), metrics, [])
    assert (levels["clarte"].level, levels["richesse_vocabulaire"].level) == (clarte, richesse)


@pytest.mark.parametrize(("own_words", "issues", "lix", "grammar", "level"), [
    (40.0, 1.0, 35.0, 0.0, "bon"),          # one fault in 40 own words: 2.5 per 100, « bon »
    (21.0, 1.0, 35.0, 0.0, "a_ameliorer"),  # one in a short text: 4.8 per 100 (edge 3)
    (21.0, 2.0, 35.0, 0.0, "a_ameliorer"),  # two: 9.5 per 100
    (40.0, 0.0, 15.0, 0.0, "exceptionnel"),  # short plain sentences (a low LIX) are not capped
    (40.0, 0.0, 35.0, 2.5, "bon"),          # one grammar error in 40 own words: « bon » at best
    (60.0, 0.0, 35.0, 1.7, "exceptionnel"),  # one in 60: under the cap's edge (2 per 100)
    (40.0, 0.0, 35.0, 12.5, "bon"),         # a cap: many errors lower no further than « bon »
    (40.0, 0.0, 35.0, float("nan"), "exceptionnel"),  # grammar not checked: no cap, no level lost
])
def test_grid_fr_chat_clarte_one_fault_or_grammar_errors_is_bon(own_words, issues, lix, grammar,
                                                                level):
    metrics = {"own_words": own_words, "clarity_issues": issues,
               "clarity_issues_per_100_words": 100 * issues / own_words,
               "sentence_words_mean": 8.0, "lix_score": lix,
               "grammar_errors_per_100_words": grammar,
               "vocabulary_issues_per_100_words": 0.0, "not_understood_messages": 0.0}
    proposal = propose_form_levels(load_grid("fr_chat"), metrics, [])["clarte"]
    assert proposal.level == level
