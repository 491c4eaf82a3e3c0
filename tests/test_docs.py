"""Each analyzer's docs page lists what the registry declares: metrics, codes, parameters.

The comparison is ``check_docs_page`` of chatqa.testing (also run by tests/test_contract.py);
the page's tables are read by ``chatqa.testing.docs_table``.
"""

from __future__ import annotations

import pytest
from conftest import REPO

from chatqa.analyzers.base import analyzers
from chatqa.analyzers.factories import register_analyzers
from chatqa.testing import iter_checks

register_analyzers()


@pytest.mark.parametrize("name", sorted(analyzers.get_all()))
def test_docs_analyzer_page_matches_the_registry(name):
    checks = {c.__name__: c for c in iter_checks(name, "fr", docs_dir=REPO / "docs")}
    checks["check_docs_page"]()
