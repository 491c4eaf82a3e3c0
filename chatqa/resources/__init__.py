"""Load the data files (lexicons, cue phrases, thresholds) that analyzers use, per language.

Resources are TOML files at ``chatqa/resources/<lang>/<name>.toml``: data, not code. A new
language is a new folder.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from chatqa.errors import ConfigError, Errors

RESOURCES_DIR = Path(__file__).resolve().parent
#: What a language folder may be called: no input value may ever reach a path unchecked.
_LANGUAGE_FOLDER = re.compile(r"[a-z]{2,3}")


@lru_cache(maxsize=1)
def shipped_languages() -> tuple[str, ...]:
    """Languages chatqa ships resources for (the ``resources/<lang>/`` folders)."""
    return tuple(sorted(
        p.name for p in RESOURCES_DIR.iterdir()
        if p.is_dir() and _LANGUAGE_FOLDER.fullmatch(p.name) and any(p.glob("*.toml"))
    ))


def available_languages(name: str) -> list[str]:
    """Languages that have the resource ``name``."""
    return sorted(p.parent.name for p in RESOURCES_DIR.glob(f"*/{name}.toml"))


@lru_cache(maxsize=16)
def load_shared_resource(name: str) -> dict[str, Any]:
    """Return the TOML resource ``name`` shared by all languages (``resources/<name>.toml``)."""
    return _load(RESOURCES_DIR / f"{name}.toml", name=name, lang="*")


@lru_cache(maxsize=64)
def load_resource(lang: str, name: str) -> dict[str, Any]:
    """Return the parsed TOML resource ``name`` for language ``lang``.

    Raises:
        ConfigError: the file is missing (E202, listing the languages that have it) or is not
            valid TOML (E203).
    """
    if lang not in shipped_languages() or not re.fullmatch(r"[a-z_]+", name):
        raise ConfigError(
            Errors.E202.format(
                name=name, lang=lang, path=f"resources/{lang!r}/{name!r}.toml",
                available=available_languages(name) or "(none)",
            )
        )
    return _load(RESOURCES_DIR / lang / f"{name}.toml", name=name, lang=lang)


def _load(path: Path, *, name: str, lang: str) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(
            Errors.E202.format(
                name=name, lang=lang, path=path, available=available_languages(name) or "(none)"
            )
        )
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Errors.E203.format(path=path, problem=exc)) from None
