"""The result of scoring one conversation, and its copy with personal data masked."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

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
    """

    conversation_id: str
    language: str
    messages: pd.DataFrame
    findings: tuple[Finding, ...]
    metrics: dict[str, float]
    form: EvaluationForm


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
    messages = result.messages.copy()
    messages["text"] = [masked for masked, _ in texts]
    customer = messages["role"] == Role.CUSTOMER.value
    messages.loc[customer & messages["author"].notna(), "author"] = "<NAME>"
    return replace(result, messages=messages.astype(result.messages.dtypes.to_dict()),
                   findings=tuple(findings))
