"""The factored French ``token_match`` matches exactly what spaCy's own pattern matches."""

from __future__ import annotations

import json
import re

import pytest
import spacy.lang.fr.tokenizer_exceptions as fr_exceptions
from conftest import EXAMPLES

from chatqa.nlp import load_nlp
from chatqa.regex_factoring import (
    LARGE_PATTERN,
    LONG_CLASS,
    factor_alternation,
    large_patterns_factored,
)


@pytest.fixture(scope="module")
def spacy_pattern():
    """spaCy's French ``TOKEN_MATCH`` pattern, rebuilt as spaCy builds it, compiled as is."""
    pattern = "(?iu)" + "|".join(f"(?:{m})" for m in fr_exceptions._regular_exp)
    return pattern, re.compile(pattern).match


def example_words() -> set[str]:
    words = set()
    for line in (EXAMPLES / "chats_fr.jsonl").read_text("utf-8").splitlines():
        for message in json.loads(line)["messages"]:
            words |= {w for word in message["text"].split() for w in (word, word.strip(".,!?"))}
    return words


def candidates() -> set[str]:
    """Strings near every alternative: spaCy's exceptions, built compounds, chat words, variants."""
    found = set(fr_exceptions.TOKENIZER_EXCEPTIONS) | example_words()
    for prefix in fr_exceptions._hyphen_prefix:
        found |= {f"{prefix}-test", f"{prefix}-", f"{prefix}-l'eau", f"{prefix}‐x-y", prefix}
    for prefix in fr_exceptions._elision_prefix:
        found |= {f"{prefix}'abat", f"{prefix}’ouvert", f"{prefix}'"}
    for combo in fr_exceptions._hyphen_combination:
        found |= {f"saut-{combo}-ski", f"pet-{combo}-l'air", f"x-{combo}-", f"a-{combo}-l’b"}
    variants = set()
    for word in found:
        variants |= {word + "s", word[:-1], word.upper(), word.capitalize(), word + "\n",
                     "x" + word, word.replace("-", "‐"), word.replace("'", "’")}
    return found | variants


def test_factored_french_pattern_matches_the_same_strings(spacy_pattern):
    pattern, original = spacy_pattern
    factored = factor_alternation(pattern)
    assert len(pattern) >= LARGE_PATTERN and len(factored) < len(pattern) / 10
    fast = re.compile(factored).match
    words = candidates()
    matched = {w for w in words if original(w)}
    assert len(words) > 10_000 and len(matched) > 3_000    # both sides of the pattern tried
    assert {w for w in words if fast(w)} == matched


def test_load_nlp_tokenizes_french_as_spacys_own_pattern(spacy_pattern):
    pattern, original = spacy_pattern
    nlp = load_nlp("fr")
    ours = nlp.tokenizer.token_match  # placeholders first (chatqa.nlp), then the model's own
    assert ours.wrapped.__self__.pattern == factor_alternation(pattern)
    texts = sorted(example_words())[:2000] + [
        "Le week-end, un faux-semblant et un arc-en-ciel : entr'ouvert, aujourd'hui, peut-être.",
        "Rendez-vous au 12-14 rue Saint-Jean-de-Luz pour l'Île-de-France, ok ?",
    ]
    try:  # the model's pattern alone, factored and as spaCy ships it
        nlp.tokenizer.token_match = ours.wrapped
        factored = [[t.text for t in nlp.tokenizer(text)] for text in texts]
        nlp.tokenizer.token_match = original
        assert [[t.text for t in nlp.tokenizer(text)] for text in texts] == factored
    finally:
        nlp.tokenizer.token_match = ours


LONG = "[" + "".join(chr(c) for c in range(0x100, 0x100 + LONG_CLASS)) + "a-z]"


def test_factoring_merges_alternatives_that_share_a_long_tail():
    pattern = f"(?i)(?:^faux-{LONG}+$)|(?:^demi-{LONG}+$)|(?:^x{LONG}*$)"
    factored = factor_alternation(pattern)
    assert factored == f"(?i)(?:^(?:faux-|demi-){LONG}+$)|(?:^x{LONG}*$)"
    for text in ("faux-ab", "DEMI-z", "demi-", "x", "xab", "faux", "autre-ab", "faux-ab-"):
        assert bool(re.match(pattern, text)) == bool(re.match(factored, text)), text


@pytest.mark.parametrize("pattern", [
    f"(?:^a{LONG}$)|(?:b{LONG}$)",             # an alternative not anchored at the start
    f"(?:^a{LONG}$)|(?:^b{LONG})",             # nor at the end
    f"(?:^(a){LONG}\\1$)|(?:^b{LONG}\\1$)",    # a back-reference
    f"(?:^(?=a){LONG}$)|(?:^b{LONG}$)",        # a lookahead
    f"(?:^a{LONG}$|^c$)|(?:^b{LONG}$)",        # an alternation inside a group
])
def test_factoring_leaves_other_shapes_alone(pattern):
    assert factor_alternation(pattern) == pattern


def test_large_patterns_factored_only_while_open_and_restores_re_compile():
    compile_before = re.compile
    big = "|".join(f"(?:^w{i}-{LONG}+$)" for i in range(LARGE_PATTERN // len(LONG) + 1))
    with pytest.raises(RuntimeError), large_patterns_factored():
        assert re.compile(big).pattern == factor_alternation(big) != big
        assert re.compile("^a|b$").pattern == "^a|b$"          # a small one as it is
        raise RuntimeError
    assert re.compile is compile_before
    assert re.compile(big).pattern == big
