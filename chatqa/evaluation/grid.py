"""Evaluation grids: the TOML template of criteria, levels and rules, validated on load.

A grid is data: a QA team copies a packaged grid, changes its thresholds (a client's SLA) and
passes the file's path. Validation errors name the place in the file, confection-style:
``criteria -> delais_reponse -> metrics -> 0 -> bands -> bon``.

What validation guarantees, besides types:

- every band is a non-empty half-open interval ``[lower, upper)`` of a known level, and the
  bands of one metric (or of one score) do not overlap, so no band is shadowed by another;
- every band can be reached: not outside the range of a weighted score (a score made of finding
  counts with non-negative weights is never below 0), nor outside the range the criterion's
  ``applicable_if`` leaves to its metric (a ``thresholds`` band ``[0, 1)`` on a metric that must
  be at least 1 for the criterion to apply is an error);
- ``applicable_if`` is one condition ``{metric, min, max, reason}`` or a group
  ``{all = [...]}`` / ``{any = [...]}`` of conditions or groups, each with an optional reason;
- ``[levels] points``, when given, has a number for every level, increasing from worst to best;
- weights of a ``weighted_score`` name codes (``grammar.agreement``), code families
  (``grammar.*``) or severities (``minor``), and are finite numbers.

- a ``rule = "model"`` criterion names its ``model`` file and has no bands or weights (a child
  grid clears a parent's metric bands with ``metrics = []``); the file is loaded and checked
  by :func:`load_grid` (:mod:`chatqa.evaluation.rollup.grid_rule`).

Which metrics and codes exist depends on the analyzers, so that check is
:meth:`Grid.check_inputs`, called once the analyzers are built.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from chatqa.errors import ConfigError, Errors, GridError
from chatqa.model import Severity
from chatqa.validation import PathError, error_location

GRIDS_DIR = Path(__file__).resolve().parent.parent / "grids"
NA = "na"
INF = math.inf

#: A weight's key in ``weights.codes``: a code (``spelling.word``, ``grammar.agreement``) or a code
#: family (``grammar.*``, every code starting with ``grammar.``).
CODE_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?")

#: Counts of the conversation itself (not an analyzer's) that ``[reviewable]`` and
#: ``applicable_if`` may read, like metrics.
CONVERSATION_FACTS: tuple[str, ...] = (
    "n_messages", "n_advisor_messages", "n_customer_messages", "n_customer_messages_after_answer",
    "n_customer_messages_with_words",
)

#: The rules whose settings the schema knows; a third-party rule reads ``params``.
SCORE_FIELDS = ("weights", "per_100", "bands", "soft_margin")


class GridPathError(PathError):
    """A grid validation error located below the model that raised it.

    ``path`` is appended to the model's location, so the E302 message names the exact key
    (``criteria -> x -> weights -> codes -> grammar.foo``).
    """


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _fmt(x: float) -> str:
    return "inf" if x == INF else "-inf" if x == -INF else f"{x:g}"


def _interval(lower: float, upper: float) -> str:
    return f"[{_fmt(lower)}, {_fmt(upper)})"


def check_bands(
    bands: Mapping[str, tuple[float, float]], reach: tuple[float, float] = (-INF, INF),
    why: str = "",
) -> None:
    """Raise :class:`GridPathError` at ``bands -> <level>`` unless every band is reachable.

    A band is unreachable when it is empty (``lower >= upper``), when it overlaps another (a
    value in both takes the first, so the overlap shadows the second), or when it lies outside
    ``reach``, the closed range the value can take (``why`` says why).
    """
    for level, (lower, upper) in bands.items():
        if not lower < upper:
            raise GridPathError(
                ("bands", level),
                f"band {level!r} must have lower < upper; got [{_fmt(lower)}, {_fmt(upper)}]: "
                "an empty band can never be reached",
            )
    position = {level: i for i, level in enumerate(bands)}
    ordered = sorted(bands.items(), key=lambda kv: kv[1])
    for (one, (_, up1)), (two, (lo2, up2)) in zip(ordered, ordered[1:], strict=False):
        if lo2 < up1:
            # a value takes the first band that holds it: the later one is shadowed
            first, shadowed = sorted((one, two), key=position.__getitem__)
            lo, up = bands[shadowed]
            raise GridPathError(
                ("bands", shadowed),
                f"band {shadowed!r} {_interval(lo, up)} overlaps band {first!r} "
                f"{_interval(*bands[first])} on {_interval(lo2, min(up1, up2))}, where it can "
                f"never be reached (the first band holding a value wins); make the bands meet "
                "edge to edge",
            )
    low, high = reach
    for level, (lower, upper) in bands.items():
        if not (lower <= high and upper > low):
            raise GridPathError(
                ("bands", level),
                f"band {level!r} {_interval(lower, upper)} can never be reached: {why}",
            )


class GridInfo(_Strict):
    """The ``[grid]`` table: identity of the grid."""

    name: str
    label: str = ""
    language: str = "fr"
    version: int = 1
    detect_languages: tuple[str, ...] = Field(
        default=(),
        description="Languages a conversation without language metadata may be detected in "
        "(ISO 639-1); empty: every such conversation is in `language`.",
    )
    max_message_chars: int = Field(
        default=10_000,
        ge=100,
        description="Characters of a message that are analysed; a longer message is analysed "
        "up to this length and gets a `text.truncated` finding (bounded time and memory).",
    )
    extends: str | None = Field(
        default=None,
        description="A packaged grid name or a path (relative to this file) whose tables this "
        "grid starts from; this file's keys override the parent's (tables merge, arrays and "
        "values replace).",
    )
    lineage: tuple[str, ...] = Field(
        default=(),
        description="Set when the grid is loaded: the names of the grids it extends, nearest "
        "first (a model fitted for `fr_chat` serves a grid that extends it).",
    )
    drop_criteria: tuple[str, ...] = Field(
        default=(),
        description="Criteria of the parent grid (`extends`) this grid leaves out.",
    )
    macro_min_conversations: int = Field(
        default=3,
        ge=2,
        description="An advisor text sent word for word in at least this many conversations "
        "of the archive is a canned reply (a macro), left out of vocabulary and clarity.",
    )


class Levels(_Strict):
    """The ``[levels]`` table: level ids from worst to best, their labels and points."""

    order: tuple[str, ...] = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    points: dict[str, float] | None = Field(
        default=None,
        description="Points of each level, increasing from worst to best (`na` has none: a "
        "criterion that is not applicable leaves the total).",
    )

    @model_validator(mode="after")
    def _na_reserved(self) -> Levels:
        if NA in self.order:
            raise ValueError(f"'{NA}' is reserved for 'not applicable'; remove it from order")
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"a level appears twice in order {list(self.order)}")
        if self.points is None:
            return self
        for level in self.points:
            if level not in self.order:
                problem = (
                    f"'{NA}' has no points: a criterion that is not applicable leaves the total"
                    if level == NA
                    else f"unknown level {level!r}; levels are {list(self.order)}"
                )
                raise GridPathError(("points", level), problem)
        previous: tuple[str, float] | None = None
        for level in self.order:
            if level not in self.points:
                raise GridPathError(
                    ("points",), f"no points for level {level!r}: give every level of order "
                    f"{list(self.order)} its points",
                )
            value = self.points[level]
            if not math.isfinite(value):
                raise GridPathError(("points", level), f"points must be a finite number; got "
                                                       f"{value}")
            if previous is not None and not value > previous[1]:
                raise GridPathError(
                    ("points", level),
                    f"points must increase from worst to best; {level!r} has {value:g}, not "
                    f"more than {previous[0]!r} ({previous[1]:g})",
                )
            previous = (level, value)
        return self


class MetricBands(_Strict):
    """Bands of one metric: ``level -> [lower, upper)``."""

    name: str
    bands: dict[str, tuple[float, float]] = Field(min_length=1)
    soft_margin: float | None = Field(
        default=None,
        ge=0,
        description="Distance to a band edge under which confidence drops; default 10 % of "
        "the edge (at least 1); 0 for counts, where every value is a sure call.",
    )
    cap: bool = Field(
        default=False,
        description="The metric only caps the level the other metrics give (a word count "
        "that keeps a short text from « exceptionnel »); alone it proposes nothing.",
    )

    @model_validator(mode="after")
    def _reachable(self) -> MetricBands:
        check_bands(self.bands)
        return self


class Condition(_Strict):
    """When a criterion applies: one condition on a metric, or a group of conditions.

    A condition is ``{metric, min, max, reason}``: it holds when the metric has a value and
    ``min <= value < max`` (either bound may be absent; with neither, it holds when the metric
    has a value). A group is ``{all = [...]}`` (every member holds) or ``{any = [...]}`` (at
    least one does); members are conditions or groups. ``reason`` is the ``na`` reason when the
    condition (or group) does not hold; a member without one takes its group's.
    """

    metric: str | None = None
    min: float | None = None
    max: float | None = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [k for k in ("metric", "all", "any") if getattr(self, k) is not None]
        if len(forms) != 1:
            raise ValueError(
                "a condition is {metric, min, max, reason}, {all = [...]} or {any = [...]}; "
                f"got {' and '.join(forms) or 'none of them'}"
            )
        if self.metric is None:
            if self.min is not None or self.max is not None:
                key = "min" if self.min is not None else "max"
                raise GridPathError((key,), f"{key} belongs to a condition on a metric, not to "
                                            "a group")
            members = self.all if self.all is not None else self.any
            if not members:
                key = "all" if self.all is not None else "any"
                raise GridPathError((key,), "a group needs at least one condition")
        elif self.min is not None and self.max is not None and not self.min < self.max:
            raise GridPathError(
                ("max",), f"min must be below max; got min={self.min:g}, max={self.max:g}: "
                "the condition could never hold",
            )
        return self

    def holds(self, value: float) -> bool:
        """True when ``value`` is inside a metric condition's range (NaN never is)."""
        if value != value:  # NaN
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)

    def metric_names(self) -> Iterator[str]:
        """The metrics the condition reads, members included."""
        if self.metric is not None:
            yield self.metric
        for member in self.all or self.any or ():
            yield from member.metric_names()

    def required_ranges(self) -> dict[str, tuple[float, float]]:
        """``metric -> [lower, upper)`` that must hold for the condition to hold.

        Only conditions that must hold say something (the condition itself, members of
        ``all``); a member of ``any`` may fail, so it bounds nothing.
        """
        if self.metric is not None:
            lower = -INF if self.min is None else self.min
            upper = INF if self.max is None else self.max
            return {self.metric: (lower, upper)}
        out: dict[str, tuple[float, float]] = {}
        for member in self.all or ():
            for metric, (lo, up) in member.required_ranges().items():
                old_lo, old_up = out.get(metric, (-INF, INF))
                out[metric] = (max(lo, old_lo), min(up, old_up))
        return out

    def unmet(
        self, metrics: Mapping[str, float], inherited: str = ""
    ) -> tuple[str, dict[str, float]] | None:
        """None when the condition holds, else ``(reason, metric values that failed)``.

        The reason is the failing condition's own, else its group's, else ``inherited`` (the
        criterion's ``na_reason``), else a generated one (``relaunch_opportunities=0, below
        1``). An ``any`` group that fails gives its own reason, else its members' reasons.
        """
        reason = self.reason or inherited
        if self.metric is not None:
            value = float(metrics.get(self.metric, math.nan))
            if self.holds(value):
                return None
            return reason or self._generated_reason(value), {self.metric: value}
        if self.all is not None:
            for member in self.all:
                failed = member.unmet(metrics, reason)
                if failed is not None:
                    return failed
            return None
        failures = []
        for member in self.any or ():
            failed = member.unmet(metrics, reason)
            if failed is None:
                return None
            failures.append(failed)
        values = {k: v for _, vals in failures for k, v in vals.items()}
        if self.reason:
            return self.reason, values
        reasons = list(dict.fromkeys(r for r, _ in failures))
        return "; ".join(reasons), values

    def _generated_reason(self, value: float) -> str:
        if value != value:
            return f"{self.metric} has no value"
        if self.min is not None and value < self.min:
            return f"{self.metric}={value:g}, below {self.min:g}"
        return f"{self.metric}={value:g}, not below {self.max:g}"


class Weights(_Strict):
    """What a ``weighted_score`` adds up: ``weight × value`` of metrics, ``weight`` per finding.

    A finding's weight is the one of its code (``grammar.agreement``), else of its longest
    code family (``grammar.*``), else of its severity (``major``, ``minor``, ``info``); a
    finding none of them names does not count, nor does one whose weight is 0.
    """

    metrics: dict[str, float] = Field(default_factory=dict)
    codes: dict[str, float] = Field(default_factory=dict)
    severities: dict[Severity, float] = Field(default_factory=dict)

    @field_validator("metrics", "codes", "severities")
    @classmethod
    def _finite(cls, table: dict[Any, float]) -> dict[Any, float]:
        for key, weight in table.items():
            if not math.isfinite(weight):
                raise GridPathError((str(key),), f"a weight must be a finite number; got "
                                                 f"{weight}")
        return table

    @field_validator("codes")
    @classmethod
    def _code_keys(cls, codes: dict[str, float]) -> dict[str, float]:
        for key in codes:
            if not CODE_KEY.fullmatch(key):
                raise GridPathError(
                    (key,), f"{key!r} is neither a finding code (`grammar.agreement`, "
                    "`spelling.word`) nor a code family (`grammar.*`)",
                )
        return codes

    @property
    def empty(self) -> bool:
        """True when nothing is weighted."""
        return not (self.metrics or self.codes or self.severities)

    def weight_of(self, code: str, severity: str) -> tuple[str, float] | None:
        """``(key, weight)`` of a finding: its code's, longest family's or severity's."""
        if code in self.codes:
            return code, self.codes[code]
        families = [k for k in self.codes if k.endswith(".*") and code.startswith(k[:-1])]
        if families:
            key = max(families, key=len)
            return key, self.codes[key]
        weight = self.severities.get(severity)  # type: ignore[call-overload]
        return None if weight is None else (str(severity), weight)

    def score_range(self) -> tuple[float, float]:
        """The closed range a sum of these weights can take (before any rate per 100).

        Metrics may take any value; finding counts are never negative, so counts weighted
        only by non-negative weights give a score of at least 0.
        """
        if self.metrics:
            return -INF, INF
        weights = [*self.codes.values(), *self.severities.values()]
        low = 0.0 if all(w >= 0 for w in weights) else -INF
        high = 0.0 if all(w <= 0 for w in weights) else INF
        return low, high


class ThinEvidence(_Strict):
    """``thin_evidence``: a rule's confidence is lower when it rests on little text.

    Below ``full_at`` of ``metric`` (e.g. 60 own words) the confidence is scaled by
    ``0.5 + 0.5 × value / full_at``: a level proposed from 15 words is worth a closer look.
    """

    metric: str
    full_at: float = Field(gt=0, allow_inf_nan=False)


class Criterion(_Strict):
    """One criterion of the grid and the rule that proposes its level.

    ``thresholds`` reads ``metrics`` (bands per metric); ``weighted_score`` reads ``weights``,
    ``per_100``, ``bands`` and ``soft_margin`` (bands on the score); ``model`` reads ``model``
    (a fitted roll-up model's file); all three read ``applicable_if``, ``na_reason`` and
    ``evidence_codes``; ``na`` reads ``reason``.
    """

    label: str = ""
    section: str = Field(default="", description="The id of the grid section it belongs to.")
    weight: float = Field(
        default=1.0, ge=0, allow_inf_nan=False,
        description="Its weight in the overall score (0: shown, not scored).",
    )
    scale: Levels | None = Field(
        default=None,
        description="The criterion's own levels (a yes/no or 1-N points scale); default the "
        "grid's [levels].",
    )
    thin_evidence: ThinEvidence | None = None
    exclude_macros: bool = Field(
        default=False,
        description="Findings in canned replies (the macro table) do not count: an error in a "
        "macro is the macro's, not the advisor's who sent it.",
    )
    rule: str = "na"
    reason: str = ""
    metrics: tuple[MetricBands, ...] = ()
    applicable_if: Condition | None = None
    na_reason: str = ""
    evidence_codes: tuple[str, ...] = ()
    weights: Weights | None = None
    per_100: str | None = Field(
        default=None,
        description="A words metric: the score is 100 × the weighted sum / its value (a rate "
        "per 100 words); `na` when it is 0 or has no value.",
    )
    bands: dict[str, tuple[float, float]] = Field(default_factory=dict)
    soft_margin: float | None = Field(default=None, ge=0)
    model: str | None = Field(
        default=None,
        description="Rule 'model': the `.joblib` file `chatqa fit-rollup` wrote for this "
        "criterion, relative to the grid file's folder or absolute.",
    )
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rule_settings(self) -> Criterion:
        if self.rule == "weighted_score":
            if self.weights is None or self.weights.empty:
                raise GridPathError(
                    ("weights",), "a weighted_score needs at least one weight: "
                    "weights.metrics, weights.codes or weights.severities",
                )
            if not self.bands:
                raise GridPathError(("bands",), "a weighted_score needs bands on the score: "
                                                "bands = { level = [lower, upper] }")
            if self.metrics:
                raise GridPathError(("metrics",), "metric bands belong to rule "
                                                  "'thresholds'; a weighted_score has one "
                                                  "`bands` table on its score")
            low, high = self.weights.score_range()
            if low == high == 0:
                why = "every weight is 0, so the score is always 0"
            else:
                why = (f"the score is never {'below' if low == 0 else 'above'} 0 (finding "
                       "counts, with weights of one sign)")
            check_bands(self.bands, (low, high), why)
        elif self.rule in ("thresholds", "na"):
            for key in SCORE_FIELDS:
                value = getattr(self, key)
                if value is not None and value != {}:
                    raise GridPathError(
                        (key,), f"only rule 'weighted_score' reads {key!r}; this criterion's "
                        f"rule is {self.rule!r}",
                    )
        elif self.rule == "model":
            self._model_settings()
        if self.rule != "model" and self.model is not None:
            raise GridPathError(("model",), f"only rule 'model' reads 'model'; this "
                                            f"criterion's rule is {self.rule!r}")
        if self.applicable_if is not None:
            self._applicability_can_hold()
        return self

    def _model_settings(self) -> None:
        """Rule ``model`` needs ``model``, and refuses the band rules' settings."""
        if not self.model:
            raise GridPathError(
                ("model",), "rule 'model' needs model = \"<the criterion's .joblib file>\", "
                "written by `chatqa fit-rollup` (relative to the grid file's folder, or "
                "absolute)",
            )
        if self.metrics:
            raise GridPathError(
                ("metrics",), "rule 'model' reads no metric bands (the model reads the "
                "features it was fitted on): remove `metrics` (a child grid that switches a "
                "parent's criterion to 'model' drops them by itself)",
            )
        for key in ("weights", "per_100", "soft_margin"):
            if getattr(self, key) is not None:
                raise GridPathError(
                    (key,), f"rule 'model' reads no {key!r} (only 'weighted_score' does): "
                    f"remove it",
                )
        if self.bands:
            raise GridPathError(
                ("bands",), "rule 'model' reads no `bands` (only 'weighted_score' does): "
                "remove them",
            )

    def _applicability_can_hold(self) -> None:
        ranges = self.applicable_if.required_ranges()
        for metric, (lower, upper) in ranges.items():
            if not lower < upper:
                raise GridPathError(
                    ("applicable_if",), f"the conditions on {metric!r} can never all hold: "
                    "the criterion would always be na",
                )
        for i, mb in enumerate(self.metrics):
            if mb.name not in ranges:
                continue
            lower, upper = ranges[mb.name]
            try:
                # the metric's value is in [lower, upper): reachable bands overlap it
                check_bands(mb.bands, (lower, math.nextafter(upper, -INF)),
                            f"the criterion applies only when {mb.name} is in "
                            f"{_interval(lower, upper)} (applicable_if)")
            except GridPathError as exc:
                raise GridPathError(("metrics", i, *exc.path), str(exc)) from None

    def metric_names(self) -> tuple[str, ...]:
        """Every metric the criterion reads (bands, weights, ``per_100``, conditions)."""
        names = [mb.name for mb in self.metrics]
        if self.weights is not None:
            names.extend(self.weights.metrics)
        if self.per_100 is not None:
            names.append(self.per_100)
        if self.applicable_if is not None:
            names.extend(self.applicable_if.metric_names())
        if self.thin_evidence is not None:
            names.append(self.thin_evidence.metric)
        return tuple(dict.fromkeys(names))

    def proposable_levels(self) -> frozenset[str]:
        """The levels the criterion's bands can give (``na`` aside)."""
        levels = {lvl for mb in self.metrics for lvl in mb.bands} | set(self.bands)
        return frozenset(levels)


class Section(_Strict):
    """A ``[sections.<id>]`` table: a group of criteria on the form (« Discours et langage »)."""

    label: str = ""


class Knockout(_Strict):
    """A ``[[knockouts]]`` entry: a « critère éliminatoire » that fails the whole evaluation.

    It fires on any finding whose code (or code family, ``conduct.*``) is in ``codes``, or when
    a criterion's proposed level is one of ``levels[criterion]``. With ``exclude_macros``, a
    finding in a canned reply does not fire it: the company's text is not the advisor's breach.
    """

    id: str
    label: str = ""
    codes: tuple[str, ...] = ()
    levels: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    exclude_macros: bool = False

    @field_validator("codes")
    @classmethod
    def _code_keys(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        for code in codes:
            if not CODE_KEY.fullmatch(code):
                raise ValueError(f"{code!r} is not a finding code or a code family (family.*)")
        return codes

    @model_validator(mode="after")
    def _fires_on_something(self) -> Knockout:
        if not self.codes and not self.levels:
            raise ValueError("a knockout needs `codes` or `levels` to fire on")
        return self


class Overall(_Strict):
    """The ``[overall]`` table: how criteria add up to a score out of 100."""

    pass_mark: float | None = Field(
        default=None, ge=0, le=100,
        description="A score at or above it passes; none: the result is the score alone.",
    )


class Reviewable(_Strict):
    """The ``[reviewable]`` table: when a conversation is worth an evaluator's time.

    A conversation failing ``conditions`` (too short, bot only, customer left at once) gets
    ``reviewable = false`` and ``na`` on every criterion, with the failing condition's reason.
    """

    conditions: Condition | None = None


class Grid(_Strict):
    """An evaluation grid: levels, analyzer parameters and criteria."""

    grid: GridInfo
    levels: Levels
    sections: dict[str, Section] = Field(default_factory=dict)
    nlp: dict[str, dict[str, str]] = Field(default_factory=dict)
    analyzers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    criteria: dict[str, Criterion]
    knockouts: tuple[Knockout, ...] = ()
    overall: Overall = Field(default_factory=Overall)
    reviewable: Reviewable = Field(default_factory=Reviewable)
    source: str = Field(default="", exclude=True)
    sha256: str = Field(default="", exclude=True)

    @property
    def name(self) -> str:
        """The grid's name."""
        return self.grid.name

    @property
    def language(self) -> str:
        """The grid's language: conversations with no language of their own use it."""
        return self.grid.language

    def scale(self, criterion: str | None = None) -> Levels:
        """The levels of ``criterion``: its own ``scale``, else the grid's ``[levels]``."""
        if criterion is not None:
            own = self.criteria[criterion].scale
            if own is not None:
                return own
        return self.levels

    def level_rank(self, level: str, criterion: str | None = None) -> int:
        """Position of ``level`` from worst (0) to best, on ``criterion``'s scale."""
        return self.scale(criterion).order.index(level)

    def level_label(self, level: str, criterion: str | None = None) -> str:
        """The label of ``level`` on ``criterion``'s scale (« À améliorer »), else its id."""
        scale = self.scale(criterion)
        return scale.labels.get(level) or self.levels.labels.get(level) or level

    def points(self, level: str, criterion: str | None = None) -> float | None:
        """Points of ``level`` on ``criterion``'s scale; None for ``na`` or without points."""
        scale = self.scale(criterion)
        if level == NA or scale.points is None:
            return None
        if level not in scale.points:
            raise ValueError(f"unknown level {level!r}; levels are {list(scale.order)}")
        return scale.points[level]

    @model_validator(mode="after")
    def _sections_and_knockouts_are_known(self) -> Grid:
        for cname, crit in self.criteria.items():
            if crit.section and self.sections and crit.section not in self.sections:
                raise GridPathError(
                    ("criteria", cname, "section"),
                    f"unknown section {crit.section!r}; sections are {sorted(self.sections)}",
                )
        for i, knockout in enumerate(self.knockouts):
            for cname, levels in knockout.levels.items():
                if cname not in self.criteria:
                    raise GridPathError(("knockouts", i, "levels", cname),
                                        f"unknown criterion {cname!r}")
                order = self.scale(cname).order
                for level in levels:
                    if level != NA and level not in order:
                        raise GridPathError(
                            ("knockouts", i, "levels", cname),
                            f"unknown level {level!r}; levels are {list(order)}",
                        )
        return self

    @model_validator(mode="after")
    def _bands_use_known_levels(self) -> Grid:
        for cname, crit in self.criteria.items():
            known = set(self.scale(cname).order)
            tables: list[tuple[tuple[str | int, ...], Mapping[str, Any]]] = [
                (("metrics", i, "bands"), mb.bands) for i, mb in enumerate(crit.metrics)
            ]
            tables.append((("bands",), crit.bands))
            for path, bands in tables:
                for level in bands:
                    if level not in known:
                        raise GridPathError(
                            ("criteria", cname, *path, level),
                            f"unknown level {level!r}; levels are "
                            f"{list(self.scale(cname).order)}",
                        )
        return self

    def check_inputs(self, metrics: Collection[str], codes: Collection[str]) -> None:
        """Check that the criteria read only metrics and codes the analyzers declare.

        Args:
            metrics: every metric the grid's analyzers declare.
            codes: every finding code they (and the pipeline) may emit.

        A ``rule = "model"`` criterion's model must read only declared metrics and count
        only emitted codes (its file is loaded, once per process, to know them).

        Raises:
            ConfigError: E303, a criterion reads an undeclared metric.
            GridError: E302 at ``criteria -> <id> -> weights -> codes -> <key>``, a weight
                names a code, or a family, that no analyzer emits; E321 / E322 / E323, a
                criterion's model cannot be loaded, does not fit the criterion, or reads
                features the analyzers do not give.
        """
        metrics = {*metrics, *CONVERSATION_FACTS}
        if self.reviewable.conditions is not None:
            for metric in self.reviewable.conditions.metric_names():
                if metric not in metrics:
                    raise ConfigError(Errors.E303.format(criterion="[reviewable]", metric=metric,
                                                         available=sorted(metrics)))
        for i, knockout in enumerate(self.knockouts):
            for key in knockout.codes:
                self._check_code_key(key, codes, f"knockouts -> {i} -> codes -> {key}")
        for cid, crit in self.criteria.items():
            for metric in crit.metric_names():
                if metric not in metrics:
                    raise ConfigError(
                        Errors.E303.format(criterion=cid, metric=metric, available=sorted(metrics))
                    )
            for key in crit.weights.codes if crit.weights is not None else ():
                self._check_code_key(key, codes, f"criteria -> {cid} -> weights -> codes -> {key}")
            if crit.rule == "model":
                # scikit-learn loads only for a grid that uses a model
                from chatqa.evaluation.rollup.grid_rule import check_model_features

                check_model_features(self, cid, metrics, codes)

    def _check_code_key(self, key: str, codes: Collection[str], location: str) -> None:
        """Raise E302 at ``location`` when no analyzer emits the code (or family) ``key``."""
        if key.endswith(".*"):
            known = any(c.startswith(key[:-1]) for c in codes)
            families = sorted({c.split(".")[0] + ".*" for c in codes if "." in c})
            hint = f"code families emitted: {families}"
        else:
            known = key in codes
            family = key.split(".")[0]
            same = sorted(c for c in codes if c.split(".")[0] == family)
            hint = (f"codes of family {family!r}: {same}" if same
                    else f"codes emitted: {sorted(codes)}")
        if not known:
            raise GridError(
                Errors.E302.format(
                    path=self.source or self.name, location=location,
                    problem=f"no analyzer of the grid emits {key!r}; {hint}",
                ),
                location=location,
            )


def packaged_grids() -> list[str]:
    """Names of the grids shipped with chatqa."""
    return sorted(p.stem for p in GRIDS_DIR.glob("*.toml"))


def resolve_grid_path(name_or_path: str | Path) -> Path:
    """Return the file of a packaged grid name or of a path, or raise E301."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" and candidate.is_file():
        return candidate
    packaged = GRIDS_DIR / f"{name_or_path}.toml"
    if packaged.is_file():
        return packaged
    raise GridError(Errors.E301.format(name=str(name_or_path), available=packaged_grids()))


def validate_grid(data: Mapping[str, Any], path: str | Path = "(grid)") -> Grid:
    """Validate a grid's data (a parsed TOML table), or raise E302 naming the place."""
    try:
        return Grid.model_validate(data)
    except ValidationError as exc:
        location, problem = error_location(exc.errors()[0])
        raise GridError(
            Errors.E302.format(path=path, location=location, problem=problem),
            location=location,
        ) from None


#: Tables a child grid replaces whole rather than merges: a condition, bands or a scale is
#: one value (merging « all » into a parent's « metric » would make a condition of both).
REPLACED_WHOLE = frozenset({"applicable_if", "conditions", "bands", "scale"})


def merge_tables(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """``child`` over ``parent``: tables merge key by key, the rest replaces.

    Arrays, values and the :data:`REPLACED_WHOLE` tables are replaced whole.
    """
    out = dict(parent)
    for key, value in child.items():
        if (isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
                and key not in REPLACED_WHOLE):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    raw = path.read_bytes()
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GridError(Errors.E302.format(path=path, location="(file)", problem=exc)) from None


#: A criterion's settings that belong to its rule: a child grid that changes the rule drops the
#: parent's (a `thresholds` criterion turned into `model` keeps no metric bands).
RULE_SETTINGS = frozenset({"metrics", "weights", "per_100", "bands", "soft_margin", "model",
                           "reason", "params"})


def extend_tables(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """A child grid's tables over its parent's, as ``[grid] extends`` reads them."""
    return merge_tables(_without_replaced_rules(parent, child), child)


def _without_replaced_rules(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """``parent`` less the rule settings of the criteria whose ``rule`` the child changes."""
    criteria = dict(parent.get("criteria", {}))
    for cid, crit in child.get("criteria", {}).items():
        old = criteria.get(cid)
        if isinstance(crit, Mapping) and isinstance(old, Mapping) and "rule" in crit \
                and crit["rule"] != old.get("rule", "na"):
            criteria[cid] = {k: v for k, v in old.items() if k not in RULE_SETTINGS}
    return {**parent, "criteria": criteria}


def _resolved_data(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], str]:
    """The grid's tables with its parents' merged in (``[grid] extends``), and their hash."""
    data, raw = _read_toml(path)
    digest = hashlib.sha256(raw)
    parent_name = data.get("grid", {}).get("extends")
    if parent_name is None:
        return data, digest.hexdigest()
    if not isinstance(parent_name, str):
        raise GridError(Errors.E302.format(path=path, location="grid -> extends",
                                           problem="a grid name or a path"))
    relative = path.parent / parent_name
    parent_path = relative if relative.suffix == ".toml" and relative.is_file() else (
        resolve_grid_path(parent_name))
    parent_path = parent_path.resolve()
    if parent_path in seen or parent_path == path.resolve():
        chain = " -> ".join(str(p) for p in (*seen, path.resolve(), parent_path))
        raise GridError(Errors.E302.format(path=path, location="grid -> extends",
                                           problem=f"grids extend each other in a cycle: {chain}"))
    parent, parent_digest = _resolved_data(parent_path, (*seen, path.resolve()))
    merged = extend_tables(parent, data)
    merged["grid"] = {k: v for k, v in merged["grid"].items() if k != "extends"}
    merged["grid"]["lineage"] = [parent["grid"]["name"], *parent["grid"].get("lineage", ())]
    for cid in merged["grid"].get("drop_criteria", ()):
        if cid not in merged.get("criteria", {}):
            raise GridError(Errors.E302.format(
                path=path, location=f"grid -> drop_criteria -> {cid}",
                problem=f"the parent grid has no criterion {cid!r}"))
        del merged["criteria"][cid]
        for knockout in merged.get("knockouts", ()):
            knockout.get("levels", {}).pop(cid, None)
    merged["grid"].pop("drop_criteria", None)
    digest.update(parent_digest.encode())
    return merged, digest.hexdigest()


def load_grid(name_or_path: str | Path) -> Grid:
    """Load and validate a grid from a packaged name (``"fr_chat"``) or a ``.toml`` path.

    A grid with ``[grid] extends = "fr_chat"`` starts from that grid (a packaged name or a
    path relative to the file) and overrides what it writes; its hash covers its parents'.
    The model of each ``rule = "model"`` criterion is loaded (once per process) and checked.

    Raises:
        GridError: the grid is unknown (E301) or invalid (E302, naming the place in the file);
            a criterion's model cannot be loaded (E321) or does not fit it (E322).
    """
    path = resolve_grid_path(name_or_path)
    data, digest = _resolved_data(path)
    grid = validate_grid(data, path)
    grid = grid.model_copy(update={"source": str(path), "sha256": digest})
    if any(c.rule == "model" for c in grid.criteria.values()):
        # scikit-learn loads only for a grid that uses a model
        from chatqa.evaluation.rollup.grid_rule import check_grid_models

        check_grid_models(grid)
    return grid
