"""Grids, rules and forms: from metrics and findings to a pre-filled evaluation form."""

from __future__ import annotations

from chatqa.evaluation.agreement import AgreementReport, agreement, evaluator_agreement
from chatqa.evaluation.confirmations import Confirmations, read_confirmations
from chatqa.evaluation.form import EvaluationForm, Evidence, Proposal
from chatqa.evaluation.grid import Grid, load_grid
from chatqa.evaluation.workbook import evaluator_rows, write_workbook

__all__ = [
    "AgreementReport",
    "Confirmations",
    "EvaluationForm",
    "Evidence",
    "Grid",
    "Proposal",
    "agreement",
    "evaluator_agreement",
    "evaluator_rows",
    "load_grid",
    "read_confirmations",
    "write_workbook",
]
