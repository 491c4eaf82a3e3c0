"""clarity.run_on: one written sentence chaining clauses with nothing to part them."""

from __future__ import annotations

import math

import pytest
from conftest import analyze_with

from chatqa.analyzers.factories import make_clarity
from chatqa.analyzers.run_on import written_sentences

CHAINED = ("si le produit a une étoile rouge nous garantissons une livraison pour Noël si la "
           "commande est passée avant le 16 décembre")


def _run_ons(analyzer, nlp, conv, macros=frozenset()):
    analysis = analyze_with(analyzer, nlp, conv, macros)
    return analysis, [f.text for f in analysis.findings if f.code == "clarity.run_on"]


def test_clauses_chained_without_a_comma_are_a_run_on(clarity, nlp_fr, make_conversation):
    conv = make_conversation(("advisor", None, f"Bonjour Madame. {CHAINED}. Bonne journée"))
    assert _run_ons(clarity, nlp_fr, conv)[1] == [CHAINED + "."]


@pytest.mark.parametrize("text", [
    # as long, but its clauses parted by commas and a clear main clause first
    "si le produit a une étoile rouge, nous garantissons une livraison pour Noël, à condition "
    "que la commande soit passée avant le 16 décembre.",
    # « que… et que… »: two complement clauses side by side, well built
    "le coût des frais de port s'explique par le fait que nos produits sont expédiés depuis "
    "les Etats-Unis et que nous faisons le choix d'une livraison avec numéro de suivi.",
    # long by a product name and an address, one clause
    "vous pouvez déposer le produit Eau de Parfum Intense Nuit Étoilée 100 ml au point relais "
    "Pressing de la Gare 3 rue Sully 44000 Nantes jusqu'au 12 mars.",
    # « mot de passe »: the tagger's verb « passe » has no subject
    "afin de réinitialiser votre compte, je vous propose de remplacer votre mot de passe actuel "
    "par un mot de passe provisoire que vous changerez ensuite.",
])
def test_long_well_built_sentences_are_no_run_on(clarity, nlp_fr, make_conversation, text):
    conv = make_conversation(("advisor", None, text))
    assert _run_ons(clarity, nlp_fr, conv)[1] == []


def test_two_sentences_run_together_without_a_full_stop_are_one(nlp_fr):
    doc = nlp_fr("c'est bien cela les frais augmentent à chaque fois mais nous avons décidé "
                 "qu'ils seraient dégressifs malgré tout c'est ce que je vous ai expliqué")
    assert len(written_sentences(doc, frozenset({".", "!", "?"}))) == 1


def test_a_capital_after_a_missing_full_stop_starts_a_sentence(nlp_fr):
    doc = nlp_fr("le colis est au relais 3 rue Sully 44000 Nantes Une fois le colis réceptionné "
                 "nous procéderons au remboursement")
    sentences = written_sentences(doc, frozenset({".", "!", "?"}))
    assert [s.text.split()[0] for s in sentences][-1] == "Une"


def test_run_ons_count_in_own_messages_only_and_cap_nothing_without_a_parse(
        clarity, nlp_fr, make_conversation):
    own = "Je regarde votre commande tout de suite, un instant s'il vous plaît."
    conv = make_conversation(("advisor", None, own), ("advisor", None, CHAINED))
    written, found = _run_ons(clarity, nlp_fr, conv)
    canned, _ = _run_ons(clarity, nlp_fr, conv, frozenset({1}))
    assert found == [CHAINED]
    assert written.metrics["run_on_sentences"] == 1.0
    assert canned.metrics["run_on_sentences"] == 0.0


def test_no_run_on_count_without_a_morphologizer(nlp_en, make_conversation):
    conv = make_conversation(("advisor", None, "if you order today we ship tomorrow if the "
                                               "item is in stock and we email you when it "
                                               "leaves our warehouse"))
    analysis, found = _run_ons(make_clarity("en"), nlp_en, conv)
    assert found == [] and math.isnan(analysis.metrics["run_on_sentences"])


def test_a_hyphen_inside_a_word_parts_no_stretch(clarity, nlp_fr, make_conversation):
    text = ("votre abonnement prend fin ce mois-ci donc vous serez débité du nouveau montant "
            "le 28 si vous ne changez rien avant cette date")
    conv = make_conversation(("advisor", None, text))
    assert _run_ons(clarity, nlp_fr, conv)[1] == [text]


def test_forty_words_and_four_clauses_are_a_run_on_commas_or_not(clarity, nlp_fr,
                                                                 make_conversation):
    text = ("pour que la prise en charge, qui se fait par le service après-vente du fabricant "
            "puisque vous avez acheté l'appareil sur notre site, puisse être lancée sans que "
            "vous ayez à avancer les frais, il faut que vous nous envoyiez la facture et une "
            "photo du numéro de série.")
    conv = make_conversation(("advisor", None, text))
    assert _run_ons(clarity, nlp_fr, conv)[1] == [text]


def test_words_with_an_apostrophe_count_toward_the_length(clarity, nlp_fr, make_conversation):
    # 20 words as clarity counts them (« n' » is one), 19 tokens of letters only
    text = ("normalement je n'ai pas la possibilité de le faire mais je me renseigne pour savoir "
            "qui est votre interlocuteur")
    conv = make_conversation(("advisor", None, text))
    assert _run_ons(clarity, nlp_fr, conv)[1] == [text]
