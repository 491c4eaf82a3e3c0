"""The examples of docs/grids.md are real: each TOML block loads, and each output is pasted.

An example is a ``<!-- example: name -->`` line, a ```toml block and a ```text block; the
inputs of each example are below. The criteria-only blocks get the grid header of fr_chat.
"""

from __future__ import annotations

import math
import re
import tomllib

import pytest
from conftest import REPO

from chatqa.analyzers.spelling_grammar.analyzer import SEVERITY
from chatqa.evaluation.form import EvaluationForm
from chatqa.evaluation.grid import GRIDS_DIR, extend_tables, load_grid, validate_grid
from chatqa.evaluation.rules import propose_form_levels
from chatqa.model import Finding, Severity

DOC = REPO / "docs" / "grids.md"
HEADER = """
[grid]
name = "doc"
[levels]
order = ["a_ameliorer", "bon", "exceptionnel"]
points = { a_ameliorer = 0, bon = 1, exceptionnel = 2 }
"""


def _findings(*located: tuple[int, str]) -> list[Finding]:
    return [Finding("spelling_grammar", code, message_index=i, start=0, end=1, text="x",
                    severity=SEVERITY.get(code.split(".")[0], Severity.INFO))
            for i, code in located]


ERRORS_OF_THE_SECOND_CHAT = _findings(
    (1, "grammar.agreement"), (1, "typography.capital"), (3, "spelling.word"),
    (3, "grammar.negation"), (4, "typography.hyphen"), (4, "typography.capital"),
    (5, "typography.hyphen"), (6, "grammar.agreement"), (7, "language.foreign"),
)

#: example name -> [(metrics, findings)], one proposal printed per case
CASES = {
    "weighted_score": [
        ({"advisor_words": 150.0}, ERRORS_OF_THE_SECOND_CHAT),
        ({"advisor_words": 12.0}, []),
    ],
    "applicable_if": [
        ({"first_response_s": math.nan}, []),
        ({"first_response_s": 12.0, "handle_time_s": 40.0, "advisor_words": 8.0}, []),
        ({"first_response_s": 12.0, "handle_time_s": 40.0, "advisor_words": 35.0}, []),
    ],
}


def examples() -> dict[str, tuple[str, str]]:
    """``name -> (toml, text)`` for every marked example of the page."""
    pattern = re.compile(
        r"<!-- example: (\w+) -->\s*```toml\n(.*?)```.*?```text\n(.*?)```", re.DOTALL
    )
    return {m[1]: (m[2], m[3].rstrip("\n")) for m in pattern.finditer(DOC.read_text("utf-8"))}


def test_grids_doc_every_example_has_its_inputs():
    assert set(examples()) == {*CASES, "points"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_grids_doc_example_output_is_pasted(name):
    toml, text = examples()[name]
    grid = validate_grid(tomllib.loads(HEADER + toml))
    shown = []
    for metrics, found in CASES[name]:
        shown.extend(str(p) for p in propose_form_levels(grid, metrics, found).values())
    assert "\n".join(shown) == text


def test_grids_doc_points_example():
    toml, text = examples()["points"]
    assert tomllib.loads(toml)["levels"] == tomllib.loads(HEADER)["levels"]
    grid = load_grid("fr_chat")
    metrics = {"first_response_s": 20.0, "mean_response_time_s": 50.0, "holds_broken": 0.0,
               "own_words": 40.0, "relaunch_opportunities": 0.0}
    form = EvaluationForm("c1", grid.name, propose_form_levels(grid, metrics, []))
    assert text == f">>> form.points()\n{form.points()}"


def test_grids_doc_every_toml_block_is_a_valid_grid_part():
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
    assert len(blocks) >= 4
    fr_chat = tomllib.loads((GRIDS_DIR / "fr_chat.toml").read_text("utf-8"))
    for block in blocks:
        if ("criteria." in block or "[levels]" in block) and "[grid]" not in block:
            data = tomllib.loads(block if "[levels]" in block else HEADER + block)
            data.setdefault("grid", {"name": "doc"})
            data.setdefault("criteria", {})
            validate_grid(data)
        # and as an override of fr_chat, the way a client's grid extends it
        validate_grid(extend_tables(fr_chat, tomllib.loads(block)))
