"""The result of scoring one conversation, and its copy with personal data masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from chatqa.io.roles import participant_name_values
from chatqa.model import Conversation, Finding, Role

if TYPE_CHECKING:
    from chatqa.evaluation.form import EvaluationForm


@dataclass(frozen=True)
class ConversationResult:
    """The scores of one conversation.

    ``messages``: one row per message (metrics NaN where they do not apply); ``findings``:
    located observations; ``metrics``: conversation-level metrics; ``form``: the pre-filled form.
    The ``messages`` DataFrame is built on first access from ``message_rows``: a batch run
    builds one frame per chunk from the rows instead (one per conversation cost more than
    every analyzer but three).
    """

    conversation_id: str
    language: str
    message_rows: tuple[dict[str, Any], ...] = field(repr=False)
    message_schema: Mapping[str, str] = field(repr=False)
    findings: tuple[Finding, ...]
    metrics: dict[str, float]
    form: EvaluationForm

    @cached_property
    def messages(self) -> pd.DataFrame:
        """One row per message, with the columns and dtypes of the ``messages`` table."""
        return message_frame(self.message_rows, self.message_schema)


def message_frame(rows: Sequence[Mapping[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    """The ``messages`` table of ``rows`` (one dict per message), typed by ``schema``."""
    return pd.DataFrame.from_records(list(rows), columns=list(schema)).astype(dict(schema))


def redacted(result: ConversationResult, conversation: Conversation) -> ConversationResult:
    """``result`` with personal data masked in texts, findings and suggestions.

    Offsets of findings are moved onto the masked text (a finding inside personal data covers
    its placeholder), so ``text[start:end] == finding.text`` still holds on the text shown.
    Customers' author names become ``<NAME>``; advisors' stay (per-advisor statistics need
    them).
    """
    from chatqa.privacy import masked_offset, redact

    names = participant_name_values(conversation)
    texts = [redact(message.text, names=names) for message in conversation.messages]
    findings = []
    for f in result.findings:
        if f.message_index is None or f.start is None or f.end is None:
            findings.append(f)
            continue
        masked, spans = texts[f.message_index]
        start = masked_offset(spans, f.start, side="start")
        end = max(start, masked_offset(spans, f.end, side="end"))
        suggestion = None if f.suggestion is None else redact(f.suggestion, names=names)[0]
        findings.append(replace(f, start=start, end=end, text=masked[start:end],
                                suggestion=suggestion))
    rows = tuple(
        {**row, "text": masked,
         **({"author": "<NAME>"} if row["role"] == Role.CUSTOMER.value
            and row["author"] is not None else {})}
        for row, (masked, _) in zip(result.message_rows, texts, strict=True)
    )
    return replace(result, message_rows=rows, findings=tuple(findings))
