"""Build a grid's analyzers for a language and check that they fit together.

Checks run before any text is scored: no two analyzers own one metric (E102), every
criterion's metric is declared (E303), every ``requires`` entry is assigned by the loaded spaCy
pipeline (E103). While scoring, an analysis may hold only the metrics its analyzer declares
(E107): an undeclared key would be dropped by the tables without a word.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chatqa.analyzers.base import (
    Analysis,
    ConversationAnalyzer,
    InitializableAnalyzer,
    MessageAnalyzer,
    MetricSpec,
    get_factory,
)
from chatqa.errors import AnalyzerError, ConfigError, Errors
from chatqa.evaluation.grid import Grid
from chatqa.truncation import PIPELINE_CODES


@dataclass(frozen=True)
class BuiltAnalyzers:
    """A grid's analyzers for one language, in grid order, split by kind."""

    message: tuple[MessageAnalyzer, ...] = ()
    conversation: tuple[ConversationAnalyzer, ...] = ()
    #: analyzer name -> why it could not be built for this language (not the grid's own)
    unavailable: Mapping[str, str] | None = None

    @property
    def all(self) -> tuple[Any, ...]:
        """Message analyzers, then conversation analyzers."""
        return (*self.message, *self.conversation)

    def initialized(self, nlp: Any) -> BuiltAnalyzers:
        """The same analyzers, each :class:`InitializableAnalyzer` initialized with ``nlp``."""
        def ready(analyzer: Any) -> Any:
            return analyzer.initialize(nlp) if isinstance(analyzer, InitializableAnalyzer) \
                else analyzer

        return BuiltAnalyzers(tuple(map(ready, self.message)),
                              tuple(map(ready, self.conversation)), self.unavailable)

    @property
    def metric_specs(self) -> tuple[MetricSpec, ...]:
        """Every metric they declare, in pipeline order."""
        return tuple(s for a in self.all for s in a.metrics)


def build_analyzers(grid: Grid, lang: str) -> BuiltAnalyzers:
    """Build the analyzers ``grid`` names for ``lang``.

    For the grid's own language a factory's ConfigError is raised; for another language the
    analyzer is left out and the reason kept in ``unavailable``.
    """
    message: list[MessageAnalyzer] = []
    conversation: list[ConversationAnalyzer] = []
    unavailable: dict[str, str] = {}
    for name, params in grid.analyzers.items():
        try:
            analyzer = get_factory(name)(lang, **params)
        except ConfigError as exc:
            if lang == grid.language:
                raise
            unavailable[name] = str(exc)
            continue
        if isinstance(analyzer, ConversationAnalyzer):
            conversation.append(analyzer)
        elif isinstance(analyzer, MessageAnalyzer):
            message.append(analyzer)
        else:  # pragma: no cover - a factory returning something else is a bug
            raise ConfigError(f"factory {name!r} returned {analyzer!r}, not an analyzer")
    return BuiltAnalyzers(tuple(message), tuple(conversation), unavailable)


def code_family(code: str) -> str:
    """The family of a finding code: what comes before the first dot (``grammar.agreement``)."""
    return code.split(".", 1)[0]


def check_code_owners(analyzers: Iterable[Any]) -> None:
    """Raise E108 when two analyzers declare codes of one family."""
    owner: dict[str, str] = {}
    for analyzer in analyzers:
        for code in analyzer.codes:
            family = code_family(code)
            first = owner.setdefault(family, analyzer.name)
            if first != analyzer.name:
                raise ConfigError(Errors.E108.format(
                    first=first, second=analyzer.name, family=family,
                    codes=sorted(c for c in analyzer.codes if code_family(c) == family),
                ))


def check_grid(grid: Grid, built: BuiltAnalyzers) -> None:
    """One owner per metric (E102) and per code family (E108); criteria's metrics declared."""
    check_code_owners(built.all)
    owner: dict[str, str] = {}
    for analyzer in built.all:
        for spec in analyzer.metrics:
            if spec.name in owner:
                raise ConfigError(
                    Errors.E102.format(first=owner[spec.name], second=analyzer.name,
                                       metric=spec.name)
                )
            owner[spec.name] = analyzer.name
    codes = {code for analyzer in built.all for code in analyzer.codes} | set(PIPELINE_CODES)
    grid.check_inputs(owner, codes)


def check_requirements(nlp: Any, analyzers: Iterable[Any]) -> None:
    """Raise E103 when the spaCy pipeline does not assign what an analyzer requires."""
    from chatqa.nlp import assigned_attributes

    have = assigned_attributes(nlp)
    for analyzer in analyzers:
        for attr in analyzer.requires:
            if attr not in have:
                raise ConfigError(
                    Errors.E103.format(analyzer=analyzer.name, attr=attr,
                                       model=nlp.meta.get("name"), components=nlp.pipe_names)
                )


def checked(analyzer: Any, analysis: Analysis, level: str, conversation_id: str) -> Analysis:
    """``analysis``, after checking it holds only metrics ``analyzer`` declares (E107)."""
    declared = {s.name for s in analyzer.metrics}
    returned = set(analysis.metrics)
    for values in analysis.message_metrics.values():
        returned |= set(values)
    undeclared = sorted(returned - declared)
    if undeclared:
        raise AnalyzerError(
            Errors.E107.format(analyzer=analyzer.name, metrics=undeclared, level=level,
                               declared=sorted(declared)),
            conversation_id=conversation_id, code="E107",
        )
    return analysis


def analyzer_params(analyzer: Any) -> dict[str, Any]:
    """The analyzer's scalar constructor parameters, read back as scikit-learn's get_params."""
    out = {}
    for name in inspect.signature(type(analyzer).__init__).parameters:
        value = getattr(analyzer, name, None)
        if name != "self" and (isinstance(value, bool | int | float | str)):
            out[name] = value
    return out


def specs_of_level(specs: Sequence[MetricSpec], level: str) -> list[str]:
    """Names of the metrics of one level, in declaration order."""
    return [s.name for s in specs if s.level == level]
