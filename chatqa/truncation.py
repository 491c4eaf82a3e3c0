"""Messages longer than a grid's cap are analysed up to it, and the cut is a finding.

A pasted log or a runaway message cannot stall a batch: the pipeline analyses a copy of the
conversation whose long messages are cut (at a space when one is near), keeps the full text
in the message's metadata for the tables, and adds a ``text.truncated`` finding at the cut.
"""

from __future__ import annotations

from dataclasses import replace

from chatqa.model import Conversation, Finding, Message, Severity

#: Message metadata key holding the full text of a message analysed only up to the grid's cap.
FULL_TEXT = "_chatqa_full_text"
#: How far back from the cap a space is looked for, so that no half word is analysed.
CUT_AT_SPACE_WITHIN = 50
#: Codes of the findings the pipeline itself makes (not an analyzer's).
PIPELINE_CODES = {
    "text.truncated": "The message is longer than the grid's max_message_chars; it was "
                      "analysed up to that length.",
}


def truncated(conversation: Conversation, cap: int) -> Conversation:
    """The conversation with every message cut to ``cap`` characters (the full text kept aside).

    The cut falls at the last space in the final 50 characters before the cap when there is one.
    Offsets into the cut text are offsets into the full text.
    """
    if all(len(m.text) <= cap for m in conversation.messages):
        return conversation
    messages = []
    for m in conversation.messages:
        if len(m.text) <= cap:
            messages.append(m)
            continue
        space = m.text.rfind(" ", cap - CUT_AT_SPACE_WITHIN, cap)
        cut = space if space > 0 else cap
        metadata = {**m.metadata, FULL_TEXT: m.text}
        messages.append(replace(m, text=m.text[:cut], metadata=metadata))
    return replace(conversation, messages=tuple(messages))


def full_text(message: Message) -> str:
    """The message's whole text, also when it was cut for analysis."""
    return message.metadata.get(FULL_TEXT, message.text)


def truncation_finding(index: int, message: Message) -> Finding | None:
    """The ``text.truncated`` finding of a cut message (an empty span at the cut), or None."""
    if FULL_TEXT not in message.metadata:
        return None
    cut = len(message.text)
    return Finding(
        analyzer="pipeline", code="text.truncated", message_index=index, start=cut, end=cut,
        text="", severity=Severity.INFO,
        details={"length": len(message.metadata[FULL_TEXT]), "analysed_chars": cut},
    )
