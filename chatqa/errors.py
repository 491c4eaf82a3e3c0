"""Coded error and warning catalogue, and the exception classes chatqa raises.

Every message names the bad value, lists what is available and says how to fix it. Codes are
grouped by hundreds: E0xx input/output, E1xx pipeline and registry, E2xx analyzers, E3xx grids
and forms. Access through the catalogue adds the ``[Exxx]`` prefix, as spaCy's ``Errors`` does.
"""

from __future__ import annotations

from typing import Any


class ErrorsWithCodes(type):
    """Metaclass that prefixes every message of a catalogue with its code."""

    def __getattribute__(cls, code: str) -> str:
        msg = super().__getattribute__(code)
        if code.startswith("__"):
            return msg
        return f"[{code}] {msg}"


class Errors(metaclass=ErrorsWithCodes):
    """Error messages, formatted with ``str.format``."""

    # E0xx: reading and writing transcripts and tables
    E001 = "File not found: '{file}'. Check the path; the current directory is '{cwd}'."
    E002 = (
        "Cannot tell the format of '{file}' from its suffix '{suffix}'. Pass format= one of "
        "{formats}."
    )
    E003 = "Unknown transcript format {format!r}. Available formats: {formats}."
    E004 = "Unknown output format {format!r}. Available formats: {formats}."
    E010 = (
        "{file}:{line}: conversation '{conversation_id}': field '{field}' {problem}. "
        "Expected {expected}; got {value!r}."
    )
    E011 = "{file}:{line}: not valid JSON ({problem}). Each line must hold one JSON object."
    E012 = (
        "{file}: missing column(s) {missing}. Found columns {found}. Map your column names with "
        "columns={{'conversation_id': 'your_name', ...}}."
    )
    E013 = "{file}: cannot decode the file as {encodings}. Save it as UTF-8 or pass encoding=."
    E014 = (
        "{file}: not an Intercom export: expected a conversation object with "
        "'conversation_parts' (or a list / {{'conversations': [...]}} of them); got {value!r}."
    )
    E005 = (
        "Unknown text encoding {encoding!r}. Pass a Python codec name such as 'utf-8', "
        "'cp1252', 'latin-1' or 'utf-16', or leave it out to detect it."
    )
    E006 = "{file}: not a readable {format} file ({problem}). Check that it is not truncated."
    E015 = "Cannot write to '{path}': {problem}."
    E016 = (
        "{file}:{line}: bytes that are not valid {encoding} ({problem}). The line was skipped; "
        "save the file as UTF-8 or pass encoding=."
    )
    E017 = (
        "{file}:{line}: conversation '{conversation_id}' has the id of the conversation read at "
        "line {first_line}. Ids must be unique in an archive; the second one was not scored."
    )
    E018 = (
        "{file}: conversation '{conversation_id}': its rows are not together (lines {lines}). "
        "Sort the file by conversation id, then time; the conversation was not scored."
    )
    E019 = (
        "{file}:{line}: conversation '{conversation_id}': field '{field}' is {value!r}, a "
        "language chatqa has no resources for. Supported languages: {available}."
    )
    E020 = (
        "'{folder}' does not hold a finished `chatqa score` run: {problem}. Score the archive "
        "again into this folder (or a new one)."
    )
    E021 = (
        "'{folder}' mixes the output of several runs: {problem}. Remove the stale files or "
        "score into an empty folder."
    )
    E022 = (
        "'{folder}' holds an interrupted run that this one cannot resume: {problem}. Resume it "
        "with the same grid, chatqa version, source, format and chunk size, or start over "
        "with resume=False (`chatqa score --no-resume`), or score into another folder."
    )
    E023 = (
        "Cannot append to '{folder}': {problem}. Append only to a folder made by `chatqa score "
        "--append` (or an empty one), with the same grid, chatqa version and format."
    )

    # E1xx: pipeline and registry
    E101 = (
        "No analyzer named {name!r} in the registry. Available analyzers: {available}. "
        "Check the [analyzers] tables of the grid."
    )
    E102 = (
        "Analyzers {first!r} and {second!r} both declare the metric {metric!r}. Metric names "
        "are columns: rename one of them."
    )
    E103 = (
        "Analyzer {analyzer!r} requires {attr!r}, which the spaCy pipeline {model!r} does not "
        "assign (its components: {components}). Install a pipeline with that component or "
        "remove the analyzer from the grid."
    )
    E104 = (
        "Cannot load the spaCy pipeline {model!r} for language {lang!r}: {problem}. Install it "
        "with `pip install {package}`, or set [nlp.models] in the grid."
    )
    E105 = "n_process must be a whole number >= 1; got {value!r}."
    E106 = (
        "Analyzer {analyzer!r} failed on conversation '{conversation_id}': {problem}. The "
        "conversation was recorded in the errors table."
    )
    E107 = (
        "Analyzer {analyzer!r} returned the {level} metric(s) {metrics}, which it does not "
        "declare. Declared: {declared}. Add a MetricSpec for each, or stop returning them."
    )
    E108 = (
        "Analyzers {first!r} and {second!r} both emit codes of the family {family!r} "
        "({codes}). A code family has one owner (docs/design.md), so no criterion charges one "
        "error twice: rename the codes of one of them."
    )

    # E2xx: analyzers and resources
    E201 = (
        "The {param!r} parameter of {analyzer} must be {expected}. Got {value!r} instead."
    )
    E202 = (
        "No resource {name!r} for language {lang!r}: expected the file '{path}'. Available "
        "languages for it: {available}."
    )
    E203 = "Resource '{path}' is invalid: {problem}."
    E204 = (
        "Unknown parameter(s) {unknown} for the analyzer {analyzer!r}. Its parameters: "
        "{available}. Check the [analyzers.{analyzer}] table of the grid."
    )
    E205 = (
        "The spelling_grammar backend {backend!r} cannot run here: {problem}. Use backend="
        "'auto' to fall back on what is installed."
    )
    E206 = (
        "Unknown spelling_grammar backend {backend!r}. Available backends: {available}."
    )
    E208 = (
        "Allow-list file not found: '{path}'. Give a text file with one name per line "
        "(brands, products), relative to the current directory '{cwd}'."
    )
    E207 = (
        "The LanguageTool backend needs the URL of a LanguageTool server (remote_server = "
        "'http://host:8081'): chatqa never downloads or starts LanguageTool itself."
    )

    # E3xx: grids and forms
    E301 = (
        "No grid named {name!r}. Packaged grids: {available}. Pass a packaged name or the path "
        "to a .toml file."
    )
    E302 = "Grid '{path}' is invalid at {location}: {problem}."
    E303 = (
        "Criterion {criterion!r} uses the metric {metric!r}, which no analyzer of the grid "
        "declares. Declared metrics: {available}."
    )
    E304 = "No rule named {name!r}. Available rules: {available}."
    E305 = (
        "'{file}' is not a chatqa evaluator workbook: {problem}. Read a workbook written by "
        "chatqa.evaluation.write_workbook (its hidden `_chatqa` sheet names the grid and the "
        "run), or a JSON list of confirmations (.json)."
    )
    E306 = (
        "The forms table cannot make an evaluator workbook for grid {grid!r}: {problem}. Pass "
        "the `forms` table of a run scored with this grid."
    )
    E307 = (
        "max_rows must be a whole number from 1 to {limit} (Excel's rows per sheet, less the "
        "header row); got {value!r}."
    )
    E308 = "JSON confirmations '{file}': {problem}."
    E309 = (
        "The confirmations were made with the grid of sha256 {found}, not with the grid "
        "{grid!r} given (sha256 {expected}): their levels may mean something else. Pass the "
        "grid the workbook was written with, or keep only the rows of this one "
        "(table[table.grid_sha256 == grid.sha256])."
    )
    E310 = "{where}: unknown level {value!r}. Allowed levels: {allowed} (labels or ids)."
    E311 = "{where}: unknown criterion {value!r}. Criteria of the grid {grid!r}: {allowed}."
    E312 = (
        "{where}: no evaluator. Write the evaluator's name in this column, or pass "
        "read_confirmations(..., evaluator='name') for a file filled by one person."
    )
    E313 = (
        "{where}: the machine's column was changed (it is locked); it now holds {value!r}. "
        "The row was set aside: copy its level and comment into a fresh workbook of the run."
    )
    E314 = (
        "{where}: {value!r} is not a date and time. Write it as 2026-03-02 14:30 (read as UTC "
        "when it has no offset), or leave it empty."
    )
    E315 = (
        "{where}: no level, though the row has an evaluator's input ({value!r}), kept here. "
        "Choose a level from the list, or clear the row."
    )
    E316 = "No criterion {criterion!r} in this agreement report. Criteria: {available}."
    E317 = (
        "Plotting the agreement needs matplotlib, which is not installed ({problem}). Install "
        "it with `pip install matplotlib`."
    )
    E318 = (
        "Levels {first!r} and {second!r} of the grid {grid!r} share the label {label!r}, so an "
        "evaluator's choice could not be read back. Give every level (and na) its own label "
        "in [levels.labels]."
    )
    E319 = (
        "The confirmations table {problem}. Pass a Confirmations (read_confirmations) or a "
        "table with the columns {expected}."
    )
    E320 = "{where}: no conversation id ({value!r}). Every confirmation names its conversation."
    E321 = (
        "Criterion {criterion!r} of grid {grid}: cannot load its model '{path}': {problem}. "
        "Give in `model` the .joblib file `chatqa fit-rollup` wrote for this criterion "
        "(relative to the grid file's folder, or absolute); load only files you trust (a "
        ".joblib file is a pickle)."
    )
    E322 = (
        "Criterion {criterion!r} of grid {grid}: the model '{path}' {problem}. Point `model` "
        "to the file fitted for this criterion, or refit it with `chatqa fit-rollup` on a run "
        "of this grid."
    )
    E323 = (
        "Criterion {criterion!r} of grid {grid}: the model '{path}' reads {features}, which "
        "the grid's analyzers do not give ({detail}). Keep the analyzers (and parameters) the "
        "model was fitted with in the grid's [analyzers] tables, or refit it on this grid."
    )
    E109 = (
        "chatqa.dask needs Dask, which is not installed ({problem}). Install it with "
        "`pip install chatqa[dask]` (dask[dataframe] and distributed)."
    )


class Warnings(metaclass=ErrorsWithCodes):
    """Warning messages, emitted with ``warnings.warn``."""

    W001 = (
        "{file}: times have no date (HH:MM); assumed all messages of a conversation fall on "
        "one day, rolling over at midnight. Resolution: {resolution}."
    )
    W002 = (
        "{file}:{line}: conversation '{conversation_id}': time of messages[{index}] is earlier "
        "than the message before it ({previous} then {current}). Times are kept as given; "
        "response times across that step are left out (NaN)."
    )
    W003 = (
        "{file}:{line}: the row has {found} fields where the header has {expected}: the "
        "separator {delimiter!r} also occurs unquoted in the text. The extra fields were "
        "joined back into '{column}'."
    )
    W004 = (
        "Canned replies cannot be counted in a source that is read only once (a generator "
        "or an iterator): vocabulary and clarity count every advisor text as the advisor's own. "
        "Pass macros=MacroTable.from_conversations(...) or a list, or score a file."
    )
    W005 = (
        "{path} holds an evaluator's input ({rows} confirmation(s)); it was kept as {kept} and "
        "a new workbook written in its place. Read it back with read_confirmations({kept!r})."
    )
    W006 = (
        "{path}: canned replies counted with keys of version {found} (this chatqa makes version "
        "{current}): a canned text whose key changed is read as the advisor's own. Count them "
        "again: delete the file, or score with macros=None (`--macros none`) once."
    )
    W101 = (
        "No spaCy pipeline with a parser is installed for {lang!r}; using a blank pipeline "
        "with a rule-based sentencizer. Analyzers that need a parse report NaN."
    )


class ChatQAError(Exception):
    """Base class of every error chatqa raises on purpose."""


class TranscriptError(ChatQAError, ValueError):
    """A transcript record could not be read; names the file, line, conversation and field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        conversation_id: str | None = None,
        field: str | None = None,
        code: str = "E010",
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.conversation_id = conversation_id
        self.field = field
        self.code = code

    def as_row(self) -> dict[str, Any]:
        """Return the error as a row of the ``errors`` table."""
        return {
            "file": self.file,
            "line": self.line,
            "conversation_id": self.conversation_id,
            "field": self.field,
            "code": self.code,
            "message": str(self),
        }


class GridError(ChatQAError, ValueError):
    """A grid file is missing or invalid; ``location`` is a path like ``criteria -> x``."""

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.location = location


class ConfigError(ChatQAError, ValueError):
    """A pipeline, analyzer or resource setting is invalid."""


class AnalyzerError(ChatQAError, RuntimeError):
    """An analyzer failed on one conversation; batch runs record it in the errors table."""

    def __init__(self, message: str, *, conversation_id: str | None = None, code: str = "E106"):
        super().__init__(message)
        self.conversation_id = conversation_id
        self.code = code

    def as_row(self) -> dict[str, Any]:
        """Return the error as a row of the ``errors`` table."""
        return {
            "file": None,
            "line": None,
            "conversation_id": self.conversation_id,
            "field": None,
            "code": self.code,
            "message": str(self),
        }
