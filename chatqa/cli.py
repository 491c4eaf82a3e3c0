"""Command line: ``chatqa score``, ``report``, ``workbook``, ``agreement`` and ``fit-rollup``.

``chatqa score ARCHIVE --grid fr_chat --out out/`` scores; ``chatqa report out/`` writes the
HTML report; ``chatqa workbook out/`` the evaluator workbook; ``chatqa agreement out/
filled.xlsx`` reads the evaluators' confirmations back and prints the agreement.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from chatqa.errors import ChatQAError


def _parser() -> argparse.ArgumentParser:
    from chatqa import __version__
    from chatqa.tables import FORMATS

    parser = argparse.ArgumentParser(
        prog="chatqa", description="Score live-chat transcripts and pre-fill QA evaluation forms."
    )
    parser.add_argument("--version", action="version", version=f"chatqa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = sub.add_parser("score", help="score an archive and write the result tables")
    score.add_argument("archive", help="transcript file (.jsonl, .csv, .parquet, Intercom .json)")
    score.add_argument("--grid", default="fr_chat", help="packaged grid name or .toml path")
    score.add_argument("--out", required=True, help="output folder")
    score.add_argument("--format", default="parquet", choices=FORMATS, help="output format")
    score.add_argument(
        "--input-format", default=None, help="input format when the suffix is not enough"
    )
    score.add_argument(
        "--column", action="append", default=[], metavar="NAME=SOURCE",
        help="flat formats: map a chatqa column to yours, e.g. --column conversation_id=chat_id",
    )
    score.add_argument("--encoding", default=None, help="input text encoding (default: detect)")
    score.add_argument(
        "--redact", action="store_true",
        help="mask personal data in the tables too (reports are masked anyway)",
    )
    score.add_argument("--n-process", type=int, default=None,
                       help="worker processes (default: every available core on Linux, "
                            "1 elsewhere)")
    score.add_argument(
        "--resume", action=argparse.BooleanOptionalAction, default=None,
        help="resume an interrupted run in --out (default: when it is the same run); "
             "--no-resume starts over",
    )
    score.add_argument(
        "--append", action="store_true",
        help="add this archive to the dataset in --out as new partitions by date, nothing "
             "rescored (chatqa.io.dataset)",
    )
    score.add_argument(
        "--macros", default="auto", metavar="auto|none|LIBRARY",
        help="canned replies left out of vocabulary and clarity: auto counts them in the "
             "archive (default), none uses none, a file (one per line, or CSV with a text "
             "column) adds the client's macro library to those counts",
    )
    score.add_argument("--chunk-size", type=int, default=256, help="conversations per chunk")
    score.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None,
        help="progress bar (default: only on a terminal)",
    )

    report = sub.add_parser(
        "report", help="write report.html and the evaluator workbook forms.xlsx from a scored "
                       "folder")
    report.add_argument("folder", help="folder written by `chatqa score`")
    report.add_argument(
        "--redact", action=argparse.BooleanOptionalAction, default=True,
        help="mask personal data in the report and workbook (default); --no-redact shows raw "
             "text",
    )
    report.add_argument("--conversation", action="append", default=None,
                        help="show only this conversation id (repeatable)")
    report.add_argument("--advisor", default=None, help="show only this advisor's conversations")
    report.add_argument("--sample", type=int, default=None,
                        help="show a random sample of this many conversations")
    report.add_argument("--seed", type=int, default=0, help="seed of --sample")
    workbook = sub.add_parser(
        "workbook", help="write the evaluator workbook (XLSX) from a scored folder")
    workbook.add_argument("folder", help="folder written by `chatqa score`")
    workbook.add_argument("--out", default=None,
                          help="workbook path (default: FOLDER/evaluation.xlsx); a .csv or "
                               ".json path writes the same rows as CSV or JSON")
    workbook.add_argument("--blind", action="store_true",
                          help="without the machine's proposals (to measure agreement)")
    workbook.add_argument("--advisor", default=None, help="only this advisor's conversations")
    workbook.add_argument("--sample", type=int, default=None,
                          help="a random sample of this many conversations")
    workbook.add_argument("--seed", type=int, default=0, help="seed of --sample")
    workbook.add_argument("--max-rows", type=int, default=1_000_000,
                          help="rows per file before splitting (Excel's limit is 1,048,576)")
    workbook.add_argument(
        "--redact", action=argparse.BooleanOptionalAction, default=True,
        help="mask personal data in the machine's texts (default)")

    agree = sub.add_parser(
        "agreement", help="agreement of the pre-filled forms with the evaluators' confirmations")
    agree.add_argument("folder", help="folder written by `chatqa score`")
    agree.add_argument("confirmations", nargs="+", help="filled workbooks or JSON files")
    agree.add_argument("--evaluator", default=None,
                       help="evaluator of rows that name none (untouched rows confirm)")
    agree.add_argument("--png", default=None, help="also draw the confusion matrices here")
    agree.add_argument("--evaluators", action="store_true",
                       help="agreement between evaluators instead (calibration)")

    from chatqa.evaluation.rollup import add_fit_rollup_arguments

    advisors = sub.add_parser(
        "advisors", help="vocabulary per advisor and period, their own text pooled")
    advisors.add_argument("archive", help="transcript file (as for score)")
    advisors.add_argument("--out", required=True, help="output file (.csv, .parquet or .xlsx)")
    advisors.add_argument("--period", default="M",
                          help="pandas period alias of each conversation's date (M months, "
                               "W weeks), or all to pool every conversation (default: M)")
    advisors.add_argument(
        "--macros", default="auto", metavar="auto|none|FILE",
        help="canned replies left out: auto counts them in the archive (default), none uses "
             "none, a file is the macros.csv of a `chatqa score` run or the client's library")
    advisors.add_argument("--lang", default="fr", help="language of the archive (default: fr)")
    add_fit_rollup_arguments(sub.add_parser(
        "fit-rollup", help="fit the learned roll-up per criterion on confirmed forms"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    0: every record scored; 1: the run finished but some records failed (see the errors table);
    2: bad usage or an input that cannot be read at all (nothing scored).
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "score":
            return _score(args)
        if args.command == "workbook":
            return _workbook(args)
        if args.command == "agreement":
            return _agreement(args)
        if args.command == "advisors":
            return _advisors(args)
        if args.command == "fit-rollup":
            from chatqa.evaluation.rollup import fit_rollup_command

            return fit_rollup_command(args)
        return _report(args)
    except ChatQAError as exc:
        print(f"chatqa: error: {exc}", file=sys.stderr)
        return 2


def _score(args: argparse.Namespace) -> int:
    from chatqa.pipeline import Pipeline

    columns = {}
    for item in args.column:
        name, sep, source = item.partition("=")
        if not sep or not name or not source:
            print(f"chatqa: error: --column expects NAME=SOURCE, got {item!r}", file=sys.stderr)
            return 2
        columns[name.strip()] = source.strip()
    pipe = Pipeline.from_grid(args.grid)
    summary = pipe.score_archive(
        args.archive, out=args.out, format=args.format, input_format=args.input_format,
        columns=columns or None, encoding=args.encoding,
        n_process=args.n_process, chunk_size=args.chunk_size, progress=args.progress,
        append=args.append, redact=args.redact, resume=args.resume,
        macros=None if args.macros == "none" else args.macros,
    )
    print(summary)
    if summary.conversations_failed:
        table = "chatqa.xlsx (sheet errors)" if args.format == "xlsx" else f"errors.{args.format}"
        print(f"chatqa: {summary.conversations_failed} record(s) failed: see {args.out}/{table}",
              file=sys.stderr)
        return 1
    return 0


def _advisors(args: argparse.Namespace) -> int:
    """``chatqa advisors``: one row per advisor and period (chatqa.advisors), to a file."""
    import pandas as pd

    from chatqa.advisors import vocabulary_by_advisor
    from chatqa.io import iter_records
    from chatqa.macros import MacroTable
    from chatqa.model import Conversation

    out = Path(args.out)
    if out.suffix.lower() not in {".csv", ".parquet", ".xlsx"}:
        print(f"chatqa: error: --out must end in .csv, .parquet or .xlsx, got {out}",
              file=sys.stderr)
        return 2
    period = None if args.period == "all" else args.period
    try:
        if period is not None:
            pd.Period("2026-01-01", freq=period)
    except ValueError:
        print(f"chatqa: error: --period {args.period!r} is not a pandas period alias "
              "(M, W, Q, Y) nor all", file=sys.stderr)
        return 2
    if args.macros == "none":
        macros = None
    elif args.macros == "auto":
        macros = MacroTable.from_conversations(iter_records(args.archive))
    else:  # the macros.csv of a `chatqa score` run, or the client's library
        macros = MacroTable.from_file(args.macros)
    failed: list[object] = []

    def readable() -> Iterator[Conversation]:
        for record in iter_records(args.archive):
            if isinstance(record, Conversation):
                yield record
            else:
                failed.append(record)

    table = vocabulary_by_advisor(readable(), macros=macros, period=period, lang=args.lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        table.to_csv(out, index=False)
    elif out.suffix.lower() == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_excel(out, index=False, sheet_name="advisors")
    print(f"wrote {out}: {len(table)} rows (advisor and period)")
    if failed:
        print(f"chatqa: {len(failed)} record(s) could not be read and were left out; "
              f"`chatqa score` lists them in its errors table", file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    from chatqa.report import write_report

    try:
        paths = write_report(args.folder, redact=args.redact, conversations=args.conversation,
                             advisor=args.advisor, sample=args.sample, seed=args.seed)
    except ValueError as exc:
        print(f"chatqa: error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path}")
    return 0


def _workbook(args: argparse.Namespace) -> int:
    from chatqa.evaluation import write_workbook
    from chatqa.io.manifest import run_id
    from chatqa.io.tables import read_tables
    from chatqa.report.forms_workbook import run_grid
    from chatqa.report.selection import select_conversations

    tables = read_tables(args.folder)
    grid = run_grid(tables)
    order = [(str(c), 0) for c in dict.fromkeys(tables.conversations["conversation_id"])]
    advisors: dict[tuple[str, int], tuple[str, ...]] = {}
    written = tables.messages[(tables.messages["role"] == "advisor")
                              & tables.messages["author"].notna()]
    for cid, names in written.groupby("conversation_id")["author"]:
        advisors[(str(cid), 0)] = tuple(dict.fromkeys(map(str, names)))
    try:
        selection = select_conversations(order, advisors, advisor=args.advisor,
                                         sample=args.sample, seed=args.seed)
    except ValueError as exc:
        print(f"chatqa: error: {exc}", file=sys.stderr)
        return 2
    ids = {cid for cid, _ in selection.keys}
    forms = tables.forms[tables.forms["conversation_id"].astype(str).isin(ids)]
    mask = None
    if args.redact:
        from chatqa.privacy import redact

        def mask(text: str) -> str:
            return redact(text)[0]
    out = args.out or f"{args.folder}/evaluation.xlsx"
    if out.endswith((".csv", ".json")):
        from chatqa.evaluation import evaluator_rows

        rows = evaluator_rows(forms, grid, blind=args.blind, conversations=tables.messages,
                              mask=mask)
        if out.endswith(".csv"):
            rows.to_csv(out, index=False, encoding="utf-8-sig")
        else:
            rows.to_json(out, orient="records", force_ascii=False, indent=1)
        print(f"wrote {out} ({len(ids)} conversations)")
        return 0
    paths = write_workbook(forms, out, grid=grid, run_id=run_id(args.folder), blind=args.blind,
                           conversations=tables.messages, max_rows=args.max_rows, mask=mask)
    for path in paths:
        print(f"wrote {path} ({len(ids)} conversations)")
    return 0


def _agreement(args: argparse.Namespace) -> int:
    from chatqa.evaluation import agreement, evaluator_agreement, read_confirmations
    from chatqa.io.tables import read_tables
    from chatqa.report.forms_workbook import run_grid

    tables = read_tables(args.folder)
    grid = run_grid(tables)
    confirmations = None
    for path in args.confirmations:
        read = read_confirmations(path, evaluator=args.evaluator, grid=grid)
        for row in read.invalid.itertuples(index=False):
            print(f"chatqa: {path}: {row.message}", file=sys.stderr)
        confirmations = read if confirmations is None else confirmations.merge(read)
    report = (evaluator_agreement(confirmations, grid) if args.evaluators
              else agreement(tables.forms, confirmations, grid))
    print(report.to_markdown())
    if args.png:
        print(f"wrote {report.plot(args.png)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
