"""Each analyzer's docs page lists what the registry declares: metrics, codes, parameters."""

from __future__ import annotations

import dataclasses
import re

import pytest
from conftest import REPO

from chatqa.analyzers.base import analyzers, get_factory
from chatqa.analyzers.factories import register_analyzers

register_analyzers()


def _table_names(page: str, heading: str) -> set[str]:
    """First-column names of the table under ``## heading``."""
    section = page.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize("name", sorted(analyzers.get_all()))
def test_docs_analyzer_page_matches_the_registry(name):
    page = (REPO / "docs" / f"{name}.md").read_text("utf-8")
    analyzer = get_factory(name)("fr")
    assert _table_names(page, "Metrics") == {m.name for m in analyzer.metrics}
    assert _table_names(page, "Finding codes") == set(analyzer.codes)
    params = {f.name for f in dataclasses.fields(analyzer)
              if isinstance(getattr(analyzer, f.name), bool | int | float | str)}
    assert _table_names(page, "Parameters") == params
