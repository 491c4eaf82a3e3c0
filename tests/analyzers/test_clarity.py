"""Clarity: walls of text, jargon, shouting, punctuation, sentence measures, glossary."""

from __future__ import annotations

import math

import pytest
from conftest import message_results

from chatqa.analyzers.base import ConversationContext
from chatqa.analyzers.factories import make_clarity, make_spelling_grammar
from chatqa.analyzers.own_text import advisor_messages
from chatqa.errors import ConfigError


def _run(analyzer, nlp, conv, macros=frozenset()):
    docs = tuple(nlp(m.text) for m in conv.messages)
    return analyzer.analyze_conversation(conv, ConversationContext(docs=docs,
                                                                   macro_messages=macros))


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


def test_clarity_jargon_per_100_own_words(clarity, nlp_fr, make_conversation):
    # two codes in the own text (« N2 », « PSP »), one in a canned reply (the company's)
    conv = make_conversation(
        ("customer", None, "Bonjour, mon remboursement n'est toujours pas arrivé."),
        ("advisor", None, "J'ouvre un ticket en N2 pour votre remboursement."),
        ("advisor", None, "Le remboursement est bloqué côté PSP depuis hier."),
        ("advisor", None, "Votre dossier passe en N3 dès ce soir."))
    m = _run(clarity, nlp_fr, conv, frozenset({3})).metrics
    assert m["jargon_per_100_words"] == pytest.approx(100 * 2 / 17)
    # below the minimum of own words: no rate
    short = make_conversation(("advisor", None, "Ticket ouvert en N2."))
    assert math.isnan(_run(clarity, nlp_fr, short).metrics["jargon_per_100_words"])


@pytest.mark.parametrize(("text", "terms"), [
    # a grammatical word alone in capitals, too short to be shouting: an acronym
    ("Votre mensualité a augmenté parce que votre CAR a été réévaluée.", ["CAR"]),
    ("Vérifiez que le boîtier ONT est allumé.", ["ONT"]),
    # « numéro de », « dossier du »: the term names a kind of number or a service
    ("Notez bien le numéro de RMA sur le bon joint.", ["RMA"]),
    # a code given to the customer, an emphasis, a name in capitals: none
    ("Utilisez le code promo NOEL10 dans votre panier.", []),
    ("La demande doit être faite AVANT le 30 juin, pas après.", []),
    ("Votre colis est au relais suivant : UN jardin _Name4_ 202 AVENUE JEAN JAURES.", []),
    # defined a few words on, a reference of three digits, the end of « AUJOURD'HUI »
    ("Il me faut le PDL du logement, c'est le point de livraison sur le compteur.", []),
    ("La VRADE est la valeur de remplacement à dire d'expert.", []),
    ("Je vous replace sur le AF1236 de 18h40 sans frais.", []),
    ("Je relance l'équipe AUJOURD'HUI même pour votre dossier.", []),
    # the code of a refusal or an error, digits alone with their word; a code given is none
    ("Je vois un refus avec le code 05 sur votre carte ce matin.", ["code 05"]),
    ("Le virement a été rejeté par sa banque avec le code AC04.", ["AC04"]),
    ("Votre code NOEL10 vous donne dix euros de remise sur la commande.", []),
])
def test_clarity_jargon_short_capitals_and_kinds_of_codes(clarity, nlp_fr, make_conversation,
                                                          text, terms):
    conv = make_conversation(("advisor", None, text))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == terms


@pytest.mark.parametrize(("text", "terms"), [
    # a trade term of the list, whatever its case and accents, one span for its words
    ("Le souci vient sûrement de la jarretière dans l'armoire de rue.", ["jarretière"]),
    ("Votre carte a un PLAFOND glissant de mille euros sur trente jours.",
     ["PLAFOND glissant"]),
    ("La commande est en backorder chez le fournisseur depuis lundi.", ["backorder"]),
    # explained where first used: no jargon
    ("Il y a un no-show, c'est-à-dire que vous ne vous êtes pas présenté.", []),
    ("Le montant dépend de la vétusté (l'usure du bien) au jour du sinistre.", []),
    # a hyphenated code, one token or three; a reference or a common word is none
    ("Le serveur renvoie une erreur AUTH-403 sur votre compte ce matin.", ["AUTH-403"]),
    ("Votre demande est partie dans la file VALID-KO hier soir.", ["VALID-KO"]),
    ("La commande CMD-8851-FR attend encore un article au dépôt.", []),
    ("Le magasin de SAINT-DENIS a votre article en stock.", []),
    ("Le certificat pour le véhicule FG-482-KT est édité sous cinq jours.", []),
    # a number after « motif » or « cas » is a reason code, unless it counts a noun
    ("Le colis est revenu au dépôt hier soir, motif 12, je fais une enquête.", ["motif 12"]),
    ("Dans la plupart des cas 10 jours suffisent pour le remboursement.", []),
    # a gate or a platform is read out to the customer
    ("Présentez-vous à l'embarquement à 18h10 porte F32 avec votre carte.", []),
])
def test_clarity_jargon_trade_terms_and_hyphenated_codes(clarity, nlp_fr, make_conversation,
                                                         text, terms):
    conv = make_conversation(("advisor", None, text))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == terms


@pytest.mark.parametrize(("text", "terms"), [
    # a conjunction or preposition in capitals is emphasis, not an acronym
    ("Le code marche dès 60 € d'achat HORS frais de port, ajoutez un article.", []),
    ("Votre forfait inclut la 5G MAIS la couverture dépend du quartier.", []),
    # an acronym spelled out right after it, by the initials of the words
    ("Vous êtes en LOA, location avec option d'achat : vous pouvez la racheter.", []),
    ("C'est un acte HN, hors nomenclature, que la sécu ne rembourse pas.", []),
    # « soit » and a number gives a value, not a meaning
    ("Il reste le montant de la VR, soit 9 200 €, à régler avant la fin.", ["VR"]),
    # a new clause after the comma explains nothing; an apposition closed by a comma does
    ("Il a été rejeté avec le motif AM04, le créancier a donc reçu le retour.", ["AM04"]),
    ("Le SSO, la connexion unique via votre compte, est en panne depuis ce matin.", []),
    # the end of a hyphenated reference, a reference's first letters, a public format
    ("Je réinitialise l'accès de votre identifiant DUPONT-M42 tout de suite.", []),
    ("Votre IBAN commence par FR76 et figure sur votre relevé.", []),
    ("Il vous faudra utiliser votre code de réduction REMI5P pour la remise.", []),
    # a shop's name on an address line
    ("Votre point relais :\nJMY multiservices cordonnerie 37 Rue de la Paix 75002 Paris", []),
    ("Vous pouvez exporter le fichier en CSV et nous le renvoyer.", []),
    # a hyphenated code with a long part, or with a common one
    ("Votre commande est passée dans la file ATT-APPRO ce matin.", ["ATT-APPRO"]),
    ("Votre demande est en MES-EC chez nous depuis lundi.", ["MES-EC"]),
])
def test_clarity_jargon_look_alikes(clarity, nlp_fr, make_conversation, text, terms):
    conv = make_conversation(("advisor", None, text))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == terms


@pytest.mark.parametrize(("text", "terms"), [
    # « qui » and « c'est » explain only before a definition
    ("C'est lié à la hausse du TURPE qui s'applique à tous les fournisseurs.", ["TURPE"]),
    ("Le montant dépend du PDL qui est le point de livraison de votre logement.", []),
    ("Il faut actualiser votre PPAE, c'est obligatoire tous les six mois.", ["PPAE"]),
    ("Il faut le numéro de votre PDL, c'est le point de livraison du compteur.", []),
    ("Vérifiez le PDL c'est à dire le point de livraison du compteur.", []),
    # a denied cue verb explains nothing
    ("Le prélèvement est rejeté, la RUM ne correspond pas à un mandat actif.", ["RUM"]),
    ("Le prélèvement est rejeté, la RUM correspond à la référence du mandat.", []),
    # « au », « en » before the term name a service or a status, not a code given
    ("J'ai transmis le dossier au MCO pour traitement sous dix jours ouvrés.", ["MCO"]),
    ("Le transporteur a mis le colis en LIV-KO ce matin, je relance.", ["LIV-KO"]),
    # a conjugated verb after the comma starts a clause, even when the parse misses its subject
    ("sinon, choisissez un médecin OPTAM, les dépassements y sont limités", ["OPTAM"]),
    ("L'expert l'a classée en VEI, le coût des réparations dépasse la VRADE.", ["VEI", "VRADE"]),
    ("Le souci vient du NRO, le local technique qui relie votre quartier au réseau.", []),
    # an apposition after the term's complement
    ("Le souci vient du NRO de votre secteur, le local technique qui relie votre quartier.",
     []),
])
def test_clarity_jargon_what_explains_it(clarity, nlp_fr, make_conversation, text, terms):
    conv = make_conversation(("advisor", None, text))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == terms


def test_clarity_conjunction_in_capitals_is_shouting(clarity, nlp_fr, make_conversation):
    conv = make_conversation(("advisor", None, "C'est possible MAIS pas garanti, je regarde."))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.shouting") == ["MAIS"]


@pytest.mark.parametrize(("text", "terms"), [
    ("The server returns an AUTH-403 error on your account this morning.", ["AUTH-403"]),
    ("Please read our advice on how to prevent the spread of COVID-19 here.", []),
    ("Your return RMA-778812 was received at our warehouse yesterday.", []),
])
def test_clarity_hyphenated_codes_in_english(nlp_en, make_conversation, text, terms):
    conv = make_conversation(("advisor", None, text))
    assert _codes(_run(make_clarity("en"), nlp_en, conv), "clarity.jargon") == terms


def test_clarity_trade_term_the_customer_wrote_first_is_no_jargon(clarity, nlp_fr,
                                                                   make_conversation):
    conv = make_conversation(
        ("customer", None, "Ma banque parle d'un Chargeback, c'est possible ?"),
        ("advisor", None, "Oui, le chargeback se demande auprès de votre banque."),
        ("advisor", None, "Un rollback de la mise à jour est prévu ce soir."))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == ["rollback"]


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


def test_clarity_one_word_replies_are_own_messages_of_one_word(clarity, nlp_fr,
                                                               make_conversation):
    conv = make_conversation(
        ("advisor", None, "Parfait."),
        ("customer", None, "Merci"),                   # the customer's: not counted
        ("advisor", None, "Entendu !"),                # punctuation is no word
        ("advisor", None, "Je vous envoie le lien de suivi par mail."),
        ("advisor", None, "Bonjour"))
    assert _run(clarity, nlp_fr, conv).metrics["one_word_replies"] == 3.0
    # a canned reply is no own message: « Bonjour » sent from the macro table does not count
    assert _run(clarity, nlp_fr, conv, macros=frozenset({4})).metrics["one_word_replies"] == 2.0


def test_clarity_no_one_word_reply_in_longer_or_wordless_messages(clarity, nlp_fr,
                                                                  make_conversation):
    conv = make_conversation(
        ("advisor", None, "Très bien."),
        ("advisor", None, "Je vous en prie, bonne journée."),
        ("advisor", None, "https://exemple.fr/suivi"))  # a link alone: no word, not one
    assert _run(clarity, nlp_fr, conv).metrics["one_word_replies"] == 0.0


def test_clarity_multi_question_messages(clarity, nlp_fr, make_conversation):
    conv = make_conversation(
        ("advisor", None, "Avez-vous reçu le mail de confirmation ? Pouvez-vous me donner "
                          "votre numéro de commande ?"),
        ("advisor", None, "Le colis est-il arrivé ? Est-il complet ? La facture est-elle "
                          "correcte ?"),
        ("advisor", None, "Pouvez-vous patienter un instant ?"))
    # messages with two questions or more are counted once each, not per question
    assert _run(clarity, nlp_fr, conv).metrics["multi_question_messages"] == 2.0


def test_clarity_no_multi_question_message_when_the_questions_are_apart(clarity, nlp_fr,
                                                                        make_conversation):
    conv = make_conversation(
        ("advisor", None, "Avez-vous reçu le mail de confirmation ?"),
        ("advisor", None, "Pouvez-vous me donner votre numéro de commande ?"),
        ("advisor", None, "Avez-vous reçu le mail ? Je vous le renvoie sinon."),
        ("advisor", None, "Vous confirmez ??"),  # spaCy cuts « ?? » in two: one question
        ("customer", None, "Je l'ai reçu ? Ou pas ? Je ne sais plus."))
    assert _run(clarity, nlp_fr, conv).metrics["multi_question_messages"] == 0.0


def test_clarity_long_words_are_counted_in_letters(clarity, nlp_fr, make_conversation):
    # 16 words in 2 sentences; long (7 letters or more): « partira », « retirer »; « Puisqu' »
    # and « ex-mari » have seven characters but six letters
    text = ("Puisqu'il pleut, le colis partira demain. Votre ex-mari pourra le retirer au relais "
            "ce soir.")
    metrics = _run(clarity, nlp_fr, make_conversation(("advisor", None, text))).metrics
    assert metrics["lix_score"] == pytest.approx(16 / 2 + 100 * 2 / 16)  # 33.0 in characters


# The syntax measures read fr_core_news_sm's parse; each text below was parsed and the labels
# that make the expected value are named in a comment. Own text needs 15 words.
PASSIVE = ("La commande a été annulée par le service. Le remboursement a été validé ce matin. "
           "Vous recevrez l'argent sous cinq jours.")
ACTIVE = ("Le service a annulé la commande. Nous avons validé le remboursement ce matin. "
          "Vous recevrez l'argent sous cinq jours.")
CLAUSES = ("Je vous rembourse la commande parce que le colis est arrivé abîmé. Le conseiller "
           "qui a traité votre demande vous rappellera demain.")
MAIN_CLAUSES = ("Je vous rembourse la commande. Le colis est arrivé abîmé. Un conseiller vous "
                "rappellera demain matin.")


def test_clarity_passive_sentence_ratio(clarity, nlp_fr, make_conversation):
    def ratio(*rows, macros=frozenset()):
        conv = make_conversation(*rows)
        return _run(clarity, nlp_fr, conv, macros).metrics["passive_sentence_ratio"]

    # « commande » nsubj:pass + « été » aux:pass, then « remboursement » and « été » again:
    # two passive sentences of three (a sentence counts once, whatever its passive labels)
    assert ratio(("advisor", None, PASSIVE)) == pytest.approx(2 / 3)
    assert ratio(("advisor", None, ACTIVE)) == 0.0
    # a passive canned reply is not the advisor's own text
    assert ratio(("advisor", None, PASSIVE), ("advisor", None, ACTIVE),
                 macros=frozenset({0})) == 0.0
    # below 8 own words: no measure
    assert math.isnan(ratio(("advisor", None, "La commande a été annulée hier.")))


def test_clarity_subordinate_clauses_per_sentence(clarity, nlp_fr, make_conversation):
    m = _run(clarity, nlp_fr, make_conversation(("advisor", None, CLAUSES))).metrics
    # « parce que … arrivé » is an advcl, « qui a traité » an acl:relcl: 2 in 2 sentences
    assert m["subordinate_clauses_per_sentence"] == 1.0
    m = _run(clarity, nlp_fr, make_conversation(("advisor", None, MAIN_CLAUSES))).metrics
    assert m["subordinate_clauses_per_sentence"] == 0.0  # « abîmé » is an xcomp, no clause


def test_clarity_dependency_distance_mean(clarity, nlp_fr, make_conversation):
    far = _run(clarity, nlp_fr, make_conversation(("advisor", None, CLAUSES))).metrics
    near = _run(clarity, nlp_fr, make_conversation(("advisor", None, MAIN_CLAUSES))).metrics
    # |head − word| over the 13 non-root, non-punctuation tokens: « Je » 2, « vous » 1, « la »
    # 1, « commande » 2; « Le » 1, « colis » 2, « est » 1, « abîmé » 1; « Un » 1, « conseiller »
    # 2, « vous » 1, « demain » 1, « matin » 2
    assert near["dependency_distance_mean"] == pytest.approx(18 / 13)
    # the subject « conseiller » waits 7 words for its verb past the relative clause, « arrivé »
    # reaches back 8 to « rembourse »: 44 over 20 tokens
    assert far["dependency_distance_mean"] == pytest.approx(44 / 20)
    assert far["dependency_distance_mean"] > near["dependency_distance_mean"]


def test_clarity_long_noun_chains(clarity, nlp_fr, make_conversation):
    chained = ("Le service de gestion des dossiers de remboursement vous contactera demain. Le "
               "délai de traitement des demandes de remboursement est de cinq jours.")
    plain = ("Le service client vous contactera demain matin par téléphone. Le délai de "
             "remboursement est de cinq jours.")
    m = _run(clarity, nlp_fr, make_conversation(("advisor", None, chained))).metrics
    # « service ← gestion ← dossiers ← remboursement » (nmod three deep) and « délai ←
    # traitement ← demandes ← remboursement »: one chain each, counted at its head noun only
    assert m["long_noun_chains"] == 2.0
    m = _run(clarity, nlp_fr, make_conversation(("advisor", None, plain))).metrics
    assert m["long_noun_chains"] == 0.0  # « délai de remboursement »: two nouns, no chain


NOT_UNDERSTOOD = ("Votre commande est en instance : l'étoile rouge signale un article en "
                  "réassort.")


@pytest.mark.parametrize(("reply", "spans"), [
    ("je ne comprends pas très bien ! ! !", ["je ne comprends pas"]),
    ("jcomprends rien", ["jcomprends rien"]),
    ("J'ai pas compris exactement", ["J'ai pas compris"]),
    ("c'est-à-dire ?", ["c'est-à-dire"]),
    ("Comment ça ?", ["Comment ça"]),
    ("c'est quoi l'étoile rouge ?", ["c'est quoi"]),
    ("pas compris. Vous pouvez reformuler ?", ["pas compris", "Vous pouvez reformuler"]),
    ("je suis un peu perdue là", ["je suis un peu perdue"]),
    # the situation, a fact the advisor did not give, understanding: none
    ("je ne comprends pas pourquoi elle est bloquée", []),
    ("c'est quoi le délai ?", []),
    ("ok je comprends, c'est clair merci", []),
    ("?", []),
])
def test_clarity_not_understood_spans_the_customers_words(clarity, nlp_fr, make_conversation,
                                                            reply, spans):
    conv = make_conversation(("customer", None, "Bonjour, ma commande ?"),
                             ("advisor", None, NOT_UNDERSTOOD), ("customer", None, reply))
    found = [f for f in _run(clarity, nlp_fr, conv).findings
             if f.code == "clarity.not_understood"]
    assert [f.text for f in found] == spans
    assert all(f.message_index == 2 and f.details["advisor_message"] == 1 for f in found)


def test_clarity_not_understood_only_right_after_the_advisor(clarity, nlp_fr,
                                                             make_conversation):
    conv = make_conversation(("customer", None, "je ne comprends pas, ça ne marche pas"),
                             ("advisor", None, NOT_UNDERSTOOD),
                             ("customer", None, "ah d'accord"),
                             ("customer", None, "je comprends pas votre site"))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.not_understood") == []


def test_clarity_not_understood_counts_only_after_own_text(clarity, nlp_fr, make_conversation):
    # the customer lost by a canned reply says nothing of the advisor's own writing
    own = ("Je vérifie votre dossier auprès du service logistique et je reviens vers vous dans "
           "quelques minutes avec une réponse.")
    conv = make_conversation(("advisor", None, own), ("advisor", None, NOT_UNDERSTOOD),
                             ("customer", None, "c'est-à-dire ?"))
    canned, written = (_run(clarity, nlp_fr, conv, macros)
                       for macros in (frozenset({1}), frozenset()))
    for analysis, macro in ((canned, True), (written, False)):
        assert [f.details["macro"] for f in analysis.findings
                if f.code == "clarity.not_understood"] == [macro]
    assert canned.metrics["clarity_issues_per_100_words"] == 0.0
    assert written.metrics["clarity_issues_per_100_words"] > 0.0
    assert (canned.metrics["clarity_issues"], written.metrics["clarity_issues"]) == (0.0, 1.0)


def test_clarity_issues_count_and_rate_of_the_own_text(clarity, nlp_fr, make_conversation):
    text = ("Votre commande est partie ce matin de notre entrepôt. Vous recevrez un e-mail avec "
            "le lien de suivi. Le colis arrive chez vous sous trois jours ouvrés. Votre dossier "
            "est noté PRX7 chez nous.")
    metrics = _run(clarity, nlp_fr, make_conversation(("advisor", None, text))).metrics
    assert metrics["clarity_issues"] == 1.0  # the unexplained « PRX7 »
    assert metrics["clarity_issues_per_100_words"] == pytest.approx(100 / 34)  # 34 words
    few = _run(clarity, nlp_fr, make_conversation(("advisor", None, "Code PRX7."))).metrics
    assert math.isnan(few["clarity_issues"]) and math.isnan(few["clarity_issues_per_100_words"])


def test_clarity_not_understood_in_english(nlp_en, make_conversation):
    conv = make_conversation(("advisor", None, "Your DTLS handshake failed on port 443."),
                             ("customer", None, "Sorry, I don't understand. What's DTLS?"),
                             ("advisor", None, "The price is 20 dollars."),
                             ("customer", None, "I don't understand why it's so slow"))
    analysis = _run(make_clarity("en"), nlp_en, conv)
    assert _codes(analysis, "clarity.not_understood") == ["I don't understand", "What's"]


@pytest.mark.parametrize(("reply", "spans"), [
    # two matches only spaces apart are one expression; one that ends a sentence stands alone
    ("Can you explain that again in plain English?",
     ["Can you explain that again in plain English"]),
    ("come again? not sure what you mean", ["come again?", "not sure what you mean"]),
    ("I not understand what is DTLS", ["I not understand what is"]),
    ("bro u lost me there", ["u lost me"]),
    ("idk what half of those letters mean", ["idk what half of those letters mean"]),
    # a dispute about a decision the customer understood: none
    ("I don't understand how you can refuse a return", []),
])
def test_clarity_not_understood_in_english_expressions(nlp_en, make_conversation, reply, spans):
    conv = make_conversation(("advisor", None, "Your DTLS handshake failed on port 443."),
                             ("customer", None, reply))
    assert _codes(_run(make_clarity("en"), nlp_en, conv), "clarity.not_understood") == spans


def test_clarity_jargon_may_start_with_a_digit(clarity, nlp_fr, make_conversation):
    # « 3DS » is a code the customer cannot know; « 4G » is public, « 12H05 » a time
    conv = make_conversation(
        ("advisor", None, "Le problème vient du code de validation 3DS de votre banque."),
        ("advisor", None, "Votre box passe en 4G à partir de 12H05 aujourd'hui."))
    assert _codes(_run(clarity, nlp_fr, conv), "clarity.jargon") == ["3DS"]


def test_clarity_not_understood_is_one_issue_per_message(clarity, nlp_fr, make_conversation):
    own = ("Je vérifie votre dossier auprès du service logistique et je reviens vers vous dans "
           "quelques minutes avec une réponse.")
    rates = []
    for reply in ("je comprends pas", "c'est quoi l'étoile rouge ? je comprends pas"):
        conv = make_conversation(("advisor", None, own), ("advisor", None, NOT_UNDERSTOOD),
                                 ("customer", None, reply))
        analysis = _run(clarity, nlp_fr, conv)
        assert analysis.metrics["not_understood_messages"] == 1.0
        rates.append(analysis.metrics["clarity_issues_per_100_words"])
    assert rates[0] == rates[1] > 0


def test_clarity_grammar_errors_per_100_own_words(clarity, nlp_fr, make_conversation):
    # the real spelling and grammar analyzer's findings, as the pipeline passes them: its
    # grammar codes in the own text count; spelling, typography and a canned reply's do not
    checker = make_spelling_grammar("fr")
    conv = make_conversation(
        ("customer", None, "Bonjour, on m'a débité deux fois pour la même commande."),
        ("advisor", None, "Bonjour madame, je fait opposition sur la carte tout de suite."),
        ("advisor", None, "Vous serez rembourser sous 48h sur votre compte bancaire."),
        ("advisor", None, "Je vous conseile de surveiller vos relevés ce mois-ci."),
        ("advisor", None, "Vous serez rembourser de vos frais dès que possible."))
    docs, results = message_results([checker], nlp_fr, conv)
    codes = {i: sorted(f.code for f in a.findings)
             for i, a in results["spelling_grammar"].items()}
    assert codes[1] == ["grammar.conjugation"] and codes[2] == codes[4] == ["grammar.agreement"]
    assert codes[3] == ["spelling.word"]

    def rate(macros):
        context = ConversationContext(docs=docs, macro_messages=macros, message_results=results)
        own_words = sum(len(m.words) for m in advisor_messages(conv, context) if not m.macro)
        rate = clarity.analyze_conversation(conv, context).metrics["grammar_errors_per_100_words"]
        return rate, own_words

    rate_all, words_all = rate(frozenset())
    assert rate_all == pytest.approx(100 * 3 / words_all)
    rate_canned, words_own = rate(frozenset({4}))  # the last one is canned: its error is not
    assert words_own == words_all - 9 and rate_canned == pytest.approx(100 * 2 / words_own)
    # without the spelling and grammar analyzer's results, nothing says the sentences are sound
    assert math.isnan(_run(clarity, nlp_fr, conv).metrics["grammar_errors_per_100_words"])
