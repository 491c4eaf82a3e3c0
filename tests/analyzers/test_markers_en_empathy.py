"""English empathy markers: the patterns added or tightened for support chats.

Each pattern matches a sentence an agent might write; a negated, unrelated or look-alike
sentence (« I can see your order », « it's hard to say », « I'll be with you shortly ») gives
no empathy marker. The real analyzer on chatqa's English pipeline, no mocks.
"""

from __future__ import annotations

import pytest

from chatqa.analyzers.factories import make_markers


@pytest.fixture(scope="module")
def en(nlp_en):
    return make_markers("en").initialize(nlp_en), nlp_en


def _empathy(pair, text):
    analyzer, nlp = pair
    return [(f.text, f.details["pattern"]) for f in analyzer.analyze_message(nlp(text)).findings
            if f.code == "marker.empathy"]


@pytest.mark.parametrize(("text", "span", "pattern"), [
    # acknowledgement
    ("That's a lot to deal with.", "That's a lot to deal", "acknowledgement"),
    ("You've been through a lot this month.", "You've been through a lot", "acknowledgement"),
    ("You've had a really frustrating week with us.", "You've had a really frustrating",
     "acknowledgement"),
    ("That can't be easy with a new baby at home.", "That can't be easy", "acknowledgement"),
    ("I can't imagine how stressful this is.", "I can't imagine how stressful",
     "acknowledgement"),
    ("You're not the only one who has seen this error.", "You're not the only one",
     "acknowledgement"),
    ("It happens to the best of us.", "It happens to the best", "acknowledgement"),
    ("You'll be all right.", "You'll be all right", "reassurance"),
    ("I'm glad it's all sorted now.", "I'm glad it", "acknowledgement"),
    ("Sending you lots of strength.", "Sending you lots of strength", "acknowledgement"),
    ("We're thinking of you and your family.", "thinking of you and", "acknowledgement"),
    ("Are you okay?", "Are you okay?", "acknowledgement"),
    ("I'm here for you.", "I'm here for you", "acknowledgement"),
    ("you arent alone in this", "you arent alone", "acknowledgement"),
    # reassurance
    ("No need to apologise!", "No need to apologise", "reassurance"),
    ("You'll be fine, the charge is only a hold.", "You'll be fine", "reassurance"),
    ("It's not your fault, the form was misleading.", "It's not your fault", "reassurance"),
    ("You did nothing wrong.", "You did nothing wrong", "reassurance"),
    ("You haven't done anything wrong.", "You haven't done anything wrong", "reassurance"),
    ("Please don't blame yourself.", "don't blame yourself", "reassurance"),
    ("It's completely normal to feel worried about this.", "It's completely normal to feel",
     "reassurance"),
    ("It's normal to be confused by the new bill.", "It's normal to be confused",
     "reassurance"),
    ("I hope you're okay after the accident.", "I hope you're okay", "reassurance"),
    ("It's going to work out.", "It's going to work out", "reassurance"),
    ("Please dont worry.", "dont worry", "reassurance"),
    ("Get well soon!", "Get well soon", "reassurance"),
    # commitment
    ("We're here to help.", "We're here to help", "commitment"),
    ("I'll be there for you until it's fixed.", "I'll be there for you", "commitment"),
    ("I'm here if you need anything else.", "I'm here if you", "commitment"),
    ("I'll personally make sure your claim is handled.", "I'll personally", "commitment"),
    # understanding, on the forms that stay
    ("I can see how frustrating this is.", "I can see how frustrating", "understanding"),
    ("I can see where you're coming from.", "I can see where you", "understanding"),
    ("I know it's been a long wait.", "I know it's", "understanding"),
    ("I totally get it.", "I totally get it", "understanding"),
    ("I feel your frustration.", "I feel your", "understanding"),
    ("I can relate.", "I can relate", "understanding_plain"),
    # encouragement, regret
    ("Hang in there!", "Hang in there", "encouragement"),
    ("Keep your chin up.", "Keep your chin up", "encouragement"),
    ("My heart goes out to you.", "My heart goes out", "regret"),
])
def test_empathy_patterns_match_a_chat_sentence(en, text, span, pattern):
    assert (span, pattern) in _empathy(en, text)


@pytest.mark.parametrize("text", [
    # negated or reversed
    "It is your fault.",
    "You're worthless.",
    "We're not here to help with that.",
    "I don't understand your request.",
    # what the advisor sees or does, not how the customer feels
    "I can see your order was delayed.",
    "I see that your parcel has arrived.",
    "I could see it on your account.",
    "I can get you a refund.",
    "I can get that sorted for you.",
    "I can only offer a voucher.",
    "I know the tracking number.",
    "I personally think this plan is better.",
    "I'll be with you shortly.",
    "I'm sending you a replacement.",
    # a forecast, an instruction, a fact
    "It's hard to say when it will arrive.",
    "It's going to take 5 working days.",
    "You're going to receive an email.",
    "It's normal to be charged twice during pre-authorisation.",
    "It happens every time I log in.",
    "This can happen to the device if it overheats.",
    "You'll be right back in.",
    "Keep your receipt.",
    "Stay in the app until the update ends.",
    "Restart the router and you should feel better about the speed.",
    "I worry this plan is too small for you.",
    "Are you okay with that?",
    "My heart rate monitor is not syncing.",
])
def test_look_alikes_give_no_empathy(en, text):
    assert _empathy(en, text) == []
