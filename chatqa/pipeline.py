"""The pipeline: parse advisor messages once, run the analyzers, roll up into a form.

``Pipeline.from_grid("fr_chat")`` builds the analyzers a grid names. ``score`` scores one
conversation; ``score_archive`` scores a whole archive in chunks, optionally in several
processes, and either returns the tables or streams them to disk. One bad conversation never
stops a run: it goes to the ``errors`` table.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from chatqa.analyzers.base import (
    Analysis,
    ConversationAnalyzer,
    MessageAnalyzer,
    MetricSpec,
    get_factory,
)
from chatqa.errors import AnalyzerError, ChatQAError, ConfigError, Errors, TranscriptError
from chatqa.evaluation.form import EvaluationForm
from chatqa.evaluation.grid import Grid, load_grid
from chatqa.evaluation.rules import get_rule, propose_form_levels
from chatqa.io.roles import name_fields
from chatqa.io.writers import TableWriter
from chatqa.language import LanguageDetector, normalize_language
from chatqa.model import Conversation, Finding, Message, Role, Severity
from chatqa.nlp import pipe_bounded
from chatqa.resources import load_shared_resource
from chatqa.tables import Tables, details_json, frame, table_schemas
from chatqa.text import fold

NAN = math.nan


@dataclass(frozen=True)
class ConversationResult:
    """The scores of one conversation.

    ``messages``: one row per message (metrics NaN where they do not apply); ``findings``:
    located observations; ``metrics``: conversation-level metrics; ``form``: the pre-filled form.
    """

    conversation_id: str
    language: str
    messages: pd.DataFrame
    findings: tuple[Finding, ...]
    metrics: dict[str, float]
    form: EvaluationForm


@dataclass(frozen=True)
class ArchiveSummary:
    """What a streamed ``score_archive(out=...)`` run did.

    Every record of the archive is either scored or failed: ``conversations_failed`` is the
    number of rows of the ``errors`` table (one per record), ``errors`` the same count.
    """

    conversations_scored: int
    conversations_failed: int
    messages: int
    findings: int
    errors: int
    seconds: float
    out: Path
    files: tuple[Path, ...] = field(default=())

    def __str__(self) -> str:
        rate = self.conversations_scored / self.seconds if self.seconds > 0 else float("inf")
        return (
            f"{self.conversations_scored} conversations scored, {self.conversations_failed} "
            f"failed, {self.messages} messages, {self.findings} findings "
            f"in {self.seconds:.1f} s ({rate:.1f} conversations/s) -> {self.out}"
        )


class Pipeline:
    """Scores conversations with the analyzers of a grid and pre-fills the grid's form.

    Args:
        grid: a loaded :class:`Grid`.
        cache_size: how many distinct advisor texts keep their message analyses (canned
            replies repeat across conversations: each distinct text is analysed once).
    """

    def __init__(self, grid: Grid, *, cache_size: int = 200_000) -> None:
        self.grid = grid
        self.cache_size = cache_size
        self._nlp: dict[str, Any] = {}
        self._analyzers: dict[str, tuple[list[MessageAnalyzer], list[ConversationAnalyzer]]] = {}
        self._cache: OrderedDict[tuple[str, str], tuple[Analysis, ...]] = OrderedDict()
        self._unavailable: dict[str, dict[str, str]] = {}
        detect = tuple(grid.grid.detect_languages)
        self._detector = LanguageDetector(detect) if len(detect) > 1 else None
        for crit in grid.criteria.values():
            get_rule(crit.rule)
        self._check_grid(self.analyzers_for(grid.language))

    @classmethod
    def from_grid(cls, grid: str | Path | Grid, **kwargs: Any) -> Pipeline:
        """Build the pipeline of a packaged grid name, a ``.toml`` path, or a Grid."""
        return cls(grid if isinstance(grid, Grid) else load_grid(grid), **kwargs)

    # -- set-up -------------------------------------------------------------------------------
    def analyzers_for(self, lang: str) -> tuple[list[MessageAnalyzer], list[ConversationAnalyzer]]:
        """The grid's analyzers built for ``lang`` (message analyzers, conversation analyzers)."""
        if lang not in self._analyzers:
            message: list[MessageAnalyzer] = []
            conversation: list[ConversationAnalyzer] = []
            for name, params in self.grid.analyzers.items():
                try:
                    analyzer = get_factory(name)(lang, **params)
                except ConfigError as exc:
                    if lang == self.grid.language:
                        raise
                    # another language than the grid's: run without it, and say so
                    self._unavailable.setdefault(lang, {})[name] = str(exc)
                    continue
                if isinstance(analyzer, ConversationAnalyzer):
                    conversation.append(analyzer)
                elif isinstance(analyzer, MessageAnalyzer):
                    message.append(analyzer)
                else:  # pragma: no cover - a factory returning something else is a bug
                    raise ConfigError(f"factory {name!r} returned {analyzer!r}, not an analyzer")
            self._analyzers[lang] = (message, conversation)
        return self._analyzers[lang]

    def _check_grid(self, built: tuple[list[Any], list[Any]]) -> None:
        owner: dict[str, str] = {}
        for analyzer in [*built[0], *built[1]]:
            for spec in analyzer.metrics:
                if spec.name in owner:
                    raise ConfigError(
                        Errors.E102.format(
                            first=owner[spec.name], second=analyzer.name, metric=spec.name
                        )
                    )
                owner[spec.name] = analyzer.name
        declared = set(owner)
        for cid, crit in self.grid.criteria.items():
            used = [mb.name for mb in crit.metrics]
            if crit.applicable_if is not None:
                used.append(crit.applicable_if.metric)
            for metric in used:
                if metric not in declared:
                    raise ConfigError(
                        Errors.E303.format(
                            criterion=cid, metric=metric, available=sorted(declared)
                        )
                    )

    @property
    def metric_specs(self) -> tuple[MetricSpec, ...]:
        """Every metric the pipeline produces, in pipeline order."""
        message, conversation = self.analyzers_for(self.grid.language)
        return tuple(s for a in [*message, *conversation] for s in a.metrics)

    @property
    def schemas(self) -> dict[str, dict[str, str]]:
        """Column -> dtype of each result table."""
        specs = self.metric_specs
        return table_schemas(
            [s.name for s in specs if s.level == "message"],
            [s.name for s in specs if s.level == "conversation"],
        )

    def nlp(self, lang: str):
        """The spaCy pipeline of ``lang``, loaded on first use."""
        if lang not in self._nlp:
            from chatqa.nlp import assigned_attributes, load_nlp

            models = self.grid.nlp.get("models", {})
            nlp = load_nlp(lang, models.get(lang))
            have = assigned_attributes(nlp)
            message, conversation = self.analyzers_for(lang)
            for analyzer in [*message, *conversation]:
                for attr in analyzer.requires:
                    if attr not in have:
                        raise ConfigError(
                            Errors.E103.format(
                                analyzer=analyzer.name, attr=attr, model=nlp.meta.get("name"),
                                components=nlp.pipe_names,
                            )
                        )
            self._nlp[lang] = nlp
        return self._nlp[lang]

    def meta(self) -> dict[str, Any]:
        """The run manifest: chatqa version, grid and its hash, analyzers and parameters."""
        from chatqa import __version__

        message, conversation = self.analyzers_for(self.grid.language)
        return {
            "chatqa_version": __version__,
            "grid": self.grid.name,
            "grid_source": self.grid.source,
            "grid_sha256": self.grid.sha256,
            "language": self.grid.language,
            "levels": list(self.grid.levels.order),
            "analyzers": {
                a.name: {"version": a.version, "params": _params(a)}
                for a in [*message, *conversation]
            },
            "detect_languages": list(self.grid.grid.detect_languages),
            "analyzers_unavailable": {lang: dict(v) for lang, v in self._unavailable.items()},
        }

    def language_of(self, conversation: Conversation) -> str:
        """The conversation's language: its metadata, else detected, else the grid's.

        Detection runs only when the grid lists ``detect_languages``, on the advisor's and the
        customer's text (placeholders removed: an automatic greeting in the grid's language
        should not outweigh a conversation held in English), and is kept only when confident.
        """
        if conversation.language:
            language = normalize_language(conversation.language)
            if language is None:
                from chatqa.resources import shipped_languages

                field = "language" if "language" in conversation.metadata else "lang"
                raise TranscriptError(
                    Errors.E019.format(
                        file="<records>", line="?", conversation_id=conversation.id,
                        field=field, value=conversation.language[:40],
                        available=list(shipped_languages()),
                    ),
                    conversation_id=conversation.id, field=field, code="E019",
                )
            return language
        if self._detector is None:
            return self.grid.language
        text = " ".join(m.text for m in conversation.messages
                        if m.role in (Role.ADVISOR, Role.CUSTOMER))
        cfg = load_shared_resource("language")
        text = re.sub(cfg["placeholder"], " ", text)[: cfg["max_chars"]]
        if len(text.split()) < cfg["min_words"]:
            return self.grid.language
        language, confidence = self._detector.detect(text)
        return language if confidence >= cfg["min_confidence"] else self.grid.language

    # -- scoring ------------------------------------------------------------------------------
    def score(self, conversation: Conversation, *, redact: bool = False) -> ConversationResult:
        """Score one conversation; with ``redact``, personal data is masked in the result.

        Raises:
            AnalyzerError: an analyzer failed on this conversation.
        """
        results, errors = self._score_batch([conversation], redact=redact)
        if errors:
            raise errors[0]
        return results[0]

    def score_many(
        self, conversations: Iterable[Conversation], *, redact: bool = False
    ) -> tuple[list[ConversationResult], list[ChatQAError]]:
        """Score a batch with one NLP pass; return the results and the per-conversation errors."""
        return self._score_batch(list(conversations), redact=redact)

    def score_archive(
        self,
        source: str | Path | Iterable[Conversation],
        *,
        n_process: int = 1,
        out: str | Path | None = None,
        format: str = "parquet",
        input_format: str | None = None,
        chunk_size: int = 256,
        progress: bool | None = None,
        columns: Mapping[str, str] | None = None,
        encoding: str | None = None,
        redact: bool = False,
    ) -> Tables | ArchiveSummary:
        """Score every conversation of an archive; bad records go to the ``errors`` table.

        Args:
            source: a transcript file (format by suffix or ``input_format``) or an iterable of
                Conversation objects.
            n_process: worker processes; each loads its own spaCy pipeline.
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

        Returns:
            The :class:`Tables` of the run, or an :class:`ArchiveSummary` when ``out`` is set.
        """
        if not isinstance(n_process, int) or isinstance(n_process, bool) or n_process < 1:
            raise ConfigError(Errors.E105.format(value=n_process))
        from tqdm.auto import tqdm

        records = self._records(source, input_format, columns, encoding)
        meta = {**self.meta(), "source": str(source) if isinstance(source, str | Path) else None}
        chunks = _chunked(records, chunk_size)
        writer = TableWriter(out, format, self.schemas, meta=meta) if out is not None else None
        parts: list[Tables] = []
        counts = {"ok": 0, "failed": 0, "messages": 0, "findings": 0, "errors": 0}
        started = time.perf_counter()
        bar = tqdm(
            desc="scoring", unit="conv", disable=None if progress is None else not progress,
            leave=False, dynamic_ncols=True,
        )
        try:
            for part in self._run_chunks(chunks, n_process, redact):
                bar.update(int(part.meta["n_records"]))
                counts["ok"] += len(part.conversations)
                counts["failed"] += len(part.errors)  # one row per record that failed
                counts["messages"] += len(part.messages)
                counts["findings"] += len(part.findings)
                counts["errors"] += len(part.errors)
                if writer is not None:
                    writer.append(part)
                else:
                    parts.append(part)
        finally:
            bar.close()
        if writer is not None:
            files = writer.close(meta)
            return ArchiveSummary(
                counts["ok"], counts["failed"], counts["messages"], counts["findings"],
                counts["errors"], time.perf_counter() - started, Path(out), tuple(files),
            )
        if not parts:
            parts = [self._tables([], [], 0)]
        return Tables.concat(parts, meta=meta)

    # -- internals ----------------------------------------------------------------------------
    def _records(self, source, input_format, columns, encoding) -> Iterator[Any]:
        if isinstance(source, str | Path):
            from chatqa.io import iter_records

            records = iter_records(source, input_format, columns=columns, encoding=encoding)
            # a file that cannot be read at all fails now, before any output is started
            first = next(records, None)
            return iter(()) if first is None else itertools.chain([first], records)
        return iter(source)

    def _run_chunks(
        self, chunks: Iterator[list[Any]], n_process: int, redact: bool
    ) -> Iterator[Tables]:
        if n_process == 1:
            for chunk in chunks:
                yield self._score_chunk(chunk, redact)
            return
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # fork on Linux (as spaCy's nlp.pipe does): scripts without a __main__ guard and
        # notebooks work; spawn elsewhere, where a script needs the guard.
        ctx = mp.get_context("fork" if sys.platform == "linux" else "spawn")
        with ProcessPoolExecutor(
            max_workers=n_process, mp_context=ctx, initializer=_init_worker,
            initargs=(self.grid, self.cache_size),
        ) as pool:
            pending: list[Any] = []
            for chunk in chunks:
                pending.append(pool.submit(_score_chunk_in_worker, chunk, redact))
                if len(pending) >= 2 * n_process:  # bounded in flight: memory stays flat
                    yield pending.pop(0).result()
            for fut in pending:
                yield fut.result()

    def _score_chunk(self, chunk: list[Conversation | TranscriptError], redact: bool) -> Tables:
        conversations = [r for r in chunk if isinstance(r, Conversation)]
        read_errors = [r for r in chunk if isinstance(r, ChatQAError)]
        results, errors = self._score_batch(conversations, redact=redact)
        return self._tables(results, [*read_errors, *errors], len(chunk))

    def _tables(
        self, results: Sequence[ConversationResult], errors: Sequence[ChatQAError], n_records: int
    ) -> Tables:
        schemas = self.schemas
        messages = [r.messages for r in results if len(r.messages)]
        return Tables(
            messages=(
                pd.concat(messages, ignore_index=True)
                .reindex(columns=list(schemas["messages"])).astype(schemas["messages"])
                if messages else frame([], schemas["messages"])
            ),
            findings=frame(
                (
                    _finding_row(r.conversation_id, f)
                    for r in results
                    for f in r.findings
                ),
                schemas["findings"],
            ),
            conversations=frame((_conversation_row(r) for r in results), schemas["conversations"]),
            forms=frame((row for r in results for row in r.form.to_rows()), schemas["forms"]),
            errors=frame((_error_row(e) for e in errors), schemas["errors"]),
            meta={"n_records": n_records},
        )

    def _score_batch(
        self, conversations: Sequence[Conversation], *, redact: bool = False
    ) -> tuple[list[ConversationResult], list[ChatQAError]]:
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
                self.analyzers_for(lang)
            except ChatQAError as exc:
                errors.extend(_as_errors([conversations[i] for i in indices], exc))
                continue
            batch_results, batch_errors = self._score_language(
                lang, [conversations[i] for i in indices]
            )
            errors.extend(batch_errors)
            for i, res in zip(indices, batch_results, strict=True):
                if res is not None:
                    results[i] = redacted(res, conversations[i]) if redact else res
        return [results[i] for i in sorted(results)], errors

    def _score_language(
        self, lang: str, conversations: Sequence[Conversation]
    ) -> tuple[list[ConversationResult | None], list[ChatQAError]]:
        message_analyzers, conversation_analyzers = self.analyzers_for(lang)
        cap = self.grid.grid.max_message_chars
        conversations = [truncated(c, cap) for c in conversations]
        advisor_texts = {
            m.text for c in conversations for m in c.messages if m.role is Role.ADVISOR
        }
        docs_needed = any(a.requires for a in conversation_analyzers)
        to_parse = sorted(
            advisor_texts if docs_needed
            else (t for t in advisor_texts if (lang, t) not in self._cache)
        ) if (message_analyzers or docs_needed) else []
        failed_texts: dict[str, str] = {}
        out: list[ConversationResult | None] = []
        errors: list[ChatQAError] = []
        nlp = self.nlp(lang) if to_parse else None
        zone = nlp.memory_zone() if nlp is not None else _null_context()
        with zone:
            docs = dict(zip(to_parse, pipe_bounded(nlp, to_parse), strict=True)) if (
                nlp is not None
            ) else {}
            for text in to_parse:
                if (lang, text) in self._cache:
                    continue
                try:
                    analyses = tuple(a.analyze_message(docs[text]) for a in message_analyzers)
                    self._remember((lang, text), analyses)
                except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                    failed_texts[text] = f"{type(exc).__name__}: {exc}"
            for conv in conversations:
                try:
                    out.append(
                        self._score_one(
                            lang, conv, docs, failed_texts, message_analyzers,
                            conversation_analyzers,
                        )
                    )
                except AnalyzerError as exc:
                    out.append(None)
                    errors.append(exc)
        return out, errors

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
        message_analyzers: Sequence[MessageAnalyzer],
        conversation_analyzers: Sequence[ConversationAnalyzer],
    ) -> ConversationResult:
        specs = [s for a in [*message_analyzers, *conversation_analyzers] for s in a.metrics]
        msg_metric_names = [s.name for s in specs if s.level == "message"]
        rows: list[dict[str, Any]] = []
        findings: list[Finding] = []
        per_message: dict[int, tuple[Analysis, ...]] = {}
        names = participant_names(conv) if message_analyzers else frozenset()
        for i, m in enumerate(conv.messages):
            row = {
                "conversation_id": conv.id,
                "message_index": i,
                "role": m.role.value,
                "time": m.time.isoformat() if m.time is not None else None,
                "author": m.author,
                "text": m.metadata.get(FULL_TEXT, m.text),
                **dict.fromkeys(msg_metric_names, NAN),
            }
            if FULL_TEXT in m.metadata:
                findings.append(_truncation_finding(i, m))
            if m.role is Role.ADVISOR and message_analyzers:
                if m.text in failed_texts:
                    raise AnalyzerError(
                        Errors.E106.format(
                            analyzer="message analyzers", conversation_id=conv.id,
                            problem=f"message {i}: {failed_texts[m.text]}",
                        ),
                        conversation_id=conv.id,
                    )
                analyses = self._cache.get((lang, m.text))
                if analyses is None:  # evicted between parse and use: analyse again
                    doc = docs.get(m.text) or self.nlp(lang)(m.text)
                    analyses = tuple(a.analyze_message(doc) for a in message_analyzers)
                if names:
                    analyses = tuple(
                        a.review(an, names) if hasattr(a, "review") else an
                        for a, an in zip(message_analyzers, analyses, strict=True)
                    )
                per_message[i] = analyses
                for analysis in analyses:
                    row.update(analysis.metrics)
                    findings.extend(replace(f, message_index=i) for f in analysis.findings)
            rows.append(row)
        metrics: dict[str, float] = {}
        for analyzer in message_analyzers:
            summarize = getattr(analyzer, "summarize", None)
            if summarize is not None:
                k = message_analyzers.index(analyzer)
                metrics.update(
                    summarize([per_message[i][k] for i in sorted(per_message)])
                )
        aligned = [docs.get(m.text) if m.role is Role.ADVISOR else None for m in conv.messages]
        for analyzer in conversation_analyzers:
            try:
                analysis = analyzer.analyze_conversation(conv, aligned)
            except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                raise AnalyzerError(
                    Errors.E106.format(
                        analyzer=analyzer.name, conversation_id=conv.id,
                        problem=f"{type(exc).__name__}: {exc}",
                    ),
                    conversation_id=conv.id,
                ) from exc
            metrics.update(analysis.metrics)
            findings.extend(analysis.findings)
            for i, values in analysis.message_metrics.items():
                rows[i].update(values)
        proposals = propose_form_levels(self.grid, metrics, findings)
        form = EvaluationForm(
            conversation_id=conv.id,
            grid=self.grid.name,
            proposals=proposals,
            labels={cid: c.label for cid, c in self.grid.criteria.items()},
        )
        messages = pd.DataFrame.from_records(rows, columns=list(self.schemas["messages"]))
        return ConversationResult(
            conversation_id=conv.id,
            language=lang,
            messages=messages.astype(self.schemas["messages"]),
            findings=tuple(findings),
            metrics=metrics,
            form=form,
        )


# -- helpers -----------------------------------------------------------------------------------
#: Message metadata key holding the full text of a message analysed only up to the grid's cap.
FULL_TEXT = "_chatqa_full_text"
#: Codes of the findings the pipeline itself makes (not an analyzer's).
PIPELINE_CODES = {
    "text.truncated": "The message is longer than the grid's max_message_chars; it was "
                      "analysed up to that length.",
}


def truncated(conversation: Conversation, cap: int) -> Conversation:
    """The conversation with every message cut to ``cap`` characters (the full text kept aside).

    The cut falls at the last space in the final 50 characters before the cap when there is one,
    so no half word is flagged. Offsets into the cut text are offsets into the full text.
    """
    if all(len(m.text) <= cap for m in conversation.messages):
        return conversation
    messages = []
    for m in conversation.messages:
        if len(m.text) <= cap:
            messages.append(m)
            continue
        space = m.text.rfind(" ", cap - 50, cap)
        cut = space if space > 0 else cap
        metadata = {**m.metadata, FULL_TEXT: m.text}
        messages.append(replace(m, text=m.text[:cut], metadata=metadata))
    return replace(conversation, messages=tuple(messages))


def _truncation_finding(index: int, message: Message) -> Finding:
    full = message.metadata[FULL_TEXT]
    cut = len(message.text)
    return Finding(
        analyzer="pipeline", code="text.truncated", message_index=index, start=cut, end=cut,
        text="", severity=Severity.INFO,
        details={"length": len(full), "analysed_chars": cut},
    )


class _null_context:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _chunked(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def participant_names(conversation: Conversation) -> frozenset[str]:
    """Words of the people's names in a conversation: message authors and name metadata.

    Folded (lower case, no accents), for analyzers' ``review`` hook: the names of the customer
    and the advisor are not spelling errors, whatever the lexicon says.
    """
    values = [m.author for m in conversation.messages if m.author]
    values += [v for k in name_fields() if isinstance(v := conversation.metadata.get(k), str)]
    return frozenset(w for v in values for w in re.findall(r"[^\W\d_]{2,}", fold(v)))


def redacted(result: ConversationResult, conversation: Conversation) -> ConversationResult:
    """``result`` with personal data masked in texts, findings and suggestions.

    Offsets of findings are moved onto the masked text (a finding inside personal data covers
    its placeholder), so ``text[start:end] == finding.text`` still holds on the text shown.
    Customers' author names become ``<NAME>``; advisors' stay (per-advisor statistics need
    them).
    """
    from chatqa.privacy import masked_offset, redact

    names = [m.author for m in conversation.messages if m.author]
    names += [v for k in name_fields() if isinstance(v := conversation.metadata.get(k), str)]
    texts: dict[int, tuple[str, Any]] = {}
    for i, message in enumerate(conversation.messages):
        texts[i] = redact(message.text, names=names)
    findings = []
    for f in result.findings:
        if f.message_index is None or f.start is None or f.end is None:
            findings.append(f)
            continue
        masked, spans = texts[f.message_index]
        start = masked_offset(spans, f.start, side="start")
        end = max(start, masked_offset(spans, f.end, side="end"))
        suggestion = None if f.suggestion is None else redact(f.suggestion, names=names)[0]
        findings.append(replace(f, start=start, end=end, text=masked[start:end],
                                suggestion=suggestion))
    messages = result.messages.copy()
    messages["text"] = [texts[i][0] for i in range(len(conversation.messages))]
    customer = messages["role"] == Role.CUSTOMER.value
    messages.loc[customer & messages["author"].notna(), "author"] = "<NAME>"
    return replace(result, messages=messages.astype(result.messages.dtypes.to_dict()),
                   findings=tuple(findings))


def _params(analyzer: Any) -> dict[str, Any]:
    """The analyzer's scalar constructor parameters, read back as scikit-learn's get_params."""
    import inspect

    out = {}
    for name in inspect.signature(type(analyzer).__init__).parameters:
        value = getattr(analyzer, name, None)
        if name != "self" and (isinstance(value, bool | int | float | str)):
            out[name] = value
    return out


def _finding_row(conversation_id: str, f: Finding) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "message_index": f.message_index,
        "analyzer": f.analyzer,
        "code": f.code,
        "start": f.start,
        "end": f.end,
        "text": f.text,
        "suggestion": f.suggestion,
        "severity": str(f.severity),
        "details": details_json(f.details),
    }


def _conversation_row(r: ConversationResult) -> dict[str, Any]:
    roles = r.messages["role"]
    return {
        "conversation_id": r.conversation_id,
        "language": r.language,
        "n_messages": len(r.messages),
        "n_advisor_messages": int((roles == Role.ADVISOR.value).sum()),
        **r.metrics,
    }


def _error_row(e: ChatQAError) -> dict[str, Any]:
    if hasattr(e, "as_row"):
        return e.as_row()
    return {"code": None, "message": str(e)}


def _as_errors(conversations: Sequence[Conversation], exc: ChatQAError) -> list[ChatQAError]:
    return [AnalyzerError(str(exc), conversation_id=c.id, code="E106") for c in conversations]


_WORKER: Pipeline | None = None


def _init_worker(grid: Grid, cache_size: int) -> None:
    global _WORKER
    _WORKER = Pipeline(grid, cache_size=cache_size)


def _score_chunk_in_worker(chunk: list[Any], redact: bool) -> Tables:
    assert _WORKER is not None
    return _WORKER._score_chunk(chunk, redact)
