"""Timing definitions, each on a conversation with hand-computed seconds."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatqa.analyzers.base import get_factory
from chatqa.errors import ConfigError
from chatqa.io import read_transcripts


@pytest.fixture(scope="module")
def timing():
    return get_factory("timing")("fr", relaunch_silence_s=60, default_hold_s=120)


def _codes(analysis, code):
    return [f for f in analysis.findings if f.code == code]


# --- response times -----------------------------------------------------------------------------
def test_timing_burst_runs_from_its_first_message_and_ignores_system_and_bot(timing,
                                                                            make_conversation):
    conv = make_conversation(
        ("system", "10:00:00", "Julie a rejoint"),
        ("customer", "10:00:05", "Bonjour"),            # burst 1 starts
        ("bot", "10:00:06", "Un conseiller arrive"),    # ignored: does not split the burst
        ("customer", "10:00:20", "ma box est en panne"),
        ("advisor", "10:00:50", "Bonjour, je regarde."),  # answers burst 1: 45 s
        ("customer", "10:02:00", "merci"),              # burst 2
        ("advisor", "10:02:15", "Je vous en prie."),    # 15 s
        ("system", "10:09:00", "Conversation clôturée"),
    )
    result = timing.analyze_conversation(conv)
    assert result.metrics["first_response_s"] == 45
    assert result.metrics["mean_response_time_s"] == 30  # (45 + 15) / 2
    assert result.metrics["max_response_time_s"] == 45
    assert result.metrics["unanswered_bursts"] == 0
    assert result.metrics["handle_time_s"] == 130  # 10:00:05 -> 10:02:15, system ignored
    assert dict(result.message_metrics) == {4: {"response_time_s": 45.0},
                                            6: {"response_time_s": 15.0}}


def test_timing_first_response_skips_the_advisor_greeting(timing, make_conversation):
    conv = make_conversation(
        ("advisor", "10:00:00", "Bonjour, en quoi puis-je vous aider ?"),
        ("customer", "10:01:00", "Ma commande"),
        ("advisor", "10:01:25", "Je regarde."),
    )
    assert timing.analyze_conversation(conv).metrics["first_response_s"] == 25


def test_timing_unanswered_bursts_and_no_customer(timing, make_conversation):
    conv = make_conversation(
        ("customer", "10:00:00", "Bonjour"), ("advisor", "10:00:10", "Bonjour !"),
        ("customer", "10:01:00", "et ma facture ?"), ("customer", "10:01:30", "allô ?"),
    )
    metrics = timing.analyze_conversation(conv).metrics
    assert metrics["unanswered_bursts"] == 1 and metrics["max_response_time_s"] == 10
    only_advisor = make_conversation(("advisor", "10:00:00", "Bonjour"))
    metrics = timing.analyze_conversation(only_advisor).metrics
    assert math.isnan(metrics["first_response_s"]) and metrics["unanswered_bursts"] == 0
    assert metrics["handle_time_s"] == 0


def test_timing_untimed_messages(timing, make_conversation):
    conv = make_conversation(
        ("customer", None, "Bonjour"),                 # untimed: the burst starts at 10:00:10
        ("customer", "10:00:10", "ma commande ?"),
        ("advisor", "10:00:40", "Je regarde."),        # 30 s
        ("customer", "10:01:00", "merci"),
        ("advisor", None, "Avec plaisir."),            # untimed answer: unknown, not averaged
    )
    result = timing.analyze_conversation(conv)
    assert result.metrics["first_response_s"] == 30
    assert result.metrics["mean_response_time_s"] == 30
    assert math.isnan(result.message_metrics[4]["response_time_s"])


def test_timing_across_midnight_from_clock_times(timing, tmp_path):
    record = {"id": "n", "messages": [
        {"role": "customer", "time": "23:58", "text": "bonsoir"},
        {"role": "agent", "time": "00:03", "text": "Bonsoir, je regarde."}]}
    src = tmp_path / "n.jsonl"
    src.write_text(json.dumps(record))
    with pytest.warns(UserWarning, match="W001"):
        (conv,) = read_transcripts(src)
    assert timing.analyze_conversation(conv).metrics["first_response_s"] == 300


# --- relaunches ---------------------------------------------------------------------------------
def test_timing_relaunch_after_a_long_enough_silence(timing, make_conversation):
    conv = make_conversation(
        ("customer", "10:00:00", "Je veux changer mon adresse"),
        ("advisor", "10:00:20", "Pouvez-vous me donner votre numéro de commande ?"),
        ("advisor", "10:01:20", "Êtes-vous toujours là ?"),          # 60 s: a relaunch
        ("advisor", "10:03:20", "Sans réponse de votre part, je vais clôturer."),  # 120 s
    )
    result = timing.analyze_conversation(conv)
    relaunches = _codes(result, "timing.relaunch")
    assert [(f.message_index, f.text) for f in relaunches] == [
        (2, "Êtes-vous toujours là"), (3, "Sans réponse de votre part")]
    assert [f.details["silence_s"] for f in relaunches] == [60.0, 120.0]
    assert result.metrics["relaunch_count"] == 2
    assert result.metrics["relaunch_opportunities"] == 2
    assert result.metrics["missed_relaunches"] == 0


def test_timing_no_relaunch_when_too_soon_or_after_the_customer(timing, make_conversation):
    conv = make_conversation(
        ("customer", "10:00:00", "Bonjour"),
        ("advisor", "10:00:20", "Bonjour, que puis-je faire ?"),
        ("advisor", "10:00:50", "Êtes-vous toujours là ?"),   # 30 s < 60 s: too soon
        ("customer", "10:05:00", "oui"),
        ("advisor", "10:06:30", "Êtes-vous toujours là ?"),   # the customer wrote last
    )
    result = timing.analyze_conversation(conv)
    assert result.metrics["relaunch_count"] == 0 and not _codes(result, "timing.relaunch")


def test_timing_threshold_comes_from_the_parameters(make_conversation):
    conv = make_conversation(
        ("customer", "10:00:00", "Bonjour"), ("advisor", "10:00:10", "Bonjour !"),
        ("advisor", "10:01:40", "Êtes-vous toujours là ?"),   # 90 s of silence
    )
    strict = get_factory("timing")("fr", relaunch_silence_s=120)
    lenient = get_factory("timing")("fr", relaunch_silence_s=60)
    assert strict.analyze_conversation(conv).metrics["relaunch_count"] == 0
    assert lenient.analyze_conversation(conv).metrics["relaunch_count"] == 1


def test_timing_missed_relaunch_when_the_advisor_closes_on_a_silent_customer(timing,
                                                                             make_conversation):
    conv = make_conversation(
        ("customer", "10:00:00", "Je veux résilier"),
        ("advisor", "10:00:30", "Je peux vous proposer une offre à 19,99 €."),
        # 160 s, no relaunch cue; the offer before it asked nothing: no relaunch was due
        ("advisor", "10:03:10", "Avez-vous d'autres questions ?"),
        ("advisor", "10:06:10", "Je vous souhaite une bonne soirée."),  # 180 s after a question
    )
    result = timing.analyze_conversation(conv)
    assert result.metrics["relaunch_opportunities"] == 1
    assert result.metrics["relaunch_score"] == 0
    assert result.metrics["missed_relaunches"] == 1
    (missed,) = _codes(result, "timing.missed_relaunch")
    assert missed.message_index == 3 and missed.details["silence_s"] == 180
    assert missed.text == "Je vous souhaite une bonne soirée."


def test_timing_not_missed_when_the_customer_comes_back_or_after_a_hold(timing,
                                                                        make_conversation):
    came_back = make_conversation(
        ("customer", "10:00:00", "Bonjour"),
        ("advisor", "10:00:10", "Bonjour, votre numéro de client ?"),
        ("advisor", "10:02:10", "Je vois votre dossier."),   # 120 s: opportunity, not relaunched
        ("customer", "10:03:00", "oui pardon"),              # ... but the customer came back
        ("advisor", "10:03:10", "Merci !"),
    )
    metrics = timing.analyze_conversation(came_back).metrics
    assert metrics["relaunch_opportunities"] == 1 and metrics["missed_relaunches"] == 0
    hold = make_conversation(
        ("customer", "10:00:00", "Bonjour"),
        ("advisor", "10:00:10", "Je vérifie, merci de patienter."),
        ("advisor", "10:03:10", "C'est réglé, bonne journée."),  # the customer waited on us
    )
    metrics = timing.analyze_conversation(hold).metrics
    assert metrics["relaunch_opportunities"] == 0 and metrics["missed_relaunches"] == 0


def test_timing_relaunch_with_unknown_times_still_counts(timing, make_conversation):
    conv = make_conversation(
        ("customer", None, "Bonjour"), ("advisor", None, "Bonjour !"),
        ("advisor", None, "Etes vous toujours là ?"),
    )
    result = timing.analyze_conversation(conv)
    assert result.metrics["relaunch_count"] == 1
    assert _codes(result, "timing.relaunch")[0].details["silence_s"] is None


def test_timing_english_cues(make_conversation):
    timing_en = get_factory("timing")("en")
    conv = make_conversation(
        ("customer", 0, "Hi"), ("advisor", 10, "Hi! Could you share your order number?"),
        ("advisor", 100, "Are you still there?"),
        ("advisor", 110, "Please hold, I'll be right back in 2 minutes."),
    )
    result = timing_en.analyze_conversation(conv)
    assert result.metrics["relaunch_count"] == 1
    (hold,) = _codes(result, "timing.hold")
    assert hold.details["promised_s"] == 120 and hold.details["kept"] is None


# --- holds --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("Merci de patienter 2 minutes.", 120),
        ("Je reviens vers vous dans deux minutes.", 120),
        ("Un instant, je reviens vers vous dans 30 secondes", 30),
        ("Merci de patienter 1 min", 60),
        ("je reviens dans 5mn", 300),
        ("Je reviens vers vous dans une minute", 60),
        ("Je reviens vers vous dans 2 à 3 minutes", 180),
        ("Un instant s'il vous plaît", None),
        ("Merci de patienter quelques instants", None),
        ("Un instant, le technicien passe avant 13 h", None),  # a clock time, not a wait
    ],
)
def test_timing_hold_promised_duration(timing, make_conversation, text, promised):
    conv = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, text),
                             ("advisor", 100, "Merci pour votre patience."))
    (hold,) = _codes(timing.analyze_conversation(conv), "timing.hold")
    assert hold.details["promised_stated"] is (promised is not None)
    assert hold.details["promised_s"] == (promised or 120)  # default_hold_s from the grid
    assert hold.details["actual_s"] == 90
    assert hold.text == text[hold.start:hold.end]


def test_timing_holds_kept_and_broken(timing, make_conversation):
    conv = make_conversation(
        ("customer", "10:00:00", "Bonjour"),
        ("advisor", "10:00:10", "Je regarde, merci de patienter 1 minute."),  # 50 s: kept
        ("advisor", "10:01:00", "Je contacte le transporteur, un instant."),  # 200 s > 120: broken
        ("customer", "10:02:00", "d'accord"),
        ("advisor", "10:04:20", "Merci de votre patience, le colis arrive demain."),
        ("advisor", "10:04:30", "Je reviens vers vous."),                   # never followed
    )
    result = timing.analyze_conversation(conv)
    holds = _codes(result, "timing.hold")
    assert [(h.message_index, h.details["actual_s"], h.details["kept"]) for h in holds] == [
        (1, 50.0, True), (2, 200.0, False), (5, None, None)]
    assert result.metrics["holds_announced"] == 3
    assert (result.metrics["holds_kept"], result.metrics["holds_broken"]) == (1, 1)


@pytest.mark.parametrize("params", [{"relaunch_silence_s": 0}, {"default_hold_s": "2 min"},
                                    {"relaunch_silence_s": True}])
def test_timing_bad_parameters_are_refused(params):
    with pytest.raises(ConfigError, match=r"\[E201\]"):
        get_factory("timing")("fr", **params)


def test_timing_unknown_parameter_lists_the_real_ones():
    with pytest.raises(ConfigError, match=r"\[E204\].*'relaunch_silence'.*relaunch_silence_s"):
        get_factory("timing")("fr", relaunch_silence=60)


# --- properties ---------------------------------------------------------------------------------
TEXTS = ["Bonjour", "Un instant", "Êtes-vous toujours là ?", "Merci de patienter 2 minutes",
         "Voici votre numéro de suivi.", "Bonne journée"]
rows = st.lists(
    st.tuples(st.sampled_from(["advisor", "customer", "system", "bot"]),
              st.one_of(st.none(), st.integers(0, 600)), st.sampled_from(TEXTS)),
    max_size=12,
)


# make_conversation is a stateless factory: reusing it across examples is safe
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows)
def test_timing_invariants_on_any_timeline(timing, make_conversation, rows):
    # times are cumulative, so the conversation runs forward like a real one
    total, timeline = 0, []
    for role, step, text in rows:
        if step is not None:
            total += step
        timeline.append((role, None if step is None else total, text))
    result = timing.analyze_conversation(make_conversation(*timeline))
    m = result.metrics
    timed = [v["response_time_s"] for v in result.message_metrics.values()
             if not math.isnan(v["response_time_s"])]
    assert all(r >= 0 for r in timed)
    assert math.isnan(m["mean_response_time_s"]) == (not timed)
    if timed:
        assert min(timed) <= m["mean_response_time_s"] <= m["max_response_time_s"] == max(timed)
    assert m["holds_kept"] + m["holds_broken"] <= m["holds_announced"]
    assert m["relaunch_count"] <= m["relaunch_opportunities"]
    assert m["missed_relaunches"] in (0, 1)
    assert all(f.text == timeline[f.message_index][2][f.start:f.end] for f in result.findings)


def test_timing_minute_clocks_one_minute_apart_is_no_silence(timing, make_conversation):
    conv = make_conversation(
        ("customer", "09:12", "Ma commande n'est pas arrivée."),
        ("advisor", "09:14", "Pouvez-vous me donner son numéro ?"),
        ("advisor", "09:15", "Êtes-vous toujours là ?"),   # 1 minute: maybe seconds later
        ("advisor", "09:21", "Je clôture la conversation, bonne journée."),
        time_resolution="minute",
    )
    result = timing.analyze_conversation(conv)
    # the early « toujours là ? » is no relaunch, and the closing after it is a missed one
    assert result.metrics["relaunch_count"] == 0 and result.metrics["early_relaunches"] == 1
    assert result.metrics["missed_relaunches"] == 1 and result.metrics["relaunch_score"] == 0


@pytest.mark.parametrize(("text", "held"), [
    ("Merci de bien vouloir rester en ligne.", True),
    ("Je lance le diagnostic, cela me prend une minute.", True),
    ("Je vérifie, ça peut prendre 5 min.", True),
    ("C'est fait. Vous recevrez un SMS de confirmation dans quelques minutes.", False),
    ("Le remboursement arrive sous 5 jours.", False),
])
def test_timing_announced_process_times_are_holds_promises_about_else_are_not(
        timing, make_conversation, text, held):
    conv = make_conversation(("customer", "10:00:00", "Bonjour"), ("advisor", "10:00:20", text),
                             ("advisor", "10:01:00", "Voilà."))
    assert timing.analyze_conversation(conv).metrics["holds_announced"] == float(held)


def test_timing_warm_follow_up_relaunch_scores_best(timing, make_conversation):
    conv = make_conversation(
        ("customer", "10:00:00", "Ma box ne marche plus."),
        ("advisor", "10:00:30", "Pouvez-vous la redémarrer ?"),
        ("advisor", "10:04:00", "Avez-vous pu faire l'essai ? Prenez votre temps, je reste à "
                                "votre disposition."),
        ("customer", "10:05:00", "Oui, ça marche, merci."),
    )
    result = timing.analyze_conversation(conv)
    assert result.metrics["relaunch_count"] == 1 and result.metrics["warm_relaunches"] == 1
    assert result.metrics["relaunch_score"] == 2
