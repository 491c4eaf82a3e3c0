"""Grids, rules and forms: from metrics and findings to a pre-filled evaluation form."""

from __future__ import annotations

from chatqa.evaluation.form import EvaluationForm, Evidence, Proposal
from chatqa.evaluation.grid import Grid, load_grid

__all__ = ["EvaluationForm", "Evidence", "Grid", "Proposal", "load_grid"]
