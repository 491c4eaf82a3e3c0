"""The chat layer's protections: each one switchable, and the proper-noun exception to names."""

from __future__ import annotations

import pytest

from chatqa.analyzers.base import get_factory
from chatqa.analyzers.spelling_grammar.chat import PROTECTIONS
from chatqa.analyzers.spelling_grammar.issues import RawIssue


@pytest.fixture(scope="module")
def builtin(tmp_path_factory):
    allow = tmp_path_factory.mktemp("allow") / "brands.txt"
    allow.write_text("Livebox\nKlarna\nSephora\n", "utf-8")
    return get_factory("spelling_grammar")("fr", backend="builtin", allow_list=str(allow))


def _found(analyzer, nlp, text):
    return [(f.code, f.text, f.suggestion) for f in analyzer.analyze_message(nlp(text)).findings]


# -- a capitalised word one edit from a proper noun is not taken for a name ----------------------
@pytest.mark.parametrize(
    ("text", "word", "noun"),
    [
        ("Votre colis part de Marseile demain.", "Marseile", "Marseille"),
        ("Nous livrons pour Noel si vous commandez avant le 20.", "Noel", "Noël"),  # accent first
        ("L'eau de toilette de Guivenchy est en stock.", "Guivenchy", "Givenchy"),
        ("Il habite à Epinay-sur-Seine.", "Epinay-sur-Seine", "Épinay-sur-Seine"),
    ],
)
def test_misspelled_proper_noun_inside_a_sentence_is_flagged(builtin, nlp_fr, text, word, noun):
    (finding,) = builtin.analyze_message(nlp_fr(text)).findings
    assert (finding.code, finding.text, finding.suggestion) == ("spelling.word", word, noun)
    assert noun in finding.details["message"]
    # as the layer did before: every unknown capitalised word inside a sentence is a name
    before = builtin.chat.configured(proper_nouns=False)
    doc = nlp_fr(text)
    assert before.review(doc, builtin.checker.check(text, doc)) == []


def test_proper_nouns_come_from_the_dictionary(builtin):
    near = builtin.chat.proper_nouns_near
    # a capitalised entry of Dicollecte's dictionary, one edit away
    assert near("Marseile") == ("Marseille",)
    # a known word, a word with no proper noun one edit away, a short word: none
    assert near("Marseille") == ()
    assert near("Benhadj") == ()
    assert near("Br") == ()              # « < Br / > »: too short, « Dr » and « Mr » are near
    # an edit of the first letter or of the ending is a name of its own, not a typo
    assert near("Bolt") == ()            # « Colt »
    assert near("Angel") == ()           # « Angela »
    assert near("Armani") == ()          # « Armand »
    # Neither Hunspell nor Grammalecte knows « Hendrix », and « Hendricks » is three edits
    # from it: « Jimmy Hendricks » is taken for a name, and « Jimi Hendrix » is left alone
    # (« Jim », « Hendrik » differ by their ending).
    assert near("Hendricks") == () and near("Hendrix") == () and near("Jimi") == ()
    # the checker's own suggestion comes first when it is one of them
    assert near("Noel", ("Nobel",))[:2] == ("Nobel", "Noël")


@pytest.mark.parametrize(
    "text",
    [
        "Un album de Jimmy Hendricks, que je vous conseille.",  # no proper noun one edit away
        "Un album de Jimi Hendrix, que je vous conseille.",
        "Je transmets à Karima Benhadj votre dossier.",
        "Vous pouvez payer avec Klarna chez Sephora.",        # the client's allow-list
        "Je transmets votre dossier à Mme Marten.",           # after a title
    ],
)
def test_names_brands_and_unknown_capitalised_words_stay_protected(builtin, nlp_fr, text):
    assert _found(builtin, nlp_fr, text) == []


def test_allow_list_protects_a_brand_a_proper_noun_is_near(builtin, nlp_fr):
    text = "Vous pouvez payer avec Klarna chez Sephora."
    bare = get_factory("spelling_grammar")("fr", backend="builtin")
    assert _found(bare, nlp_fr, text) == [("spelling.word", "Klarna", "Karna"),
                                          ("spelling.word", "Sephora", "Séphora")]
    assert _found(builtin, nlp_fr, text) == []


def test_participants_names_stay_protected(builtin, nlp_fr):
    # « Marten » is one edit from « Martin »: flagged in the message, which is cached by text...
    analysis = builtin.analyze_message(nlp_fr("Je transmets votre dossier à Sophie Marten."))
    assert [(f.text, f.suggestion) for f in analysis.findings] == [("Marten", "Martin")]
    # ...and dropped in the conversation whose participant she is
    assert builtin.review(analysis, frozenset({"sophie", "marten"})).findings == ()
    assert builtin.review(analysis, frozenset({"karima"})).findings == analysis.findings


# -- every protection can be turned off -------------------------------------------------------
def _backend_issue(text, word, code="spelling.word"):
    start = text.index(word)
    return RawIssue(start, start + len(word), "test", code, "test", (), "test")


#: protection -> (text, what a backend reports or None for the builtin backend's own issues,
#: the (code, text) that appears when the protection is off)
CASES = {
    "allow_list": ("Redémarrez la livebox puis testez.", None, ("spelling.word", "livebox")),
    "name_titles": ("Je transmets votre dossier à Mme dupuis.", None,
                    ("spelling.word", "dupuis")),
    "accepted_words": ("Je vous envoie un email.", None, ("spelling.word", "email")),
    "capitalised": ("Je transmets à Karima Benhadj votre dossier.", None,
                    ("spelling.word", "Benhadj")),
    "foreign": ("Your order has been shipped and will arrive within 3 business days.", None,
                ("spelling.word", "Your")),
    "capital_clause": ("tablette de chocolat", None, ("typography.capital", "tablette")),
    "negation_idioms": ("Il y a pas mal de demandes ce matin.", None,
                        ("grammar.negation", "y a pas")),
    "consequences": ("Puis je avoir votre numéro ?", "avoir", ("grammar.agreement", "avoir")),
    "apostrophe": ("Vous trouverez le lien dans l adresse.", "adresse",
                   ("spelling.word", "adresse")),
    "url": ("Suivez https://www.exemple-boutique.fr/suivi ici.",
            "https://www.exemple-boutique.fr/suivi", None),
    "email": ("Écrivez à service.client@exemple.fr demain.", "service.client@exemple.fr", None),
    "placeholder": ("Écrivez-nous sur _Email_ demain.", "_Email_", None),
    "mention": ("Écrivez à @support_fr sur le réseau.", "@support_fr", None),
    "phone": ("Appelez le 01 23 45 67 89 demain.", "01 23 45 67 89", None),
    "with_digit": ("Le ticket A-55012 est clos.", "A-55012", None),
    "amount": ("Le total est de 20 €.", "€", None),
    "emoji": ("Merci beaucoup 🙂", "🙂", None),
    "emoticon": ("Merci beaucoup :)", ":)", None),
    "acronym": ("Le conseiller GRDF passera.", "GRDF", None),
}


def test_every_protection_has_a_case(builtin):
    names = builtin.chat.protection_names(builtin.chat.rules)
    assert set(CASES) | {"participants"} == set(names)
    assert set(PROTECTIONS) <= set(names)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_protection_can_be_turned_off(builtin, nlp_fr, name):
    text, reported, appears = CASES[name]
    doc = nlp_fr(text)
    if reported is None:
        issues = builtin.checker.check(text, doc)
    else:
        code = appears[0] if appears else "spelling.word"
        issues = [_backend_issue(text, reported, code)]
    expected = appears or ("spelling.word", reported)
    on, off = builtin.chat, builtin.chat.configured(off=(name,))
    assert expected not in [(i.code, text[i.start:i.end]) for i in on.review(doc, issues)]
    assert expected in [(i.code, text[i.start:i.end]) for i in off.review(doc, issues)]
    # the default layer is the layer with nothing turned off
    assert builtin.chat.configured().review(doc, issues) == on.review(doc, issues)


def test_participants_protection_can_be_turned_off(builtin, nlp_fr):
    from dataclasses import replace

    analysis = builtin.analyze_message(nlp_fr("Je transmets votre dossier à Sophie Marten."))
    off = replace(builtin, chat=builtin.chat.configured(off=("participants",)))
    assert off.review(analysis, frozenset({"marten"})).findings == analysis.findings


def test_unknown_protection_is_an_error(builtin):
    with pytest.raises(ValueError, match="unknown chat-layer protections.*'nmae_titles'"):
        builtin.chat.configured(off=("nmae_titles",))


# -- pleonasms are usage errors, counted ------------------------------------------------------
def test_pleonasm_is_a_counted_usage_error(builtin, nlp_fr):
    analysis = builtin.analyze_message(nlp_fr("Au jour d'aujourd'hui, le colis est en route."))
    assert [(f.code, f.text) for f in analysis.findings] == [
        ("grammar.usage", "Au jour d'aujourd'hui")]
    assert analysis.metrics["language_errors"] == 1
