"""spelling_grammar on real French parses: what chat allows, what an evaluator flags, metrics."""

from __future__ import annotations

import math

import pytest

from chatqa.analyzers.base import get_factory
from chatqa.errors import ConfigError


@pytest.fixture(scope="module")
def builtin(tmp_path_factory):
    allow = tmp_path_factory.mktemp("allow") / "brands.txt"
    allow.write_text("# client brands\nLivebox\nFreebox  # box\n\nSosh\n", "utf-8")
    return get_factory("spelling_grammar")("fr", backend="builtin", allow_list=str(allow))


def _findings(analyzer, nlp, text):
    return analyzer.analyze_message(nlp(text)).findings


@pytest.mark.parametrize(
    "text",
    [
        "Vous pouvez suivre votre colis sur https://www.exemple-boutique.fr/suivi?id=48",
        "Écrivez-nous à service.client@exemple.fr ou appelez le 01 23 45 67 89",
        "Votre commande n° 482913 de 19,99 € sera livrée le 12/03 à 14h30 🙂",
        "Bonjour _Name1_, je vous envoie le lien par mail sur _Email1_",
        "Votre Livebox est ok, vous pouvez relancer l'appli",
        "Je transmets votre dossier à Mme Dupuis, elle vous rappellera",
        "Le ticket #A-55012 est clos, merci pour votre patience :)",
        "Parfait, je vous en prie !",
        "Avez-vous reçu le SMS?",
        "Je reste à votre disposition",
        # idioms and comparatives are not negations missing « ne »
        "Il y a pas mal de demandes ce matin.",
        "Les délais sont plus longs en décembre.",
        "Votre colis arrivera dans plus de 3 jours.",
        # word-list fragments are not sentences: no capital required
        "tablette de chocolat",
    ],
)
def test_spelling_grammar_chat_text_is_not_flagged(builtin, nlp_fr, text):
    assert _findings(builtin, nlp_fr, text) == ()


@pytest.mark.parametrize(
    ("text", "code", "flagged", "suggestion"),
    [
        ("Il y a un probleme avec votre ligne.", "spelling.word", "probleme", "problème"),
        ("bonjour, je regarde votre dossier.", "typography.capital", "bonjour", "Bonjour"),
        ("Pouvez vous me confirmer votre adresse ?", "typography.hyphen", "Pouvez vous",
         "Pouvez-vous"),
        ("Je sais pas si le colis est parti.", "grammar.negation", "sais pas", "ne sais pas"),
        ("C'est pas possible de modifier la commande.", "grammar.negation", "C'est pas",
         "ce n'est pas"),
        ("Je vais vous envoyé un lien.", "grammar.conjugation", "envoyé", "envoyer"),
        ("J'ai envoyer le mail ce matin.", "grammar.conjugation", "envoyer", "envoyé"),
        ("Merci de patientez un instant.", "grammar.conjugation", "patientez", "patienter"),
        ("Je vous remercies pour votre patience.", "grammar.conjugation", "remercies",
         "remercie"),
        ("Votre commande est expédié depuis hier.", "grammar.agreement", "expédié", "expédiée"),
        ("Les colis sont arrivé ce matin.", "grammar.agreement", "arrivé", "arrivés"),
        ("Les techniciens passe demain matin.", "grammar.agreement", "passe", "passent"),
        ("Je vous envoie des informations complémentaire.", "grammar.agreement",
         "complémentaire", "complémentaires"),
        ("Merci, ces un problème de connexion.", "grammar.homophone", "ces", "c'est"),
        ("Vous serez livré a partir de demain.", "grammar.homophone", "a", "à"),
        ("Nous allons pallier à ce problème.", "grammar.usage", "pallier à", "pallier"),
        ("Quelque soit votre choix, je valide.", "grammar.homophone", "Quelque soit",
         "quel que soit"),
    ],
)
def test_spelling_grammar_flags_what_an_evaluator_flags(builtin, nlp_fr, text, code, flagged,
                                                       suggestion):
    findings = _findings(builtin, nlp_fr, text)
    assert [(f.code, f.text, f.suggestion) for f in findings] == [(code, flagged, suggestion)]
    (finding,) = findings
    assert text[finding.start:finding.end] == flagged
    assert finding.analyzer == "spelling_grammar" and finding.details["backend"]


def test_spelling_grammar_foreign_sentence_is_reported_once(builtin, nlp_fr):
    text = ("Your order has been shipped and will arrive within 3 business days. "
            "Je reste à votre disposition.")
    (finding,) = _findings(builtin, nlp_fr, text)
    assert finding.code == "language.foreign"
    assert finding.text == "Your order has been shipped and will arrive within 3 business days."


def test_spelling_grammar_allow_list_is_what_protects_a_brand(builtin, nlp_fr):
    bare = get_factory("spelling_grammar")("fr", backend="builtin")
    text = "Redémarrez la livebox puis testez."   # lowercase: not taken for a name
    (finding,) = _findings(bare, nlp_fr, text)
    assert (finding.code, finding.text) == ("spelling.word", "livebox")
    assert _findings(builtin, nlp_fr, text) == ()  # the allow-list has « Livebox »


def test_spelling_grammar_unknown_capitalised_word_mid_sentence_is_a_name(builtin, nlp_fr):
    assert _findings(builtin, nlp_fr, "Je transmets à Karima Benhadj votre dossier.") == ()


def test_spelling_grammar_metrics_and_conversation_summary(builtin, nlp_fr):
    # 6 words, 2 errors: « probleme » and « envoyé » -> 100 * 2 / 6 = 33.3 errors per 100 words
    one = builtin.analyze_message(nlp_fr("Un probleme, je vais vous envoyé."))
    assert one.metrics["words"] == 6 and one.metrics["language_errors"] == 2
    assert one.metrics["errors_per_100_words"] == pytest.approx(100 * 2 / 6)
    two = builtin.analyze_message(nlp_fr("Bonne journée à vous."))
    assert two.metrics["language_errors"] == 0 and two.metrics["errors_per_100_words"] == 0
    summary = builtin.summarize([one, two])
    # 6 + 4 words, 2 + 0 errors -> 20 per 100 words
    assert summary == {"advisor_words": 10.0, "advisor_language_errors": 2.0,
                       "advisor_errors_per_100_words": 20.0}
    empty = builtin.summarize([])
    assert empty["advisor_words"] == 0 and math.isnan(empty["advisor_errors_per_100_words"])


def test_spelling_grammar_empty_message_gives_nan_not_an_error(builtin, nlp_fr):
    metrics = builtin.analyze_message(nlp_fr("👍")).metrics
    assert metrics["words"] == 0 and math.isnan(metrics["errors_per_100_words"])


@pytest.mark.parametrize(
    ("params", "code"),
    [({"backend": "word"}, "E206"), ({"backend": "languagetool"}, "E207"),
     ({"allow_list": "no/such/brands.txt"}, "E208"), ({"max_suggestions": -1}, "E201"),
     ({"backnd": "builtin"}, "E204")],
)
def test_spelling_grammar_bad_configuration(params, code):
    with pytest.raises(ConfigError, match=rf"\[{code}\]"):
        get_factory("spelling_grammar")("fr", **params)


@pytest.mark.parametrize(
    ("text", "code", "flagged", "suggestion"),
    [
        ("Si vous auriez besoin d'aide, écrivez-nous.", "grammar.conjugation", "auriez", None),
        ("Je serait ravie de vous aider.", "grammar.conjugation", "serait", "serais"),
        ("Nous vous tiendront informée.", "grammar.conjugation", "tiendront", "tiendrons"),
        ("J'ai envoyée la facture hier.", "grammar.agreement", "envoyée", "envoyé"),
        ("Cliquez sur http:/www.exemple.fr/suivi", "typography.link",
         "http:/www.exemple.fr/suivi", "https://"),
        ("Vous trouverez le lien dans l email.", "typography.apostrophe", "l email", "'"),
        ("C'est à dire que le colis est reparti.", "typography.hyphen", "C'est à dire",
         "c'est-à-dire"),
    ],
)
def test_spelling_grammar_supplement_rules_run_whatever_the_backend(builtin, nlp_fr, text, code,
                                                                    flagged, suggestion):
    findings = _findings(builtin, nlp_fr, text)
    assert [(f.code, f.text, f.suggestion) for f in findings] == [(code, flagged, suggestion)]


@pytest.mark.parametrize(
    "text",
    [
        "Je me demande si vous pourriez me rappeler demain.",   # indirect question: conditional ok
        "Si vous entriez le code, le colis serait débloqué.",   # imperfect of entrer
        "La facture que j'ai envoyée hier est jointe.",         # object before avoir: agreed
        "Le colis mesure 5 m en hauteur.",                      # a unit, not a lost apostrophe
    ],
)
def test_spelling_grammar_supplement_stays_quiet_on_correct_text(builtin, nlp_fr, text):
    assert _findings(builtin, nlp_fr, text) == ()
