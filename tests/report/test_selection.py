from __future__ import annotations

import pytest

from chatqa.report.selection import select_conversations

# c2 appears twice in the run (a duplicated id): both occurrences are its conversations
ORDER = [("c1", 0), ("c2", 0), ("c3", 0), ("c2", 1), ("c4", 0), ("c5", 0)]
ADVISORS = {("c1", 0): ("Julie",), ("c2", 0): ("Karim",), ("c3", 0): ("Julie", "Karim"),
            ("c2", 1): ("Julie",), ("c4", 0): (), ("c5", 0): ("Sophie",)}


def select(**kw):
    return select_conversations(ORDER, ADVISORS, **kw)


def test_selection_defaults_to_the_whole_run():
    selection = select()
    assert selection.keys == tuple(ORDER) and selection.is_all
    assert selection.description == "All 6 conversations of the run."


def test_selection_by_ids_keeps_the_run_order_and_names_ids_not_found():
    selection = select(conversations=["c3", "nope", "c2"])
    assert selection.keys == (("c2", 0), ("c3", 0), ("c2", 1))
    assert selection.not_found == ("nope",)
    assert selection.description == ("Selected: conversations c3, nope, c2. 3 of 6 "
                                     "conversations shown. Not in this run: nope.")
    assert select(conversations="c1").keys == (("c1", 0),)   # one id, not its letters


def test_selection_by_advisor_and_alias_described_by_the_alias():
    assert select(advisor="Julie").keys == (("c1", 0), ("c3", 0), ("c2", 1))
    aliases = {"Advisor 1": "Julie", "Advisor 2": "Karim", "Advisor 3": "Sophie"}
    by_alias = select(advisor="Advisor 2", aliases=aliases)
    assert by_alias.keys == (("c2", 0), ("c3", 0))
    by_name = select(advisor="Karim", aliases=aliases)
    assert by_name.keys == by_alias.keys
    # a redacted index names the advisor by the alias, never by the name given
    assert "Karim" not in by_name.description and "advisor Advisor 2" in by_name.description


def test_selection_sample_is_reproducible_by_seed_and_in_run_order():
    first = select(sample=3, seed=7)
    assert first.keys == select(sample=3, seed=7).keys and len(first.keys) == 3
    assert list(first.keys) == [k for k in ORDER if k in first.keys]
    assert {select(sample=3, seed=s).keys for s in range(20)} != {first.keys}
    assert "a random sample of 3 (seed 7). 3 of 6 conversations shown" in first.description
    everything = select(sample=50)
    assert everything.keys == tuple(ORDER)
    assert "a random sample of 50 (seed 0): all 6 taken" in everything.description


def test_selection_filters_add_up():
    selection = select(conversations=["c1", "c3", "c5"], advisor="Julie", sample=1, seed=0)
    assert len(selection.keys) == 1 and selection.keys[0] in {("c1", 0), ("c3", 0)}
    assert selection.description.startswith(
        "Selected: conversations c1, c3, c5; advisor Julie; a random sample of 1 (seed 0).")


@pytest.mark.parametrize("kw, message", [
    ({"conversations": ["x", "y"]}, "none of the conversations asked for is in this run: x, y"),
    ({"advisor": "Marc"}, "no conversation of this run has advisor 'Marc'; advisors are "
                          "Julie, Karim, Sophie"),
    ({"advisor": " "}, "advisor must be an advisor's name"),
    ({"conversations": ["c5"], "advisor": "Julie"}, "advisor 'Julie' wrote in none"),
    ({"sample": 0}, "sample must be a whole number of conversations, at least 1; got 0"),
    ({"sample": 2.5}, "got 2.5"),
    ({"sample": True}, "got True"),
    ({"sample": 2, "seed": "a"}, "seed must be a whole number; got 'a'"),
])
def test_selection_refuses_what_selects_nothing_or_is_malformed(kw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        select(**kw)
