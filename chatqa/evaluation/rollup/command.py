"""``chatqa fit-rollup``: fit a grid's roll-up on a scored run's confirmations, and save it.

:func:`add_fit_rollup_arguments` declares the command's arguments on a parser,
:func:`fit_rollup_command` runs it; ``chatqa/cli.py`` wires both.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_fit_rollup_arguments", "fit_rollup_command"]


def add_fit_rollup_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Declare the arguments of ``chatqa fit-rollup`` on ``parser``.

    Wiring into ``chatqa/cli.py`` (in ``_parser()``, then in ``main()``)::

        from chatqa.evaluation.rollup import add_fit_rollup_arguments
        add_fit_rollup_arguments(sub.add_parser(
            "fit-rollup", help="learn each criterion's roll-up from confirmed forms"))
        ...
        if args.command == "fit-rollup":
            from chatqa.evaluation.rollup import fit_rollup_command
            return fit_rollup_command(args)

    ``main()`` already turns a ``ChatQAError`` into exit code 2.
    """
    parser.add_argument("folder", metavar="OUT_FOLDER",
                        help="folder written by `chatqa score` (its conversations table)")
    parser.add_argument("confirmations", metavar="CONFIRMATIONS",
                        help="confirmed levels: .csv, .json or .jsonl with conversation_id, "
                             "criterion, level (and evaluator)")
    parser.add_argument("--grid", default="fr_chat", help="packaged grid name or .toml path")
    parser.add_argument("--models", default="models",
                        help="models folder; writes <models>/<grid>/<criterion>.joblib")
    parser.add_argument("--criterion", action="append", default=None, metavar="ID",
                        help="fit only this criterion (repeatable; default: all)")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold shuffling")
    parser.add_argument("--min-rows", type=int, default=20,
                        help="skip a criterion with fewer confirmed levels (na aside)")
    parser.add_argument("--C", type=float, default=1.0, dest="C",
                        help="inverse regularisation strength")
    parser.add_argument("--class-weight", default=None, choices=["balanced"],
                        help="weight rows by the inverse frequency of their level")
    parser.add_argument("--licence", default=None,
                        help="licence of the confirmations, for the model card (default: "
                             "\"the client's own confirmations\")")
    return parser


def fit_rollup_command(args: argparse.Namespace) -> int:
    """Run ``chatqa fit-rollup``: fit, save, print the cross-validation table.

    Returns:
        0 when at least one criterion was fitted and saved; 1 when none could be (the
        reasons are printed).

    Raises:
        ChatQAError: the run folder or the confirmations cannot be read, or do not fit the
            grid (``chatqa.cli.main`` prints it and exits with 2).
    """
    # scikit-learn and pandas load when the command runs, not when `chatqa --help` builds
    # the parser
    from chatqa.evaluation.grid import load_grid
    from chatqa.evaluation.rollup.card import cv_table
    from chatqa.evaluation.rollup.confirmations import read_confirmations
    from chatqa.evaluation.rollup.fitting import fit_rollup
    from chatqa.evaluation.rollup.payload import grid_fingerprint
    from chatqa.io.tables import read_tables

    grid = load_grid(args.grid)
    tables = read_tables(args.folder)
    run_sha = tables.meta.get("grid_sha256")
    if run_sha and run_sha != grid_fingerprint(grid):
        print(f"chatqa: warning: {args.folder} was scored with grid {tables.meta.get('grid')!r} "
              f"sha256 {run_sha[:12]}…, not {grid.name!r} sha256 {grid_fingerprint(grid)[:12]}…:"
              " its metrics may have been computed with other analyzer parameters",
              file=sys.stderr)
    confirmations = read_confirmations(args.confirmations)
    models = fit_rollup(
        tables.conversations, confirmations, grid, criteria=args.criterion, cv=args.cv,
        seed=args.seed, min_rows=args.min_rows, C=args.C, class_weight=args.class_weight,
        forms=tables.forms, findings=tables.findings,
    )
    data = models.data
    print(f"grid {grid.name} (sha256 {grid_fingerprint(grid)[:12]}…): "
          f"{data.confirmation_rows} confirmation rows on {data.conversations} conversations; "
          f"{len(models.models)} criteria fitted, {len(models.skipped)} skipped")
    if models.models:
        table = cv_table(models)
        print(table.drop(columns=["levels", "brier", "note"]).to_string(
            index=False, float_format=lambda x: f"{x:.2f}", na_rep="–"))
        for cid, note in zip(table["criterion"], table["note"], strict=True):
            if note:
                print(f"note {cid}: {note}")
    for cid, why in models.skipped.items():
        print(f"skipped {cid}: {why}")
    if not models.models:
        print("chatqa: no criterion could be fitted; nothing written", file=sys.stderr)
        return 1
    for path in models.save(args.models, licence=args.licence):
        print(f"wrote {path}")
    return 0
