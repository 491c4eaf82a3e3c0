"""Load the data files (lexicons, cue phrases, thresholds) that analyzers use, per language.

Resources are TOML files at ``chatqa/resources/<lang>/<name>.toml``: data, not code. A new
language is a new folder. Every file is validated against the schema registered for its name
(``chatqa/resources/schemas.py``): a typo in a resource is an error (E203) naming the file and
the key, not a rule that silently stops firing.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatqa.errors import ConfigError, Errors

if TYPE_CHECKING:
    from pydantic import BaseModel

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
    """Return the resource ``name`` shared by all languages (``resources/<name>.toml``), validated.

    Returned as plain data (the validated model's ``model_dump``), as its readers in ``io/``,
    ``language.py`` and ``report/`` index it.

    Raises:
        ConfigError: the file is missing (E202) or invalid (E203, naming the key).
    """
    return read_resource(RESOURCES_DIR / f"{name}.toml", name, lang="*").model_dump(mode="json")


@lru_cache(maxsize=64)
def load_resource(lang: str, name: str) -> Any:
    """Return the resource ``name`` for language ``lang``, validated: its frozen schema model.

    The model is the one registered for ``name`` in ``chatqa.resources.schemas.SCHEMAS``
    (``load_resource("fr", "timing")`` is a ``TimingResource``); it is cached and immutable.

    Raises:
        ConfigError: the file is missing (E202, listing the languages that have it) or is not
            valid TOML or does not match its schema (E203, naming the file and the key).
    """
    if lang not in shipped_languages() or not re.fullmatch(r"[a-z_]+", name):
        raise ConfigError(
            Errors.E202.format(
                name=name, lang=lang, path=f"resources/{lang!r}/{name!r}.toml",
                available=available_languages(name) or "(none)",
            )
        )
    return read_resource(RESOURCES_DIR / lang / f"{name}.toml", name, lang=lang)


def read_resource(path: str | Path, name: str, *, lang: str = "*") -> BaseModel:
    """Read the TOML file ``path`` and validate it as the resource ``name``.

    Raises:
        ConfigError: the file is missing (E202) or invalid (E203, naming the file and the key).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            Errors.E202.format(
                name=name, lang=lang, path=path, available=available_languages(name) or "(none)"
            )
        )
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(Errors.E203.format(path=path, problem=exc)) from None
    return validate_resource(name, data, path=path)


def validate_resource(name: str, data: Any, *, path: str | Path = "(resource)") -> BaseModel:
    """Validate parsed ``data`` against the schema of the resource ``name``.

    Raises:
        ConfigError: E203 naming ``path`` and the first key in error
            (``chat -> usage -> entries -> 3 -> pattern: not a valid regular expression``).
    """
    # imported here: pydantic and the schemas load with the first resource, not with chatqa
    from pydantic import ValidationError

    from chatqa.resources.schemas import SCHEMAS
    from chatqa.validation import error_location

    schema = SCHEMAS.get(name)
    if schema is None:
        problem = (f"no schema is registered for the resource {name!r}; add one to SCHEMAS in "
                   f"chatqa/resources/schemas.py (known: {sorted(SCHEMAS)})")
        raise ConfigError(Errors.E203.format(path=path, problem=problem))
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        where, problem = error_location(errors[0])
        problem = f"{where}: {problem}"
        if len(errors) > 1:
            problem += f" (and {len(errors) - 1} more)"
        raise ConfigError(Errors.E203.format(path=path, problem=problem)) from None


