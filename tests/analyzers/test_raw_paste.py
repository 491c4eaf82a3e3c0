"""clarity.raw_paste: text pasted as it came from a tool or a page."""

from __future__ import annotations

import pytest
from conftest import analyze_with

from chatqa.analyzers.factories import make_clarity

CART = ("Azzaro Pour Homme réf : 10436517/149633 45,99 € 2 496 91,98 € Total produits : 91,98 € "
        "Total réductions : -5,00 € Total frais de port : 15,98 € Total : 102,96 €")


def _pastes(analyzer, nlp, conv, macros=frozenset()):
    analysis = analyze_with(analyzer, nlp, conv, macros)
    return analysis, [f.text for f in analysis.findings if f.code == "clarity.raw_paste"]


def test_a_cart_summary_pasted_raw_is_found_without_the_advisors_words(clarity, nlp_fr,
                                                                       make_conversation):
    conv = make_conversation(("advisor", None, f"voici le panier que nous avons : {CART}"))
    _, found = _pastes(clarity, nlp_fr, conv)
    assert len(found) == 1
    assert found[0].startswith("10436517/149633 45,99 € 2 496 91,98 €") and found[0] in CART


@pytest.mark.parametrize("text", [
    # numbers, prices and references in sentences
    "votre commande n° 45211 de 45,99 € a été expédiée le 12 mars, livraison sous 48 h.",
    "oui, au 09 70 12 34 56 du lundi au vendredi de 9 h à 18 h, ou ici par chat.",
    # a summary laid out for the customer, one value per line
    "Voici le détail :\nForfait Fibre Max : 39,99 €\nOption TV Sport : 12,00 €\nTotal : 51,99 €",
    # an address, a link the archive spaced out, a menu path in a sentence
    "le colis a bien été déposé au relais _Name6_ 202 AVENUE JEAN JAURES _ZipCode1_ _City1_",
    "rejoignez notre page : http : / / WWW. Facebook. com / ParfumsMoinsCher / < https://www."
    "facebook.com/ParfumsMoinsCher/ >",
    "il faut la refaire : Paramètres > Intégrations > ComptaPlus > Reconnecter.",
    # a calculation the advisor writes out (« key=value » output has no spaces round « = »)
    "Croquettes chat saumon 7 kg : 2 x 34,90 € = 69,80 €",
    "environ 241 m³ x 11,2 kWh = 2 699 kWh, à 0,1108 € le kWh",
])
def test_written_text_with_data_is_no_paste(clarity, nlp_fr, make_conversation, text):
    conv = make_conversation(("advisor", None, text))
    assert _pastes(clarity, nlp_fr, conv)[1] == []


def test_a_paste_over_several_lines_is_one(clarity, nlp_fr, make_conversation):
    rows = ("03/08 14:22 ROAM DATA ZONE 3 (MA) 1,2 Mo 12,00 €\n"
            "03/08 16:05 ROAM DATA ZONE 3 (MA) 0,8 Mo 8,00 €\n"
            "04/08 09:13 ROAM APPEL SORTANT ZONE 3 (MA) 00:05:40 17,00 €")
    conv = make_conversation(("advisor", None, rows))
    _, found = _pastes(clarity, nlp_fr, conv)
    assert len(found) == 1 and found[0].count("\n") == 2


def test_two_pastes_parted_by_the_advisors_words_are_two(clarity, nlp_fr, make_conversation):
    text = ("Statut : EN_ATTENTE | Motif : KYC_PENDING | Canal : WEB | Relance : J+7 et du côté "
            "du remboursement je vois ceci : RMB-88120 | Statut : A_VALIDER | Montant : 42,00")
    conv = make_conversation(("advisor", None, text))
    _, found = _pastes(clarity, nlp_fr, conv)
    assert len(found) == 2
    assert found[0].startswith("Statut : EN_ATTENTE") and found[1].startswith("RMB-88120")


def test_a_grammatical_word_inside_a_product_name_does_not_part_an_invoice(
        clarity, nlp_fr, make_conversation):
    invoice = ("Facture F-77120 du 02/02/2025\n"
               "Lampe de chevet Nina réf LCN-204 x2 19,90 € 39,80 €\n"
               "Housse de couette Lin réf HCL-118 x1 54,00 € 54,00 €\n"
               "Total HT 78,83 € TVA 20 % 15,77 € Total TTC 94,60 €")
    conv = make_conversation(("advisor", None, invoice))
    _, found = _pastes(clarity, nlp_fr, conv)
    assert len(found) == 1
    assert found[0].startswith("réf LCN-204") and found[0].endswith("Total TTC 94,60")


def test_the_advisors_lead_in_on_its_own_line_still_parts_two_pastes(clarity, nlp_fr,
                                                                     make_conversation):
    text = ("transporteur : 03/10 16:20 RELAIS 75011 Dépôt 07/10 09:41 ENTREPOT NORD Livré\n"
            "et côté remboursement : RMB-88120 | Statut : A_VALIDER | Montant : 42,00")
    conv = make_conversation(("advisor", None, text))
    _, found = _pastes(clarity, nlp_fr, conv)
    assert len(found) == 2 and found[1].startswith("RMB-88120")


def test_times_written_out_in_an_itinerary_are_no_paste(clarity, nlp_fr, make_conversation):
    text = ("voici votre vol du 6 mars :\nvol AF 7512 départ 06 h 50, arrivée 08 h 25")
    conv = make_conversation(("advisor", None, text))
    assert _pastes(clarity, nlp_fr, conv)[1] == []


TRACKING = ("14/05 07:52 ROISSY CDG Votre colis est en cours d'acheminement 14/05 19:30 MITRY "
            "MORY Votre colis est arrivé sur son site de distribution 15/05 09:11 SARCELLES "
            "Votre colis est en cours de livraison")


def test_a_tracking_history_is_a_paste_though_its_entries_are_sentences(clarity, nlp_fr,
                                                                        make_conversation):
    conv = make_conversation(("advisor", None, f"voici ce que je vois : {TRACKING}. Il arrive "
                                               "donc aujourd'hui."))
    assert _pastes(clarity, nlp_fr, conv)[1] == [TRACKING]


def test_dates_the_advisor_writes_in_a_sentence_are_no_log(clarity, nlp_fr, make_conversation):
    text = ("votre colis est parti le 14/05 à 07:52, il est arrivé au dépôt le 14/05 à 19:30 "
            "et il sera livré le 15/05 dans la journée.")
    conv = make_conversation(("advisor", None, text))
    assert _pastes(clarity, nlp_fr, conv)[1] == []


def test_a_page_whose_blocks_ran_together_is_a_paste(nlp_en, make_conversation):
    text = ("Here's our info: Help Center Shipping International shipping Canada: 5–8 business "
            "days, from $14.95Duties and taxes are calculated at checkoutWas this article "
            "helpful?")
    conv = make_conversation(("advisor", None, text))
    found = _pastes(make_clarity("en"), nlp_en, conv)[1]
    assert found == ["$14.95Duties and taxes are calculated at checkoutWas"]


def test_brand_names_and_links_with_capitals_inside_are_not_glued_blocks(clarity, nlp_fr,
                                                                         make_conversation):
    text = ("rejoignez ParfumsMoinsCher sur https://www.facebook.com/ParfumsMoinsCher/ ou "
            "payez avec PayPal depuis votre iPhone : https://amzn.to/NAYourOrders")
    conv = make_conversation(("advisor", None, text))
    assert _pastes(clarity, nlp_fr, conv)[1] == []


def test_table_rows_exported_as_text_are_a_paste(nlp_en, make_conversation):
    rows = ("invoice_id,issue_date,amount,status\nINV-10422,2024-01-15,480.00,overdue\n"
            "INV-10587,2024-02-15,480.00,open")
    conv = make_conversation(("advisor", None, f"Sure, from our billing export:\n{rows}"))
    assert _pastes(make_clarity("en"), nlp_en, conv)[1] == [rows]


def test_a_record_one_field_per_line_is_a_paste(clarity, nlp_fr, make_conversation):
    record = ("N° interv : 2024-DIJ-04412\nTYPE: FUITE_BRCHT_DOMAINE_PUBLIC\nPRIORITE: P2\n"
              "EQUIPE: SECT_EST_3\nETAT: PLANIFIEE")
    conv = make_conversation(("advisor", None, f"Voici la fiche :\n{record}\nJe vous rappelle."))
    assert _pastes(clarity, nlp_fr, conv)[1] == [record]


def test_a_summary_laid_out_with_plain_labels_is_no_record(clarity, nlp_fr, make_conversation):
    text = ("Aller : mardi 8 octobre, Lyon 6 h 55 → Rome 8 h 35, vol V7 1423\n"
            "Retour : samedi 12 octobre, Rome 20 h 10 → Lyon 21 h 55, vol V7 1424\n"
            "Hôtel : Albergo del Sole, 4 nuits, petit-déjeuner inclus\n"
            "Total : 1 188,00 € pour deux personnes")
    conv = make_conversation(("advisor", None, text))
    assert _pastes(clarity, nlp_fr, conv)[1] == []


def test_html_over_several_lines_is_one_paste(clarity, nlp_fr, make_conversation):
    html = ("<ul>\n<li>Appels émis : 2,99&nbsp;€/min</li>\n<li>SMS : 0,49&nbsp;€</li>\n</ul>\n"
            '<p>Voir aussi : <a href="/tarifs">nos tarifs</a></p>')
    conv = make_conversation(("advisor", None, f"voici la page :\n{html}"))
    assert _pastes(clarity, nlp_fr, conv)[1] == [html]


def test_html_left_in_is_a_paste_from_its_first_tag(nlp_en, make_conversation):
    text = ("Hi! <p>To cancel, go to <b>My Account</b> &gt; <b>Subscriptions</b>.</p> "
            "Anything else?")
    conv = make_conversation(("advisor", None, text))
    _, found = _pastes(make_clarity("en"), nlp_en, conv)
    assert found == ["<p>To cancel, go to <b>My Account</b> &gt; <b>Subscriptions</b>.</p>"]


def test_markdown_left_in_is_a_paste_but_an_advisors_emphasis_is_none(nlp_en,
                                                                       make_conversation):
    article = ("## Cancelling an order\n\n**Sellers** may cancel before dispatch; a fee of "
               "**£1.50** applies. See [account limits](https://help.example.com/limits)")
    conv = make_conversation(("advisor", None, f"Here you go:\n{article}\nAnything else?"),
                             ("advisor", None, "Please do **not** pay twice, it is **free**."))
    assert _pastes(make_clarity("en"), nlp_en, conv)[1] == [article]


def test_error_output_is_a_paste(nlp_en, make_conversation):
    conv = make_conversation(("advisor", None, "ERR_PAYMENT_DECLINED code=54 txn=55107 "
                                               "card=EXPIRED"))
    assert _pastes(make_clarity("en"), nlp_en, conv)[1] == [
        "ERR_PAYMENT_DECLINED code=54 txn=55107 card=EXPIRED"]


def test_pastes_count_in_own_messages_only(clarity, nlp_fr, make_conversation):
    own = ("Je regarde votre panier et je vous explique le total juste après, un instant "
           "s'il vous plaît.")
    conv = make_conversation(("advisor", None, own), ("advisor", None, CART))
    written, _ = _pastes(clarity, nlp_fr, conv)
    canned, found = _pastes(clarity, nlp_fr, conv, frozenset({1}))
    assert len(found) == 1  # found in a canned reply too, said in its details
    assert written.metrics["raw_paste_messages"] == 1.0
    assert canned.metrics["raw_paste_messages"] == 0.0
