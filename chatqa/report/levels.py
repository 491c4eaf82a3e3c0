"""Level labels and colours for the report, from the grid the run was scored with.

The tables hold level ids (``a_ameliorer``); people read the grid's labels (« À améliorer »).
The grid is found from the run's manifest (``grid_source``, else the packaged ``grid``) and
used only when its hash is the run's (``grid_sha256``): a grid edited since the run could
label a level wrongly, so the ids are shown then, and :attr:`LevelScale.note` says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Level ids that are safe to use in a CSS class name (grid ids are ASCII snake case).
_CSS_SAFE = re.compile(r"[A-Za-z0-9_-]+")

#: Colours from the worst level to the best, and of ``na``.
_WORST, _MIDDLE, _BEST, _NA = "#b00020", "#0b5394", "#0a7d28", "#777777"


@dataclass(frozen=True)
class LevelScale:
    """The run's levels: their labels, their rank from worst to best, a colour each."""

    order: tuple[str, ...]
    grid: Any = None
    note: str = ""

    def label(self, level: str, criterion: str | None = None) -> str:
        """The grid's label of ``level`` on ``criterion``'s scale, else the id itself."""
        if self.grid is None or not level:
            return level
        try:
            return self.grid.level_label(level, criterion)
        except KeyError:
            return self.grid.level_label(level)

    def rank(self, level: str, criterion: str | None = None) -> float | None:
        """Where ``level`` stands from the worst (0) to the best (1); None for ``na``."""
        order = self.levels_of(criterion)
        if level not in order:
            return None
        return order.index(level) / (len(order) - 1) if len(order) > 1 else 1.0

    def colour(self, level: str, criterion: str | None = None) -> str:
        """The colour a level is shown in: red for the worst, green for the best."""
        rank = self.rank(level, criterion)
        if rank is None:
            return _NA
        return _WORST if rank < 1 / 3 else _MIDDLE if rank < 2 / 3 else _BEST

    def css(self, levels: Mapping[str, str | None]) -> str:
        """CSS rules ``.lvl-<id>`` colouring each level (level id -> a criterion of it)."""
        return "".join(
            f".lvl-{level}{{color:{self.colour(level, criterion)};font-weight:bold}}"
            for level, criterion in levels.items() if _CSS_SAFE.fullmatch(level)
        )

    def levels_of(self, criterion: str | None) -> tuple[str, ...]:
        """The levels of ``criterion``'s scale (the grid's when None), worst first."""
        if self.grid is not None:
            try:
                return tuple(self.grid.scale(criterion).order)
            except KeyError:
                return tuple(self.grid.levels.order)
        return self.order


def level_scale(meta: Mapping[str, Any]) -> LevelScale:
    """The levels of the run whose manifest is ``meta``, labelled when its grid is found.

    The grid scored with (same hash) gives the labels; else a grid of that name or file with
    the run's levels, with a note that it changed since the run; else the ids are shown.
    """
    order = tuple(str(level) for level in meta.get("levels") or ())
    grids = list(_grids(meta))
    expected = meta.get("grid_sha256")
    for grid in grids:
        if not expected or grid.sha256 == expected:
            return LevelScale(order or tuple(grid.levels.order), grid)
    for grid in grids:
        if tuple(grid.levels.order) == order:
            return LevelScale(order, grid, note=f"Level labels are those of the grid "
                                                f"{meta.get('grid')!s} as it is now: it changed "
                                                "since the run.")
    if not grids and not any(meta.get(k) for k in ("grid_source", "grid")):
        return LevelScale(order)
    return LevelScale(order, note=f"Levels are shown by their ids: the grid "
                                  f"{meta.get('grid')!s} of this run was not found.")


def _grids(meta: Mapping[str, Any]) -> Iterator[Any]:
    """The grids the manifest names that load: its file (``grid_source``), then its name."""
    from chatqa.errors import ChatQAError
    from chatqa.evaluation.grid import load_grid

    for name in dict.fromkeys([meta.get("grid_source"), meta.get("grid")]):
        if not isinstance(name, str) or not name:
            continue
        try:
            yield load_grid(name)
        except (ChatQAError, OSError, ValueError):
            continue
