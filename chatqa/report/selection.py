"""Which conversations a report shows: all of them, given ids, one advisor's, a random sample.

A report of a large run is built for a part of it: ``write_report(folder,
conversations=[...], advisor="...", sample=50, seed=0)``. The filters add up: the ids given,
then those of the advisor, then a random sample of what is left, kept in the run's order.
The index says what was selected (:attr:`Selection.description`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: A conversation of the run: (id, occurrence), occurrence 0 unless the id is duplicated.
Key = tuple[str, int]

#: How many ids a description names before saying « and N more ».
_NAMED = 10


@dataclass(frozen=True, slots=True)
class Selection:
    """The conversations shown, in the run's order, and how they were chosen."""

    keys: tuple[Key, ...]
    total: int
    description: str
    not_found: tuple[str, ...] = ()

    @property
    def is_all(self) -> bool:
        """Whether every conversation of the run is shown."""
        return len(self.keys) == self.total and not self.not_found


def select_conversations(
    order: Sequence[Key],
    advisors: Mapping[Key, tuple[str, ...]],
    *,
    conversations: Iterable[str] | str | None = None,
    advisor: str | None = None,
    sample: int | None = None,
    seed: int = 0,
    aliases: Mapping[str, str] | None = None,
) -> Selection:
    """Choose the conversations a report shows.

    Args:
        order: every conversation of the run, in the run's order.
        advisors: the advisors (message authors of role advisor) of each conversation.
        conversations: keep these ids (every occurrence of a duplicated id).
        advisor: keep the conversations where this advisor wrote, named by their name or
            by an alias.
        sample: keep a random sample of this many of the conversations left.
        seed: the seed of the sample.
        aliases: the name each advisor is shown by (« Advisor 2 » in a redacted report) ->
            their name; the description names the advisor by the alias.

    Returns:
        The selection, described for the index; ids asked for and not in the run are in
        ``not_found``.

    Raises:
        ValueError: an argument is malformed, or a filter leaves no conversation.
    """
    keys = list(order)
    parts: list[str] = []
    not_found: tuple[str, ...] = ()
    if conversations is not None:
        wanted = [conversations] if isinstance(conversations, str) else [
            str(c) for c in conversations]
        present = {cid for cid, _ in keys}
        not_found = tuple(dict.fromkeys(c for c in wanted if c not in present))
        keep = set(wanted)
        keys = [k for k in keys if k[0] in keep]
        parts.append(f"conversations {_named(dict.fromkeys(wanted))}")
        if not keys:
            raise ValueError(f"none of the conversations asked for is in this run: "
                             f"{_named(not_found)}")
    if advisor is not None:
        if not isinstance(advisor, str) or not advisor.strip():
            raise ValueError(f"advisor must be an advisor's name; got {advisor!r}")
        name = advisor.strip()
        known = {a for names in advisors.values() for a in names}
        if name not in known and aliases and name in aliases:
            name = aliases[name]
        if name not in known:
            listed = sorted((aliases or {}).keys()) or sorted(known)
            raise ValueError(f"no conversation of this run has advisor {advisor!r}; advisors "
                             f"are {_named(listed) or 'none (no author on advisor messages)'}")
        keys = [k for k in keys if name in advisors.get(k, ())]
        shown = {real: alias for alias, real in (aliases or {}).items()}.get(name, name)
        parts.append(f"advisor {shown}")
        if not keys:
            raise ValueError(f"advisor {advisor!r} wrote in none of the conversations selected")
    if sample is not None:
        if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
            raise ValueError(f"sample must be a whole number of conversations, at least 1; "
                             f"got {sample!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be a whole number; got {seed!r}")
        if sample < len(keys):
            position = {k: i for i, k in enumerate(order)}
            keys = sorted(random.Random(seed).sample(keys, sample), key=position.__getitem__)
            parts.append(f"a random sample of {sample} (seed {seed})")
        else:
            parts.append(f"a random sample of {sample} (seed {seed}): all {len(keys)} taken")
    total = len(order)
    if not parts:
        description = f"All {total} conversations of the run."
    else:
        description = (f"Selected: {'; '.join(parts)}. {len(keys)} of {total} conversations "
                       "shown.")
    if not_found:
        description += f" Not in this run: {_named(not_found)}."
    return Selection(keys=tuple(keys), total=total, description=description,
                     not_found=not_found)


def _named(values: Iterable[str]) -> str:
    """The first values, comma-separated, then « and N more »."""
    values = list(values)
    shown = ", ".join(values[:_NAMED])
    return shown + (f" and {len(values) - _NAMED} more" if len(values) > _NAMED else "")
