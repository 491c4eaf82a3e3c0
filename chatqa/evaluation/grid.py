"""Evaluation grids: the TOML template of criteria, levels and rules, validated on load.

A grid is data: a QA team copies a packaged grid, changes its thresholds (a client's SLA) and
passes the file's path. Validation errors name the place in the file, confection-style:
``criteria -> delais_reponse -> metrics -> 0 -> bands``.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chatqa.errors import Errors, GridError

GRIDS_DIR = Path(__file__).resolve().parent.parent / "grids"
NA = "na"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Levels(_Strict):
    """The ``[levels]`` table: level ids from worst to best, and their labels."""

    order: tuple[str, ...] = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _na_reserved(self) -> Levels:
        if NA in self.order:
            raise ValueError(f"'{NA}' is reserved for 'not applicable'; remove it from order")
        return self


class MetricBands(_Strict):
    """Bands of one metric: ``level -> [lower, upper)``."""

    name: str
    bands: dict[str, tuple[float, float]]
    soft_margin: float | None = Field(
        default=None,
        ge=0,
        description="Distance to a band edge under which confidence drops; default 10 % of "
        "the edge (at least 1); 0 for counts, where every value is a sure call.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> MetricBands:
        for level, (lower, upper) in self.bands.items():
            if not lower < upper:
                raise ValueError(f"band {level!r} must have lower < upper; got [{lower}, {upper}]")
        return self


class Condition(_Strict):
    """A condition on a metric: ``min <= value`` and ``value < max`` (either may be absent)."""

    metric: str
    min: float | None = None
    max: float | None = None

    def holds(self, value: float) -> bool:
        """True when ``value`` is inside the condition's range (NaN never is)."""
        if value != value:  # NaN
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)


class Criterion(_Strict):
    """One criterion of the grid and the rule that proposes its level."""

    label: str = ""
    rule: str = "na"
    reason: str = ""
    metrics: tuple[MetricBands, ...] = ()
    applicable_if: Condition | None = None
    na_reason: str = ""
    evidence_codes: tuple[str, ...] = ()
    params: dict[str, Any] = Field(default_factory=dict)


class Grid(_Strict):
    """An evaluation grid: levels, analyzer parameters and criteria."""

    grid: GridInfo
    levels: Levels
    nlp: dict[str, dict[str, str]] = Field(default_factory=dict)
    analyzers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    criteria: dict[str, Criterion]
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

    def level_rank(self, level: str) -> int:
        """Position of ``level`` from worst (0) to best."""
        return self.levels.order.index(level)

    @model_validator(mode="after")
    def _bands_use_known_levels(self) -> Grid:
        known = set(self.levels.order)
        for cname, crit in self.criteria.items():
            for i, mb in enumerate(crit.metrics):
                unknown = set(mb.bands) - known
                if unknown:
                    raise ValueError(
                        f"criteria -> {cname} -> metrics -> {i} -> bands: unknown level(s) "
                        f"{sorted(unknown)}; levels are {list(self.levels.order)}"
                    )
        return self


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


def load_grid(name_or_path: str | Path) -> Grid:
    """Load and validate a grid from a packaged name (``"fr_chat"``) or a ``.toml`` path.

    Raises:
        GridError: the grid is unknown (E301) or invalid (E302, naming the place in the file).
    """
    path = resolve_grid_path(name_or_path)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GridError(Errors.E302.format(path=path, location="(file)", problem=exc)) from None
    try:
        grid = Grid.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = " -> ".join(str(p) for p in first["loc"]) or "(top level)"
        raise GridError(
            Errors.E302.format(path=path, location=location, problem=first["msg"]),
            location=location,
        ) from None
    return grid.model_copy(
        update={"source": str(path), "sha256": hashlib.sha256(raw).hexdigest()}
    )
