"""Vocabulary per advisor: own text pooled across conversations, per period."""

from __future__ import annotations

import json
import math

from chatqa.advisors import vocabulary_by_advisor
from chatqa.io import read_transcripts
from chatqa.macros import MacroTable

LINES = ["Je vérifie votre dossier auprès du transporteur et je reviens vers vous rapidement.",
         "Votre remboursement partira demain sur la carte utilisée pour la commande initiale.",
         "Le colis a été remis au point relais ce matin, vous recevrez un message de retrait.",
         "Je comprends votre attente, la livraison express est offerte sur cette commande.",
         "Pouvez-vous me confirmer l'adresse de livraison complète avec le code d'accès ?"]
CANNED = "Je vous souhaite une excellente journée, à bientôt sur notre site."


def _archive(tmp_path):
    path = tmp_path / "a.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(6):
            month = "03" if i < 4 else "04"
            fh.write(json.dumps({"id": f"c{i}", "language": "fr", "messages": [
                {"role": "customer", "time": f"2026-{month}-0{i + 1}T10:00:00+01:00",
                 "text": "Bonjour"},
                {"role": "agent", "agent_pseudonym": "Léa" if i % 2 == 0 else "Tom",
                 "time": f"2026-{month}-0{i + 1}T10:01:00+01:00", "text": LINES[i % 5]},
                {"role": "agent", "agent_pseudonym": "Léa" if i % 2 == 0 else "Tom",
                 "time": f"2026-{month}-0{i + 1}T10:02:00+01:00", "text": CANNED},
            ]}) + "\n")
    return path


def test_advisors_author_from_the_sources_own_key(tmp_path):
    convs = list(read_transcripts(_archive(tmp_path)))
    assert {m.author for c in convs for m in c.messages if m.role == "advisor"} == {"Léa", "Tom"}


def test_advisors_pooled_per_author_and_month_canned_left_out(tmp_path, nlp_fr):
    convs = list(read_transcripts(_archive(tmp_path)))
    table = vocabulary_by_advisor(convs, macros=MacroTable.from_conversations(convs), nlp=nlp_fr)
    assert list(zip(table.author, table.period, table.conversations, strict=True)) == [
        ("Léa", "2026-03", 2), ("Léa", "2026-04", 1), ("Tom", "2026-03", 2), ("Tom", "2026-04", 1)]
    assert (table.messages == table.conversations).all()  # the canned closing is left out
    lea = table.iloc[0]
    assert lea.own_words > 20 and not math.isnan(lea.zipf_mean)
    assert math.isnan(lea.mtld_score)  # under 100 words: no MTLD, however pooled


def test_advisors_all_pooled_without_a_period(tmp_path, nlp_fr):
    convs = list(read_transcripts(_archive(tmp_path)))
    table = vocabulary_by_advisor(convs, period=None, nlp=nlp_fr)
    assert list(table.period) == ["all", "all"] and list(table.messages) == [6, 6]


def test_advisors_command_writes_the_table_with_the_archives_macros(tmp_path, capsys):
    import pandas as pd

    from chatqa.cli import main

    archive = _archive(tmp_path)
    with archive.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "bad", "messages": [{"role": "martian", "text": "?"}]}\n')
    out = tmp_path / "advisors.csv"
    code = main(["advisors", str(archive), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and "1 record(s) could not be read" in captured.err  # the rest is written
    table = pd.read_csv(out)
    assert list(zip(table.author, table.period, strict=True)) == [
        ("Léa", "2026-03"), ("Léa", "2026-04"), ("Tom", "2026-03"), ("Tom", "2026-04")]
    assert (table.messages == table.conversations).all()  # the canned closing counted out
    # the macro table of a `chatqa score` run is read as such; --period all pools everything
    macros = tmp_path / "macros.csv"
    MacroTable.from_conversations(read_transcripts(_archive(tmp_path))).write_csv(macros)
    assert main(["advisors", str(_archive(tmp_path)), "--out", str(tmp_path / "a.xlsx"),
                 "--period", "all", "--macros", str(macros)]) == 0
    assert list(pd.read_excel(tmp_path / "a.xlsx").messages) == [3, 3]


def test_advisors_command_usage_errors(tmp_path, capsys):
    from chatqa.cli import main

    assert main(["advisors", str(_archive(tmp_path)), "--out", str(tmp_path / "a.txt")]) == 2
    assert main(["advisors", str(_archive(tmp_path)), "--out", str(tmp_path / "a.csv"),
                 "--period", "fortnight"]) == 2
    assert main(["advisors", str(_archive(tmp_path)), "--out", str(tmp_path / "a.csv"),
                 "--macros", str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err
    assert "--out must end in" in err and "not a pandas period alias" in err and "E208" in err
