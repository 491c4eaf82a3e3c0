"""Map the role names sources use (``agent``, ``conseiller``, ``admin``...) to a Role."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from chatqa.model import Role
from chatqa.resources import load_shared_resource


def _fold(name: str) -> str:
    """Lower-case and strip accents and spaces, so ``Conseillère`` matches ``conseillere``."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(" ", "_")


@lru_cache(maxsize=1)
def role_aliases() -> dict[str, Role]:
    """Return ``folded alias -> Role`` from ``resources/roles.toml``."""
    table = load_shared_resource("roles")["aliases"]
    return {_fold(alias): Role(role) for role, names in table.items() for alias in names}


def parse_role(value: object) -> Role | None:
    """Return the role ``value`` names, or None when it is not a known role or alias."""
    if isinstance(value, Role):
        return value
    if not isinstance(value, str):
        return None
    return role_aliases().get(_fold(value))


def known_roles() -> str:
    """A short list of accepted role names for error messages."""
    return ", ".join(sorted(role_aliases()))


@lru_cache(maxsize=1)
def name_fields() -> tuple[str, ...]:
    """Metadata keys that hold a participant's name (``resources/roles.toml`` [names])."""
    return tuple(load_shared_resource("roles")["names"]["metadata_fields"])
