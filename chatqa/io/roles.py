"""Map the role names sources use (``agent``, ``conseiller``, ``admin``...) to a Role."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from chatqa.model import Conversation, Role
from chatqa.resources import load_shared_resource
from chatqa.text import fold

#: Strings that mean true in a bot flag (case-insensitive).
_TRUE_WORDS = frozenset({"true", "yes", "1", "oui", "vrai"})


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
    return _role_of(value) if len(value) <= 64 else None


@lru_cache(maxsize=4096)
def _role_of(name: str) -> Role | None:
    return role_aliases().get(_fold(name))


def known_roles() -> str:
    """A short list of accepted role names for error messages."""
    return ", ".join(sorted(role_aliases()))


@lru_cache(maxsize=1)
def bot_flags() -> tuple[str, ...]:
    """Message keys whose true value makes the message a bot's (``roles.toml`` [flags] bot)."""
    return tuple(load_shared_resource("roles")["flags"]["bot"])


@lru_cache(maxsize=1)
def _bot_flag_set() -> frozenset[str]:
    return frozenset(bot_flags())


def flagged_as_bot(message: Mapping[str, Any]) -> str | None:
    """Return the first bot flag set to a true value in ``message`` (``true``, 1, "yes"), if any."""
    if not _bot_flag_set().intersection(message):
        return None
    for key in bot_flags():
        value = message.get(key)
        if value is True or (type(value) is int and value == 1) or (
            isinstance(value, str) and value.strip().lower() in _TRUE_WORDS
        ):
            return key
    return None


@lru_cache(maxsize=1)
def name_fields() -> tuple[str, ...]:
    """Metadata keys that hold a participant's name (``resources/roles.toml`` [names])."""
    return tuple(load_shared_resource("roles")["names"]["metadata_fields"])


def participant_name_values(conversation: Conversation) -> list[str]:
    """The people's names a conversation gives: message authors and name metadata, as written."""
    values = [m.author for m in conversation.messages if m.author]
    values += [v for k in name_fields() if isinstance(v := conversation.metadata.get(k), str)]
    return values


@lru_cache(maxsize=1)
def author_fields() -> tuple[str, ...]:
    """Message keys that name the author when ``author`` is absent (roles.toml [names])."""
    return tuple(load_shared_resource("roles")["names"]["message_author_fields"])


@lru_cache(maxsize=1)
def customer_name_fields() -> tuple[str, ...]:
    """Metadata keys that hold the customer's name (``resources/roles.toml`` [names])."""
    return tuple(load_shared_resource("roles")["names"]["customer_fields"])


def customer_name_values(conversation: Conversation) -> list[str]:
    """The customer's names a conversation gives: customer authors and customer metadata."""
    values = [m.author for m in conversation.messages if m.author and m.role is Role.CUSTOMER]
    values += [v for k in customer_name_fields()
               if isinstance(v := conversation.metadata.get(k), str)]
    return values


def participant_names(conversation: Conversation) -> frozenset[str]:
    """Words of the people's names in a conversation, folded (lower case, no accents).

    For analyzers' ``review`` hook: the names of the customer and the advisor are not spelling
    errors, whatever the lexicon says.
    """
    values = participant_name_values(conversation)
    return frozenset(w for v in values for w in re.findall(r"[^\W\d_]{2,}", fold(v)))
