"""Where a pydantic validation error is, in the words of a TOML file (grids and resources).

Grids and resource files are validated with pydantic models; their errors name the key path
(``criteria -> x -> weights -> codes -> grammar.foo``), confection-style. A validator that knows
the exact key below its model raises :class:`PathError`, whose ``path`` is appended.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PathError(ValueError):
    """A validation error located below the model that raised it (``path`` is appended)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def error_location(error: Mapping[str, Any]) -> tuple[str, str]:
    """``(key path, problem)`` of one pydantic error, a PathError's own path included."""
    loc = [p for p in error["loc"] if p != "[key]"]  # pydantic's marker of a bad dict key
    problem = str(error["msg"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, PathError):
        loc.extend(cause.path)
    if isinstance(cause, ValueError):  # our own message, without pydantic's "Value error, "
        problem = str(cause)
    elif error["type"] == "missing":
        problem = "missing key"
    return " -> ".join(str(p) for p in loc) or "(top level)", problem
