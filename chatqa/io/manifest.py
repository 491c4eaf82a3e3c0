"""The on-disk layout of a scored folder: its manifest, CSV cell escaping, and reading it back.

A folder written by ``chatqa score`` (or ``Tables.write``) holds one file per table
(``<table>.<format>``; with ``xlsx``, one workbook ``chatqa.xlsx``) and ``meta.json``, the
manifest. While a run streams, each chunk's tables go to ``parts/<table>/part-NNNNN.<ext>`` and
the manifest says ``"status": "running"``; ``close`` merges the parts into the final files and
rewrites the manifest with ``"status": "complete"`` and the final files with their sizes. Every
file is written under a temporary name and renamed when complete, so a crash never leaves a
half-written file under a final name.

``chatqa.io.tables.read_tables`` reads exactly the files a complete manifest lists, with the
dtypes the manifest records, and refuses a partial folder (``E020``) or one mixing several runs
(``E021``).

CSV cells meant for spreadsheets follow OWASP's CSV-injection guidance: a text cell starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a ``'`` in front; so that the
escaping can be undone exactly, a cell already starting with ``'`` gets one too, and an empty
string is written as a lone ``'`` (an empty cell is a missing value). :func:`unescape_csv_cell`
undoes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from chatqa.columns import FORMATS, TABLE_NAMES

#: The manifest's file name, in the output folder.
MANIFEST = "meta.json"
#: Sub-folder of the per-chunk parts while a run streams.
PARTS = "parts"
#: Workbook holding every table when the format is ``xlsx``.
XLSX_BOOK = "chatqa.xlsx"
#: Columns holding JSON, left as they are in CSV (never escaped).
RAW_COLUMNS = frozenset({"details"})
#: First characters a spreadsheet may read as a formula (OWASP), plus the escape itself.
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
_TEXT_DTYPES = frozenset({"string", "str", "object", "category"})
_PART_RE = re.compile(r"part-\d{5,}\.(?:parquet|csv|jsonl)")


def is_text_dtype(dtype: str) -> bool:
    """Whether a schema dtype (``"string"``, ``"str"``, ``"object"``...) holds text."""
    return dtype in _TEXT_DTYPES or dtype.startswith("string")


def escape_csv_cell(value: str) -> str:
    """Escape one text cell for a CSV file a spreadsheet may open (OWASP; reversible)."""
    if value == "" or value.startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


def unescape_csv_cell(value: str) -> str:
    """Undo :func:`escape_csv_cell`."""
    return value[1:] if value.startswith("'") else value


def final_names(format: str) -> list[str]:
    """File names of the finished tables of a run in ``format``."""
    if format == "xlsx":
        return [XLSX_BOOK]
    return [f"{name}.{format}" for name in TABLE_NAMES]


def part_suffix(format: str) -> str:
    """Suffix of the per-chunk parts: the format itself, or Parquet for XLSX."""
    return "parquet" if format == "xlsx" else format


def load_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of ``folder`` as a dict, or None when absent or unreadable."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def owned_files(folder: Path, manifest: Mapping[str, Any]) -> Iterator[Path]:
    """Files of ``folder`` a manifest says chatqa wrote: its final files and its parts.

    Only names chatqa itself gives are returned (``<table>.<format>``, ``chatqa.xlsx``,
    ``parts/<table>/part-NNNNN.<ext>``), never a path outside the folder, whatever the manifest
    holds.
    """
    allowed = {n for fmt in FORMATS for n in final_names(fmt)}
    names: set[str] = set()
    fmt = manifest.get("format")
    if fmt in FORMATS:
        names.update(final_names(fmt))
    for entry in [*entries(manifest.get("files")),
                  *(e for c in entries(manifest.get("chunks")) for e in entries(c.get("files")))]:
        path = entry.get("path")
        if isinstance(path, str):
            names.add(path)
    for name in sorted(names):
        parts = name.split("/")
        if name in allowed or (
            len(parts) == 3 and parts[0] == PARTS and parts[1] in TABLE_NAMES
            and _PART_RE.fullmatch(parts[2])
        ):
            path = folder.joinpath(*parts)
            if path.is_file() and not path.is_symlink():
                yield path


def entries(value: Any) -> list[dict[str, Any]]:
    """The dict items of a manifest list (anything else in it is ignored)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def run_id(folder: Path) -> str:
    """The id of the run whose complete manifest is in ``folder``: a digest of the manifest.

    Confirmations read back from a workbook are keyed by it, so an evaluator's input is never
    matched with another run's proposals.
    """
    import hashlib

    return "run-" + hashlib.sha256((Path(folder) / MANIFEST).read_bytes()).hexdigest()[:12]

