"""Properties of scoring over arbitrary conversations (hypothesis).

Arbitrary text never raises, every finding's offsets slice its message, timings are never
negative, and the output is deterministic (a second pipeline without a cache gives the same).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatqa.model import Conversation, Message, Role
from chatqa.pipeline import Pipeline

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

# any code point but lone surrogates (not text): control characters and NUL included
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=120),
    st.text(st.sampled_from(list("abcéè àç'-?!.,;:\n\t\x00\x0b👍_0123456789@")), max_size=120),
    st.sampled_from(["", " ", "ok", "Bonjour, je m'occupe de votre dossier.",
                     "je vous est envoyé un mail", "Un instant svp, je reviens dans 2 minutes"]),
)
MESSAGE = st.tuples(
    st.sampled_from([Role.ADVISOR, Role.CUSTOMER, Role.SYSTEM, Role.BOT]),
    st.one_of(st.none(), st.integers(min_value=-600, max_value=3600)),  # may go backwards
    TEXT,
)


def _conversation(rows) -> Conversation:
    messages = tuple(
        Message(role=role, time=None if t is None else T0 + timedelta(seconds=t), text=text)
        for role, t, text in rows
    )
    return Conversation(id="c", messages=messages, metadata={"language": "fr"})


@pytest.fixture(scope="module")
def pipes():
    return Pipeline.from_grid("fr_chat"), Pipeline.from_grid("fr_chat", cache_size=0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(MESSAGE, min_size=0, max_size=6))
def test_properties_scoring_any_conversation(pipes, rows):
    cached, uncached = pipes
    conv = _conversation(rows)
    res = cached.score(conv)
    for f in res.findings:
        text = conv.messages[f.message_index].text
        if f.start is None:  # about the message as a whole: no span at all
            assert (f.end, f.text) == (None, "")
            continue
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start:f.end] == f.text
    for name in ("first_response_s", "mean_response_time_s", "max_response_time_s",
                 "handle_time_s"):
        assert math.isnan(res.metrics[name]) or res.metrics[name] >= 0, name
    assert (res.messages["response_time_s"].dropna() >= 0).all()
    masked = cached.score(conv, redact=True)  # offsets follow the masked text
    for f in masked.findings:
        text = masked.messages["text"].iloc[f.message_index]
        if f.start is None:
            continue
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start:f.end] == f.text
    again = uncached.score(conv)
    assert again.findings == res.findings
    assert again.messages.equals(res.messages)
    assert again.form.to_rows() == res.form.to_rows()
