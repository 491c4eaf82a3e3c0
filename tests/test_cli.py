from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chatqa.cli import main
from chatqa.macros import MACROS_FILE, MacroTable


def _archive(tmp_path):
    conv = {
        "id": "c1",
        "messages": [
            {"role": "customer", "time": "2026-03-02T10:00:00+01:00", "text": "Bonjour"},
            {"role": "advisor", "time": "2026-03-02T10:00:30+01:00", "text": "Bonjour !"},
        ],
    }
    bad = {"id": "c2", "messages": [{"role": "martian", "time": None, "text": "?"}]}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(conv) + "\n" + json.dumps(bad) + "\n")
    return path


def test_cli_score_writes_tables_and_prints_a_summary(tmp_path, capsys):
    code = main(["score", str(_archive(tmp_path)), "--out", str(tmp_path / "out"),
                 "--format", "csv", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1  # the run finished, but a record failed
    assert "1 conversations scored, 1 failed, " in out
    assert "1 record(s) failed" in err and "errors.csv" in err
    for name in ["messages", "findings", "conversations", "forms", "errors"]:
        assert (tmp_path / "out" / f"{name}.csv").is_file()


def test_cli_report_writes_workbook_and_html(tmp_path, capsys):
    main(["score", str(_archive(tmp_path)), "--out", str(tmp_path / "out"), "--no-progress"])
    assert main(["report", str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Conversation c1" in html and "delais_reponse" in html
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "out" / "forms.xlsx")
    assert wb.sheetnames == ["forms", "_chatqa"]      # the evaluator workbook
    header = [c.value for c in wb["forms"][1]]
    assert {"proposal", "level", "evaluator", "comment"} <= set(header)
    levels = [row[header.index("proposal")].value for row in wb["forms"].iter_rows(min_row=2)]
    assert "a_ameliorer" not in levels and set(levels) <= {
        "À améliorer", "Bon", "Exceptionnel", "Non applicable"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["score", "missing.jsonl", "--out", "x"], "[E001]"),
        (["score", "{archive}", "--out", "x", "--grid", "nope"], "[E301]"),
    ],
)
def test_cli_errors_go_to_stderr_with_nonzero_exit(tmp_path, capsys, argv, message):
    argv = [a.replace("{archive}", str(_archive(tmp_path))) for a in argv]
    argv = [str(tmp_path / a) if a == "x" else a for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_version_and_bad_usage():
    run = subprocess.run([sys.executable, "-m", "chatqa.cli", "--version"], capture_output=True,
                         text=True)
    assert run.returncode == 0 and run.stdout.startswith("chatqa ")
    bad = subprocess.run([sys.executable, "-m", "chatqa.cli", "score"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "required" in bad.stderr


def test_cli_score_maps_csv_columns(tmp_path, capsys):
    src = tmp_path / "export.csv"
    src.write_bytes("chat;qui;quand;message\r\n1;client;10:00;Bonjour\r\n1;conseiller;10:01;"
                    "Bonjour, je regarde votre dossier.\r\n".encode("cp1252"))
    argv = ["score", str(src), "--out", str(tmp_path / "out"), "--format", "csv",
            "--no-progress", "--column", "conversation_id=chat", "--column", "role=qui",
            "--column", "time=quand", "--column", "text=message"]
    assert main(argv) == 0
    assert "1 conversations scored, 0 failed" in capsys.readouterr().out
    conversations = (tmp_path / "out" / "conversations.csv").read_text("utf-8-sig")
    assert conversations.splitlines()[1].startswith("1,")
    assert main([*argv[:6], "--column", "conversation_id"]) == 2
    assert "NAME=SOURCE" in capsys.readouterr().err


def test_cli_report_highlights_findings_with_their_suggestion(tmp_path):
    conv = {"id": "c9", "messages": [
        {"role": "customer", "time": "2026-03-02T10:00:00+01:00", "text": "Bonjour"},
        {"role": "advisor", "time": "2026-03-02T10:00:30+01:00",
         "text": "Il y a un probleme avec votre commande."}]}
    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps(conv) + "\n", "utf-8")
    main(["score", str(src), "--out", str(tmp_path / "out"), "--no-progress"])
    assert main(["report", str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert '<mark title="spelling.word → problème">probleme</mark>' in html
    assert ">nan<" not in html   # criteria without evidence show an empty cell


def test_cli_exit_code_is_0_when_every_record_is_scored(tmp_path, capsys):
    path = tmp_path / "ok.jsonl"
    path.write_text(_archive(tmp_path).read_text().splitlines()[0] + "\n")
    code = main(["score", str(path), "--out", str(tmp_path / "out"), "--no-progress"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "1 conversations scored, 0 failed, " in out


@pytest.mark.parametrize("n_bad", [1, 20])
def test_cli_summary_counts_each_failed_record_once(tmp_path, capsys, n_bad):
    lines = _archive(tmp_path).read_text().splitlines()
    bad = [json.dumps({"id": None, "messages": []})] * n_bad  # twenty records without an id
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join([lines[0], *bad]) + "\n")
    code = main(["score", str(path), "--out", str(tmp_path / "out"), "--no-progress"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert f"1 conversations scored, {n_bad} failed, " in out


def test_cli_workbook_filled_by_an_evaluator_gives_the_agreement(tmp_path, capsys):
    from openpyxl import load_workbook

    out = tmp_path / "out"
    assert main(["score", "examples/chats_fr.jsonl", "--out", str(out), "--format", "csv",
                 "--no-progress"]) == 0
    assert main(["workbook", str(out)]) == 0
    book_path = out / "evaluation.xlsx"
    assert f"wrote {book_path} (10 conversations)" in capsys.readouterr().out
    # Alice confirms everything, but moves every delais_reponse proposal down to « À améliorer »
    book = load_workbook(book_path)
    sheet = book["forms"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in ("criterion", "level", "evaluator",
                                                     "comment")}
    changed = 0
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, col["evaluator"]).value = "Alice"
        if sheet.cell(row, col["criterion"]).value == "delais_reponse":
            if sheet.cell(row, col["level"]).value != "À améliorer":
                changed += 1
            sheet.cell(row, col["level"]).value = "À améliorer"
            sheet.cell(row, col["comment"]).value = "trop lent pour notre client"
    book.save(book_path)
    assert changed >= 1
    assert main(["agreement", str(out), str(book_path), "--png", str(tmp_path / "a.png")]) == 0
    printed = capsys.readouterr().out
    assert "delais_reponse" in printed and "orthographe_grammaire" in printed
    assert (tmp_path / "a.png").stat().st_size > 1000


def test_cli_workbook_selection_errors_are_clear(tmp_path, capsys):
    out = tmp_path / "out"
    main(["score", "examples/chats_fr.jsonl", "--out", str(out), "--format", "csv",
          "--no-progress"])
    capsys.readouterr()
    assert main(["workbook", str(out), "--advisor", "Nobody"]) == 2
    assert "no conversation of this run has advisor 'Nobody'" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_cli_workbook_rows_as_csv_or_json_read_back_as_confirmations(tmp_path, capsys, suffix):
    import pandas as pd

    from chatqa.evaluation import load_grid, read_confirmations

    out = tmp_path / "out"
    main(["score", "examples/chats_fr.jsonl", "--out", str(out), "--format", "csv",
          "--no-progress"])
    path = tmp_path / f"rows.{suffix}"
    assert main(["workbook", str(out), "--out", str(path), "--sample", "3"]) == 0
    rows = pd.read_csv(path) if suffix == "csv" else pd.read_json(path)
    assert rows["conversation_id"].nunique() == 3
    assert set(rows["proposal"]) <= {"À améliorer", "Bon", "Exceptionnel", "Non applicable"}
    if suffix == "json":    # an evaluator's tool sends back the rows it was given, filled
        items = rows.assign(evaluator="Alice")[["conversation_id", "criterion", "level",
                                                "evaluator"]].to_dict(orient="records")
        filled = tmp_path / "filled.json"
        filled.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        read = read_confirmations(filled, grid=load_grid("fr_chat"), run_id="r1")
        assert len(read.table) == len(rows) and not len(read.invalid)


def test_cli_score_takes_the_clients_macro_library_or_none(tmp_path, capsys):
    library = tmp_path / "library.txt"
    library.write_text("Je vous souhaite une excellente journée.\n", "utf-8")
    main(["score", str(_archive(tmp_path)), "--out", str(tmp_path / "lib"), "--format", "csv",
          "--no-progress", "--macros", str(library)])
    assert "Je vous souhaite une excellente journée." in MacroTable.read_csv(
        tmp_path / "lib" / MACROS_FILE)
    main(["score", str(_archive(tmp_path)), "--out", str(tmp_path / "none"), "--format", "csv",
          "--no-progress", "--macros", "none"])
    assert not (tmp_path / "none" / MACROS_FILE).exists()
    code = main(["score", str(_archive(tmp_path)), "--out", str(tmp_path / "x"),
                 "--no-progress", "--macros", str(tmp_path / "missing.txt")])
    assert code == 2 and "E208" in capsys.readouterr().err
