"""Span scoring shared by the accuracy benchmarks: predictions and gold spans, one to one.

A predicted span counts for a gold span when they overlap and the prediction is at most twice
the gold span's length (a whole-message span must not score); each gold span and each
prediction is used once (a maximum one-to-one matching).
"""

from __future__ import annotations


def max_matching(n_left: int, edges: dict[int, list[int]]) -> dict[int, int]:
    """Maximum one-to-one matching (augmenting paths): right index -> left index."""
    owner: dict[int, int] = {}

    def augment(left: int, seen: set[int]) -> bool:
        for right in edges.get(left, ()):
            if right in seen:
                continue
            seen.add(right)
            if right not in owner or augment(owner[right], seen):
                owner[right] = left
                return True
        return False

    for left in range(n_left):
        augment(left, set())
    return owner
