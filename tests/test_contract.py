"""chatqa's check_estimator: every registered analyzer passes every check of chatqa.testing.

One test per (analyzer, check), so a failure names both. The checks themselves are tested
against deliberately broken analyzers in tests/test_testing.py.
"""

from __future__ import annotations

import pytest
from conftest import REPO

from chatqa.analyzers.base import analyzers
from chatqa.analyzers.factories import register_analyzers
from chatqa.testing import CHECKS, iter_checks

register_analyzers()
NAMES = sorted(analyzers.get_all())


@pytest.fixture(scope="module")
def contract(nlp_fr):
    """``{analyzer: {check name: check}}``; the checks of one analyzer share its analyses."""
    return {
        name: {c.__name__: c for c in iter_checks(name, "fr", nlp=nlp_fr, docs_dir=REPO / "docs")}
        for name in NAMES
    }


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", NAMES)
def test_contract_analyzer_passes_check(contract, name, check):
    contract[name][check]()


@pytest.mark.parametrize("name", NAMES)
def test_contract_samples_give_findings_to_check(contract, name):
    # check_findings checks the findings there are: the sample inputs must produce some
    subject = contract[name]["check_findings"].subject
    found = {f.code for run in subject.first if not isinstance(run.outcome, Exception)
             for f in run.outcome.findings}
    assert found, f"no finding of '{name}' on chatqa.testing's samples: add a sample for it"


