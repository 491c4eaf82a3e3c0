"""Filling a grid: reviewable gate, sections, weights, knockouts, overall score, inheritance."""

from __future__ import annotations

import json
import tomllib

import pytest

from chatqa.errors import GridError
from chatqa.evaluation.filling import conversation_facts, fill_form, overall_of
from chatqa.evaluation.grid import load_grid, validate_grid
from chatqa.evaluation.rules import propose_form_levels
from chatqa.model import Finding, Severity

GRID = """
[grid]
name = "t"
language = "fr"
[levels]
order = ["a_ameliorer", "bon", "exceptionnel"]
points = { a_ameliorer = 0, bon = 1, exceptionnel = 2 }
[levels.labels]
a_ameliorer = "À améliorer"
bon = "Bon"
exceptionnel = "Exceptionnel"
[sections.langue]
label = "Discours"
[sections.delais]
label = "Délais"
[overall]
pass_mark = 60
[[knockouts]]
id = "confidentialite"
label = "Manquement à la confidentialité"
codes = ["conduct.confidentiality"]
[criteria.ortho]
label = "Orthographe"
section = "langue"
weight = 2
rule = "weighted_score"
bands = { exceptionnel = [0, 1], bon = [1, 3], a_ameliorer = [3, inf] }
soft_margin = 0
[criteria.ortho.weights]
codes = { "spelling.*" = 1 }
[criteria.delai]
label = "Délai"
section = "delais"
rule = "thresholds"
[[criteria.delai.metrics]]
name = "first_response_s"
bands = { exceptionnel = [0, 30], bon = [30, 90], a_ameliorer = [90, inf] }
soft_margin = 0
[criteria.process]
label = "Process suivi"
section = "langue"
weight = 1
rule = "thresholds"
[criteria.process.scale]
order = ["non", "oui"]
labels = { non = "Non", oui = "Oui" }
points = { non = 0, oui = 1 }
[[criteria.process.metrics]]
name = "closing_controls"
bands = { non = [0, 1], oui = [1, inf] }
soft_margin = 0
"""


def grid(extra: str = ""):
    return validate_grid(tomllib.loads(GRID + extra))


def spelling(n: int, message_index: int = 1) -> list[Finding]:
    return [Finding("spelling_grammar", "spelling.word", message_index, 0, 1, "x",
                    severity=Severity.MAJOR) for _ in range(n)]


@pytest.fixture(scope="module")
def fr_chat():
    from chatqa import Pipeline

    return Pipeline.from_grid("fr_chat")


def test_filling_overall_score_is_the_weighted_share_of_points_over_applicable_criteria():
    g = grid()
    # ortho exceptionnel (2/2 = 1, weight 2), delai bon (1/2, weight 1), process oui (1, weight 1)
    proposals = propose_form_levels(g, {"first_response_s": 45, "closing_controls": 1}, [])
    overall = overall_of(g, proposals, ())
    assert overall.score == pytest.approx(100 * (2 * 1 + 1 * 0.5 + 1 * 1) / 4)   # 87.5
    assert overall.result == "pass"


def test_filling_na_criteria_leave_the_denominator_and_weight_zero_is_not_scored():
    g = grid()
    proposals = propose_form_levels(g, {"closing_controls": 0}, spelling(5))
    # delai is na (no time): ortho à améliorer (0, weight 2) and process non (0, weight 1)
    assert proposals["delai"].level == "na"
    overall = overall_of(g, proposals, ())
    assert overall.score == 0 and overall.result == "fail"
    free = grid().model_copy(deep=True)
    free.criteria["ortho"] = free.criteria["ortho"].model_copy(update={"weight": 0.0})
    assert overall_of(free, proposals, ()).score == 0   # only process left: non = 0


def test_filling_nothing_scored_is_na_not_the_best():
    g = grid()
    proposals = {cid: p for cid, p in propose_form_levels(g, {}, []).items()}
    proposals = {cid: p.__class__(cid, "na", 1.0) for cid, p in proposals.items()}
    overall = overall_of(g, proposals, ())
    assert overall.score is None and overall.result == "na"


def test_filling_knockout_fails_the_form_whatever_the_levels(make_conversation):
    g = grid()
    conv = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, "Votre carte ?"),
                             ("customer", 20, "4970 1000 0000 0063"))
    breach = Finding("conduct", "conduct.confidentiality", 1, 0, 5, "Votre",
                     severity=Severity.MAJOR)
    form = fill_form(g, conv, {"first_response_s": 10, "closing_controls": 1}, [breach])
    assert form.overall.result == "fail" and form.overall.score == 0
    assert form.overall.knockouts == ("confidentialite",)
    assert "Manquement à la confidentialité" in form.overall.reason


@pytest.mark.parametrize(("exclude", "fired"), [(False, ("confidentialite",)), (True, ())])
def test_filling_knockout_exclude_macros_leaves_canned_replies_out(make_conversation, exclude,
                                                                   fired):
    line = 'codes = ["conduct.confidentiality"]\n'
    flag = f"exclude_macros = {str(exclude).lower()}\n"
    g = validate_grid(tomllib.loads(GRID.replace(line, line + flag)))
    conv = make_conversation(("customer", 0, "Bonjour"),
                             ("advisor", 10, "Mot de passe provisoire : AZERTY"))
    breach = Finding("conduct", "conduct.confidentiality", 1, 26, 32, "AZERTY",
                     severity=Severity.MAJOR)
    metrics = {"first_response_s": 10, "closing_controls": 1}
    # message 1 is a canned reply: the company's process fires the knockout only when the
    # grid says canned replies count
    form = fill_form(g, conv, metrics, [breach], macro_messages={1})
    assert form.overall.knockouts == fired
    assert fill_form(g, conv, metrics, [breach]).overall.knockouts == ("confidentialite",)


def test_filling_knockout_on_a_level():
    g = grid('[[knockouts]]\nid = "lent"\nlevels = { delai = ["a_ameliorer"] }\n')
    proposals = propose_form_levels(g, {"first_response_s": 300, "closing_controls": 1}, [])
    assert overall_of(g, proposals, ("lent",)).result == "fail"


@pytest.mark.parametrize(("extra", "location"), [
    ('[[knockouts]]\nid = "x"\n', "knockouts -> 1"),
    ('[[knockouts]]\nid = "x"\nlevels = { nope = ["bon"] }\n', "knockouts -> 1 -> levels -> nope"),
    ('[[knockouts]]\nid = "x"\nlevels = { delai = ["moyen"] }\n', "knockouts -> 1 -> levels"),
])
def test_filling_knockouts_are_validated_naming_the_place(extra, location):
    with pytest.raises(Exception, match=location):
        grid(extra)


def test_filling_unknown_section_is_an_error():
    with pytest.raises(Exception, match="criteria -> ortho -> section"):
        validate_grid(tomllib.loads(GRID.replace('section = "langue"\nweight = 2',
                                                 'section = "nope"\nweight = 2')))


def test_filling_yes_no_scale_has_its_own_levels_labels_and_points():
    g = grid()
    assert g.scale("process").order == ("non", "oui")
    assert g.level_label("oui", "process") == "Oui"
    assert g.points("oui", "process") == 1 and g.points("bon", "ortho") == 1
    proposals = propose_form_levels(g, {"closing_controls": 0}, [])
    assert proposals["process"].level == "non"
    with pytest.raises(Exception, match="unknown level 'bon'"):
        validate_grid(tomllib.loads(GRID.replace("bands = { non = [0, 1], oui = [1, inf] }",
                                                 "bands = { non = [0, 1], bon = [1, inf] }")))


@pytest.mark.parametrize(("rows", "reason"), [
    ((), "le client n'a rien écrit"),
    ((("system", 0, "Julie a rejoint la conversation"),), "le client n'a rien écrit"),
    ((("bot", 0, "Bonjour, que puis-je faire ?"),), "le client n'a rien écrit"),
    ((("customer", 0, "Bonjour ?"),), "aucun message du conseiller"),
    ((("customer", 0, "https://promo.example/xyz 50%!!!"), ("advisor", 10, "Bonjour ?"),
      ("customer", 20, "www.promo.example")), "que des liens"),
    ((("customer", 0, "Bonjour"), ("advisor", 10, "Bonjour, je regarde.")),
     "parti dès la première réponse"),
])
def test_filling_not_reviewable_is_na_everywhere_with_the_reason(fr_chat, make_conversation,
                                                                 rows, reason):
    result = fr_chat.score(make_conversation(*rows, language="fr"))
    form = result.form
    assert form.reviewable is False and reason in form.reviewable_reason
    assert {p.level for p in form.proposals.values()} == {"na"}
    assert all(reason in p.justification for p in form.proposals.values())
    assert form.overall.result == "na" and form.overall.score is None


def test_filling_facts_count_messages_by_role(make_conversation):
    conv = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, "Bonjour"),
                             ("system", 12, "…"), ("customer", 20, "Merci"),
                             ("advisor", 25, ""))
    assert conversation_facts(conv) == {"n_messages": 5, "n_advisor_messages": 1,
                                        "n_customer_messages": 2,
                                        "n_customer_messages_after_answer": 1,
                                        "n_customer_messages_with_words": 2}


def test_filling_exclude_macros_leaves_canned_replies_out(make_conversation):
    extra = GRID.replace('rule = "weighted_score"\nbands', 'exclude_macros = true\n'
                         'rule = "weighted_score"\nbands')
    g = validate_grid(tomllib.loads(extra))
    conv = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, "Macro"),
                             ("customer", 20, "Merci"), ("advisor", 30, "Moi"))
    found = spelling(4, message_index=1) + spelling(1, message_index=3)
    with_macro = fill_form(g, conv, {"first_response_s": 10, "closing_controls": 1}, found,
                           macro_messages={1})
    assert with_macro.proposals["ortho"].level == "bon"    # 1 error of the advisor's own
    without = fill_form(g, conv, {"first_response_s": 10, "closing_controls": 1}, found)
    assert without.proposals["ortho"].level == "a_ameliorer"


def test_filling_justification_in_the_grid_language_from_the_evidence(make_conversation):
    g = grid()
    conv = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, "Bonjour"),
                             ("customer", 20, "Merci"))
    form = fill_form(g, conv, {"first_response_s": 42.5, "closing_controls": 1}, spelling(3))
    assert form.proposals["delai"].justification == "Bon : première réponse en 42,5 s"
    assert form.proposals["ortho"].justification == "À améliorer : 3 fautes d'orthographe"
    assert form.proposals["delai"].label == "Bon"
    data = form.to_dict()
    json.dumps(data)   # plain data
    assert data["overall"]["result"] == "fail"
    assert [p["section"] for p in data["proposals"]] == ["langue", "delais", "langue"]
    rows = form.to_rows()
    assert rows[0]["level_label"] == "À améliorer" and rows[0]["section"] == "langue"


def test_filling_inheritance_overrides_thresholds_and_drops_criteria(tmp_path):
    child = tmp_path / "client.toml"
    child.write_text(
        '[grid]\nname = "client"\nextends = "fr_chat"\ndrop_criteria = ["relances"]\n'
        '[overall]\npass_mark = 75\n'
        '[[criteria.delais_reponse.metrics]]\nname = "first_response_s"\n'
        'bands = { exceptionnel = [0, 20], bon = [20, 60], a_ameliorer = [60, inf] }\n',
        encoding="utf-8")
    g = load_grid(child)
    parent = load_grid("fr_chat")
    assert g.name == "client" and "relances" not in g.criteria
    assert list(g.criteria) == [c for c in parent.criteria if c != "relances"]
    assert g.overall.pass_mark == 75 and g.levels == parent.levels
    (metric,) = g.criteria["delais_reponse"].metrics   # an array replaces the parent's
    assert metric.bands["bon"] == (20, 60)
    assert g.criteria["delais_reponse"].label == parent.criteria["delais_reponse"].label
    assert g.sha256 != parent.sha256
    grandchild = tmp_path / "team.toml"
    grandchild.write_text('[grid]\nname = "team"\nextends = "client.toml"\n', encoding="utf-8")
    assert "relances" not in load_grid(grandchild).criteria


def test_filling_inheritance_cycle_and_unknown_parent_are_errors(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[grid]\nname = "a"\nextends = "b.toml"\n', encoding="utf-8")
    b.write_text('[grid]\nname = "b"\nextends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(GridError, match="cycle"):
        load_grid(a)
    c = tmp_path / "c.toml"
    c.write_text('[grid]\nname = "c"\nextends = "nope"\n', encoding="utf-8")
    with pytest.raises(GridError, match="E301"):
        load_grid(c)
    d = tmp_path / "d.toml"
    d.write_text('[grid]\nname = "d"\nextends = "fr_chat"\ndrop_criteria = ["nope"]\n',
                 encoding="utf-8")
    with pytest.raises(GridError, match="drop_criteria -> nope"):
        load_grid(d)


def test_filling_en_support_grid_scores_an_english_conversation(make_conversation):
    from chatqa import Pipeline

    pipe = Pipeline.from_grid("en_support")
    conv = make_conversation(
        ("customer", 0, "Hi, I was charged twice for my subscription this month."),
        ("advisor", 40, "Hi Sam, thanks for reaching out and sorry about the double charge! "
                        "I will check your invoices right away."),
        ("advisor", 90, "I can see the second charge. I have refunded it, you will see it on "
                        "your card within five days. Is there anything else I can help with?"),
        ("customer", 120, "No, that's all, thanks!"),
        ("advisor", 130, "You're welcome, have a great day!"),
        language="en",
    )
    form = pipe.score(conv).form
    assert list(form.proposals) == ["quality", "tone", "internal_process", "response_time"]
    levels = {cid: p.level for cid, p in form.proposals.items()}
    assert levels["internal_process"] in ("yes", "no") and levels["response_time"] == "exceptional"
    assert form.proposals["response_time"].justification.startswith("Exceptional: first response")
    assert form.overall.score is not None and form.overall.result in ("pass", "fail")


def test_filling_confidence_is_lower_when_the_level_rests_on_few_words(make_conversation):
    g = grid('')
    g.criteria["ortho"] = g.criteria["ortho"].model_copy(update={
        "thin_evidence": validate_grid(tomllib.loads(GRID.replace(
            'section = "langue"\nweight = 2',
            'section = "langue"\nweight = 2\nthin_evidence = { metric = "own_words", '
            'full_at = 60 }'))).criteria["ortho"].thin_evidence})
    conv = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, "Bonjour"),
                             ("customer", 20, "Merci"))
    metrics = {"first_response_s": 10, "closing_controls": 1}
    sure = fill_form(g, conv, {**metrics, "own_words": 90}, []).proposals["ortho"]
    thin = fill_form(g, conv, {**metrics, "own_words": 15}, []).proposals["ortho"]
    none = fill_form(g, conv, metrics, []).proposals["ortho"]
    assert sure.confidence == 1.0
    assert thin.confidence == pytest.approx(1.0 * (0.5 + 0.5 * 15 / 60), abs=0.01)   # 0.62
    assert none.confidence == 0.5                                   # no word count: half
    assert fill_form(g, conv, {**metrics, "own_words": 15}, []).proposals[
        "delai"].confidence == 1.0                                  # criteria without it


def test_filling_justification_says_counts_in_the_singular_and_facts_in_words(
        make_conversation):
    from chatqa.evaluation.form import Evidence, Proposal
    from chatqa.evaluation.justify import justify

    g = load_grid("fr_chat")
    one = Proposal("delais_reponse", "a_ameliorer", 1.0,
                   (Evidence("metric", "holds_broken", 1.0),), "", "thresholds")
    two = Proposal("delais_reponse", "a_ameliorer", 1.0,
                   (Evidence("metric", "holds_broken", 2.0),), "", "thresholds")
    fact = Proposal("courtoisie_chaleur", "bon", 1.0,
                    (Evidence("metric", "opening_greetings", 1.0),
                     Evidence("metric", "closing_formulas", 0.0)), "", "weighted_score")
    assert justify(one, g) == "À améliorer : 1 attente annoncée dépassée"
    assert justify(two, g) == "À améliorer : 2 attentes annoncées dépassées"
    assert justify(fact, g) == "Bon : salutation d'accueil ; pas de formule de clôture"
