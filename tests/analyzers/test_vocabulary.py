"""Vocabulary: findings on sentences written for these tests, minimums, canned text left out."""

from __future__ import annotations

import math

import pytest
from conftest import message_results

from chatqa.analyzers.base import ConversationContext
from chatqa.analyzers.factories import make_vocabulary
from chatqa.analyzers.vocabulary import repeated_passages
from chatqa.macros import MacroTable


@pytest.fixture(scope="module")
def vocabulary():
    return make_vocabulary("fr")


def _run(analyzer, nlp, conv, macros=frozenset()):
    docs = tuple(nlp(m.text) for m in conv.messages)
    return analyzer.analyze_conversation(conv, ConversationContext(docs=docs,
                                                                   macro_messages=macros))


def _found(vocabulary, nlp, make_conversation, *texts):
    conv = make_conversation(*(("advisor", None, t) for t in texts))
    return [(f.code, f.text, f.suggestion) for f in _run(vocabulary, nlp, conv).findings]


@pytest.mark.parametrize(("text", "code", "span"), [
    ("Du coup, je vous renvoie le formulaire.", "vocabulary.tic", "Du coup"),
    ("Voilà, alors on va regarder ensemble.", "vocabulary.tic", "Voilà"),
    ("C'est la procédure, quoi.", "vocabulary.tic", "quoi"),
    ("Je vais vérifier ce truc pour vous.", "vocabulary.vague", "truc"),
    ("Je m'occupe de faire le nécessaire.", "vocabulary.vague", "faire le nécessaire"),
    ("Ma collègue a fait le nécessaire hier.", "vocabulary.vague", "fait le nécessaire"),
    ("Nous ferons tout le nécessaire.", "vocabulary.vague", "ferons tout le nécessaire"),
])
def test_vocabulary_finds(vocabulary, nlp_fr, make_conversation, text, code, span):
    assert (code, span, None) in _found(vocabulary, nlp_fr, make_conversation, text)


def test_vocabulary_anglicism_suggests_the_french_word(vocabulary, nlp_fr, make_conversation):
    found = _found(vocabulary, nlp_fr, make_conversation, "Je vais checker avec le service.")
    assert ("vocabulary.anglicism", "checker", "vérifier") in found


@pytest.mark.parametrize(("text", "span", "french"), [
    ("Vous avez forwardé le mail hier ?", "forwardé", "transférer"),
    ("Je checke et je reviens vers vous.", "checke", "vérifier"),
    ("Débranchez la box puis pluggez-la à nouveau.", "pluggez", "brancher"),
    ("Nous checkerons demain matin.", "checkerons", "vérifier"),
    ("Répondez-moi ASAP s'il vous plaît.", "ASAP", "dès que possible"),
    ("By the way, votre colis est parti.", "By the way", "au fait"),
])
def test_vocabulary_anglicism_verb_forms_and_phrases(vocabulary, nlp_fr, make_conversation,
                                                     text, span, french):
    found = _found(vocabulary, nlp_fr, make_conversation, text)
    assert ("vocabulary.anglicism", span, french) in found


@pytest.mark.parametrize("text", [
    # an interface's label quoted, plan and brand names, a link's path spaced out
    "Cliquez sur « Settings » puis sur « Forgot password? ».",
    "Vous êtes sur le plan Business, la limite est de 50 comptes.",
    "voici le lien : http : / / www. exemple. fr / tracking / 123",
    # French words a franglais stem could make: « savez », « Go »
    "Vous savez, le forfait inclut 10 Go par mois.",
    # the advisor answering in English: English, not franglais
    "the order has been validated, you will receive the tracking link by email.",
])
def test_vocabulary_no_anglicism_in_names_links_or_english(vocabulary, nlp_fr, make_conversation,
                                                           text):
    found = _found(vocabulary, nlp_fr, make_conversation, text)
    assert [f for f in found if f[0] == "vocabulary.anglicism"] == []


@pytest.mark.parametrize("text", [
    "Voilà le lien de suivi : https://suivi.exemple.fr",
    "Avez-vous besoin d'autre chose ?",
    "Ce genre de demande prend deux jours.",
    "Je vous envoie un mail et un SMS de confirmation.",
    "Cochez la case en bas du formulaire.",
    "Le nécessaire de voyage est en rupture.",
])
def test_vocabulary_hard_negative(vocabulary, nlp_fr, make_conversation, text):
    assert _found(vocabulary, nlp_fr, make_conversation, text) == []


def test_vocabulary_repetition_from_the_third_use(vocabulary, nlp_fr, make_conversation):
    found = _found(vocabulary, nlp_fr, make_conversation, "Effectivement, c'est noté.",
                   "Effectivement le délai est long.", "Bien entendu. Effectivement, oui.")
    assert [t for c, t, _ in found if c == "vocabulary.repetition"] == ["Effectivement"]


def test_vocabulary_measures_need_enough_words(vocabulary, nlp_fr, make_conversation):
    short = _run(vocabulary, nlp_fr, make_conversation(("advisor", None, "C'est noté.")))
    assert short.metrics["own_words"] == 3.0  # « C' », « est », « noté »: spaCy's tokens
    for name in ("zipf_mean", "rare_word_ratio", "mattr_ratio", "hdd_ratio", "mtld_score",
                 "mattr_lemma_ratio", "hdd_lemma_ratio", "mtld_lemma_score",
                 "vocabulary_issues_per_100_words", "long_word_ratio", "repeated_passages"):
        assert math.isnan(short.metrics[name]), name
    empty = _run(vocabulary, nlp_fr, make_conversation(("customer", None, "Bonjour ?")))
    assert math.isnan(empty.metrics["own_words"])


def test_vocabulary_diversity_on_lemmas_and_on_forms(vocabulary, nlp_fr, make_conversation):
    # the same few verbs and nouns in other forms: many forms, fewer lemmas
    texts = ["Je vérifie votre commande.", "J'ai vérifié vos commandes hier.",
             "Nous vérifions les deux commandes passées.", "Vous avez commandé deux flacons.",
             "Les flacons commandés partent demain.", "Je vérifierai la livraison des flacons.",
             "Vos livraisons arrivent vite.", "La livraison arrive demain matin.",
             "Nous livrons chaque jour.", "Vous serez livrée avant midi.",
             "Je vérifie encore une fois.", "Vos colis sont prêts."]
    metrics = _run(vocabulary, nlp_fr, make_conversation(
        *(("advisor", None, t) for t in texts))).metrics
    assert metrics["own_words"] >= 50
    assert metrics["mattr_lemma_ratio"] < metrics["mattr_ratio"]
    assert metrics["hdd_lemma_ratio"] < metrics["hdd_ratio"]


def test_vocabulary_canned_text_is_left_out_but_its_findings_said(vocabulary, nlp_fr,
                                                                  make_conversation):
    conv = make_conversation(
        ("advisor", None, "Du coup, votre commande part demain matin depuis notre entrepôt."),
        ("advisor", None, "Je vérifie le suivi du transporteur et je reviens vers vous dans "
                          "quelques minutes avec une réponse précise."))
    analysis = _run(vocabulary, nlp_fr, conv, macros=frozenset({0}))
    assert analysis.metrics["own_words"] == len(nlp_fr(conv.messages[1].text)) - 1
    assert 0 < analysis.metrics["macro_text_ratio"] < 1
    [tic] = analysis.findings
    assert tic.details["macro"] is True
    assert analysis.metrics["vocabulary_issues_per_100_words"] == 0.0


@pytest.mark.parametrize(("texts", "expected"), [
    ([["il", "s'", "agit", "d'", "un", "délai"], ["oui", "il", "s'", "agit", "d'", "un", "délai"]],
     1),
    ([["en", "fin", "de", "semaine", "madame"], ["oui", "en", "fin", "de", "semaine"],
      ["livré", "en", "fin", "de", "semaine", "madame"]], 2),   # each later message counts
    ([["a", "b", "c", "d", "e", "f", "g"], ["x", "a", "b", "c", "d", "e", "f", "g"]], 1),
    ([["a", "b", "c"], ["a", "b", "c"]], 0),                   # shorter than a passage
    ([["a", "b", "c", "d"], ["b", "c", "d", "e"]], 0),          # overlapping, not the same
    # a list inside one message is no repetition
    ([["jours", "ouvrés", "pour", "une", "livraison", "et", "jours", "ouvrés", "pour", "une",
       "livraison"]], 0),
    # a word with a digit breaks a passage: an address quoted twice is data
    ([["name3", "rue", "des", "lilas", "zipcode2"], ["au", "name3", "rue", "des", "lilas"]], 0),
])
def test_repeated_passages_count_each_passage_written_again_once(texts, expected):
    assert repeated_passages(texts, 4) == expected


def test_vocabulary_repeated_passages_on_the_own_text(vocabulary, nlp_fr, make_conversation):
    conv = make_conversation(
        ("advisor", None, "Votre colis sera livré en fin de semaine Madame, le transporteur "
                          "nous l'a confirmé ce matin."),
        ("advisor", None, "Comme indiqué, il sera livré en fin de semaine Madame."),
        ("advisor", None, "Je vous le confirme : livré en fin de semaine Madame."))
    assert _run(vocabulary, nlp_fr, conv).metrics["repeated_passages"] == 2.0
    canned_twice = _run(vocabulary, nlp_fr, conv, macros=frozenset({1, 2}))
    assert canned_twice.metrics["repeated_passages"] == 0.0


def test_vocabulary_connectors_on_the_own_text(vocabulary, nlp_fr, make_conversation):
    conv = make_conversation(
        ("advisor", None, "Votre paiement a été refusé par votre banque. Toutefois, vous pouvez "
                          "régler par PayPal afin d'obtenir votre commande avant samedi."),
        ("advisor", None, "Dans ce cas, je relance le transporteur, car le colis est bloqué."),
        ("advisor", None, "Vous avez donc reçu un mail avec votre carte de fidélité."))
    # toutefois, afin d', dans ce cas, car, donc; « carte » is not « car »
    assert _run(vocabulary, nlp_fr, conv).metrics["connectors"] == 5.0
    assert _run(vocabulary, nlp_fr, conv, macros=frozenset({2})).metrics["connectors"] == 4.0


@pytest.mark.parametrize(("text", "expected"), [
    # connectors of cause
    ("Le statut reste « envoi prêt » quelques jours, ceci est lié au fait que le transporteur "
     "ne suit pas les colis aux États-Unis.", 1.0),
    ("Votre colis est retardé en raison d'une grève chez le transporteur, il arrivera lundi "
     "dans votre point relais.", 1.0),
    ("Nous ne pouvons pas modifier l'adresse parce que le colis a déjà quitté notre entrepôt "
     "ce matin.", 1.0),
    # look-alikes: « carte » is not « car », « des questions » not « dès que »
    ("Je réponds à des questions sur votre carte cadeau et sur le carton du colis.", 0.0),
    ("Vous recevrez un email de confirmation à chaque étape de la livraison de votre colis "
     "en point relais.", 0.0),
])
def test_vocabulary_connectors_in_one_message(vocabulary, nlp_fr, make_conversation, text,
                                              expected):
    conv = make_conversation(("advisor", None, text))
    assert _run(vocabulary, nlp_fr, conv).metrics["connectors"] == expected


def test_vocabulary_connectors_nan_under_the_minimum(vocabulary, nlp_fr, make_conversation):
    conv = make_conversation(("advisor", None, "Toutefois, c'est livré."))
    assert math.isnan(_run(vocabulary, nlp_fr, conv).metrics["connectors"])


def test_vocabulary_word_repetition_from_the_third_use_of_a_lemma(vocabulary, nlp_fr,
                                                                  make_conversation):
    conv = make_conversation(
        ("customer", None, "Bonjour, ma commande n'est pas arrivée"),
        ("advisor", None, "Je vais regarder votre commande tout de suite."),
        ("advisor", None, "Je regarde, la commande est en retard."),
        ("advisor", None, "J'ai regardé le suivi, c'est un petit souci."),
        ("advisor", None, "Je regarde encore : ce souci est rare, le souci vient du transporteur."))
    found = [(f.message_index, f.text, f.details["use"]) for f in
             _run(vocabulary, nlp_fr, conv).findings if f.code == "vocabulary.word_repetition"]
    # « regarder » in three forms; « commande » is the customer's subject, never counted
    assert found == [(3, "regardé", 3), (4, "regarde", 4), (4, "souci", 3)]


def test_vocabulary_word_repetition_counts_forms_the_lemmatizer_misses(vocabulary, nlp_fr,
                                                                       make_conversation):
    conv = make_conversation(
        ("customer", None, "Bonjour, mon train est supprimé"),
        ("advisor", None, "Je vous informe que le train de 15h est maintenu."),
        ("advisor", None, "Je verifie les places restantes."),  # unaccented: its own lemma
        ("advisor", None, "Je vous informe aussi que le bar est fermé, je vérifie encore."),
        ("advisor", None, "Je vous informerai par mail, j'ai vérifié la réservation."))
    found = [(f.text, f.details["use"]) for f in _run(vocabulary, nlp_fr, conv).findings
             if f.code == "vocabulary.word_repetition"]
    assert found == [("informerai", 3), ("vérifié", 3)]


def test_vocabulary_word_repetition_leaves_stock_phrases_and_twice_alone(vocabulary, nlp_fr,
                                                                         make_conversation):
    conv = make_conversation(
        ("customer", None, "Bonjour"),
        ("advisor", None, "Je comprends. Je vérifie le dossier."),
        ("advisor", None, "Je comprends bien. J'ai vérifié, tout est en ordre."),
        ("advisor", None, "Je comprends votre attente, le transfert part ce soir."))
    codes = [f.code for f in _run(vocabulary, nlp_fr, conv).findings]
    # « je comprends » is a stock phrase (its own code); « vérifier » is used twice only
    assert codes == ["vocabulary.repetition"]


# --- the fr_chat criteria read from these metrics: every level reachable -----------------------
ASK = ("customer", None, "Bonjour, je voudrais savoir où en est ma commande 4521.")
THANKS = ("customer", None, "Merci.")
EXPLAINED = ["Bonjour Madame, votre commande a été préparée hier soir par notre entrepôt de Lyon.",
             "Toutefois, le transporteur a signalé un retard lié aux intempéries dans votre "
             "région ; dans ce cas, la livraison est généralement décalée de quarante-huit heures.",
             "Je surveille l'acheminement et vous confirmerai la nouvelle date par courriel."]
STATED = [EXPLAINED[0], "Le transporteur a signalé un retard dans votre région, la livraison "
          "est généralement décalée de quarante-huit heures.", EXPLAINED[2]]
FILLERS = ["Du coup, en fait, votre truc est parti.", "Voilà, du coup ça va arriver, en fait.",
           "Voilà voilà, c'est bon quoi, du coup vous l'aurez."]
SHOUTED = ["VOTRE COMMANDE EST PARTIE !!! LE TRANSPORTEUR EST EN RETARD !!! MERCI DE PATIENTER "
           "ENCORE UN PEU SVP !!!"]
LONG = ["Votre commande a été préparée hier soir par notre entrepôt de Lyon et remise au "
        "transporteur ce matin avant dix heures pour une livraison à domicile.",
        "Le transporteur indique une livraison demain entre neuf heures et midi à l'adresse "
        "indiquée lors de votre commande sur notre site."]


@pytest.fixture(scope="module")
def fr_chat():
    from chatqa.pipeline import Pipeline

    return Pipeline.from_grid("fr_chat")


@pytest.mark.parametrize(("lines", "richesse", "clarte"), [
    (EXPLAINED, "exceptionnel", "exceptionnel"),
    (STATED, "bon", "exceptionnel"),  # no connector: « bon » at best
    (FILLERS, "a_ameliorer", "bon"),  # tics and a vague word: poor wording, clumsy but clear
    (SHOUTED, "bon", "a_ameliorer"),  # capitals and « !!! »
    (LONG, "bon", "bon"),  # 24 words a sentence
    # one own sentence (8 to 14 own words, the thin tier): « bon » at best for vocabulary,
    # no variety shows in it; clarity is judged on what is there
    (["C'est noté, je regarde.", "Il part demain."], "bon", "exceptionnel"),  # 8 own words
    (["C'est noté, je regarde.", "Il part."], "na", "na"),  # 7 own words
])
def test_vocabulary_fr_chat_levels_reachable(fr_chat, make_conversation, lines, richesse,
                                             clarte):
    conv = make_conversation(ASK, *(("advisor", None, t) for t in lines), THANKS, language="fr")
    proposals = fr_chat.score(conv).form.proposals
    assert (proposals["richesse_vocabulaire"].level, proposals["clarte"].level) == (richesse,
                                                                                    clarte)


def test_vocabulary_fr_chat_clarte_capped_when_the_customer_is_lost(fr_chat, make_conversation,
                                                                     tmp_path):
    # the clearest lines, then a customer who writes they did not understand: « bon » once,
    # « à améliorer » when they are lost again after the next answer, and « exceptionnel »
    # when the message they did not understand is a canned reply (the company's text)
    lost = ("customer", None, "je ne comprends pas, elle arrive quand alors ?")
    conv = make_conversation(ASK, *(("advisor", None, t) for t in EXPLAINED), lost,
                             language="fr")
    result = fr_chat.score(conv)
    assert result.form.proposals["clarte"].level == "bon"
    assert [f.text for f in result.findings if f.code == "clarity.not_understood"] == [
        "je ne comprends pas"]
    again = make_conversation(ASK, *(("advisor", None, t) for t in EXPLAINED), lost,
                              ("advisor", None, "Elle arrive en fin de semaine, Madame."),
                              ("customer", None, "c'est-à-dire ? quel jour ?"), language="fr")
    assert fr_chat.score(again).form.proposals["clarte"].level == "a_ameliorer"
    library = tmp_path / "macros.txt"
    library.write_text(EXPLAINED[2] + "\n", "utf-8")
    canned = MacroTable.from_library(library)
    assert fr_chat.score(conv, macros=canned).form.proposals["clarte"].level == "exceptionnel"


def test_vocabulary_fr_chat_thin_text_with_codes_or_a_familiar_word(fr_chat, make_conversation):
    # one own line (8 to 14 own words): internal codes in place of words, or one familiar word,
    # make it « à améliorer », with the codes or the word as the evidence
    for line, code in (("Bascule du contrat GF3 vers PFX24 faite, effet J+1 sur le PCE.",
                        "clarity.jargon"),
                       ("Ouais votre commande est partie hier soir du dépôt.",
                        "register.familiar")):
        conv = make_conversation(ASK, ("advisor", None, line), THANKS, language="fr")
        proposal = fr_chat.score(conv).form.proposals["richesse_vocabulaire"]
        assert proposal.level == "a_ameliorer", line
        assert code in {e.name for e in proposal.evidence if e.kind == "finding"}, line


def test_advisor_messages_are_made_once_per_context(nlp_fr, make_conversation):
    # vocabulary and clarity read the same messages, words found once; another conversation
    # with the same context gets its own
    from chatqa.analyzers.own_text import advisor_messages

    conv = make_conversation(("customer", None, "Bonjour"), ("advisor", None, "Je regarde."))
    other = make_conversation(("advisor", None, "Bonsoir, je vérifie."), id="c2")
    context = ConversationContext(docs=tuple(nlp_fr(m.text) for m in conv.messages))
    first = advisor_messages(conv, context)
    assert advisor_messages(conv, context) is first
    assert [m.text for m in advisor_messages(other, context)] == ["Bonsoir, je vérifie."]


def test_pattern_set_finds_what_its_patterns_find_alone():
    from chatqa.analyzers.own_text import PatternSet

    patterns = PatternSet.compile([r"\bdu coup\b", r",\s*(?P<w>quoi)\b", r"\ben fait\b"])
    text = "du coup c'est parti, quoi. en fait non"
    assert patterns.spans(text) == [(0, 7), (21, 25), (27, 34)]
    assert patterns.spans("rien a signaler") == []
    assert PatternSet.compile([]).spans(text) == []


def test_without_assertions_leaves_out_lookarounds_and_nothing_else():
    from chatqa.analyzers.own_text import without_assertions

    assert without_assertions(r"(?<!:\s)(?<!\best )\ben fait\b") == r"\ben fait\b"
    assert without_assertions(r"\bvoila\b(?!\s*(?:le|la|[(?=]))x") == r"\bvoila\bx"
    assert without_assertions(r"[(?!]a\(?=b") == r"[(?!]a\(?=b"  # a class, an escape: kept
    assert without_assertions(r"a(?=b)?c") == r"a(?=b)?c"  # a quantified assertion: kept whole
    assert without_assertions(r"(a)(?(1)b|c)") == r"(a)(?(1)b|c)"


def test_pattern_set_first_search_is_wider_and_the_assertions_still_decide():
    """The combined search without assertions lets a text through; each pattern then decides."""
    import re

    from chatqa.analyzers.own_text import PatternSet

    sources = [r"(?<!\best )\ben fait\b", r"\bvoila\b(?!\s*le\b)"]
    patterns = PatternSet.compile(sources)
    texts = ["la ligne est en fait coupee", "voila le lien", "en fait voila", "rien"]
    for text in texts:
        alone = any(re.search(s, text) for s in sources)
        assert bool(patterns.either.search(text)) >= alone
        assert bool(patterns.spans(text)) == alone
    assert patterns.spans("la ligne est en fait coupee") == []
    assert patterns.spans("en fait voila") == [(0, 7), (8, 13)]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_shipped_pattern_sets_first_search_lets_through_every_text_a_pattern_matches(
        lang, shared_data):
    """On the real chats, the combined search never skips a text one of its patterns matches.

    It is the shipped lists' patterns with their assertions left out: a list edited so that
    this no longer holds would lose findings silently.
    """
    import json

    from chatqa.analyzers.factories import make_clarity, make_vocabulary
    from chatqa.text import fold

    folder = {"fr": "chats_fr_pmc", "en": "chats_en_twitter"}[lang]
    texts = {fold(m["text"]) for line in (shared_data / folder / "conversations.jsonl").open()
             for m in json.loads(line)["messages"] if m.get("text")}
    vocabulary, clarity = make_vocabulary(lang), make_clarity(lang)
    sets = {"tics": vocabulary.rules.tics, "vague": vocabulary.rules.vague,
            "stock": vocabulary.rules.stock, "lost": clarity._lost,
            "term_questions": clarity._term_questions}
    matched = 0
    for name, patterns in sets.items():
        if patterns is None or patterns.either is None:
            continue
        for text in texts:
            if any(p.search(text) for p in patterns.patterns):
                matched += 1
                assert patterns.either.search(text), (name, text)
    assert matched > 50  # the check read texts that match


def test_vocabulary_familiar_register_marks_of_the_own_text(vocabulary, nlp_fr, make_conversation):
    # the real markers and spelling analyzers' findings, as the pipeline passes them: familiar
    # words, tutoiement and a dropped « ne » in the own messages count; a canned reply's do not
    from chatqa.analyzers.factories import make_markers, make_spelling_grammar

    analyzers = [make_markers("fr").initialize(nlp_fr), make_spelling_grammar("fr")]
    conv = make_conversation(
        ("customer", None, "Bonjour, mon colis n'est toujours pas arrivé, c'est normal ?"),
        ("advisor", None, "Ouais, ton colis est parti hier soir du dépôt de Lyon."),
        ("advisor", None, "Il a pas été scanné au départ, mais il arrive demain matin."),
        ("advisor", None, "Je vous souhaite une excellente journée et à bientôt sur le site."),
        ("advisor", None, "Bah je sais pas, faut attendre le passage du livreur demain."))
    docs, results = message_results(analyzers, nlp_fr, conv)
    found = {i: sorted(f.code for name in results for f in results[name][i].findings
                       if f.code.startswith(("register.", "grammar.negation")))
             for i in (1, 2, 3, 4)}
    assert found[1] == ["register.familiar", "register.tutoiement"]
    assert found[2] == ["grammar.negation"] and found[3] == []
    assert len(found[4]) >= 2

    def marks(macros, given=results):
        context = ConversationContext(docs=docs, macro_messages=macros, message_results=given)
        return vocabulary.analyze_conversation(conv, context).metrics["familiar_register_marks"]

    assert marks(frozenset()) == 3 + len(found[4])
    assert marks(frozenset({4})) == 3  # the last message is canned: its marks are the macro's
    # and per 100 own words: the three marks over the 35 own words of messages 1 to 3
    context = ConversationContext(docs=docs, macro_messages=frozenset({4}),
                                  message_results=results)
    metrics = vocabulary.analyze_conversation(conv, context).metrics
    assert metrics["own_words"] == 35
    assert metrics["familiar_register_marks_per_100_words"] == pytest.approx(100 * 3 / 35)
    # one of the two analyzers is enough to count; neither, and nothing says there is none
    assert marks(frozenset({4}), {"markers": results["markers"]}) == 2
    assert math.isnan(_run(vocabulary, nlp_fr, conv).metrics["familiar_register_marks"])
