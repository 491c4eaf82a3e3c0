"""Command line: ``chatqa score ARCHIVE --grid fr_chat --out out/`` and ``chatqa report out/``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    score.add_argument("--n-process", type=int, default=1, help="worker processes")
    score.add_argument("--chunk-size", type=int, default=256, help="conversations per chunk")
    score.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None,
        help="progress bar (default: only on a terminal)",
    )

    report = sub.add_parser("report", help="write report.html and forms.xlsx from a scored folder")
    report.add_argument("folder", help="folder written by `chatqa score`")
    report.add_argument(
        "--redact", action=argparse.BooleanOptionalAction, default=True,
        help="mask personal data in the report and workbook (default); --no-redact shows raw "
             "text",
    )
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
        redact=args.redact,
    )
    print(summary)
    if summary.conversations_failed:
        table = "chatqa.xlsx (sheet errors)" if args.format == "xlsx" else f"errors.{args.format}"
        print(f"chatqa: {summary.conversations_failed} record(s) failed: see {args.out}/{table}",
              file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    from chatqa.report import write_report

    paths = write_report(args.folder, redact=args.redact)
    for path in paths:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
