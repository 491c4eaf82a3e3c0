"""chatqa's check_estimator: every registered analyzer honours the analyzer contract."""

from __future__ import annotations

import math
import pickle
import warnings

import pytest

from chatqa.analyzers.base import (
    ConversationAnalyzer,
    MessageAnalyzer,
    analyzers,
    get_factory,
)
from chatqa.analyzers.factories import register_analyzers

register_analyzers()
NAMES = sorted(analyzers.get_all())
EDGE_TEXTS = ["", "👍", "ok", "Bonjour, je regarde votre dossier. " * 150]
SAMPLE = [
    ("customer", "10:00:00", "Bonjour, ma commande n'est pas arrivée"),
    ("advisor", "10:00:40", "bonjour, je vérifie votre commande, merci de patienter 2 minutes"),
    ("advisor", "10:03:30", "Votre colis est en cours de livraison. Êtes-vous toujours là ?"),
    ("customer", "10:06:00", "oui merci"),
]


@pytest.fixture(params=NAMES)
def analyzer(request):
    return get_factory(request.param)("fr")


def _run(analyzer, nlp, conversation):
    docs = [nlp(m.text) if m.role == "advisor" else None for m in conversation.messages]
    if isinstance(analyzer, ConversationAnalyzer):
        return [analyzer.analyze_conversation(conversation, docs)]
    return [analyzer.analyze_message(d) for d in docs if d is not None]


def test_contract_follows_a_protocol_and_declares_itself(analyzer):
    assert isinstance(analyzer, MessageAnalyzer | ConversationAnalyzer)
    assert analyzer.name in NAMES and isinstance(analyzer.version, int)
    assert analyzer.metrics and all(s.level in ("message", "conversation") for s in
                                    analyzer.metrics)
    assert all(code.count(".") >= 0 and description for code, description in
               analyzer.codes.items())


def test_contract_exact_metrics_declared_codes_exact_offsets(analyzer, nlp_fr,
                                                             make_conversation):
    conversation = make_conversation(*SAMPLE)
    own_level = "conversation" if isinstance(analyzer, ConversationAnalyzer) else "message"
    declared = {s.name for s in analyzer.metrics if s.level == own_level}
    message_declared = {s.name for s in analyzer.metrics if s.level == "message"}
    for analysis in _run(analyzer, nlp_fr, conversation):
        assert set(analysis.metrics) == declared
        for values in analysis.message_metrics.values():
            assert set(values) <= message_declared
        for f in analysis.findings:
            assert f.code in analyzer.codes and f.analyzer == analyzer.name
            if f.start is not None and f.message_index is not None:
                assert conversation.messages[f.message_index].text[f.start:f.end] == f.text


def test_contract_same_result_twice_and_input_untouched(analyzer, nlp_fr, make_conversation):
    conversation = make_conversation(*SAMPLE)
    before = [m.text for m in conversation.messages]
    first = _run(analyzer, nlp_fr, conversation)
    second = _run(analyzer, nlp_fr, conversation)
    assert [a.findings for a in first] == [a.findings for a in second]
    assert [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in a.metrics.items()}
        for a in first
    ] == [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in a.metrics.items()}
        for a in second
    ]
    assert [m.text for m in conversation.messages] == before


def test_contract_picklable(analyzer):
    clone = pickle.loads(pickle.dumps(analyzer))
    assert clone.name == analyzer.name


@pytest.mark.parametrize("text", EDGE_TEXTS, ids=["empty", "emoji", "ok", "long"])
def test_contract_edge_texts_give_values_not_exceptions(analyzer, nlp_fr, make_conversation,
                                                        text):
    conversation = make_conversation(("customer", "10:00:00", text), ("advisor", "10:00:30", text))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for analysis in _run(analyzer, nlp_fr, conversation):
            assert all(isinstance(v, int | float) for v in analysis.metrics.values())
