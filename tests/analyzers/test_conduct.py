"""Conduct: greeting, closing, name, vouvoiement, mandatory phrases, questions, empathy,
breaches; and the four fr_chat criteria it feeds, every level reached on real pipelines."""

from __future__ import annotations

import math

import pytest

from chatqa.analyzers.base import Analysis, ConversationContext
from chatqa.analyzers.factories import make_conduct, make_markers
from chatqa.errors import ConfigError
from chatqa.model import Finding, Role
from chatqa.pipeline import Pipeline


@pytest.fixture(scope="module")
def conduct(nlp_fr):
    return make_conduct("fr").initialize(nlp_fr)


@pytest.fixture(scope="module")
def fr_chat():
    return Pipeline.from_grid("fr_chat")


def _run(analyzer, nlp, conversation, with_markers=True):
    """As the pipeline does: every message parsed, the markers' results passed on."""
    docs = tuple(nlp(m.text) for m in conversation.messages)
    results = {}
    if with_markers:
        markers = make_markers("fr").initialize(nlp)
        results = {"markers": {i: markers.analyze_message(docs[i])
                               for i, m in enumerate(conversation.messages)
                               if m.role is Role.ADVISOR}}
    return analyzer.analyze_conversation(conversation,
                                         ConversationContext(docs=docs, message_results=results))


def _codes(analysis, code):
    return [f.text for f in analysis.findings if f.code == code]


GREETED = ("advisor", None, "Bonjour Madame Leroy, je regarde votre dossier.")
CLOSED = ("advisor", None, "Je vous souhaite une excellente journée.")


# --- greeting and closing -------------------------------------------------------------------
def test_conduct_greeting_and_closing_of_the_advisor(conduct, nlp_fr, make_conversation):
    conv = make_conversation(("customer", None, "Bonjour, mon colis n'est pas arrivé."),
                             GREETED, CLOSED)
    m = _run(conduct, nlp_fr, conv).metrics
    assert (m["opening_greetings"], m["closing_formulas"]) == (1.0, 1.0)


def test_conduct_missing_greeting_and_closing_are_findings_on_those_messages(
        conduct, nlp_fr, make_conversation):
    conv = make_conversation(("customer", None, "Mon colis n'est pas arrivé."),
                             ("advisor", None, "Je regarde votre dossier."),
                             ("advisor", None, "Il sera livré demain."))
    analysis = _run(conduct, nlp_fr, conv)
    assert (analysis.metrics["opening_greetings"], analysis.metrics["closing_formulas"]) == (0, 0)
    where = {f.code: f.message_index for f in analysis.findings}
    assert where["conduct.greeting_missing"] == 1
    assert where["conduct.closing_missing"] == 2


def test_conduct_closing_phrase_counts_in_the_last_two_messages(conduct, nlp_fr,
                                                                 make_conversation):
    conv = make_conversation(GREETED,
                             ("advisor", None, "N'hésitez pas à revenir vers nous."),
                             ("advisor", None, "Votre remboursement est validé."))
    assert _run(conduct, nlp_fr, conv).metrics["closing_formulas"] == 1.0


@pytest.mark.parametrize(("counts", "expected"), [(False, 0.0), (True, 1.0)])
def test_conduct_bot_greeting_counts_only_when_the_grid_says_so(nlp_fr, make_conversation,
                                                                counts, expected):
    analyzer = make_conduct("fr", bot_greeting_counts=counts).initialize(nlp_fr)
    conv = make_conversation(("bot", None, "Bonjour, je suis Camille, votre conseillère."),
                             ("customer", None, "Mon colis n'est pas arrivé."),
                             ("advisor", None, "Je regarde votre dossier."))
    assert _run(analyzer, nlp_fr, conv).metrics["opening_greetings"] == expected


def test_conduct_closing_control_in_the_last_messages(conduct, nlp_fr, make_conversation):
    conv = make_conversation(GREETED, ("advisor", None, "Avez-vous d'autres questions ?"),
                             CLOSED)
    assert _run(conduct, nlp_fr, conv).metrics["closing_controls"] == 1.0


def test_conduct_finds_markers_itself_without_the_markers_analyzer(conduct, nlp_fr,
                                                                   make_conversation):
    conv = make_conversation(GREETED, CLOSED)
    alone = _run(conduct, nlp_fr, conv, with_markers=False).metrics
    assert (alone["opening_greetings"], alone["closing_formulas"]) == (1.0, 1.0)


def test_conduct_uses_the_markers_results_it_is_given(conduct, nlp_fr, make_conversation):
    # a pipeline whose markers analyzer found no greeting (a client disabled the pattern)
    conv = make_conversation(GREETED, CLOSED)
    docs = tuple(nlp_fr(m.text) for m in conv.messages)
    context = ConversationContext(docs=docs, message_results={
        "markers": {0: Analysis(metrics={}), 1: Analysis(metrics={})}})
    assert conduct.analyze_conversation(conv, context).metrics["opening_greetings"] == 0.0


# --- name and vouvoiement -------------------------------------------------------------------
def test_conduct_customer_name_from_metadata_titles_left_out(conduct, nlp_fr, make_conversation):
    conv = make_conversation(("customer", None, "Bonjour"),
                             ("advisor", None, "Bonjour Madame, je regarde."),
                             ("advisor", None, "C'est fait Madame Leroy."),
                             customer_name="Mme Martine Leroy")
    assert _run(conduct, nlp_fr, conv).metrics["customer_name_uses"] == 1.0


def test_conduct_customer_name_unknown_is_nan(conduct, nlp_fr, make_conversation):
    conv = make_conversation(("customer", None, "Bonjour"), GREETED)
    assert math.isnan(_run(conduct, nlp_fr, conv).metrics["customer_name_uses"])


def test_conduct_vouvoiement_ratio_drops_with_tutoiement(conduct, nlp_fr, make_conversation):
    kept = make_conversation(GREETED, ("advisor", None, "Vous recevrez votre colis demain."))
    slipped = make_conversation(GREETED, ("advisor", None, "Tu recevras ton colis demain."))
    silent = make_conversation(("advisor", None, "C'est noté."))
    assert _run(conduct, nlp_fr, kept).metrics["vouvoiement_ratio"] == 1.0
    assert 0 < _run(conduct, nlp_fr, slipped).metrics["vouvoiement_ratio"] < 1
    assert math.isnan(_run(conduct, nlp_fr, silent).metrics["vouvoiement_ratio"])


# --- mandatory phrases ----------------------------------------------------------------------
def test_conduct_mandatory_phrases_folded_and_where(nlp_fr, make_conversation):
    analyzer = make_conduct("fr", mandatory_phrases=[
        {"id": "accueil", "where": "first", "phrases": ["bienvenue chez Exemple"]},
        {"id": "cloture", "where": "last", "phrases": ["Exemple vous remercie"]},
    ]).initialize(nlp_fr)
    conv = make_conversation(("advisor", None, "Bonjour et BIENVENUE  chez exemple !"),
                             ("advisor", None, "Bonne journée."))
    analysis = _run(analyzer, nlp_fr, conv)
    assert analysis.metrics["mandatory_phrases_missing"] == 1.0
    [missing] = [f for f in analysis.findings if f.code == "conduct.mandatory_missing"]
    assert (missing.details["phrase"], missing.message_index) == ("cloture", 1)


def test_conduct_no_mandatory_phrase_configured_is_nan(conduct, nlp_fr, make_conversation):
    conv = make_conversation(GREETED)
    assert math.isnan(_run(conduct, nlp_fr, conv).metrics["mandatory_phrases_missing"])


@pytest.mark.parametrize("params", [
    {"mandatory_phrases": [{"id": "x", "where": "middle", "phrases": ["a"]}]},
    {"mandatory_phrases": [{"id": "x", "phrases": []}]},
    {"empathy_window_messages": 0},
    {"bot_greeting_counts": "yes"},
])
def test_conduct_bad_parameters_are_e201(params):
    with pytest.raises(ConfigError, match=r"\[E201\]"):
        make_conduct("fr", **params)


# --- questions ------------------------------------------------------------------------------
def test_conduct_question_without_any_reply_is_a_finding(conduct, nlp_fr, make_conversation):
    conv = make_conversation(("customer", None, "Où est mon colis ?"), GREETED,
                             ("customer", None, "Et pour le remboursement ?"),
                             ("customer", None, "comment je fais pour le retour"))
    analysis = _run(conduct, nlp_fr, conv)
    assert analysis.metrics["customer_questions"] == 3.0
    assert analysis.metrics["unanswered_questions"] == 2.0
    assert [f.message_index for f in analysis.findings
            if f.code == "conduct.unanswered_question"] == [2, 3]


# --- empathy --------------------------------------------------------------------------------
def _emotional(advisor_replies):
    return (("customer", None, "Ça fait trois fois que j'appelle, c'est inadmissible !"),
            *(("advisor", None, text) for text in advisor_replies))


def test_conduct_emotion_answered_within_two_advisor_messages(conduct, nlp_fr,
                                                              make_conversation):
    conv = make_conversation(*_emotional(["Bonjour Madame.", "Je comprends votre agacement."]))
    analysis = _run(conduct, nlp_fr, conv)
    assert analysis.metrics["empathy_opportunities"] == 1.0
    assert analysis.metrics["empathy_answered_ratio"] == 1.0
    emotions = [f for f in analysis.findings if f.code == "customer.emotion"]
    assert emotions and all(f.details["answered"] and f.details["answered_by"] == 2
                            for f in emotions)


def test_conduct_emotion_answered_too_late_is_not_answered(conduct, nlp_fr, make_conversation):
    replies = ["Bonjour Madame.", "Je regarde.", "Je comprends votre agacement."]
    analysis = _run(conduct, nlp_fr, make_conversation(*_emotional(replies)))
    assert analysis.metrics["empathy_opportunities_answered"] == 0.0
    wider = make_conduct("fr", empathy_window_messages=3).initialize(nlp_fr)
    assert _run(wider, nlp_fr, make_conversation(*_emotional(replies))).metrics[
        "empathy_opportunities_answered"] == 1.0


def test_conduct_no_emotion_leaves_the_ratio_undefined(conduct, nlp_fr, make_conversation):
    conv = make_conversation(("customer", None, "Je voudrais changer d'adresse."),
                             ("advisor", None, "Je comprends, je m'en occupe."))
    m = _run(conduct, nlp_fr, conv).metrics
    assert m["empathy_opportunities"] == 0.0
    assert math.isnan(m["empathy_answered_ratio"])
    assert m["unprompted_empathy_markers"] == 1.0


# --- breaches -------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "code"), [
    ("Pouvez-vous me donner votre numéro de carte bancaire ?", "conduct.confidentiality"),
    ("Quel est votre mot de passe ?", "conduct.confidentiality"),
    ("Je vous envoie un code par SMS, merci de me le recopier ici.", "conduct.confidentiality"),
    ("Notre site est vraiment mal fait.", "conduct.denigration"),
    ("Mes collègues du service technique ne savent pas ce qu'ils font.", "conduct.denigration"),
    ("Personnellement je trouve ce forfait trop cher.", "conduct.personal_opinion"),
    ("À mon avis vous devriez changer d'opérateur.", "conduct.personal_opinion"),
    ("Je vous garantis que le colis arrivera demain.", "conduct.overpromise"),
    ("C'est sûr à 100 % que le technicien passera.", "conduct.overpromise"),
    ("Ça ne se reproduira plus jamais.", "conduct.overpromise"),
])
def test_conduct_breach_found(conduct, nlp_fr, make_conversation, text, code):
    analysis = _run(conduct, nlp_fr, make_conversation(("advisor", None, text)))
    assert _codes(analysis, code), f"no {code} in {text!r}"
    assert analysis.metrics["conduct_breaches"] >= 1


@pytest.mark.parametrize("text", [
    "Pouvez-vous me donner les 4 derniers chiffres de votre carte ?",
    "Ne communiquez jamais votre mot de passe.",
    "Saisissez le code reçu par SMS sur le site.",
    "Vous pouvez utiliser le code promo AZERTY sur votre commande.",
    "Le transporteur a signalé un retard.",
    "Notre service est à votre disposition.",
    "Je vous recommande l'option Sérénité, adaptée à votre usage.",
    "Je ne trouve pas votre commande.",
    "Je vous garantis que je m'en occupe personnellement.",
    "Je vous confirme que le remboursement a été effectué.",
])
def test_conduct_hard_negative_is_no_breach(conduct, nlp_fr, make_conversation, text):
    analysis = _run(conduct, nlp_fr, make_conversation(("advisor", None, text)))
    assert analysis.metrics["conduct_breaches"] == 0.0, [f.text for f in analysis.findings]


def test_conduct_card_number_written_by_the_advisor_is_a_breach(conduct, nlp_fr,
                                                                make_conversation):
    text = "J'ai bien noté la carte 4970 1012 3456 7890, merci."
    found = _codes(_run(conduct, nlp_fr, make_conversation(("advisor", None, text))),
                   "conduct.confidentiality")
    assert found == ["4970 1012 3456 7890"]


def test_conduct_password_written_by_the_advisor_is_a_breach(conduct, nlp_fr,
                                                             make_conversation):
    # the PMC shop's provisional password, as its advisors send it
    text = "je vous invite à vous connecter à votre compte à l'aide du mot de passe : AZERTY"
    analysis = _run(conduct, nlp_fr, make_conversation(("advisor", None, text)))
    assert _codes(analysis, "conduct.confidentiality") == ["AZERTY"]
    assert [f.details["pattern"] for f in analysis.findings
            if f.code == "conduct.confidentiality"] == ["writes_secret"]
    # a warning about passwords, or the word alone, writes none
    for safe in ("Ne communiquez jamais votre mot de passe.",
                 "Le mot de passe doit être saisi en majuscules.",
                 "Votre code de retrait : 4521, à présenter au relais."):
        quiet = _run(conduct, nlp_fr, make_conversation(("advisor", None, safe)))
        assert quiet.metrics["conduct_breaches"] == 0.0, safe


def test_conduct_card_number_written_by_the_customer_is_not_the_advisors(conduct, nlp_fr,
                                                                         make_conversation):
    conv = make_conversation(("customer", None, "ma carte c'est 4970 1012 3456 7890"), GREETED)
    assert _run(conduct, nlp_fr, conv).metrics["conduct_breaches"] == 0.0


def test_conduct_english_has_no_vouvoiement(make_conversation, nlp_en):
    nlp = nlp_en
    analyzer = make_conduct("en").initialize(nlp)
    conv = make_conversation(("customer", None, "I'm so frustrated, where is my order?"),
                             ("advisor", None, "Hi Sam, I'm sorry to hear that. If I were you "
                                               "I'd cancel. Have a great day!"))
    analysis = _run_en(analyzer, nlp, conv)
    assert math.isnan(analysis.metrics["vouvoiement_ratio"])
    assert analysis.metrics["empathy_opportunities"] == 1.0
    assert _codes(analysis, "conduct.personal_opinion")


def _run_en(analyzer, nlp, conversation):
    markers = make_markers("en").initialize(nlp)
    docs = tuple(nlp(m.text) for m in conversation.messages)
    results = {"markers": {i: markers.analyze_message(docs[i])
                           for i, m in enumerate(conversation.messages)
                           if m.role is Role.ADVISOR}}
    return analyzer.analyze_conversation(conversation,
                                         ConversationContext(docs=docs, message_results=results))


# --- the fr_chat criteria: every level reachable ---------------------------------------------
OPEN = ("customer", None, "Bonjour, je voudrais savoir où en est ma commande 4521.")
WARM = [
    ("advisor", None, "Bonjour Madame Leroy, merci pour votre patience, je vérifie votre "
                      "commande tout de suite."),
    ("advisor", None, "Votre colis est parti ce matin, merci de votre confiance. Avez-vous "
                      "d'autres questions ?"),
    ("advisor", None, "Je vous souhaite une excellente journée."),
]
COLD = [
    ("advisor", None, "Votre commande est en préparation au dépôt et partira bientôt "
                      "normalement."),
    ("advisor", None, "Ce n'est pas possible de l'accélérer, vous devez attendre la livraison "
                      "prévue."),
]


def _level(pipe, conv, criterion):
    return pipe.score(conv).form.proposals[criterion]


@pytest.mark.parametrize(("rows", "criterion", "level"), [
    ((OPEN, *WARM), "courtoisie_chaleur", "exceptionnel"),
    ((OPEN, *COLD), "courtoisie_chaleur", "a_ameliorer"),
    ((OPEN, WARM[0], COLD[0]), "courtoisie_chaleur", "bon"),
    ((OPEN, ("advisor", None, "C'est noté.")), "courtoisie_chaleur", "na"),
    ((OPEN, *WARM), "directivite", "exceptionnel"),
    ((OPEN, WARM[0], WARM[2]), "directivite", "bon"),
    ((OPEN, COLD[0], ("advisor", None, "Votre commande partira bientôt normalement, d'après "
                                      "les informations que nous avons à ce jour.")),
     "directivite", "a_ameliorer"),
    ((OPEN, *WARM), "deontologie", "exceptionnel"),
    ((OPEN, *WARM, ("advisor", None, "Personnellement je trouve ce transporteur très lent.")),
     "deontologie", "bon"),
    ((OPEN, *WARM, ("advisor", None, "Pouvez-vous me donner votre numéro de carte bancaire "
                                     "pour le remboursement ?")), "deontologie", "a_ameliorer"),
    ((("customer", None, "C'est inadmissible, ça fait trois semaines que j'attends !"),
      ("advisor", None, "Je comprends tout à fait votre agacement, je vérifie votre commande.")),
     "empathie", "exceptionnel"),
    ((("customer", None, "C'est inadmissible, ça fait trois semaines que j'attends !"),
      ("advisor", None, "Je vérifie votre commande."), ("advisor", None, "Elle part demain."),
      ("customer", None, "Je suis vraiment inquiète pour le cadeau de ma fille."),
      ("advisor", None, "Ne vous inquiétez pas, elle arrivera à temps.")), "empathie", "bon"),
    ((OPEN, ("advisor", None, "Je suis navrée pour ce désagrément, je vérifie.")),
     "empathie", "bon"),
    ((("customer", None, "C'est inadmissible, ça fait trois semaines que j'attends !"),
      ("advisor", None, "Je vérifie votre commande.")), "empathie", "a_ameliorer"),
    ((OPEN, ("advisor", None, "Je vérifie votre commande.")), "empathie", "na"),
])
def test_conduct_fr_chat_criteria_reach_every_level(fr_chat, make_conversation, rows, criterion,
                                                    level):
    # the customer writes again at the end: a customer gone after the first answer is not
    # reviewable (na everywhere), which is not what these rows test
    rows = (*rows, ("customer", None, "D'accord, merci."))
    proposal = _level(fr_chat, make_conversation(*rows, language="fr"), criterion)
    assert proposal.level == level, (proposal.level, proposal.reason)


def test_conduct_fr_chat_evidence_lists_the_spans_used(fr_chat, make_conversation):
    conv = make_conversation(OPEN, *WARM, ("advisor", None, "Notre site est vraiment mal fait."),
                             language="fr")
    proposal = _level(fr_chat, conv, "deontologie")
    spans = [(e.name, e.message_index) for e in proposal.evidence if e.kind == "finding"]
    assert ("conduct.denigration", 4) in spans


def test_conduct_findings_are_plain_findings(conduct, nlp_fr, make_conversation):
    analysis = _run(conduct, nlp_fr, make_conversation(*_emotional(["Je comprends."])))
    assert all(isinstance(f, Finding) and f.analyzer == "conduct" for f in analysis.findings)
