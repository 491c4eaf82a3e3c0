"""The only conftest: session-scoped real spaCy pipeline, conversation factory, --slow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chatqa.model import Conversation, Message, Role

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
EXAMPLES = REPO / "examples"
TEST_DATA = Path(__file__).resolve().parent / "data"


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip_slow = pytest.mark.skip(reason="slow test: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def nlp_fr():
    """The real French pipeline as chatqa loads it (placeholders kept whole), loaded once."""
    from chatqa.nlp import load_nlp

    return load_nlp("fr")


@pytest.fixture(scope="session")
def nlp_en():
    """chatqa's English pipeline (blank, lookup lemmas), loaded once."""
    import warnings

    from chatqa.nlp import load_nlp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W101: English runs on a blank pipeline
        return load_nlp("en")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared labelled data folder; in CI it must be there."""
    import os

    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data folder missing in CI: {SHARED_DATA}")
        pytest.skip(f"shared data folder not found at {SHARED_DATA} (it sits beside a checkout)")
    return SHARED_DATA


T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)


def _parse_time(value):
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)):
        return T0 + timedelta(seconds=value)
    h, m, *rest = (int(x) for x in value.split(":"))
    return T0.replace(hour=h, minute=m, second=rest[0] if rest else 0)


@pytest.fixture(scope="session")
def clarity():
    """The French clarity analyzer as chatqa builds it, once for the session."""
    from chatqa.analyzers.factories import make_clarity

    return make_clarity("fr")


def message_results(analyzers, nlp, conversation):
    """The parse of each message, and the message analyzers' results on the advisor's.

    ``(docs, {analyzer name: {message index: Analysis}})``: what the pipeline hands a
    conversation analyzer in ``ConversationContext.message_results``.
    """
    from chatqa.model import Role

    docs = tuple(nlp(m.text) for m in conversation.messages)
    advisor = [i for i, m in enumerate(conversation.messages) if m.role is Role.ADVISOR]
    return docs, {a.name: {i: a.analyze_message(docs[i]) for i in advisor} for a in analyzers}


def analyze_with(analyzer, nlp, conversation, macros=frozenset()):
    """A conversation analyzer's result on ``conversation`` parsed by ``nlp``.

    ``macros``: the indexes of its canned messages.
    """
    from chatqa.analyzers.base import ConversationContext

    docs = tuple(nlp(m.text) for m in conversation.messages)
    return analyzer.analyze_conversation(conversation,
                                         ConversationContext(docs=docs, macro_messages=macros))


@pytest.fixture
def make_conversation():
    """Build a Conversation from ``(role, time, text)`` tuples.

    ``time`` is ``"HH:MM[:SS]"`` on 2026-03-02 UTC, seconds after 10:00:00 as a number, a
    datetime, or None.
    """

    def make(*rows, id="c1", **metadata) -> Conversation:
        messages = tuple(
            Message(role=Role(role), time=_parse_time(time), text=text) for role, time, text in rows
        )
        return Conversation(id=id, messages=messages, metadata=metadata)

    return make


@pytest.fixture(scope="session")
def _scored_examples():
    from chatqa import Pipeline
    from chatqa.evaluation import load_grid

    grid = load_grid("fr_chat")
    tables = Pipeline.from_grid(grid).score_archive(EXAMPLES / "chats_fr.jsonl", progress=False)
    return tables, grid


@pytest.fixture(scope="module")
def scored(_scored_examples):
    """The example chats scored once with the real pipeline (a copy per module), and the grid."""
    import copy

    tables, grid = _scored_examples
    return copy.deepcopy(tables), grid
