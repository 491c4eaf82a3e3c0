"""Reports for people: a pre-filled forms workbook for evaluators and an HTML report."""

from __future__ import annotations

from chatqa.io.tables import read_tables
from chatqa.report.build import write_report
from chatqa.report.redact import redact

__all__ = ["read_tables", "redact", "write_report"]
