from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import ClassVar

import pytest

from chatqa.analyzers.base import Analysis, MetricSpec, analyzers
from chatqa.analyzers.building import checked
from chatqa.errors import AnalyzerError
from chatqa.pipeline import Pipeline


def test_building_registry_is_filled_on_import_and_spacy_stays_unloaded():
    code = ("import sys; from chatqa.analyzers import analyzers; "
            "print(sorted(analyzers.get_all()), 'spacy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.strip()
    assert out == ("['clarity', 'conduct', 'markers', 'spelling_grammar', 'timing', "
                   "'vocabulary'] False")


@dataclass(frozen=True)
class _Sloppy:
    """A message analyzer that returns a metric it does not declare."""

    name: ClassVar[str] = "sloppy"
    requires: ClassVar[tuple[str, ...]] = ()
    metrics: ClassVar[tuple[MetricSpec, ...]] = (MetricSpec("dots_count", "message", "dots"),)
    codes: ClassVar[dict[str, str]] = {}
    version: ClassVar[int] = 1

    def analyze_message(self, doc) -> Analysis:
        return Analysis({"dots_count": float(doc.text.count(".")), "commas": 1.0})


@pytest.mark.parametrize("metrics", [{"dots_count": 1.0, "commas": 1.0}, {"commas": 1.0}])
def test_building_undeclared_metric_is_an_error_not_a_dropped_column(metrics):
    with pytest.raises(AnalyzerError, match=r"\[E107\].*'sloppy'.*\['commas'\]"):
        checked(_Sloppy(), Analysis(metrics), "message", "c1")


@pytest.fixture
def pipeline_with(tmp_path):
    """``pipeline_with(analyzer, *grid_analyzers)``: a pipeline of a minimal grid running the
    packaged ``grid_analyzers`` then ``analyzer``, registered for the test only."""
    registered: list[str] = []

    def build(analyzer, *grid_analyzers: str) -> Pipeline:
        analyzers.register(analyzer.name, func=lambda lang, **params: analyzer)
        registered.append(analyzer.name)
        tables = "".join(f"[analyzers.{n}]\n" for n in (*grid_analyzers, analyzer.name))
        (tmp_path / "g.toml").write_text(
            '[grid]\nname = "g"\n[levels]\norder = ["non", "oui"]\n' + tables + "[criteria]\n",
            "utf-8")
        return Pipeline.from_grid(tmp_path / "g.toml")

    yield build
    from catalogue import REGISTRY

    for name in registered:
        REGISTRY.pop(("chatqa", "analyzers", name), None)


def test_building_undeclared_metric_sends_the_conversation_to_errors(pipeline_with,
                                                                     make_conversation):
    pipe = pipeline_with(_Sloppy())
    conv = make_conversation(("customer", "10:00", "Bonjour"), ("advisor", "10:01", "Oui."))
    results, errors = pipe.score_many([conv])
    assert results == []
    assert len(errors) == 1 and "[E107]" in str(errors[0])


@dataclass(frozen=True)
class _Rival(_Sloppy):
    """An analyzer claiming a code of the ``grammar`` family, owned by spelling_grammar."""

    name: ClassVar[str] = "rival"
    codes: ClassVar[dict[str, str]] = {"grammar.tone": "a rival's code"}


def test_building_one_owner_per_code_family():
    from chatqa.analyzers.base import get_factory
    from chatqa.analyzers.building import check_code_owners
    from chatqa.errors import ConfigError

    spelling = get_factory("spelling_grammar")("fr")
    with pytest.raises(ConfigError, match=r"\[E108\].*'spelling_grammar' and 'rival'.*'grammar'"):
        check_code_owners([spelling, _Rival()])


def test_building_registered_analyzers_share_no_code_family():
    from chatqa.analyzers.base import get_factory
    from chatqa.analyzers.building import check_code_owners

    check_code_owners([get_factory(name)("fr") for name in sorted(analyzers.get_all())])


@dataclass(frozen=True)
class _Greetings:
    """A message analyzer that needs the loaded pipeline's Vocab for a PhraseMatcher."""

    name: ClassVar[str] = "greetings"
    requires: ClassVar[tuple[str, ...]] = ()
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("greetings_count", "message", "greetings"),)
    codes: ClassVar[dict[str, str]] = {"greeting.hello": "a greeting"}
    version: ClassVar[int] = 1
    matcher: object = None

    def initialize(self, nlp) -> _Greetings:
        from dataclasses import replace

        from spacy.matcher import PhraseMatcher

        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        matcher.add("hello", [nlp.make_doc("bonjour")])
        return replace(self, matcher=matcher)

    def analyze_message(self, doc) -> Analysis:
        assert self.matcher is not None, "scored before initialize(nlp)"
        return Analysis({"greetings_count": float(len(self.matcher(doc)))})


def test_building_initialize_gives_analyzers_the_loaded_pipeline(pipeline_with,
                                                                  make_conversation):
    pipe = pipeline_with(_Greetings())
    assert pipe._nlp == {}  # building the pipeline does not load spaCy
    conv = make_conversation(("customer", "10:00", "Salut"),
                             ("advisor", "10:01", "Bonjour ! Bonjour madame."))
    res = pipe.score(conv)
    assert res.messages["greetings_count"].tolist()[1] == 2.0


@dataclass(frozen=True)
class _Echo:
    """A conversation analyzer reading the customer's parse and the message analyzers' results."""

    name: ClassVar[str] = "echo"
    requires: ClassVar[tuple[str, ...]] = ("token.lemma",)
    parse_roles: ClassVar[tuple[str, ...]] = ("advisor", "customer")
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("customer_tokens", "conversation", "tokens of the customer's messages"),
        MetricSpec("spelling_findings", "conversation", "spelling findings seen in context"),
    )
    codes: ClassVar[dict[str, str]] = {}
    version: ClassVar[int] = 1

    def analyze_conversation(self, conversation, context) -> Analysis:
        customer = [d for m, d in zip(conversation.messages, context.docs, strict=True)
                    if m.role.value == "customer"]
        assert all(d is not None for d in customer), "customer messages were not parsed"
        spelling = [f for f in context.findings("spelling_grammar") if f.code == "spelling.word"]
        assert all(f.message_index is not None for f in spelling)
        assert "advisor_language_errors" in context.summaries
        return Analysis({"customer_tokens": float(sum(len(d) for d in customer)),
                         "spelling_findings": float(len(spelling))})


def test_building_conversation_analyzers_get_customer_parses_and_message_results(
        pipeline_with, make_conversation):
    pipe = pipeline_with(_Echo(), "spelling_grammar")
    conv = make_conversation(("customer", "10:00", "Ma box ne marche plus"),
                             ("advisor", "10:01", "Je regarde votre dossié."))
    res = pipe.score(conv)
    # « Ma box ne marche plus » is 5 tokens; « dossié » is one spelling finding
    assert res.metrics["customer_tokens"] == 5.0
    assert res.metrics["spelling_findings"] == 1.0
