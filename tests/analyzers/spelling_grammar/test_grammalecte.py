"""The Grammalecte backend, run for real (Debian's python3-grammalecte, installed by make)."""

from __future__ import annotations

import os
import pickle
import shutil

import pytest

from chatqa.analyzers.base import get_factory
from chatqa.analyzers.spelling_grammar.backends import resolve_backend
from chatqa.analyzers.spelling_grammar.grammalecte import ENV_VAR, find_grammalecte


@pytest.fixture(scope="module")
def grammalecte():
    """The analyzer on Grammalecte; where the set-up can install it (root + apt), it must."""
    if find_grammalecte() is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            pytest.fail("python3-grammalecte should have been installed by `make` (root + apt)")
        pytest.skip("Grammalecte is not installed (apt-get install python3-grammalecte)")
    return get_factory("spelling_grammar")("fr", backend="grammalecte")


def _codes(analyzer, nlp, text):
    return [(f.code, f.text) for f in analyzer.analyze_message(nlp(text)).findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je vous remercies pour votre patience.", [("grammar.conjugation", "remercies")]),
        ("Votre commande a été expédier hier.", [("grammar.agreement", "expédier")]),
        ("Avez vous reçu le SMS ?", [("typography.hyphen", "Avez vous")]),
        # a verb agreeing with a noun subject is agreement, whatever the backend calls it
        ("Les techniciens passe demain.", [("grammar.agreement", "passe")]),
        ("Il y a un probleme avec votre ligne.", [("spelling.word", "probleme")]),
    ],
)
def test_grammalecte_maps_its_rules_to_stable_codes(grammalecte, nlp_fr, text, expected):
    found = _codes(grammalecte, nlp_fr, text)
    for item in expected:
        assert item in found
    assert grammalecte.analyze_message(nlp_fr(text)).findings[0].details["backend"] in (
        "grammalecte", "chat")


def test_grammalecte_negation_is_on_and_coded(grammalecte, nlp_fr):
    found = _codes(grammalecte, nlp_fr, "Je sais pas si le colis est arrivé.")
    assert [code for code, _ in found] == ["grammar.negation"]


def test_grammalecte_chat_typography_is_not_flagged(grammalecte, nlp_fr):
    # spaces before ? and :, straight apostrophes, « 8 h », « 50 Go », amounts, placeholders
    text = ("Avez-vous reçu l'e-mail? Votre forfait: 50 Go à 19,99 €, le technicien passe à "
            "8 h. Merci _Name1_ 🙂")
    assert _codes(grammalecte, nlp_fr, text) == []


def test_grammalecte_english_paste_is_one_finding(grammalecte, nlp_fr):
    text = "Please find attached the invoice for your last order. Bonne journée !"
    assert _codes(grammalecte, nlp_fr, text) == [
        ("language.foreign", "Please find attached the invoice for your last order.")]


def test_grammalecte_offsets_across_lines(grammalecte, nlp_fr):
    text = "Bonjour,\nJe vous remercies."
    (finding,) = grammalecte.analyze_message(nlp_fr(text)).findings
    assert text[finding.start:finding.end] == "remercies"


def test_grammalecte_is_what_auto_picks_and_pickles(grammalecte, nlp_fr):
    assert resolve_backend("auto", "fr", None) == "grammalecte"
    assert resolve_backend("auto", "en", None) == "builtin"
    copy = pickle.loads(pickle.dumps(grammalecte))
    assert _codes(copy, nlp_fr, "Je vous remercies.") == [("grammar.conjugation", "remercies")]


def test_grammalecte_found_through_the_environment_variable(tmp_path, monkeypatch):
    (tmp_path / "grammalecte").mkdir()
    (tmp_path / "grammalecte" / "__init__.py").write_text("")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert find_grammalecte() == tmp_path


def test_grammalecte_one_error_one_finding(grammalecte, nlp_fr):
    # Grammalecte reports « Le techniciens » as two spans of one rule: one finding
    assert _codes(grammalecte, nlp_fr, "Le techniciens passera demain.") == [
        ("grammar.agreement", "Le techniciens")]
    # « puis je faire » read literally gives « je faire »: the hyphen is the error, not « faire »
    assert _codes(grammalecte, nlp_fr, "Que puis je faire pour vous ?") == [
        ("typography.hyphen", "puis je")]
    # two lowercase starts are two findings, not one merged span
    found = _codes(grammalecte, nlp_fr, "C'est noté. nous revenons vers vous. nous rappelons.")
    assert found == [("typography.capital", "nous"), ("typography.capital", "nous")]


def test_grammalecte_pleonasm_is_a_counted_usage_error(grammalecte, nlp_fr):
    # Grammalecte's pleo rules: grammar.usage (they never fired on the public data's correct
    # sentences), counted as an error like LanguageTool's pleonasms
    text = "Nous pouvons vous rembourser, voire même vous offrir la livraison."
    analysis = grammalecte.analyze_message(nlp_fr(text))
    assert [(f.code, f.text) for f in analysis.findings] == [("grammar.usage", "voire même")]
    assert analysis.metrics["language_errors"] == 1


def test_grammalecte_misspelled_proper_noun_is_flagged(grammalecte, nlp_fr):
    (finding,) = grammalecte.analyze_message(nlp_fr("Il habite à Rueuil-Malmaison.")).findings
    assert (finding.code, finding.text, finding.suggestion) == (
        "spelling.word", "Rueuil-Malmaison", "Rueil-Malmaison")
    assert _codes(grammalecte, nlp_fr, "Un album de Jimi Hendrix.") == []
