"""chatqa.privacy: typed masks, validation against look-alikes, context for mistyped numbers."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatqa.errors import ConfigError
from chatqa.privacy import (
    KINDS,
    RESOURCE,
    PiiSpan,
    find_pii,
    load_rules,
    masked_offset,
    redact,
    redact_excerpt,
    redact_spans,
)

# (text, the personal data in it, its kind). Every number below was made up for these tests;
# valid ones were given their checksum by hand (Luhn, mod 97, NIR key).
CASES = [
    # e-mails
    ("écrivez-moi à jeanne.roux@exemple.fr merci", "jeanne.roux@exemple.fr", "EMAIL"),
    ("MAIL: PAUL.BERNARD@EXEMPLE-MAIL.COM", "PAUL.BERNARD@EXEMPLE-MAIL.COM", "EMAIL"),
    ("mon adresse c'est l.petit+factures@mail.exemple.co.uk.",
     "l.petit+factures@mail.exemple.co.uk", "EMAIL"),
    ("contact : r_durand_75@exemple.net, pas l'autre", "r_durand_75@exemple.net", "EMAIL"),
    ("jeanne.roux(at)exemple.fr", "jeanne.roux(at)exemple.fr", "EMAIL"),
    ("jeanne.roux arobase exemple point fr", "jeanne.roux arobase exemple point fr", "EMAIL"),
    # phones
    ("rappelez-moi au 06 12 34 56 78 svp", "06 12 34 56 78", "PHONE"),
    ("mon fixe 04.78.12.34.56", "04.78.12.34.56", "PHONE"),
    ("tél 07-81-22-46-90", "07-81-22-46-90", "PHONE"),
    ("0781224690 c'est mon numéro", "0781224690", "PHONE"),
    ("joignable au +33 6 12 34 56 78", "+33 6 12 34 56 78", "PHONE"),
    ("joignable au +33612345678", "+33612345678", "PHONE"),
    ("ou au 0033 6 12 34 56 78", "0033 6 12 34 56 78", "PHONE"),
    ("numéro belge +32 470 12 34 56", "+32 470 12 34 56", "PHONE"),
    ("call me on +44 20 7946 0958", "+44 20 7946 0958", "PHONE"),
    ("my phone is (415) 555-0132", "(415) 555-0132", "PHONE"),
    ("tel 06/12/34/56/78", "06/12/34/56/78", "PHONE"),
    ("portable 0 6 1 2 3 4 5 6 7 8", "0 6 1 2 3 4 5 6 7 8", "PHONE"),
    ("+33 (0)7 52 63 14 88 après 18h", "+33 (0)7 52 63 14 88", "PHONE"),
    # IBAN
    ("IBAN FR76 3000 6000 0112 3456 7890 189 merci", "FR76 3000 6000 0112 3456 7890 189", "IBAN"),
    ("virement sur fr7630006000011234567890189", "fr7630006000011234567890189", "IBAN"),
    ("compte anglais GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32", "IBAN"),
    ("CH9300762011623852957 pour la Suisse", "CH9300762011623852957", "IBAN"),
    ("rib FR76-3000-6000-0112-3456-7890-189", "FR76-3000-6000-0112-3456-7890-189", "IBAN"),
    # cards
    ("ma carte 4970 1012 3456 7893 est bloquée", "4970 1012 3456 7893", "CARD"),
    ("CB 4970-1012-3456-7893", "4970-1012-3456-7893", "CARD"),
    ("payé avec 5555555555554444 hier", "5555555555554444", "CARD"),
    ("amex 3782 822463 10005", "3782 822463 10005", "CARD"),
    ("4970.1012.3456.7893 c'est ma carte", "4970.1012.3456.7893", "CARD"),
    # NIR
    ("mon numéro de sécu 1 85 05 78 006 084 91", "1 85 05 78 006 084 91", "NIR"),
    ("NIR 185057800608491", "185057800608491", "NIR"),
    ("assurée 2 53 07 2B 073 004 70", "2 53 07 2B 073 004 70", "NIR"),
    ("185057800608491 pour le dossier mutuelle", "185057800608491", "NIR"),
    # addresses
    ("j'habite au 14 rue Victor Hugo, 69003 Lyon", "14 rue Victor Hugo, 69003 Lyon", "ADDRESS"),
    ("livrez au 3 bis avenue de la Gare 38000 Grenoble svp",
     "3 bis avenue de la Gare 38000 Grenoble", "ADDRESS"),
    ("12, boulevard des Belges - 69006 Lyon", "12, boulevard des Belges - 69006 Lyon", "ADDRESS"),
    ("c'est au 7 impasse des Lilas, au fond", "7 impasse des Lilas", "ADDRESS"),
    ("adresse : 5 place de la République, 75003 Paris", "5 place de la République, 75003 Paris",
     "ADDRESS"),
    ("14 rue victor hugo 69003 lyon depuis", "14 rue victor hugo 69003 lyon", "ADDRESS"),
    ("Lieu-dit Les Combes, 24200 Sarlat-la-Canéda", "Lieu-dit Les Combes, 24200 Sarlat-la-Canéda",
     "ADDRESS"),
    ("Rue de la Loi 16, 1000 Bruxelles", "Rue de la Loi 16, 1000 Bruxelles", "ADDRESS"),
    ("ship to 10 Downing Street, London SW1A 2AA", "10 Downing Street, London SW1A 2AA", "ADDRESS"),
    ("Apt 4B, 123 Main St, Boston, MA 02118", "Apt 4B, 123 Main St, Boston, MA 02118", "ADDRESS"),
    # names
    ("je m'appelle Anne-Sophie Lefèvre et j'ai un souci", "Anne-Sophie Lefèvre", "NAME"),
    ("je m'appelle kevin durand", "kevin durand", "NAME"),
    ("c'est Mme LEFEVRE qui a appelé", "LEFEVRE", "NAME"),
    ("Merci Monsieur Martin pour votre patience", "Martin", "NAME"),
    ("contrat au nom de Paul Girard", "Paul Girard", "NAME"),
    ("Nathalie Roux, 06 12 34 56 78", "Nathalie Roux", "NAME"),
    ("My name is Emily Carter", "Emily Carter", "NAME"),
    # birth dates
    ("né le 03/11/1956 à Lyon", "03/11/1956", "BIRTHDATE"),
    ("date de naissance : 4 juillet 1979", "4 juillet 1979", "BIRTHDATE"),
    ("ma fille est née le 2012-08-30", "2012-08-30", "BIRTHDATE"),
    ("DOB 03/14/1990", "03/14/1990", "BIRTHDATE"),
    ("born on 3rd March 1956", "3rd March 1956", "BIRTHDATE"),
    ("ddn 22.09.1968", "22.09.1968", "BIRTHDATE"),
    # card expiry and CVV
    ("exp 08/27", "08/27", "CARD_EXPIRY"),
    ("date d'expiration 03/2028", "03/2028", "CARD_EXPIRY"),
    ("carte valable jusqu'au 0926", "0926", "CARD_EXPIRY"),
    ("ma carte expire fin août 2027", "août 2027", "CARD_EXPIRY"),
    ("4970 1012 3456 7893 09/26", "09/26", "CARD_EXPIRY"),  # right after a card number
    ("cryptogramme 392", "392", "CVV"),
    ("CVV: 118", "118", "CVV"),
    ("les 3 chiffres au dos : 764", "764", "CVV"),
    # secrets
    ("code reçu par sms : 583920", "583920", "SECRET"),
    ("le code de validation est 294 117", "294 117", "SECRET"),
    ("mon code pin c'était 7316", "7316", "SECRET"),
    ("mdp azerty123", "azerty123", "SECRET"),
    ("mot de passe : Soleil2024!", "Soleil2024!", "SECRET"),
    ("my password is Liverpool#1992, thanks", "Liverpool#1992", "SECRET"),
    ("the OTP I got is 662019", "662019", "SECRET"),
]

# Mistyped numbers: they fail validation, their cue says what they are.
MISTYPED = [
    ("ma carte 4970 1012 3456 7890 ne passe pas", "4970 1012 3456 7890", "CARD"),  # Luhn fails
    ("ma carte c'est 4970 1012 3456 789", "4970 1012 3456 789", "CARD"),  # a digit missing
    ("IBAN FR76 3000 6000 0112 3456 7890 188", "FR76 3000 6000 0112 3456 7890 188", "IBAN"),
    ("mon rib FR76 3000 6000 0112 3456 7890 18", "FR76 3000 6000 0112 3456 7890 18", "IBAN"),
    ("sécu 1 85 05 78 006 084 92", "1 85 05 78 006 084 92", "NIR"),  # key off by one
    ("numéro de sécurité sociale 18505780060843", "18505780060843", "NIR"),
    ("sécurité sociale 1850578006084", "1850578006084", "NIR"),  # key left out
    ("mon portable 06 12 34 56 7", "06 12 34 56 7", "PHONE"),
    ("rappelez moi au 06 98 31 44 27 1", "06 98 31 44 27 1", "PHONE"),
    ("tél 076 45 12 88", "076 45 12 88", "PHONE"),
]

# Look-alikes: numbers that are not personal data. None may be masked.
LOOKALIKES = [
    "notre SIRET : 732 829 320 00074",  # passes Luhn too
    "SIRET 73282932000074 pour la facture",
    "SIREN 732 829 320",
    "EAN 3700123456780 sur l'étiquette",
    "ean13 4006381333931",
    "suivi LB123456789FR toujours bloqué",
    "colis 6A12345678901 en transit",
    "tracking 1Z999AA10123456784",
    "parcel JJD000390007123456789",
    "commande 1791821255434103 passée le 3 avril",
    "ma commande 4970 1012 3456 7893 n'est pas arrivée",  # Luhn-valid, but an order
    "Order #114-7738291-5540217 arrived damaged",
    "n° client 0601245789 sur la facture",
    "dossier 0047812365",
    "contrat AX-4471-2209-88 résilié au 31/12/2023",
    "ticket INC-778451 toujours ouvert",
    "compteur linky n° 15538853587916",
    "PDL 14826105227544",
    "facture FA-2024-0098123 de 1 249,00 €",
    "remboursement de 129,90 € le 12/03/2024 à 14h30",
    "I paid $1,249.99 on 2024-03-12",
    "le livreur passe le 14/06 entre 8h et 12h",
    "offre valable jusqu'au 12/24, ensuite plein tarif",  # no card near: a date
    "votre abonnement expire le 03/25",
    "code de réduction 2024 et code postal 75011",
    "code postal 75011",
    "je suis dans le 69003",
    "code promo BIENVENUE10",
    "réf MTV53ZD/A",
    "numéro de série 4C8X2219KQ",
    "TVA intracom FR43625149943",
    "forfait 5G 130 Go à 15,99€/mois",
    "version 2.3.1 du 12.03.2024",
    "il reste 2 places de parking",
    "IP 192.168.1.254",
    "Bonjour Madame, je regarde votre dossier",
]


def _span_of(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


@pytest.mark.parametrize(("text", "part", "kind"), CASES + MISTYPED)
def test_privacy_masks_each_kind_and_format(text, part, kind):
    start, end = _span_of(text, part)
    spans = find_pii(text)
    covering = [s for s in spans if s.start <= start and s.end >= end]
    assert covering, f"{part!r} not masked in {text!r}: {spans}"
    assert covering[0].kind == kind
    assert (covering[0].start, covering[0].end) == (start, end)
    assert text[covering[0].start:covering[0].end] == part


@pytest.mark.parametrize("text", LOOKALIKES)
def test_privacy_keeps_lookalikes(text):
    assert find_pii(text) == ()
    assert redact(text) == (text, ())


@pytest.mark.parametrize(("text", "part", "kind"), CASES[:12] + MISTYPED[:3])
def test_privacy_placeholders_are_typed(text, part, kind):
    masked, spans = redact(text)
    start, end = _span_of(text, part)
    placeholder = f"<{kind}>"
    assert masked == text[:start] + placeholder + text[end:]
    assert [s.placeholder for s in spans] == [placeholder]


@pytest.mark.parametrize("kind", KINDS)
def test_privacy_every_kind_has_its_own_placeholder(kind):
    assert load_rules().placeholders[kind] == f"<{kind}>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("carte 4970 1012 3456 7893 exp 08/27 cvv 123",
         "carte <CARD> exp <CARD_EXPIRY> cvv <CVV>"),
        ("Claire Fontaine, 22 rue des Acacias 21000 Dijon, tel 06 81 27 39 54",
         "<NAME>, <ADDRESS>, tel <PHONE>"),
        ("nom Laura Petit IBAN FR76 3000 6000 0112 3456 7890 189 et sécu 1 85 05 78 006 084 91",
         "nom <NAME> IBAN <IBAN> et sécu <NIR>"),
        ("mon tel c'est le 06 12 34 56 78 et ma commande 0612345679",
         "mon tel c'est le <PHONE> et ma commande 0612345679"),
    ],
)
def test_privacy_several_kinds_in_one_message(text, expected):
    assert redact(text)[0] == expected


@pytest.mark.parametrize(
    ("names", "text", "expected"),
    [
        (["Julie Martin"], "merci julie martin, à bientôt", "merci <NAME>, à bientôt"),
        (["Julie Martin"], "Bonjour Julie !", "Bonjour <NAME> !"),
        (["Rémi Chevalier"], "M. CHEVALIER a rappelé", "M. <NAME> a rappelé"),
        (["_Name1_"], "je suis _Name1_", "je suis _Name1_"),  # already anonymised
        (["Marc Rose"], "une rose rouge", "une rose rouge"),  # a part alone: capitalised only
        (["Marc Rose"], "merci Rose", "merci <NAME>"),
        (["marc"], "merci marc", "merci <NAME>"),  # a whole name: in any case
    ],
)
def test_privacy_masks_names_passed_in(names, text, expected):
    assert redact(text, names=names)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "je suis _Name1_, votre conseiller, et votre mail _Email1_ est noté",
        "mon tel _Phone1_ ou <PHONE>",
        "Bonjour M. <NAME>, votre <IBAN> est enregistré",
    ],
)
def test_privacy_leaves_anonymised_text(text):
    assert find_pii(text) == ()


@pytest.mark.parametrize(
    ("text", "offset", "side", "expected"),
    [
        # « tel <PHONE> ok »: the 14-character phone becomes a 7-character placeholder.
        ("tel 06 12 34 56 78 ok", 0, "start", 0),
        ("tel 06 12 34 56 78 ok", 4, "start", 4),  # the start of the phone
        ("tel 06 12 34 56 78 ok", 18, "start", 11),  # its end: 4 + len("<PHONE>")
        ("tel 06 12 34 56 78 ok", 19, "start", 12),  # 19 - (14 - 7)
        ("tel 06 12 34 56 78 ok", 21, "start", 14),  # the end of the text
        ("tel 06 12 34 56 78 ok", 8, "start", 4),  # inside: the placeholder's start
        ("tel 06 12 34 56 78 ok", 8, "end", 11),  # inside: the placeholder's end
    ],
)
def test_privacy_masked_offset(text, offset, side, expected):
    masked, spans = redact(text)
    assert masked == "tel <PHONE> ok"
    assert masked_offset(spans, offset, side=side) == expected


def test_privacy_masked_offset_keeps_highlights_on_the_same_words():
    text = "Bonjour, mon mail est a.b@exemple.fr et je suis tres en colere"
    masked, spans = redact(text)
    start = text.index("tres")
    new = masked_offset(spans, start)
    assert masked[new:new + 4] == "tres"


def test_privacy_redact_spans_merges_overlaps():
    text = "0123456789"
    spans = [PiiSpan("PHONE", 2, 6, "<PHONE>"), PiiSpan("CARD", 4, 8, "<CARD>")]
    assert redact_spans(text, spans) == "01<PHONE>89"


@pytest.mark.parametrize(
    ("value", "max_chars", "expected"),
    [
        ("abc", 40, "'abc'"),
        ("mail a.b@exemple.fr", 40, "'mail <EMAIL>'"),
        ("x" * 100, 10, "'xxxxxxxx…"),
        ("carte 4970 1012 3456 7893 et encore du texte", 16, "'carte <CARD> e…"),
        ("carte 4970 1012 3456 7893 et encore du texte", 10, "'carte …"),  # not « <CA… »
        ({"tel": "06 12 34 56 78"}, 40, "{'tel': '<PHONE>'}"),
        (12.5, 40, "12.5"),
    ],
)
def test_privacy_redact_excerpt(value, max_chars, expected):
    out = redact_excerpt(value, max_chars)
    assert out == expected
    assert len(out) <= max_chars


def test_privacy_redact_excerpt_of_a_huge_value_is_fast_and_masked():
    value = "iban FR76 3000 6000 0112 3456 7890 189 " + "x" * 5_000_000
    start = time.perf_counter()
    out = redact_excerpt(value)
    assert time.perf_counter() - start < 1
    assert "3000" not in out and out.startswith("'iban <IBAN>")


def test_privacy_long_text_is_linear():
    text = ("Bonjour, ma commande 1791821255434103 du 12/03/2024 (149,90 €) n'est pas arrivée, "
            "rappelez-moi au 06 12 34 56 78 ou écrivez à jeanne.roux@exemple.fr. ") * 2_000
    start = time.perf_counter()
    spans = find_pii(text)
    assert time.perf_counter() - start < 10
    assert len(spans) == 4_000


_PIECES = st.sampled_from([
    " ", ", ", ": ", "\n", "carte ", "IBAN ", "sécu ", "tel ", "commande ", "né le ", "exp ",
    "cvv ", "code ", "mot de passe ", "je m'appelle ", "Mme ", "M. ", "rue ", "avenue ", "@",
    ".", "-", "(", ")", "+33 ", "06 ", "12", "345", "6789", "FR76 ", "2A", "Julie ", "Martin",
    "69003 ", "Lyon", "_Name1_", "<NAME>", "<PHONE>", "a.b", "exemple.fr", "08/27", "0", "1",
    "é", "\u00a0", "\u202f", "’",
])
_TEXTS = st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=40).map("".join))


@given(text=_TEXTS, names=st.lists(st.text(max_size=12), max_size=3))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_privacy_arbitrary_text(text, names):
    spans = find_pii(text, names=names)
    previous_end = 0
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert span.start >= previous_end
        assert span.kind in KINDS
        previous_end = span.end
    masked, same = redact(text, names=names)
    assert same == spans
    # Redacting its own output changes nothing.
    assert redact(masked, names=names)[0] == masked
    for span in spans:
        start = masked_offset(spans, span.start)
        end = masked_offset(spans, span.end, side="end")
        assert masked[start:end] == span.placeholder


def test_privacy_default_rules_are_loaded_once():
    assert load_rules() is load_rules()


def _write_resource(tmp_path: Path, change) -> Path:
    with RESOURCE.open("rb") as fh:
        data = tomllib.load(fh)
    change(data)
    path = tmp_path / "privacy.toml"
    path.write_text(_to_toml(data), encoding="utf-8")
    return path


def _to_toml(data: dict) -> str:
    import json

    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                lines.append(f"[[{key}]]")
                lines.extend(f"{k} = {json.dumps(v)}" for k, v in item.items())
        elif isinstance(value, dict):
            lines.append(f"[{key}]")
            for k, v in value.items():
                lines.append(f"{json.dumps(k)} = {json.dumps(v)}" if not isinstance(v, dict)
                             else f"{k} = {{ " + ", ".join(f"{a} = {json.dumps(b)}"
                                                          for a, b in v.items()) + " }")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def test_privacy_resource_roundtrip_loads(tmp_path):
    path = _write_resource(tmp_path, lambda data: None)
    rules = load_rules(path)
    assert rules.find("tel 06 12 34 56 78")[0].kind == "PHONE"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d["windows"].update(cue_around=10),
         r"\[E203\].*privacy\.toml.*windows -> cue_around"),
        (lambda d: d.update(colours=["red"]), r"\[E203\].*colours"),
        (lambda d: d["cues"].pop("card"), r"\[E203\].*cues -> card"),
        (lambda d: d["patterns"].update(iban="(["), r"\[E203\].*patterns -> iban"),
        (lambda d: d["placeholders"].update(CARD="<CARD1>"), r"\[E203\].*placeholders -> CARD"),
        (lambda d: d["cues"]["phone"].append("IBAN"), r"\[E203\].*cues -> .*also"),
        (lambda d: d["cards"][0].update(prefixes=["4x"]), r"\[E203\].*cards -> 0 -> prefixes"),
    ],
)
def test_privacy_bad_resource_raises_config_error(tmp_path, change, match):
    path = _write_resource(tmp_path, change)
    with pytest.raises(ConfigError, match=match):
        load_rules(path)


def test_privacy_missing_resource_raises_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"\[E202\]"):
        load_rules(tmp_path / "nope.toml")


def test_privacy_invalid_toml_raises_config_error(tmp_path):
    path = tmp_path / "privacy.toml"
    path.write_text("[windows\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[E203\]"):
        load_rules(path)


@pytest.mark.parametrize("text, secret", [
    ("numéro de sécurité sociale 2 68 07 33 214 032 / 47 svp", "2 68 07 33 214 032 / 47"),
    ("NIR 1930512345678-19", "1930512345678-19"),
    ("sécu: 1 75 12 69 123 456 / 99.", "1 75 12 69 123 456 / 99"),
])
def test_privacy_nir_with_its_key_set_apart_is_masked_whole(text, secret):
    masked, spans = redact(text)
    assert secret not in masked and secret[-2:] not in masked.replace("<NIR>", "")
    assert [s.kind for s in spans] == ["NIR"]


@pytest.mark.parametrize("text", ["née le 14/02/1988.", "date de naissance : 3/4/1990."])
def test_privacy_birth_date_before_a_full_stop(text):
    masked, spans = redact(text)
    assert [s.kind for s in spans] == ["BIRTHDATE"] and masked.endswith("<BIRTHDATE>.")
