"""Diversity and readability formulas give the reference libraries' numbers on one input."""

from __future__ import annotations

import math
import random

import pytest
import textstat
from lexicalrichness import LexicalRichness

from chatqa.analyzers.factories import make_clarity
from chatqa.measures.diversity import hdd, mattr, mtld
from chatqa.measures.readability import flesch_kandel_moles, lix, syllables

WORDS = ("je vérifie votre commande elle partira demain matin par colissimo le colis "
         "sera livré au point relais vous recevrez un mail de confirmation avec le lien "
         "de suivi merci de votre patience").split()


def _tokens(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(WORDS) for _ in range(n)]


@pytest.mark.parametrize(("n", "seed"), [(60, 0), (120, 1), (250, 2), (43, 3)])
def test_measures_diversity_equals_lexicalrichness(n, seed):
    tokens = _tokens(n, seed)
    ref = LexicalRichness(tokens, preprocessor=None, tokenizer=None)
    assert mtld(tokens) == pytest.approx(ref.mtld(threshold=0.72), abs=1e-9)
    assert mattr(tokens, 25) == pytest.approx(ref.mattr(window_size=25), abs=1e-9)
    assert hdd(tokens, 42) == pytest.approx(ref.hdd(draws=42), abs=1e-9)


def test_measures_diversity_of_a_text_with_no_repeat():
    tokens = [f"w{i}" for i in range(60)]
    ref = LexicalRichness(tokens, preprocessor=None, tokenizer=None)
    assert mtld(tokens) == pytest.approx(ref.mtld(), abs=1e-9)
    assert mattr(tokens, 50) == 1.0


def test_measures_diversity_is_nan_below_its_minimum():
    tokens = _tokens(30, 4)
    assert math.isnan(mattr(tokens, 50))
    assert math.isnan(hdd(tokens, 42))
    assert math.isnan(mtld([]))


@pytest.mark.parametrize("text", [
    "Bonjour Madame, je vérifie votre commande immédiatement. Elle partira demain matin.",
    "Votre remboursement a été effectué hier. Vous le verrez sur votre compte sous trois "
    "jours ouvrés. Je reste à votre disposition pour toute question complémentaire.",
])
def test_measures_readability_equals_textstat_on_its_counts(text):
    textstat.set_lang("fr")
    textstat.set_rounding_points(None)
    words, sentences = textstat.lexicon_count(text), textstat.sentence_count(text)
    syll = textstat.syllable_count(text)
    assert flesch_kandel_moles(words, sentences, syll) == pytest.approx(
        textstat.flesch_reading_ease(text), abs=1e-6)
    long_words = len([w for w in textstat.remove_punctuation(text).split() if len(w) > 6])
    assert lix(words, sentences, long_words) == pytest.approx(textstat.lix(text), abs=1e-6)


@pytest.mark.parametrize("word", ["commande", "immédiatement", "colissimo", "remboursement",
                                  "votre", "a"])
def test_measures_syllables_are_textstats(word):
    textstat.set_lang("fr")
    assert syllables(word, "fr") == textstat.syllable_count(word)


def test_measures_readability_is_nan_without_words():
    assert math.isnan(flesch_kandel_moles(0, 0, 0))
    assert math.isnan(lix(0, 1, 0))


def _clarity_metrics(nlp, conv):
    docs = [nlp(m.text) for m in conv.messages]
    return make_clarity("fr").analyze_conversation(conv, docs).metrics


def test_measures_clarity_readability_equals_textstat_when_segmentation_agrees(
        nlp_fr, make_conversation):
    # No elision, hyphen, digit or sentence of one or two words: spaCy's sentences and words
    # are textstat's (its regex sentences, its whitespace words), so are the syllables
    # (pyphen + 1 on the same lower-cased words) and the long words: the same numbers.
    first = ("Votre commande est partie ce matin de notre entrepôt. Vous la recevrez demain "
             "avant midi par Colissimo.")
    second = "Le transporteur vous enverra un message avec le lien de suivi."
    m = _clarity_metrics(nlp_fr, make_conversation(("advisor", None, first),
                                                   ("advisor", None, second)))
    text = f"{first} {second}"
    textstat.set_lang("fr")
    textstat.set_rounding_points(None)
    assert (textstat.lexicon_count(text), textstat.sentence_count(text)) == (28, 3)
    assert textstat.syllable_count(text) == 46
    assert m["sentence_words_mean"] == pytest.approx(28 / 3)
    assert m["flesch_score"] == pytest.approx(flesch_kandel_moles(28, 3, 46), abs=1e-6)
    assert m["flesch_score"] == pytest.approx(textstat.flesch_reading_ease(text), abs=1e-6)
    # 7 words of seven letters or more: commande, entrepôt, recevrez, Colissimo, transporteur,
    # enverra, message
    assert m["lix_score"] == pytest.approx(lix(28, 3, 7), abs=1e-6)
    assert m["lix_score"] == pytest.approx(textstat.lix(text), abs=1e-6)


def test_measures_clarity_readability_on_spacy_words_where_textstat_merges_them(
        nlp_fr, make_conversation):
    # With elisions and hyphens the two segment differently, and that alone makes the gap: the
    # syllable method is the same (pyphen + 1 per word, test_measures_syllables_are_textstats),
    # the formulas are the same (test_measures_readability_equals_textstat_on_its_counts).
    # * words: spaCy splits « j'|ai », « Avez|-vous », « l'|e-mail » (18 words); textstat
    #   strips the apostrophes and hyphens and keeps « jai », « Avezvous », « lemail » (15);
    # * sentences: textstat drops a sentence of two words or fewer (« Merci. »): 3, spaCy 4;
    # * syllables: « j' » + « ai » are 2, « jai » 1 (« Avez » + « -vous » and « Avezvous »,
    #   « l' » + « e-mail » and « lemail » are 2 each): 29 against 28;
    # * long words: « Avezvous » (8 letters) is long, « Avez » and « -vous » are not: 6 and 7.
    # About 19 Flesch points and 14 LIX points apart on this text, so no tolerance would say
    # anything: each is checked on its own counts instead.
    text = ("Bonjour, j'ai vérifié votre dossier. Avez-vous reçu l'e-mail de confirmation ? Je "
            "vous rembourse aujourd'hui. Merci.")
    m = _clarity_metrics(nlp_fr, make_conversation(("advisor", None, text)))
    assert m["sentence_words_mean"] == pytest.approx(18 / 4)
    assert m["flesch_score"] == pytest.approx(flesch_kandel_moles(18, 4, 29), abs=1e-6)
    assert m["lix_score"] == pytest.approx(lix(18, 4, 6), abs=1e-6)
    textstat.set_lang("fr")
    textstat.set_rounding_points(None)
    assert (textstat.lexicon_count(text), textstat.sentence_count(text)) == (15, 3)
    assert textstat.syllable_count(text) == 28
    assert textstat.flesch_reading_ease(text) == pytest.approx(
        flesch_kandel_moles(15, 3, 28), abs=1e-6)
    assert textstat.lix(text) == pytest.approx(lix(15, 3, 7), abs=1e-6)
