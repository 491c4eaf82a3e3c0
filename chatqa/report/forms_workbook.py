"""The evaluator workbook of a whole run, as ``chatqa report`` writes it: masked like the report.

:func:`chatqa.evaluation.write_workbook` lays the workbook out; this module gives it what the
report shows: the machine's texts masked per conversation (with the participants' names),
advisors as the report names them (« Advisor 1 » when masked), the run's id and its grid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from chatqa.errors import ChatQAError
from chatqa.evaluation import Grid, load_grid, write_workbook
from chatqa.evaluation.grid import validate_grid
from chatqa.io.manifest import run_id
from chatqa.tables import Tables

#: The machine's texts of the forms table that quote the conversation.
MASKED_COLUMNS = ("reason", "justification", "evidence")


def write_run_workbook(
    folder: Path,
    tables: Tables,
    mask: Callable[..., str],
    participants: Mapping[str, tuple[str, ...]],
    advisors: Mapping[str, tuple[str, ...]],
) -> list[Path]:
    """Write ``forms.xlsx`` (split past Excel's row limit) for every conversation of the run.

    Args:
        folder: the run's folder; the workbook goes there.
        tables: the run's tables.
        mask: ``mask(text, names)``, the report's masker.
        participants: conversation id -> names to mask in its texts.
        advisors: conversation id -> its advisors as the report shows them.
    """
    forms = tables.forms.copy()
    ids = forms["conversation_id"].astype(str)
    for column in MASKED_COLUMNS:
        if column in forms:
            forms[column] = [mask(value, participants.get(cid, ()))
                             for value, cid in zip(forms[column], ids, strict=True)]
    shown = pd.DataFrame({"conversation_id": list(advisors),
                          "advisor": [", ".join(names) for names in advisors.values()]})
    grid = run_grid(tables)
    keep_filled(folder / "forms.xlsx", grid)
    return write_workbook(forms, folder / "forms.xlsx", grid=grid,
                          run_id=run_id(folder),
                          conversations=shown)


def run_grid(tables: Tables) -> Grid:
    """The grid the run was scored with, or, when its file is gone, the grid its tables show.

    The stand-in has the run's levels, and each criterion with its label and the level labels
    the forms table carries: enough to lay out and read back the workbook.
    """
    meta = tables.meta
    try:
        grid = load_grid(meta.get("grid_source") or meta.get("grid") or "")
        same_file = not meta.get("grid_sha256") or grid.sha256 == meta["grid_sha256"]
        if same_file and set(tables.forms["grid"].dropna().astype(str)) <= {grid.name}:
            return grid
    except ChatQAError:
        pass
    forms = tables.forms
    labels: dict[str, str] = {}
    if "level_label" in forms:
        for level, label in zip(forms["level"], forms["level_label"], strict=True):
            if isinstance(level, str) and isinstance(label, str) and label:
                labels.setdefault(level, label)
    order = [str(level) for level in meta.get("levels") or
             sorted({str(v) for v in forms["level"].dropna()} - {"na"})]
    criteria = {str(cid): {"label": str(label) if isinstance(label, str) else "", "rule": "na"}
                for cid, label in dict(zip(forms["criterion"], forms["criterion_label"],
                                           strict=True)).items()}
    names = sorted(set(forms["grid"].dropna().astype(str)))
    name = names[0] if len(names) == 1 else str(meta.get("grid") or "run")
    return validate_grid({"grid": {"name": name},
                          "levels": {"order": order, "labels": labels},
                          "criteria": criteria})


def keep_filled(path: Path, grid: Grid) -> Path | None:
    """Move a workbook an evaluator has filled out of the way; never write over their input.

    Returns where it was kept (``forms.filled-YYYYmmdd-HHMMSS.xlsx`` beside it), or None when
    there was nothing to keep.
    """
    import time
    import warnings

    from chatqa.errors import Warnings
    from chatqa.evaluation import read_confirmations

    if not path.is_file():
        return None
    try:
        read = read_confirmations(path, grid=grid)
    except ChatQAError:
        return None    # not a workbook of ours (or unreadable): written over as before
    rows = len(read.table) + len(read.invalid)
    if not rows:
        return None
    kept = path.with_name(f"{path.stem}.filled-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
    path.rename(kept)
    warnings.warn(Warnings.W005.format(path=path, rows=rows, kept=str(kept)), stacklevel=3)
    return kept
