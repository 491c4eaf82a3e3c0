"""Analyzer, metric, code and criterion names are public columns: renames must be deliberate.

After a deliberate change, regenerate the snapshot with
``python tests/test_registry.py`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from chatqa.analyzers.base import analyzers, get_factory
from chatqa.analyzers.factories import register_analyzers
from chatqa.evaluation.grid import load_grid, packaged_grids

SNAPSHOT = Path(__file__).resolve().parent / "data" / "registry.json"


def current() -> dict:
    register_analyzers()
    out: dict = {"analyzers": {}, "grids": {}}
    for name in sorted(analyzers.get_all()):
        analyzer = get_factory(name)("fr")
        out["analyzers"][name] = {
            "metrics": [[s.name, s.level] for s in analyzer.metrics],
            "codes": sorted(analyzer.codes),
        }
    for grid in packaged_grids():
        g = load_grid(grid)
        out["grids"][grid] = {"levels": list(g.levels.order), "criteria": list(g.criteria)}
    return out


def test_registry_names_match_the_snapshot():
    assert current() == json.loads(SNAPSHOT.read_text("utf-8"))


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(current(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {SNAPSHOT}")
