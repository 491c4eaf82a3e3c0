"""Vocabulary per advisor over a period: their own text pooled across conversations.

One conversation rarely holds enough of an advisor's own words for MTLD (100) or MATTR (50);
a month of their conversations does. :func:`vocabulary_by_advisor` pools, per author and
period, the advisor messages that are not canned replies, and measures them with the
vocabulary analyzer, as if they were one long conversation. The author is the message's
``author`` (or a key of ``resources/roles.toml`` ``[names] message_author_fields``, such as
``agent_pseudonym``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pandas as pd

from chatqa.macros import MacroTable
from chatqa.model import Conversation, Message, Role

#: Columns of the table, before the vocabulary metrics.
KEY_COLUMNS = ("author", "period", "conversations", "messages")


def vocabulary_by_advisor(
    conversations: Iterable[Conversation],
    *,
    macros: MacroTable | None = None,
    period: str | None = "M",
    lang: str = "fr",
    nlp: Any = None,
) -> pd.DataFrame:
    """One row per advisor and period: the vocabulary metrics of their pooled own text.

    Args:
        conversations: the conversations (read once).
        macros: canned replies to leave out (``MacroTable``); none when None.
        period: a pandas period alias (``"M"`` months, ``"W"`` weeks) of each conversation's
            first dated message; None pools everything; a conversation without a date is in
            period ``"undated"``.
        lang: the language of the vocabulary resources and of the spaCy pipeline.
        nlp: a loaded spaCy pipeline (``chatqa.nlp.load_nlp(lang)`` when None).

    Returns:
        A DataFrame with ``author``, ``period``, ``conversations``, ``messages`` and the
        vocabulary analyzer's metrics (NaN below their minimums), sorted by author and period.
    """
    from chatqa.analyzers.factories import make_vocabulary
    from chatqa.nlp import load_nlp

    pooled: dict[tuple[str, str], list[str]] = defaultdict(list)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for conversation in conversations:
        label = _period(conversation, period)
        for m in conversation.messages:
            if m.role is not Role.ADVISOR or not m.author or not m.text.strip():
                continue
            if macros is not None and m.text in macros:
                continue
            key = (m.author, label)
            pooled[key].append(m.text)
            seen[key].add(conversation.id)
    nlp = nlp if nlp is not None else load_nlp(lang)
    vocabulary = make_vocabulary(lang)
    rows = []
    for (author, label), texts in sorted(pooled.items()):
        conv = Conversation(id=f"{author}/{label}", messages=tuple(
            Message(role=Role.ADVISOR, time=None, text=t) for t in texts))
        metrics = vocabulary.analyze_conversation(conv, list(nlp.pipe(texts))).metrics
        rows.append({"author": author, "period": label, "conversations": len(seen[(author,
                                                                                    label)]),
                     "messages": len(texts),
                     **{k: v for k, v in metrics.items() if k != "macro_text_ratio"}})
    columns = [*KEY_COLUMNS, *(s.name for s in vocabulary.metrics if s.name != "macro_text_ratio")]
    return pd.DataFrame(rows, columns=columns)


def _period(conversation: Conversation, alias: str | None) -> str:
    if alias is None:
        return "all"
    if conversation.metadata.get("time_has_date") is False:  # bare HH:MM clock times
        return "undated"
    first = next((m.time for m in conversation.messages if m.time is not None), None)
    if first is None:
        return "undated"
    return str(pd.Period(first.replace(tzinfo=None), freq=alias))
