"""Markers: each kind on sentences written for these tests, negation, subject, English."""

from __future__ import annotations

import math

import pytest

from chatqa.analyzers.base import Analysis
from chatqa.analyzers.factories import make_markers
from chatqa.analyzers.markers import MarkerMatcher, MarkersAnalyzer
from chatqa.errors import ConfigError
from chatqa.model import Severity
from chatqa.resources import RESOURCES_DIR, load_resource, read_resource
from chatqa.testing import check_analyzer


@pytest.fixture(scope="module")
def fr(nlp_fr):
    return make_markers("fr").initialize(nlp_fr), nlp_fr


@pytest.fixture(scope="module")
def en(nlp_en):
    return make_markers("en").initialize(nlp_en), nlp_en


def _found(pair, text):
    analyzer, nlp = pair
    return analyzer.analyze_message(nlp(text))


def _spans(pair, text, code):
    return [f.text for f in _found(pair, text).findings if f.code == code]


# --- each kind, French --------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "code", "span"), [
    ("Bonsoir Monsieur Durand, je suis Maëlle.", "marker.courtesy", "Bonsoir Monsieur Durand"),
    ("Bonsoir Monsieur Durand, je suis Maëlle.", "marker.courtesy", "je suis Maëlle"),
    ("Yanis à votre écoute, que puis-je faire pour vous ?", "marker.courtesy",
     "Yanis à votre écoute"),
    ("Merci infiniment pour votre compréhension.", "marker.courtesy",
     "Merci infiniment pour votre compréhension"),
    ("Je vous en prie, c'est avec plaisir.", "marker.courtesy", "Je vous en prie"),
    ("Pourriez-vous me transmettre la référence du meuble ?", "marker.courtesy", "Pourriez-vous"),
    ("Merci de bien vouloir joindre le bon de livraison.", "marker.courtesy",
     "Merci de bien vouloir"),
    ("Toutes mes excuses pour ce retard de réponse.", "marker.courtesy",
     "Toutes mes excuses pour ce retard de réponse"),
    ("Je vous souhaite une très bonne soirée !", "marker.courtesy",
     "Je vous souhaite une très bonne soirée"),
    ("Je comprends tout à fait votre agacement.", "marker.empathy",
     "Je comprends tout à fait votre agacement"),
    ("Je suis navré d'apprendre que votre chauffe-eau a lâché.", "marker.empathy",
     "Je suis navré d'apprendre que votre chauffe-eau a lâché"),
    ("Rassurez-vous, aucun frais ne vous sera facturé.", "marker.empathy", "Rassurez-vous"),
    ("C'est tout à fait légitime de demander des explications.", "marker.empathy",
     "C'est tout à fait légitime de demander des explications"),
    ("Je m'occupe personnellement de votre réclamation.", "marker.empathy",
     "Je m'occupe personnellement de votre réclamation"),
    ("Depuis quand le voyant clignote-t-il ?", "marker.directivity",
     "Depuis quand le voyant clignote-t-il ?"),
    ("Je transmets votre demande au service contentieux.", "marker.directivity",
     "Je transmets votre demande au service contentieux"),
    ("Je vais vous renvoyer le lien d'activation.", "marker.directivity",
     "Je vais vous renvoyer le lien d'activation"),
    ("Je vous propose un échange contre la taille au-dessus.", "marker.directivity",
     "Je vous propose un échange contre la taille au-dessus"),
    ("Rendez-vous dans l'onglet Factures puis téléchargez le PDF.", "marker.directivity",
     "Rendez-vous dans l'onglet Factures puis téléchargez le PDF"),
    ("Vous recevrez la nouvelle carte sous huit jours.", "marker.directivity",
     "Vous recevrez la nouvelle carte sous huit jours"),
    ("Si je résume, la panne revient chaque matin ?", "marker.directivity",
     "Si je résume, la panne revient chaque matin ?"),
    ("Avez-vous une autre question ?", "marker.directivity", "Avez-vous une autre question ?"),
    ("Malheureusement, ce n'est pas possible.", "marker.negative", "ce n'est pas possible"),
    ("Vous auriez dû nous prévenir avant.", "marker.negative",
     "Vous auriez dû nous prévenir avant"),
    ("Vous devez fournir un justificatif de domicile.", "marker.negative",
     "Vous devez fournir un justificatif de domicile"),
    ("Ce n'est pas mon rôle de vérifier ça.", "marker.negative", "Ce n'est pas mon rôle"),
    ("On n'y peut rien.", "marker.negative", "On n'y peut rien"),
    ("Tu as reçu ton code ?", "register.tutoiement", "Tu"),
    ("Tu as reçu ton code ?", "register.tutoiement", "ton"),
    ("Je t'explique la démarche.", "register.tutoiement", "t'"),
    ("Ouais, c'est réglé.", "register.familiar", "Ouais"),
    ("Ok ça marche, je valide.", "register.familiar", "Ok ça marche"),
    ("Envoie la photo stp.", "register.familiar", "stp"),
    ("Votre colis est dispo au relais.", "register.familiar", "dispo"),
    ("Je vous envoie un récap des modules.", "register.familiar", "récap"),
    ("Votre num de contrat, s'il vous plaît.", "register.familiar", "num"),
    ("c bon pour moi, le remboursement part ce soir.", "register.familiar", "c bon"),
    ("Je vous file un code de réduction.", "register.familiar", "file"),
    ("Trop dommage, le spectacle est complet.", "register.familiar", "Trop"),
    ("Bon ben je relance le service technique.", "register.familiar", "Bon ben"),
    ("Faut redémarrer la box.", "register.familiar", "Faut"),
])
def test_markers_find_each_kind_in_french(fr, text, code, span):
    assert span in _spans(fr, text, code)


@pytest.mark.parametrize("text", [
    "je comprends",
    "Nous comprenons bien votre situation.",
    "Je comprends tout à fait.",
])
def test_markers_understanding_is_one_pattern_however_worded(fr, text):
    analysis = _found(fr, text)
    assert [f.details["pattern"] for f in analysis.findings
            if f.code == "marker.empathy"] == ["understanding"]


# --- negation, subject, hard negatives ------------------------------------------------------------
@pytest.mark.parametrize(("text", "code"), [
    ("Je ne comprends pas votre demande.", "marker.empathy"),
    ("je comprends pas ce que vous voulez dire", "marker.empathy"),
    ("Si je comprends bien, la box ne s'allume plus ?", "marker.empathy"),
    ("Ce n'est pas un problème.", "marker.negative"),
    ("Pas de souci, je modifie l'adresse.", "marker.negative"),
    ("Pas de souci, je modifie l'adresse.", "register.familiar"),
    ("Je dois vérifier votre identité avant de continuer.", "marker.negative"),
    ("Vous ne devez rien de plus.", "marker.negative"),
    ("Êtes-vous toujours là ?", "marker.directivity"),
    ("Vous êtes toujours avec moi ?", "marker.directivity"),
    ("Nous ne faisons pas d'avoir sur cette offre, mais je peux vous proposer un bon d'achat.",
     "marker.negative"),
    ("Le client a écrit « c'est votre problème » dans son mail.", "marker.negative"),
    ("La mention « Ne vous inquiétez pas » figure sur le courrier.", "marker.empathy"),
    ("Votre colis a été remis au transporteur hier.", "marker.directivity"),
    ("Le souci que vous rencontrez vient de la mise à jour.", "marker.directivity"),
    ("Chez nous, la livraison est offerte.", "marker.directivity"),
    ("Affiche-t-il un message d'erreur ?", "register.tutoiement"),
    # look-alikes of familiar words: names, the metal, a product, standard short words, « svp »
    ("Le choc a laissé une bosse sur la portière.", "register.familiar"),
    ("Bonjour Madame Bah, votre dossier est traité.", "register.familiar"),
    ("Ce bracelet est garanti sans nickel.", "register.familiar"),
    ("Votre forfait Top 100 Go reste valable.", "register.familiar"),
    ("Je suis Max, je prends le relais.", "register.familiar"),
    ("Vous pouvez venir à vélo, en métro ou en auto.", "register.familiar"),
    ("Un instant svp, je vérifie votre commande.", "register.familiar"),
    ("Il faut redémarrer la box.", "register.familiar"),
    ("Il y a un délai de 48 heures.", "register.familiar"),
])
def test_markers_hard_negatives_give_no_marker_of_that_kind(fr, text, code):
    assert _spans(fr, text, code) == []


def test_markers_the_subject_decides_a_demand(fr):
    assert _spans(fr, "Vous devez renvoyer le formulaire.", "marker.negative") == [
        "Vous devez renvoyer le formulaire"]
    assert _spans(fr, "Je dois renvoyer le formulaire.", "marker.negative") == []
    assert _spans(fr, "Je dois renvoyer le formulaire.", "marker.directivity") == [
        "Je dois renvoyer le formulaire"]


def test_markers_a_demand_is_negative_not_directivity(fr):
    text = "Vous devez envoyer la facture."
    assert _spans(fr, text, "marker.negative") == ["Vous devez envoyer la facture"]
    assert _spans(fr, text, "marker.directivity") == []


def test_markers_refusal_without_alternative_only(fr):
    assert _spans(fr, "Ce n'est pas possible.", "marker.negative") == ["Ce n'est pas possible"]
    assert _spans(fr, "Ce n'est pas possible par chat, mais je vous envoie le formulaire.",
                  "marker.negative") == []


def test_markers_negative_findings_carry_a_softer_phrasing_and_a_severity(fr):
    analysis = _found(fr, "Vous devez payer les frais. C'est votre problème.")
    negative = {f.details["pattern"]: f for f in analysis.findings
                if f.code == "marker.negative"}
    assert set(negative) == {"demand", "dismissive"}
    assert negative["demand"].severity is Severity.MINOR
    assert negative["dismissive"].severity is Severity.MAJOR
    assert all(f.suggestion for f in negative.values())
    courtesy = _found(fr, "Bonjour Madame Petit").findings
    assert [(f.code, f.severity, f.details["note"]) for f in courtesy] == [
        ("marker.courtesy", Severity.INFO, "greeting")]


def test_markers_a_clause_of_directivity_is_one_marker(fr):
    # two ownership cues and an instruction in one clause: one span, its patterns listed
    analysis = _found(fr, "Je vérifie votre dossier et je relance le transporteur, puis "
                          "cliquez sur le lien.")
    directivity = [f for f in analysis.findings if f.code == "marker.directivity"]
    assert len(directivity) == 1
    assert directivity[0].details["patterns"] == ["ownership", "instruction"]


def test_markers_courtesy_apology_and_empathy_regret_are_told_apart(fr):
    assert _spans(fr, "Désolée pour l'attente.", "marker.courtesy") == ["Désolée pour l'attente"]
    assert _spans(fr, "Désolée pour l'attente.", "marker.empathy") == []
    assert _spans(fr, "Désolée pour ce dégât des eaux.", "marker.empathy") == [
        "Désolée pour ce dégât des eaux"]


@pytest.mark.parametrize(("text", "code", "span"), [
    ("Est-ce que vous pourriez me confirmer votre adresse ?", "marker.courtesy",
     "Est-ce que vous pourriez"),
    ("Si vous avez un moment, pourriez-vous remplir le questionnaire ?", "marker.courtesy",
     "Si vous avez un moment"),
    ("Si cela ne vous dérange pas, je vous rappelle demain.", "marker.courtesy",
     "Si cela ne vous dérange pas"),
    ("Je me permets de vous demander une photo du compteur.", "marker.courtesy",
     "Je me permets de"),
    ("Désolée de vous déranger à nouveau.", "marker.courtesy",
     "Désolée de vous déranger à nouveau"),
    ("Pourquoi n'avez-vous pas lu le mail ?", "marker.negative",
     "Pourquoi n'avez-vous pas lu le mail ?"),
    ("Comment pouvez-vous dire ça ?", "marker.negative", "Comment pouvez-vous dire ça ?"),
    ("C'est faux, vous n'avez jamais appelé.", "marker.negative", "C'est faux"),
    ("Je ne vois pas où est le problème.", "marker.negative",
     "Je ne vois pas où est le problème"),
    ("Arrêtez de m'écrire en majuscules.", "marker.negative",
     "Arrêtez de m'écrire en majuscules"),
])
def test_markers_polite_softeners_and_accusations_in_french(fr, text, code, span):
    assert span in _spans(fr, text, code)


@pytest.mark.parametrize(("text", "code"), [
    ("Je me permets de vous relancer : êtes-vous toujours connecté ?", "marker.courtesy"),
    ("Pourquoi ne pas essayer de redémarrer la box ?", "marker.negative"),
    ("Je vais regarder pourquoi vous avez été débité deux fois.", "marker.negative"),
    ("Ce n'est pas faux.", "marker.negative"),
    ("Je ne vois pas votre commande dans notre système.", "marker.negative"),
])
def test_markers_softeners_and_accusations_hard_negatives(fr, text, code):
    assert _spans(fr, text, code) == []


# --- English --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "code", "span"), [
    ("Good evening Mr Lee, Aisha here.", "marker.courtesy", "Good evening Mr Lee"),
    ("Good evening Mr Lee, Aisha here.", "marker.courtesy", "Aisha here"),
    ("Thanks so much for bearing with me.", "marker.courtesy",
     "Thanks so much for bearing with me"),
    ("Sorry for the delay in getting back to you.", "marker.courtesy",
     "Sorry for the delay in getting back to you"),
    ("I completely understand how annoying that is.", "marker.empathy",
     "I completely understand how annoying"),
    ("Don't worry, the charge will be reversed.", "marker.empathy", "Don't worry"),
    ("I'm raising a ticket with the network team.", "marker.directivity",
     "I'm raising a ticket with the network team"),
    ("Which device are you using?", "marker.directivity", "Which device are you using?"),
    ("There's nothing more I can do.", "marker.negative", "There's nothing more I can do"),
    ("You should have kept the receipt.", "marker.negative", "You should have kept the receipt"),
    ("Yep, all sorted.", "register.familiar", "Yep"),
])
def test_markers_find_each_kind_in_english(en, text, code, span):
    assert span in _spans(en, text, code)


@pytest.mark.parametrize(("text", "code"), [
    ("I don't understand your request.", "marker.empathy"),
    ("That's not a problem at all.", "marker.negative"),
    ("Are you still there?", "marker.directivity"),
    ("Hello? Are you still with me?", "marker.courtesy"),
    ("Is there anything else I can help you with?", "marker.negative"),
])
def test_markers_english_hard_negatives(en, text, code):
    assert _spans(en, text, code) == []


def test_markers_english_has_no_tutoiement_and_reads_no_lemma(en):
    analyzer, _ = en
    assert analyzer.patterns.tutoiement.patterns == ()
    assert "token.lemma" not in analyzer.patterns.requires


# --- customer emotions (for the conduct analyzer) -------------------------------------------------
@pytest.mark.parametrize(("lang", "text", "span"), [
    ("fr", "Ça fait quatre jours que j'attends, c'est honteux !", "c'est honteux"),
    ("fr", "Je suis vraiment angoissée pour mon loyer.", "Je suis vraiment angoissée"),
    ("fr", "J'en ai assez de rappeler.", "J'en ai assez de"),
    ("fr", "C'est la troisième fois que je vous écris.", "C'est la troisième fois que"),
    ("en", "I'm so annoyed, this is ridiculous.", "this is ridiculous"),
    ("en", "I've been waiting for three weeks.", "I've been waiting for three weeks"),
])
def test_markers_customer_emotions(fr, en, lang, text, span):
    analyzer, nlp = fr if lang == "fr" else en
    found = analyzer.matcher.customer_emotions(nlp(text))
    assert span in [m.text for m in found]
    assert {m.code for m in found} == {"customer.emotion"}


@pytest.mark.parametrize(("lang", "text"), [
    ("fr", "Bonjour, où en est ma commande ?"),
    ("fr", "Merci beaucoup pour votre aide, bonne journée !"),
    ("fr", "Je ne suis pas inquiet, je voulais juste savoir."),
    ("en", "Hi, where is my order?"),
])
def test_markers_no_customer_emotion_in_neutral_messages(fr, en, lang, text):
    analyzer, nlp = fr if lang == "fr" else en
    assert analyzer.matcher.customer_emotions(nlp(text)) == ()


def test_markers_customer_emotion_is_not_an_advisor_code(fr):
    analyzer, nlp = fr
    assert "customer.emotion" not in analyzer.codes
    text = "C'est inadmissible, j'en ai marre."
    assert not [f for f in analyzer.analyze_message(nlp(text)).findings
                if f.code == "customer.emotion"]


# --- metrics --------------------------------------------------------------------------------------
def test_markers_counts_per_message(fr):
    analysis = _found(fr, "Bonjour Julie ! Tu peux me donner ton numéro stp ? Merci.")
    # courtesy: « Bonjour Julie », « Merci »; directivity: the question; tutoiement: Tu, ton
    assert analysis.metrics == {
        "courtesy_markers": 2.0, "empathy_markers": 0.0, "directivity_markers": 1.0,
        "negative_markers": 0.0, "tutoiement_count": 2.0, "familiar_count": 1.0,
    }


@pytest.mark.parametrize("text", ["", "   \n "])
def test_markers_empty_text_is_nan(fr, text):
    analysis = _found(fr, text)
    assert analysis.findings == ()
    assert all(math.isnan(v) for v in analysis.metrics.values())


def test_markers_summarize_sums_and_shares(fr):
    analyzer, _ = fr
    texts = ["Bonjour, je vérifie.", "", "Vous devez patienter.", "C'est noté."]
    analyses = [_found(fr, t) for t in texts]
    summary = analyzer.summarize(analyses)
    # 3 messages with text: courtesy in 1, directivity in 1, negative in 1
    assert summary["advisor_courtesy_markers"] == 1
    assert summary["advisor_negative_markers"] == 1
    assert summary["advisor_courtesy_ratio"] == pytest.approx(1 / 3)
    assert summary["advisor_directivity_ratio"] == pytest.approx(1 / 3)
    assert summary["advisor_empathy_ratio"] == 0
    assert all(math.isnan(v) for v in analyzer.summarize([]).values())
    assert all(math.isnan(v) for v in analyzer.summarize([analyses[1]]).values())


@pytest.mark.parametrize("text", [
    "Bonjour 👋 Merci 🙏 pour votre patience 😊 ! Tu peux cliquer ici ?",
    "ok\n\nje regarde\tça de suite…",
    "« Vous devez » — c'est écrit dans le contrat ?!",
    "Bonjour Madame\u00a0Dupont, je comprends\u202fvotre inquiétude.",
])
def test_markers_offsets_slice_the_text(fr, text):
    for f in _found(fr, text).findings:
        assert text[f.start:f.end] == f.text
        assert f.text == f.text.strip()


# --- the contract ---------------------------------------------------------------------------------
# French: tests/test_contract.py runs chatqa.testing's checks on every registered analyzer
def test_markers_pass_the_contract_in_english(nlp_en):
    check_analyzer(make_markers, "en", nlp=nlp_en)


def test_markers_need_initialize_and_a_lemmatizer_in_french():
    import spacy

    analyzer = make_markers("fr")
    with pytest.raises(RuntimeError, match="initialize"):
        analyzer.analyze_message(spacy.blank("fr")("Bonjour"))
    with pytest.raises(ConfigError, match=r"\[E103\].*'markers'.*'token.lemma'"):
        analyzer.initialize(spacy.blank("fr"))


def test_markers_disabled_patterns(nlp_fr):
    analyzer = make_markers("fr", disabled_patterns=["familiar.interjection"]).initialize(nlp_fr)
    found = analyzer.analyze_message(nlp_fr("Salut Kevin, ouais c'est bon."))
    assert [f.code for f in found.findings] == ["marker.courtesy"]
    with pytest.raises(ConfigError, match=r"\[E201\].*disabled_patterns.*'familiar.nope'"):
        make_markers("fr", disabled_patterns=["familiar.nope"])
    with pytest.raises(ConfigError, match=r"\[E204\]"):
        make_markers("fr", threshold=3)


def test_markers_matcher_is_reusable_for_conduct(nlp_fr):
    matcher = MarkerMatcher(load_resource("fr", "markers"), nlp_fr.vocab)
    assert [m.text for m in matcher.customer_emotions(nlp_fr("C'est urgent !"))] == ["C'est urgent"]
    assert isinstance(make_markers("fr"), MarkersAnalyzer)
    assert isinstance(make_markers("fr").initialize(nlp_fr).analyze_message(nlp_fr("ok")),
                      Analysis)


# --- resources ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "problem"), [
    ('{LOWER = "suis"}', '{LOWR = "suis"}', r"courtesy -> patterns -> 1 -> patterns -> 0 -> 1 "
                                            r"-> LOWR: unknown token attribute"),
    ('"@greetings"', '"@greeting"', r"unknown word list '@greeting'"),
    ('"@title?"', '"@titel?"', r"unknown token macro '@titel\?'"),
    ('unless = ["relaunch"]', 'unless = ["relaunches"]', r"unknown exclusion 'relaunches'"),
    ('suggestion = "Je vous réexplique la démarche : …"', "",
     r"negative -> patterns -> 1 -> suggestion: missing"),
    ('requires = ["token.lemma", "doc.sents"]', 'requires = ["doc.sents"]',
     r"LEMMA: reads token.lemma, which this file does not require"),
    ("REGEX = '^[a-zàâçéèêëîïôûùüÿœ]{3,}ez$'", "REGEX = '^[a-z({3,}ez$'",
     r"not a valid regular expression"),
])
def test_markers_resource_typos_are_errors_naming_the_key(tmp_path, old, new, problem):
    text = (RESOURCES_DIR / "fr" / "markers.toml").read_text("utf-8")
    assert old in text, f"{old!r} is not in fr/markers.toml: update the test"
    path = tmp_path / "markers.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(ConfigError, match=r"\[E203\].*markers\.toml.*" + problem):
        read_resource(path, "markers", lang="fr")
