"""Write result tables to disk chunk by chunk, atomically, with a manifest.

Each chunk's tables go to ``out/parts/<table>/part-NNNNN.<ext>`` under a temporary name,
renamed when complete; ``out/meta.json`` (the manifest, see :mod:`chatqa.io.manifest`) is
rewritten the same way after each chunk with ``"status": "running"``. ``close`` merges the
parts into the final ``out/<table>.<format>`` files (or one ``chatqa.xlsx``), streaming, each
under a temporary name then renamed, writes the manifest with ``"status": "complete"`` and the
final files with their sizes, and removes the parts. A crash at any point leaves complete
files only, and a manifest that says the run did not finish.

Cells that come from input are written exactly: typed strings in XLSX (never formulas), CSV
escaped against formula injection (reversibly), control characters kept in the tables and
shown visibly where XLSX forbids them (:func:`visible_controls`).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Collection, Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.columns import FORMATS, TABLE_NAMES, frame
from chatqa.errors import ConfigError, Errors
from chatqa.io.manifest import (
    MANIFEST,
    PARTS,
    RAW_COLUMNS,
    XLSX_BOOK,
    escape_csv_cell,
    final_names,
    is_text_dtype,
    load_manifest,
    owned_files,
    part_suffix,
)

#: Excel's limits: characters in a cell, rows in a sheet (header included).
XLSX_MAX_CHARS = 32_767
XLSX_MAX_ROWS = 1_048_576
#: Characters XML 1.0 (so XLSX) cannot hold, and C0 controls HTML reports as errors: every C0
#: control but tab, line feed and carriage return, DEL, and the non-characters U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_TMP_RE = re.compile(
    r"\.(?:meta\.json|chatqa\.xlsx|(?:{})\.(?:parquet|csv|jsonl))\.tmp".format(
        "|".join(TABLE_NAMES)
    )
)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def visible_controls(text: str) -> str:
    """Show control characters as Unicode control pictures (NUL -> ``␀``, ESC -> ``␛``).

    Each C0 control character except tab, line feed and carriage return becomes the symbol
    U+2400 + its code, DEL becomes ``␡`` and U+FFFE/U+FFFF become ``�``: one character for
    one, so offsets into the text stay valid. Used where the format forbids them (XLSX, HTML);
    the tables keep the raw text.
    """
    return _FORBIDDEN.sub(_picture, text) if _FORBIDDEN.search(text) else text


def xlsx_value(value: Any) -> Any:
    """A table value as an openpyxl cell value: None for missing, text shown safely."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, bool | int | float):
        return value
    text = visible_controls(str(value))
    if len(text) > XLSX_MAX_CHARS:
        marker = " … [{} more characters]"
        keep = XLSX_MAX_CHARS - len(marker.format(len(text)))
        text = text[:keep] + marker.format(len(text) - keep)
    return text


def xlsx_cell(sheet: Any, value: Any, **style: Any) -> Any:
    """A write-only openpyxl cell holding ``value``; text is a typed string, never a formula.

    openpyxl turns any text starting with ``=`` into a formula; the cell's type is set back to
    string, so ``=HYPERLINK(...)`` is shown (and read back) as the text it is.
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=xlsx_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``path`` under a temporary name, then rename it: never half written."""
    tmp = _tmp(path)
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        _commit(tmp, path)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _commit(tmp: Path, path: Path) -> None:
    """Flush ``tmp`` to disk and rename it to ``path`` (atomic on one file system)."""
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


#: What must be equal for an interrupted run to be resumed: the same grid file, chatqa,
#: source, chunk size and macro table (and the same format).
RESUME_KEYS = ("chatqa_version", "grid_sha256", "source", "chunk_size", "chunk_chars", "macros")


class TableWriter:
    """Write chunks of tables to ``out`` atomically, with a manifest; merge them at ``close``.

    Args:
        out: the output folder (created if needed). Files a previous manifest there lists are
            chatqa's own outputs and are removed first.
        format: ``parquet``, ``csv``, ``jsonl`` or ``xlsx``.
        schemas: column -> dtype of each table.
        meta: the run meta (``Pipeline.meta()``), written into the manifest from the start.
        resume: an interrupted run in ``out`` (its manifest says ``running``) is resumed when
            it was the same run (:data:`RESUME_KEYS` of the meta equal, a grid hash among
            them; a writer whose meta has none starts over): its chunks whose
            parts are intact are kept, :attr:`resumed_records` says how many records they
            hold. ``None`` (the default) resumes such a run and refuses (``E022``) one that
            differs; ``False`` starts over.

    Raises:
        ConfigError: ``E004`` for an unknown format; ``E015`` when ``out`` or one of its
            output paths cannot be written (a file where the folder should be, a folder named
            like an output file, no permission).
    """

    def __init__(
        self,
        out: str | Path,
        format: str,
        schemas: Mapping[str, Mapping[str, str]],
        meta: Mapping[str, Any] | None = None,
        resume: bool | None = None,
    ):
        if format not in FORMATS:
            raise ConfigError(Errors.E004.format(format=format, formats=list(FORMATS)))
        self.out = Path(out)
        self.format = format
        self.schemas = {n: dict(schemas.get(n, {})) for n in TABLE_NAMES}
        self.meta: dict[str, Any] = dict(meta or {})
        self._chunks: list[dict[str, Any]] = []
        self._arrow: dict[str, Any] = {}
        self._rows = dict.fromkeys(TABLE_NAMES, 0)
        self._check_paths()
        #: records of the chunks kept from an interrupted run (to skip in the source)
        self.resumed_records = 0
        #: rows per table in those chunks
        self.resumed_rows: dict[str, int] = dict.fromkeys(TABLE_NAMES, 0)
        kept = self._resumable_chunks() if resume is not False else []
        self._clean(keep={c_file["path"] for c in kept for c_file in c["files"]})
        for chunk in kept:
            self._chunks.append(chunk)
            self.resumed_records += int(chunk["n_records"])
            for f in chunk["files"]:
                for name, n in f["tables"].items():
                    self._rows[name] += int(n)
                    self.resumed_rows[name] += int(n)
        self._write_manifest("running")

    def _resumable_chunks(self) -> list[dict[str, Any]]:
        """The chunks of an interrupted run of this same run, intact, in order (E022 if not)."""
        previous = load_manifest(self.out)
        if previous is None or previous.get("status") != "running" \
                or not self.meta.get("grid_sha256"):
            return []   # nothing interrupted, or a writer that does not say which run it is
        wanted = {"format": self.format, **{k: self.meta.get(k) for k in RESUME_KEYS}}
        differ = [f"{k} was {previous.get(k)!r}, now {v!r}" for k, v in wanted.items()
                  if previous.get(k) != v]
        if differ:
            raise ConfigError(Errors.E022.format(folder=self.out, problem="; ".join(differ)))
        kept = []
        for chunk in previous.get("chunks", []):
            files = chunk.get("files", [])
            intact = all((self.out / f["path"]).is_file()
                         and (self.out / f["path"]).stat().st_size == f["bytes"] for f in files)
            if not intact or chunk.get("index") != len(kept) + 1:
                break   # a later chunk cannot be kept without this one
            kept.append(chunk)
        if kept and self.format == "parquet":   # the merge needs the tables' arrow schemas
            import pyarrow.parquet as pq

            for name in TABLE_NAMES:
                first = next((f["path"] for f in kept[0]["files"] if name in f["tables"]), None)
                if first is not None:
                    self._arrow[name] = pq.read_schema(self.out / first)
        return kept

    # -- set-up -------------------------------------------------------------------------------
    def _check_paths(self) -> None:
        def fail(path: Path, problem: str) -> ConfigError:
            return ConfigError(Errors.E015.format(path=path, problem=problem))

        if self.out.exists() and not self.out.is_dir():
            raise fail(self.out, "it is a file, not a folder; pass a folder to write into")
        for name in [*final_names(self.format), MANIFEST]:
            path = self.out / name
            if path.exists() and not path.is_file():
                raise fail(path, "a folder (or other non-file) has the name of an output file; "
                                 "rename or remove it")
        parts = self.out / PARTS
        if parts.exists() and not parts.is_dir():
            raise fail(parts, "a file has the name of the folder of chunk parts; remove it")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise fail(self.out, exc.strerror or str(exc)) from None
        try:
            for name in TABLE_NAMES:
                (parts / name).mkdir(parents=True, exist_ok=True)
            probe = self.out / f".{MANIFEST}.tmp"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise fail(getattr(exc, "filename", None) or self.out,
                       exc.strerror or str(exc)) from None

    def _clean(self, keep: Collection[str] = ()) -> None:
        """Remove what an earlier run in this folder wrote: listed files, parts, temp files.

        The parts of the chunks a resumed run keeps (``keep``, paths in the manifest) stay.
        """
        previous = load_manifest(self.out)
        if previous is not None and "status" in previous:
            for path in owned_files(self.out, previous):
                if path.relative_to(self.out).as_posix() not in keep:
                    path.unlink()
        parts = self.out / PARTS
        for name in TABLE_NAMES:
            for path in (parts / name).iterdir():
                if path.is_file() and path.name.startswith((".part-", "part-")) \
                        and path.relative_to(self.out).as_posix() not in keep:
                    path.unlink()
        for path in self.out.iterdir():
            if path.is_file() and _TMP_RE.fullmatch(path.name):
                path.unlink()

    # -- chunks -------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """The final file of table ``name``."""
        if self.format == "xlsx":
            return self.out / XLSX_BOOK
        return self.out / f"{name}.{self.format}"

    def append(self, tables: Iterable[tuple[str, pd.DataFrame]]) -> None:
        """Write one chunk of every table as parts, then the manifest listing it."""
        index = len(self._chunks) + 1
        suffix = part_suffix(self.format)
        files = []
        for name, df in tables:
            df = self._conform(name, df)
            self._rows[name] += len(df)
            if self.format == "xlsx" and self._rows[name] >= XLSX_MAX_ROWS:
                raise ConfigError(Errors.E015.format(
                    path=self.out / XLSX_BOOK,
                    problem=f"table {name!r} has over {XLSX_MAX_ROWS - 1:,} rows, more than an "
                            "Excel sheet holds; write parquet or csv instead",
                ))
            path = self.out / PARTS / name / f"part-{index:05d}.{suffix}"
            tmp = path.with_name(f".{path.name}.tmp")
            try:
                getattr(self, f"_write_{suffix}")(name, df, tmp)
                _commit(tmp, path)
            finally:
                with suppress(FileNotFoundError):
                    tmp.unlink()
            files.append(self._entry(path, {name: len(df)}))
        n_records = tables.meta.get("n_records") if isinstance(tables.meta, Mapping) else None
        self._chunks.append({
            "index": index,
            "n_records": int(n_records) if n_records is not None else len(tables.conversations),
            "files": files,
        })
        self._write_manifest("running")

    def _conform(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        schema = self.schemas[name]
        if not schema:
            self.schemas[name] = {c: str(t) for c, t in df.dtypes.items()}
            return df
        if list(df.columns) != list(schema):
            df = df.reindex(columns=list(schema))
        return df

    def _entry(self, path: Path, tables: Mapping[str, int]) -> dict[str, Any]:
        return {
            "path": path.relative_to(self.out).as_posix(),
            "bytes": path.stat().st_size,
            "tables": dict(tables),
        }

    def _arrow_schema(self, name: str, df: pd.DataFrame) -> Any:
        import pyarrow as pa

        if name not in self._arrow:
            types = {"Int64": pa.int64(), "int64": pa.int64(), "float64": pa.float64(),
                     "Float64": pa.float64(), "bool": pa.bool_(), "boolean": pa.bool_()}
            inferred = pa.Schema.from_pandas(df, preserve_index=False)
            fields = []
            for col, dtype in self.schemas[name].items():
                kind = pa.string() if is_text_dtype(dtype) else types.get(dtype)
                fields.append(pa.field(col, kind if kind is not None else
                                       inferred.field(col).type))
            self._arrow[name] = pa.schema(fields)
        return self._arrow[name]

    def _write_parquet(self, name: str, df: pd.DataFrame, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if any(t == "category" for t in self.schemas[name].values()):
            df = df.astype({c: "string" for c, t in self.schemas[name].items()
                            if t == "category"})
        table = pa.Table.from_pandas(df, schema=self._arrow_schema(name, df),
                                     preserve_index=False)
        pq.write_table(table, path)

    def _write_csv(self, name: str, df: pd.DataFrame, path: Path) -> None:
        text_cols = [c for c, t in self.schemas[name].items()
                     if is_text_dtype(t) and c not in RAW_COLUMNS]
        if text_cols and len(df):
            df = df.copy()
            for col in text_cols:
                df[col] = df[col].astype("object").map(
                    lambda v: escape_csv_cell(v) if isinstance(v, str) else v
                )
        # CRLF line ends: the csv module then quotes any field holding \r or \n
        df.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")

    def _write_jsonl(self, name: str, df: pd.DataFrame, path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            for row in df.astype("object").itertuples(index=False, name=None):
                record = dict(zip(df.columns, map(_json_value, row), strict=True))
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    # -- close --------------------------------------------------------------------------------
    def close(self, meta: Mapping[str, Any] | None = None) -> list[Path]:
        """Merge the parts into the final files, write the complete manifest, remove the parts.

        Args:
            meta: run meta to add to (or update in) the manifest.

        Returns:
            The final files, then ``meta.json``.
        """
        if meta is not None:
            self.meta.update(meta)
        if self.format == "xlsx":
            book = self.out / XLSX_BOOK
            self._merge_xlsx(book)
            finals = [self._final_entry(book, dict(self._rows))]
        else:
            finals = []
            for name in TABLE_NAMES:
                path = self.path(name)
                getattr(self, f"_merge_{self.format}")(name, path)
                finals.append(self._final_entry(path, {name: self._rows[name]}))
        self._write_manifest("complete", finals)
        shutil.rmtree(self.out / PARTS, ignore_errors=True)
        return [self.out / e["path"] for e in finals] + [self.out / MANIFEST]

    def _parts(self, name: str) -> list[Path]:
        return [self.out / f["path"] for c in self._chunks for f in c["files"]
                if name in f["tables"]]

    def _final_entry(self, path: Path, tables: Mapping[str, int]) -> dict[str, Any]:
        return {"path": path.name, "bytes": path.stat().st_size, "tables": dict(tables)}

    def _merged(self, path: Path, write) -> None:
        tmp = _tmp(path)
        try:
            write(tmp)
            _commit(tmp, path)
        finally:
            with suppress(FileNotFoundError):
                tmp.unlink()

    def _merge_csv(self, name: str, path: Path) -> None:
        def write(tmp: Path) -> None:
            with tmp.open("wb") as out:
                out.write("\ufeff".encode())
                parts = self._parts(name)
                if not parts:
                    header = frame([], self.schemas[name]).to_csv(index=False,
                                                                  lineterminator="\r\n")
                    out.write(header.encode("utf-8"))
                for i, part in enumerate(parts):
                    with part.open("rb") as fh:
                        header = fh.readline()
                        if i == 0:
                            out.write(header)
                        shutil.copyfileobj(fh, out)

        self._merged(path, write)

    def _merge_jsonl(self, name: str, path: Path) -> None:
        def write(tmp: Path) -> None:
            with tmp.open("wb") as out:
                for part in self._parts(name):
                    with part.open("rb") as fh:
                        shutil.copyfileobj(fh, out)

        self._merged(path, write)

    def _merge_parquet(self, name: str, path: Path) -> None:
        import pyarrow.parquet as pq

        def write(tmp: Path) -> None:
            schema = self._arrow_schema(name, frame([], self.schemas[name]))
            with pq.ParquetWriter(tmp, schema) as writer:
                for part in self._parts(name):
                    table = pq.read_table(part)
                    if table.num_rows:
                        writer.write_table(table.cast(schema))

        self._merged(path, write)

    def _merge_xlsx(self, path: Path) -> None:
        import pyarrow.parquet as pq
        from openpyxl import Workbook
        from openpyxl.styles import Font

        def write(tmp: Path) -> None:
            book = Workbook(write_only=True)
            for name in TABLE_NAMES:
                sheet = book.create_sheet(name)
                columns = list(self.schemas[name])
                sheet.append([xlsx_cell(sheet, c, font=Font(bold=True)) for c in columns])
                for part in self._parts(name):
                    for row in pq.read_table(part).to_pylist():
                        sheet.append([xlsx_cell(sheet, row.get(c)) for c in columns])
            book.save(tmp)

        self._merged(path, write)

    # -- manifest -----------------------------------------------------------------------------
    def _write_manifest(self, status: str, files: Iterable[Mapping[str, Any]] = ()) -> None:
        from chatqa import __version__

        reserved = {"status", "format", "schemas", "chunks", "files"}
        manifest = {
            "status": status,
            "chatqa_version": self.meta.get("chatqa_version", __version__),
            "grid": self.meta.get("grid"),
            "grid_sha256": self.meta.get("grid_sha256"),
            "format": self.format,
            **{k: v for k, v in self.meta.items() if k not in reserved},
            "schemas": self.schemas,
            "chunks": self._chunks,
        }
        if status == "complete":
            manifest["files"] = list(files)
        atomic_write_text(
            self.out / MANIFEST,
            json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n",
        )


def _json_value(value: Any) -> Any:
    """A table value as JSON: missing and non-finite numbers as null, numpy as Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
