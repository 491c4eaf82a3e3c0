"""Clarity: walls of text, jargon, shouting, punctuation, sentence measures, glossary."""

from __future__ import annotations

import math

import pytest

from chatqa.analyzers.factories import make_clarity
from chatqa.errors import ConfigError


@pytest.fixture(scope="module")
def clarity():
    return make_clarity("fr")


def _run(analyzer, nlp, conv):
    return analyzer.analyze_conversation(conv, [nlp(m.text) for m in conv.messages])


def _codes(analysis, code):
    return [f.text for f in analysis.findings if f.code == code]


def test_clarity_wall_of_text_is_the_whole_message(clarity, nlp_fr, make_conversation):
    wall = " ".join(["Votre dossier a été transmis au service concerné qui le traitera."] * 7)
    listed = "Voici les étapes :\n" + "\n".join(["- ouvrez votre espace client et cliquez"] * 12)
    analysis = _run(clarity, nlp_fr, make_conversation(("advisor", None, wall),
                                                       ("advisor", None, listed)))
    assert _codes(analysis, "clarity.wall_of_text") == [wall]
    assert analysis.metrics["wall_of_text_messages"] == 1.0


def test_clarity_jargon_unless_explained_or_the_customers(clarity, nlp_fr, make_conversation):
    conv = make_conversation(
        ("customer", None, "Mon dossier est en RCP, c'est normal ?"),
        ("advisor", None, "Oui, le dossier RCP est traité, j'ouvre un ticket en N2."),
        ("advisor", None, "Le RIO, c'est-à-dire votre relevé d'identité opérateur, arrive."),
        ("advisor", None, "Je vous envoie le RIO et le code promo NOEL10 par SMS."))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == ["N2"]


def test_clarity_glossary_terms_are_no_jargon(nlp_fr, make_conversation, tmp_path):
    glossary = tmp_path / "glossary.txt"
    glossary.write_text("N2 = second niveau du support\n# comment\n", "utf-8")
    analyzer = make_clarity("fr", glossary=str(glossary))
    conv = make_conversation(("advisor", None, "J'ouvre un ticket en N2 pour vous."))
    assert _codes(_run(analyzer, nlp_fr, conv), "clarity.jargon") == []
    with pytest.raises(ConfigError, match=r"\[E201\]"):
        make_clarity("fr", glossary=str(tmp_path / "none.txt"))


@pytest.mark.parametrize(("text", "span"), [
    ("Vous devez ABSOLUMENT renvoyer le formulaire.", "ABSOLUMENT"),
    ("Surtout NE RENTREZ PAS avant le technicien.", "NE RENTREZ PAS"),
])
def test_clarity_shouting(clarity, nlp_fr, make_conversation, text, span):
    conv = make_conversation(("advisor", None, text))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.shouting") == [span]


@pytest.mark.parametrize("text", [
    "Votre colis LEGO est au relais.",
    "Le point relais est au 11 AVENUE JEAN JAURES.",
    "Vous recevrez un SMS et un mail de la SNCF.",
])
def test_clarity_no_shouting(clarity, nlp_fr, make_conversation, text):
    conv = make_conversation(("advisor", None, text))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.shouting") == []


def test_clarity_repeated_punctuation(clarity, nlp_fr, make_conversation):
    conv = make_conversation(("advisor", None, "Vraiment ??? C'est livré !!! Bon... d'accord ?"))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.punctuation") == ["???", "!!!"]


def test_clarity_repeated_punctuation_spaced_out(clarity, nlp_fr, make_conversation):
    # archives that space punctuation out write « !! » as « ! ! »
    conv = make_conversation(("advisor", None, "Profitez en ! ! Vraiment ? ? Oui ?! Livré !"))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.punctuation") == ["! !", "? ?"]


def test_clarity_terms_of_sale_acronym_is_jargon(clarity, nlp_fr, make_conversation):
    conv = make_conversation(
        ("advisor", None, "Comme indiqué dans nos CGV, nous remboursons les frais de douane."),
        ("advisor", None, "Les CGU, c'est-à-dire les conditions d'utilisation, sont en ligne."))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == ["CGV"]


def test_clarity_sentence_measures_and_minimum(clarity, nlp_fr, make_conversation):
    text = ("Je vérifie votre commande. Elle est partie ce matin de notre entrepôt. Vous la "
            "recevrez demain avant midi. Avez-vous une autre question ?")
    analysis = _run(clarity, nlp_fr, make_conversation(("advisor", None, text)))
    m = analysis.metrics
    assert m["sentence_words_mean"] == pytest.approx(23 / 4)  # « Avez », « -vous »: two
    assert m["longest_sentence_words"] == 8.0
    assert 0 < m["flesch_score"] < 130 and m["lix_score"] > 0
    assert m["dependency_distance_mean"] > 0
    assert analysis.message_metrics[0] == {"sentences": 4.0, "max_sentence_words": 8.0}
    short = _run(clarity, nlp_fr, make_conversation(("advisor", None, "C'est noté.")))
    assert math.isnan(short.metrics["flesch_score"])
    assert short.metrics["one_word_replies"] == 0.0
