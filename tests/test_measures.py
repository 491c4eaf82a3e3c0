"""Diversity and readability formulas give the reference libraries' numbers on one input."""

from __future__ import annotations

import math
import random

import pytest
import textstat
from lexicalrichness import LexicalRichness

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
