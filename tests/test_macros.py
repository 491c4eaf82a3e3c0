"""Canned replies: counted in the archive or read from a library, written beside the tables and
reused, and left out of the advisor's own text."""

from __future__ import annotations

import json
import math
import warnings

import pytest

from chatqa.errors import ConfigError
from chatqa.macros import MACROS_FILE, MacroTable, macro_key
from chatqa.pipeline import Pipeline

CANNED = ("Votre commande 4521 a bien été expédiée le 12/03, vous pouvez la suivre ici : "
          "https://suivi.exemple.fr/XT12FR")


def test_macros_key_ignores_what_a_template_fills_in():
    other = ("votre commande 8830 a bien ete expediee le 02/04 , vous pouvez la suivre ici : "
             "https://suivi.exemple.fr/ZZ99FR !")
    assert macro_key(CANNED) == macro_key(other)
    assert macro_key("Bonjour _Name2_ !") == macro_key("bonjour _Name1_")
    assert macro_key("Je vérifie") != macro_key("Je vérifie votre commande")


def test_macros_key_slots_a_date_written_with_its_month():
    notice = "votre commande a été expédiée par nos services le {}. Elle arrive sous 10 jours."
    keys = {macro_key(notice.format(d)) for d in ("29 Avril", "02 Novembre", "14 _Name2_",
                                                   "1er mai")}
    assert len(keys) == 1
    assert macro_key("je vous rappelle le 29 avril") != macro_key("je vous rappelle le 29 avec")


def _conv(make_conversation, i, *advisor):
    return make_conversation(("customer", None, "Bonjour"),
                             *(("advisor", None, t) for t in advisor), id=f"c{i}", language="fr")


def test_macros_counted_in_distinct_conversations(make_conversation):
    convs = [_conv(make_conversation, i, CANNED.replace("4521", str(i)), CANNED)
             for i in range(2)]  # twice in each of two conversations: two, not four
    assert len(MacroTable.from_conversations(convs)) == 0
    convs.append(_conv(make_conversation, 2, CANNED))
    table = MacroTable.from_conversations(convs)
    assert len(table) == 1 and CANNED in table and "Bonjour" not in table


def test_macros_library_text_and_csv(tmp_path):
    txt = tmp_path / "macros.txt"
    txt.write_text("# the shop's replies\nJe vous souhaite une excellente journée.\n\n", "utf-8")
    csv_file = tmp_path / "macros.csv"
    csv_file.write_text("id,text\n1,\"Merci de patienter, je vérifie.\"\n", "utf-8")
    table = MacroTable.from_library(csv_file, base=MacroTable.from_library(txt))
    assert "je vous souhaite une excellente journee" in table
    assert "Merci de patienter, je vérifie." in table
    with pytest.raises(ConfigError, match=r"\[E208\]"):
        MacroTable.from_library(tmp_path / "missing.txt")


def test_macros_csv_round_trip(tmp_path, make_conversation):
    convs = [_conv(make_conversation, i, CANNED) for i in range(3)]
    table = MacroTable.from_conversations(convs)
    assert MacroTable.read_csv(table.write_csv(tmp_path / MACROS_FILE)) == table


def test_macros_a_table_counted_on_other_keys_warns(tmp_path, make_conversation):
    path = MacroTable.from_conversations(
        [_conv(make_conversation, i, CANNED) for i in range(3)]).write_csv(tmp_path / MACROS_FILE)
    rows = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([rows[0].replace(",key_version=2", ""), *rows[1:]]), "utf-8")
    with pytest.warns(UserWarning, match=r"\[W006\].*version 1"):
        old = MacroTable.read_csv(path)
    assert CANNED in old
    with pytest.warns(UserWarning, match=r"\[W006\]"):  # written again, still version 1
        assert MacroTable.read_csv(old.write_csv(tmp_path / "again.csv")) == old
    with warnings.catch_warnings():  # counted again: this version's keys, no warning
        warnings.simplefilter("error")
        assert MacroTable.read_csv(MacroTable.from_conversations(
            [_conv(make_conversation, i, CANNED) for i in range(3)]).write_csv(path)
        ).conversations == old.conversations


def _archive(tmp_path, n=3):
    path = tmp_path / "a.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"c{i}", "language": "fr", "messages": [
                {"role": "customer", "text": "Bonjour, où est ma commande ?"},
                {"role": "advisor", "text": CANNED},
                {"role": "advisor", "text": f"Je reste disponible si besoin, bonne journée {i}."},
            ]}) + "\n")
    return path


def test_macros_score_archive_counts_writes_and_reuses_them(tmp_path):
    out = tmp_path / "out"
    pipe = Pipeline.from_grid("fr_chat")
    pipe.score_archive(_archive(tmp_path), out=out, progress=False)
    saved = MacroTable.read_csv(out / MACROS_FILE)
    assert CANNED in saved and len(saved) == 2  # the closing differs only by a number
    # a later run in the same folder reuses the table, whatever the new archive holds
    again = Pipeline.from_grid("fr_chat")
    again.score_archive(_archive(tmp_path, n=1), out=out, progress=False)
    assert again.macros == saved


def test_macros_canned_text_is_not_the_advisors_own(make_conversation):
    conv = _conv(make_conversation, 9, CANNED, "C'est noté, je relance le transporteur.")
    pipe = Pipeline.from_grid("fr_chat")
    plain = pipe.score(conv).metrics
    table = MacroTable.from_conversations([_conv(make_conversation, i, CANNED) for i in range(3)])
    with_macros = pipe.score(conv, macros=table).metrics
    assert with_macros["own_words"] < plain["own_words"]
    assert with_macros["macro_text_ratio"] > 0 == plain["macro_text_ratio"]
    # the table was for that call only: the next call without one sees the text as own again
    assert pipe.macros is None
    assert pipe.score(conv).metrics["own_words"] == plain["own_words"]


def test_macros_a_one_shot_source_warns_and_counts_none(make_conversation):
    convs = (_conv(make_conversation, i, CANNED) for i in range(3))
    pipe = Pipeline.from_grid("fr_chat")
    with pytest.warns(UserWarning, match=r"\[W004\]"):
        tables = pipe.score_archive(convs, progress=False)
    assert pipe.macros is None
    assert tables.conversations["macro_text_ratio"].tolist() == [0.0, 0.0, 0.0]
    assert not any(math.isnan(x) for x in tables.conversations["own_words"])


def test_macros_a_list_is_counted(make_conversation):
    convs = [_conv(make_conversation, i, CANNED) for i in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tables = Pipeline.from_grid("fr_chat").score_archive(convs, progress=False)
    assert (tables.conversations["macro_text_ratio"] == 1.0).all()


def test_macros_a_library_is_added_to_the_archives_counts(tmp_path):
    library = tmp_path / "library.txt"
    library.write_text("C'est noté, je relance le transporteur.\n", "utf-8")
    out = tmp_path / "out"
    pipe = Pipeline.from_grid("fr_chat")
    pipe.score_archive(_archive(tmp_path), out=out, macros=library, progress=False)
    saved = MacroTable.read_csv(out / MACROS_FILE)
    assert CANNED in saved  # counted in the archive (three conversations)
    assert "C'est noté, je relance le transporteur." in saved  # the library's, never sent
    assert saved.sources[next(k for k, t in saved.texts.items() if "relance" in t)] == "library"


def test_macros_a_library_with_a_one_shot_source_is_the_library_alone(make_conversation,
                                                                      tmp_path):
    library = tmp_path / "library.txt"
    library.write_text(CANNED + "\n", "utf-8")
    convs = (_conv(make_conversation, i, CANNED, "C'est noté, je relance le transporteur.")
             for i in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no W004: nothing had to be counted
        tables = Pipeline.from_grid("fr_chat").score_archive(convs, macros=library,
                                                             progress=False)
    assert len(tables.conversations) == 3  # the records were not used up by a first pass
    assert (tables.conversations["macro_text_ratio"] > 0).all()


def test_macros_a_missing_library_stops_the_run_before_any_pass(tmp_path):
    with pytest.raises(ConfigError, match=r"\[E208\].*nowhere\.txt"):
        Pipeline.from_grid("fr_chat").score_archive(_archive(tmp_path),
                                                    macros=tmp_path / "nowhere.txt",
                                                    progress=False)
