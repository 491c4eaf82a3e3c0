"""The pipeline: parse advisor messages once, run the analyzers, roll up into a form.

It reads top to bottom like the data flow of ``docs/design.md``: a conversation's language;
its messages cut to the grid's cap; each distinct advisor text parsed once (spaCy) and scored
by the message analyzers (cached by text); the conversation analyzers; the grid's rules,
which pre-fill the form. ``score_archive`` hands whole archives to :mod:`chatqa.runner`
(chunks, workers, progress, streaming writes). One bad conversation never stops a run: it goes
to the ``errors`` table.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from chatqa.analyzers.base import (
    Analysis,
    ConversationAnalyzer,
    ConversationContext,
    InitializableAnalyzer,
    MessageAnalyzer,
    MetricSpec,
    ReviewingAnalyzer,
    SummarizingAnalyzer,
)
from chatqa.analyzers.building import (
    BuiltAnalyzers,
    analyzer_params,
    build_analyzers,
    check_grid,
    check_requirements,
    checked,
    specs_of_level,
)
from chatqa.errors import (
    AnalyzerError,
    ChatQAError,
    ConfigError,
    Errors,
    TranscriptError,
    Warnings,
)
from chatqa.evaluation.filling import fill_form
from chatqa.evaluation.grid import Grid, load_grid
from chatqa.evaluation.rules import get_rule
from chatqa.io.roles import participant_names
from chatqa.language import LanguageDetector, conversation_language
from chatqa.macros import MACROS_FILE, MacroTable
from chatqa.model import Conversation, Finding, Role
from chatqa.nlp import pipe_bounded
from chatqa.results import ConversationResult, redacted
from chatqa.runner import (
    DEFAULT_CACHE_SIZE,
    ArchiveSize,
    ArchiveSummary,
    check_n_process,
    open_records,
    run_archive,
)
from chatqa.tables import Tables, table_schemas
from chatqa.truncation import full_text, truncated, truncation_finding

__all__ = ["ArchiveSummary", "ConversationResult", "Pipeline"]

NAN = math.nan


class Pipeline:
    """Scores conversations with the analyzers of a grid and pre-fills the grid's form.

    Args:
        grid: a loaded :class:`Grid`.
        cache_size: how many distinct advisor texts keep their message analyses (canned
            replies repeat across conversations: each distinct text is analysed once).
        macros: the canned replies (:class:`~chatqa.macros.MacroTable`) that vocabulary and
            clarity leave out of the advisor's own text; ``score_archive`` builds one from
            the archive when none is given.
    """

    def __init__(self, grid: Grid, *, cache_size: int = DEFAULT_CACHE_SIZE,
                 macros: MacroTable | None = None) -> None:
        self.grid = grid
        self.cache_size = cache_size
        self.macros = macros
        self._nlp: dict[str, Any] = {}
        self._light_nlp: dict[str, Any] = {}  # per language: tokens and sentences only
        self._analyzers: dict[str, BuiltAnalyzers] = {}
        self._cache: OrderedDict[tuple[str, str], tuple[Analysis, ...]] = OrderedDict()
        detect = tuple(grid.grid.detect_languages)
        self._detector = LanguageDetector(detect) if len(detect) > 1 else None
        for crit in grid.criteria.values():
            get_rule(crit.rule)
        check_grid(grid, self.built(grid.language))

    @classmethod
    def from_grid(cls, grid: str | Path | Grid, **kwargs: Any) -> Pipeline:
        """Build the pipeline of a packaged grid name, a ``.toml`` path, or a Grid."""
        return cls(grid if isinstance(grid, Grid) else load_grid(grid), **kwargs)

    # -- set-up -------------------------------------------------------------------------------
    def built(self, lang: str) -> BuiltAnalyzers:
        """The grid's analyzers built for ``lang`` (once per language)."""
        if lang not in self._analyzers:
            self._analyzers[lang] = build_analyzers(self.grid, lang)
        return self._analyzers[lang]

    def analyzers_for(self, lang: str) -> tuple[list[MessageAnalyzer], list[ConversationAnalyzer]]:
        """The grid's analyzers built for ``lang`` (message analyzers, conversation analyzers)."""
        built = self.built(lang)
        return list(built.message), list(built.conversation)

    @property
    def metric_specs(self) -> tuple[MetricSpec, ...]:
        """Every metric the pipeline produces, in pipeline order."""
        return self.built(self.grid.language).metric_specs

    @property
    def schemas(self) -> dict[str, dict[str, str]]:
        """Column -> dtype of each result table."""
        specs = self.metric_specs
        return table_schemas(specs_of_level(specs, "message"),
                             specs_of_level(specs, "conversation"))

    def nlp(self, lang: str):
        """The spaCy pipeline of ``lang``, loaded on first use.

        Loading checks every analyzer's ``requires`` (E103) and initializes the analyzers that
        need the pipeline (:class:`~chatqa.analyzers.base.InitializableAnalyzer`).
        """
        if lang not in self._nlp:
            from chatqa.nlp import light_pipeline, load_nlp

            nlp = load_nlp(lang, self.grid.nlp.get("models", {}).get(lang))
            check_requirements(nlp, self.built(lang).all)
            self._analyzers[lang] = self.built(lang).initialized(nlp)
            self._light_nlp[lang] = light_pipeline(nlp)
            self._nlp[lang] = nlp
        return self._nlp[lang]

    def meta(self) -> dict[str, Any]:
        """The run manifest: chatqa version, grid and its hash, analyzers and parameters."""
        from chatqa import __version__

        return {
            "chatqa_version": __version__,
            "grid": self.grid.name,
            "grid_source": self.grid.source,
            "grid_sha256": self.grid.sha256,
            "language": self.grid.language,
            "levels": list(self.grid.levels.order),
            "analyzers": {
                a.name: {"version": a.version, "params": analyzer_params(a)}
                for a in self.built(self.grid.language).all
            },
            "detect_languages": list(self.grid.grid.detect_languages),
            "analyzers_unavailable": {
                lang: dict(b.unavailable) for lang, b in self._analyzers.items() if b.unavailable
            },
        }

    def load(self) -> Pipeline:
        """Load now what is otherwise loaded on first use; returns the pipeline.

        spaCy, the analyzers' resources and the language detector: done before workers fork,
        so that they share it all.
        """
        self.nlp(self.grid.language)
        if self._detector is not None:
            self._detector.detect("bonjour, hello")
        return self

    def language_of(self, conversation: Conversation) -> str:
        """The conversation's language: its metadata, else detected, else the grid's."""
        return conversation_language(conversation, self.grid.language, self._detector)

    # -- scoring ------------------------------------------------------------------------------
    def score(self, conversation: Conversation, *, redact: bool = False,
              macros: MacroTable | None = None) -> ConversationResult:
        """Score one conversation; with ``redact``, personal data is masked in the result.

        ``macros`` says which advisor texts are canned replies for this call only; without
        it, the pipeline's own table is used (the one it was built with, or the last
        ``score_archive`` run's).

        Raises:
            AnalyzerError: an analyzer failed on this conversation.
        """
        own = self.macros
        if macros is not None:
            self.macros = macros
        try:
            results, errors = self.score_many([conversation], redact=redact)
        finally:
            self.macros = own
        if errors:
            raise errors[0]
        return results[0]

    def score_many(
        self, conversations: Iterable[Conversation], *, redact: bool = False
    ) -> tuple[list[ConversationResult], list[ChatQAError]]:
        """Score a batch with one NLP pass; return the results and the per-conversation errors."""
        conversations = list(conversations)
        by_lang: dict[str, list[int]] = {}
        errors: list[ChatQAError] = []
        for i, conv in enumerate(conversations):
            try:
                by_lang.setdefault(self.language_of(conv), []).append(i)
            except TranscriptError as exc:
                errors.append(exc)
        results: dict[int, ConversationResult] = {}
        for lang, indices in by_lang.items():
            try:
                self.built(lang)
            except ChatQAError as exc:
                errors.extend(AnalyzerError(str(exc), conversation_id=conversations[i].id)
                              for i in indices)
                continue
            scored, failed = self._score_language(lang, [conversations[i] for i in indices])
            errors.extend(failed)
            for i, res in zip(indices, scored, strict=True):
                if res is not None:
                    results[i] = redacted(res, conversations[i]) if redact else res
        return [results[i] for i in sorted(results)], errors

    def score_chunk(self, chunk: Sequence[Conversation | ChatQAError], *,
                    redact: bool = False) -> Tables:
        """Score the conversations of a chunk of records; records that failed become errors."""
        conversations = [r for r in chunk if isinstance(r, Conversation)]
        read_errors = [r for r in chunk if isinstance(r, ChatQAError)]
        results, errors = self.score_many(conversations, redact=redact)
        return Tables.from_results(results, [*read_errors, *errors], self.schemas, len(chunk))

    def score_archive(
        self,
        source: str | Path | Iterable[Conversation],
        *,
        n_process: int | None = None,
        out: str | Path | None = None,
        format: str = "parquet",
        input_format: str | None = None,
        chunk_size: int = 256,
        progress: bool | None = None,
        columns: Mapping[str, str] | None = None,
        encoding: str | None = None,
        redact: bool = False,
        macros: MacroTable | str | Path | None = "auto",
        resume: bool | None = None,
        append: bool = False,
    ) -> Tables | ArchiveSummary:
        """Score every conversation of an archive; bad records go to the ``errors`` table.

        Args:
            source: a transcript file (format by suffix or ``input_format``) or an iterable of
                Conversation objects.
            n_process: worker processes; ``None`` (the default) uses every available core on
                Linux, one process elsewhere (where workers are spawned, a script needs the
                ``__main__`` guard: ask for them explicitly).
                On Linux the workers are forked from this pipeline once it is loaded, so
                they start at once and share its memory; an archive of one chunk is scored
                in this process.
            out: a folder to stream the tables to in chunks, so memory stays flat whatever the
                archive size; the call then returns an :class:`ArchiveSummary`.
            format: output format with ``out`` (``parquet``, ``csv``, ``jsonl``, ``xlsx``).
            input_format: transcript format when the file's suffix does not tell it.
            chunk_size: conversations per chunk (one NLP pass and one write per chunk).
            progress: show a progress bar; ``None`` shows it only on a terminal.
            columns: CSV / Parquet column names mapping, passed to the reader.
            encoding: text encoding of a CSV file, passed to the reader.
            redact: mask personal data (``chatqa.privacy``) in the tables' texts, findings and
                suggestions, offsets following the masked text. Reports and workbooks are
                masked anyway; the tables keep the raw text by default.
            macros: the canned replies left out of vocabulary and clarity: ``"auto"`` counts
                them in a first pass over the archive (texts sent word for word in ``[grid]
                macro_min_conversations`` conversations; with ``out``, a ``macros.csv``
                already there is reused); a path adds the client's macro library (text, one
                per line, or CSV with a ``text`` column) to those counts, its texts canned
                whatever their count (a one-shot iterable: the library alone); a
                :class:`~chatqa.macros.MacroTable` is used as is; None uses none. The table
                is written to ``out`` as ``macros.csv``.
            resume: with ``out``, an interrupted run there (killed, or stopped by an
                exception) of the same archive, grid, chatqa version, chunk size and macro
                table is resumed: its chunks written are kept, their records not scored
                again. ``None`` resumes it, and refuses (``E022``) an interrupted run that
                differs; ``False`` starts over.
            append: with ``out``, add this archive to the dataset there as new partitions
                (by conversation date; :mod:`chatqa.io.dataset`), the folder's macro table
                updated with this archive's counts, nothing already there scored again. An
                archive appended before is refused (``E023``).

        Returns:
            The :class:`Tables` of the run, or an :class:`ArchiveSummary` when ``out`` is set.
        """
        check_n_process(n_process)
        if isinstance(source, Iterable) and not isinstance(source, str | Path | Sequence):
            if macros == "auto":  # a one-shot source cannot be read twice
                warnings.warn(Warnings.W004, stacklevel=2)
                macros = None
            elif isinstance(macros, str | Path):
                macros = MacroTable.from_library(macros)
        if append and out is None:
            raise ConfigError(Errors.E023.format(folder=None, problem="append needs out="))
        size = ArchiveSize()
        self.macros = self._macro_table(macros, source, input_format, columns, encoding, out,
                                        size, append)
        if isinstance(source, Sequence) and not isinstance(source, str):
            size.count(source)
        records = open_records(source, input_format, columns, encoding)
        meta = {**self.meta(), "source": str(source) if isinstance(source, str | Path) else None,
                "macros": len(self.macros) if self.macros is not None else None}
        return run_archive(
            self, records, meta=meta, n_process=n_process, out=out, format=format,
            chunk_size=chunk_size, progress=progress, redact=redact, macros=self.macros,
            resume=resume, size=size, append=append,
        )

    def _macro_table(self, macros: MacroTable | str | Path | None, source: Any,
                     input_format: str | None, columns: Mapping[str, str] | None,
                     encoding: str | None, out: str | Path | None,
                     size: ArchiveSize, append: bool = False) -> MacroTable | None:
        """The run's canned replies (see ``score_archive``'s ``macros``).

        A first pass over the archive, when one is made, also counts it into ``size`` (the
        progress bar's total, the chunks' size). Appending to a dataset, the folder's table
        is updated with this archive's counts. A client's library is read before the pass
        (a missing file stops the run at once) and added to the counts.
        """
        if macros is None or isinstance(macros, MacroTable):
            return macros
        library = None if macros == "auto" else MacroTable.from_library(macros)
        saved = Path(out) / MACROS_FILE if out is not None else None
        if saved is not None and saved.is_file() and not append:
            return MacroTable.read_csv(saved)  # a resumed run: the same table
        threshold = self.grid.grid.macro_min_conversations
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the scoring pass warns about the records
            records = size.counting(open_records(source, input_format, columns, encoding))
            if not append:
                table = MacroTable.from_conversations(records, min_conversations=threshold)
            else:
                counted = MacroTable.from_conversations(records, min_conversations=1)
                before = MacroTable.read_csv(saved) if saved is not None and saved.is_file() \
                    else MacroTable(min_conversations=threshold)
                table = before.updated(counted)
        return table.updated(library) if library is not None else table

    # -- one language's conversations ---------------------------------------------------------
    def _score_language(
        self, lang: str, conversations: Sequence[Conversation]
    ) -> tuple[list[ConversationResult | None], list[ChatQAError]]:
        built = self.built(lang)
        conversations = [truncated(c, self.grid.grid.max_message_chars) for c in conversations]
        parse_roles = self._parse_roles(built)
        light_roles = self._light_roles(built, parse_roles)
        advisor_texts = {
            m.text for c in conversations for m in c.messages if m.role is Role.ADVISOR
        }
        other_texts = {
            m.text for c in conversations for m in c.messages
            if m.role in parse_roles - light_roles and m.role is not Role.ADVISOR
        }
        to_parse = sorted(
            (advisor_texts if Role.ADVISOR in parse_roles
             else {t for t in advisor_texts if (lang, t) not in self._cache}) | other_texts
        ) if (built.message or parse_roles) else []
        to_tokenize = sorted({
            m.text for c in conversations for m in c.messages if m.role in light_roles
        } - set(to_parse))
        failed_texts: dict[str, str] = {}
        out: list[ConversationResult | None] = []
        errors: list[ChatQAError] = []
        needs_nlp = bool(to_parse or to_tokenize) or any(
            isinstance(a, InitializableAnalyzer) for a in built.all)
        nlp = self.nlp(lang) if needs_nlp else None
        built = self.built(lang)  # initialized with nlp once it is loaded
        with nlp.memory_zone() if nlp is not None else nullcontext():
            docs = dict(zip(to_parse, pipe_bounded(nlp, to_parse), strict=True)) if (
                nlp is not None
            ) else {}
            if to_tokenize:
                light = self._light_nlp[lang]
                docs.update(zip(to_tokenize, pipe_bounded(light, to_tokenize), strict=True))
            for text in to_parse:
                if (lang, text) in self._cache or text not in advisor_texts:
                    continue  # cached, or parsed only for a conversation analyzer
                try:
                    self._remember((lang, text), self._analyse_text(built, docs[text]))
                except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                    failed_texts[text] = f"{type(exc).__name__}: {exc}"
            for conv in conversations:
                try:
                    out.append(self._score_one(lang, conv, docs, failed_texts))
                except AnalyzerError as exc:
                    out.append(None)
                    errors.append(exc)
        return out, errors

    @staticmethod
    def _parse_roles(built: BuiltAnalyzers) -> set[Role]:
        """Whose messages the conversation analyzers need parsed (none when none requires it)."""
        return {
            Role(role) for a in built.conversation if a.requires
            for role in getattr(a, "parse_roles", (Role.ADVISOR.value,))
        }

    @staticmethod
    def _light_roles(built: BuiltAnalyzers, parse_roles: set[Role]) -> set[Role]:
        """The parsed roles (never the advisor) every analyzer parsing them reads tokens of only.

        Their messages are tokenized and split by punctuation (``light_pipeline``), not parsed.
        """
        return {
            role for role in parse_roles - {Role.ADVISOR}
            if all(role.value in getattr(a, "light_roles", ()) for a in built.conversation
                   if a.requires and role.value in getattr(a, "parse_roles", ("advisor",)))
        }

    def _analyse_text(self, built: BuiltAnalyzers, doc: Any) -> tuple[Analysis, ...]:
        return tuple(checked(a, a.analyze_message(doc), "message", "?") for a in built.message)

    def _remember(self, key: tuple[str, str], value: tuple[Analysis, ...]) -> None:
        self._cache[key] = value
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _score_one(
        self,
        lang: str,
        conv: Conversation,
        docs: Mapping[str, Any],
        failed_texts: Mapping[str, str],
    ) -> ConversationResult:
        built = self.built(lang)
        message_metric_names = specs_of_level(built.metric_specs, "message")
        rows: list[dict[str, Any]] = []
        findings: list[Finding] = []
        per_message: dict[int, tuple[Analysis, ...]] = {}
        names = participant_names(conv) if built.message else frozenset()
        for i, m in enumerate(conv.messages):
            row = {
                "conversation_id": conv.id,
                "message_index": i,
                "role": m.role.value,
                "time": m.time.isoformat() if m.time is not None else None,
                "author": m.author,
                "text": full_text(m),
                **dict.fromkeys(message_metric_names, NAN),
            }
            cut = truncation_finding(i, m)
            if cut is not None:
                findings.append(cut)
            if m.role is Role.ADVISOR and built.message:
                analyses = self._message_analyses(lang, conv, i, docs, failed_texts, names)
                per_message[i] = analyses
                for analysis in analyses:
                    row.update(analysis.metrics)
                    findings.extend(replace(f, message_index=i) for f in analysis.findings)
            rows.append(row)
        metrics: dict[str, float] = {}
        for k, analyzer in enumerate(built.message):
            if isinstance(analyzer, SummarizingAnalyzer):
                summary = analyzer.summarize([per_message[i][k] for i in sorted(per_message)])
                metrics.update(checked(analyzer, Analysis(summary), "conversation",
                                       conv.id).metrics)
        context = ConversationContext(
            docs=tuple(docs.get(m.text) if m.role in self._parse_roles(built) | {Role.ADVISOR}
                       else None for m in conv.messages),
            macro_messages=self.macros.macro_messages(conv) if self.macros else frozenset(),
            message_results={
                a.name: {i: per_message[i][k] for i in sorted(per_message)}
                for k, a in enumerate(built.message)
            },
            summaries=dict(metrics),
        )
        for analyzer in built.conversation:
            try:
                analysis = analyzer.analyze_conversation(conv, context)
            except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                raise AnalyzerError(
                    Errors.E106.format(analyzer=analyzer.name, conversation_id=conv.id,
                                       problem=f"{type(exc).__name__}: {exc}"),
                    conversation_id=conv.id,
                ) from exc
            analysis = checked(analyzer, analysis, "conversation", conv.id)
            metrics.update(analysis.metrics)
            findings.extend(analysis.findings)
            for i, values in analysis.message_metrics.items():
                rows[i].update(values)
        form = fill_form(self.grid, conv, metrics, findings, context.macro_messages)
        return ConversationResult(
            conversation_id=conv.id, language=lang, message_rows=tuple(rows),
            message_schema=self.schemas["messages"], findings=tuple(findings), metrics=metrics,
            form=form,
        )

    def _message_analyses(
        self,
        lang: str,
        conv: Conversation,
        index: int,
        docs: Mapping[str, Any],
        failed_texts: Mapping[str, str],
        names: frozenset[str],
    ) -> tuple[Analysis, ...]:
        """The cached analyses of an advisor message, reviewed in its conversation's context."""
        built = self.built(lang)
        text = conv.messages[index].text
        if text in failed_texts:
            raise AnalyzerError(
                Errors.E106.format(analyzer="message analyzers", conversation_id=conv.id,
                                   problem=f"message {index}: {failed_texts[text]}"),
                conversation_id=conv.id,
            )
        analyses = self._cache.get((lang, text))
        if analyses is None:  # evicted between parse and use: analyse again
            doc = docs.get(text)
            analyses = self._analyse_text(built, doc if doc is not None else self.nlp(lang)(text))
        if names:
            analyses = tuple(
                a.review(an, names) if isinstance(a, ReviewingAnalyzer) else an
                for a, an in zip(built.message, analyses, strict=True)
            )
        return analyses
