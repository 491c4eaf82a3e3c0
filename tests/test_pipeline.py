from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import chatqa
from chatqa.errors import ConfigError, GridError
from chatqa.model import Role
from chatqa.pipeline import ArchiveSummary, Pipeline
from chatqa.tables import TABLE_NAMES


@pytest.fixture(scope="module")
def pipe():
    return Pipeline.from_grid("fr_chat")


def _jsonl(path, conversations):
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in conversations) + "\n")
    return path


def _conv(cid, answer_after_s=40):
    return {
        "id": cid,
        "language": "fr",
        "messages": [
            {"role": "system", "time": "2026-03-02T10:00:00+01:00", "text": "Julie a rejoint"},
            {"role": "customer", "time": "2026-03-02T10:00:00+01:00", "text": "Bonjour"},
            {"role": "customer", "time": "2026-03-02T10:00:10+01:00", "text": "Ma box est HS"},
            {"role": "advisor", "time": f"2026-03-02T10:00:{answer_after_s:02d}+01:00",
             "text": "Bonjour, je regarde votre dossier.", "author": "Julie"},
        ],
    }


def test_pipeline_score_one_conversation(pipe, make_conversation):
    conv = make_conversation(
        ("system", "10:00:00", "Julie a rejoint la conversation"),
        ("customer", "10:00:00", "Bonjour"),
        ("customer", "10:00:20", "J'ai un souci avec ma commande"),
        ("advisor", "10:01:00", "Bonjour, je regarde votre commande."),
        ("customer", "10:01:30", "Merci"),   # gone after the first answer: not reviewable
    )
    res = pipe.score(conv)
    # the burst starts at 10:00:00 and is answered at 10:01:00: 60 s
    assert res.metrics["first_response_s"] == 60.0
    assert list(res.messages["message_index"]) == [0, 1, 2, 3, 4]
    assert list(res.messages["role"]) == ["system", "customer", "customer", "advisor",
                                          "customer"]
    assert res.messages.loc[3, "response_time_s"] == 60.0
    assert math.isnan(res.messages.loc[1, "response_time_s"])
    assert isinstance(res.findings, tuple)
    # 60 s: first response in [30, 90) -> bon; mean 60 in [45, 120) -> bon
    assert res.form.proposals["delais_reponse"].level == "bon"
    assert res.form.proposals["empathie"].level == "na"
    assert list(res.form.proposals) == list(pipe.grid.criteria)


def test_pipeline_public_api_names():
    for name in ["read_transcripts", "Pipeline", "Tables", "TranscriptError", "__version__"]:
        assert hasattr(chatqa, name)


def test_pipeline_score_archive_returns_five_tables(pipe, tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", [_conv("c1"), _conv("c2", 50)])
    tables = pipe.score_archive(src, progress=False)
    assert [name for name, _ in tables] == list(TABLE_NAMES)
    assert list(tables.conversations["conversation_id"]) == ["c1", "c2"]
    # c1: burst 10:00:00, answer 10:00:40 -> 40 s; c2: answer at 10:00:50 -> 50 s
    assert list(tables.conversations["first_response_s"]) == [40.0, 50.0]
    assert len(tables.forms) == 2 * 9
    assert tables.errors.empty
    assert tables.meta["grid"] == "fr_chat" and "timing" in tables.meta["analyzers"]


def test_pipeline_bad_conversation_goes_to_errors_and_the_run_goes_on(pipe, tmp_path):
    bad = _conv("c2")
    bad["messages"][1]["time"] = "not a time"
    src = _jsonl(tmp_path / "a.jsonl", [_conv("c1"), bad, _conv("c3")])
    tables = pipe.score_archive(src, progress=False)
    assert list(tables.conversations["conversation_id"]) == ["c1", "c3"]
    assert len(tables.errors) == 1
    row = tables.errors.iloc[0]
    assert (row["line"], row["conversation_id"], row["code"]) == (2, "c2", "E010")
    assert "messages[1].time" in row["field"]


def test_pipeline_n_process_gives_the_same_tables(pipe, tmp_path):
    src = _jsonl(tmp_path / "a.jsonl", [_conv(f"c{i}", 20 + i) for i in range(9)])
    one = pipe.score_archive(src, progress=False, chunk_size=2, n_process=1)
    two = pipe.score_archive(src, progress=False, chunk_size=2, n_process=2)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "xlsx"])
def test_pipeline_stream_to_disk_writes_every_table(pipe, tmp_path, fmt):
    src = _jsonl(tmp_path / "a.jsonl", [_conv(f"c{i}") for i in range(5)])
    summary = pipe.score_archive(src, out=tmp_path / "out", format=fmt, chunk_size=2,
                                 progress=False)
    assert isinstance(summary, ArchiveSummary)
    assert summary.conversations_scored == 5 and summary.errors == 0
    assert (tmp_path / "out" / "meta.json").is_file()
    if fmt == "parquet":
        forms = pd.read_parquet(tmp_path / "out" / "forms.parquet")
        assert len(forms) == 5 * 9
        errors = pd.read_parquet(tmp_path / "out" / "errors.parquet")
        assert list(errors.columns) == ["file", "line", "conversation_id", "field", "code",
                                        "message"]
    elif fmt == "csv":
        conv = pd.read_csv(tmp_path / "out" / "conversations.csv", encoding="utf-8-sig")
        assert list(conv["first_response_s"]) == [40.0] * 5
    elif fmt == "jsonl":
        lines = (tmp_path / "out" / "messages.jsonl").read_text().splitlines()
        assert len(lines) == 5 * 4
    else:
        sheets = pd.read_excel(tmp_path / "out" / "chatqa.xlsx", sheet_name=None)
        assert set(sheets) == set(TABLE_NAMES)


def test_pipeline_empty_archive_gives_empty_tables_with_columns(pipe, tmp_path):
    src = tmp_path / "empty.jsonl"
    src.write_text("")
    tables = pipe.score_archive(src, progress=False)
    assert tables.conversations.empty
    assert "first_response_s" in tables.conversations.columns
    assert "response_time_s" in tables.messages.columns


def test_pipeline_cache_scores_each_distinct_text_once(make_conversation):
    from chatqa.analyzers.base import get_factory

    pipe = Pipeline.from_grid("fr_chat")
    spelling = get_factory("spelling_grammar")("fr")
    seen: list[str] = []

    class Counting:  # the real analyzer, counting the texts it is asked to analyse
        name, requires, metrics = spelling.name, spelling.requires, spelling.metrics
        codes, version = spelling.codes, spelling.version

        def analyze_message(self, doc):
            seen.append(doc.text)
            return spelling.analyze_message(doc)

        def summarize(self, analyses):
            return spelling.summarize(analyses)

    built = pipe.built("fr")
    pipe._analyzers["fr"] = replace(built, message=(Counting(),))
    convs = [
        make_conversation(
            ("customer", 0, "Bonjour"), ("advisor", 30, "Bonjour, que puis-je faire ?"),
            ("advisor", 40, f"Dossier {i % 2}"), id=f"c{i}", language="fr",
        )
        for i in range(4)
    ]
    results, errors = pipe.score_many(convs)
    again, _ = pipe.score_many(convs)  # a second batch: every text is in the cache
    assert not errors and [r.conversation_id for r in results] == ["c0", "c1", "c2", "c3"]
    assert sorted(seen) == ["Bonjour, que puis-je faire ?", "Dossier 0", "Dossier 1"]
    assert all(r.messages.equals(a.messages) for r, a in zip(results, again, strict=True))


def test_pipeline_customer_messages_are_tokenized_not_parsed(monkeypatch, tmp_path):
    # fr_chat's conduct reads only the customer's tokens and sentence starts: their messages
    # skip the tagger, lemmatizer and parser, and the tables are those of a full parse
    from conftest import EXAMPLES

    from chatqa.analyzers.conduct import ConductAnalyzer

    def light_roles(pipe):
        built = pipe.built("fr")
        return pipe._light_roles(built, pipe._parse_roles(built))

    upset = [
        "Bonjour. J'en ai marre d'attendre, ça fait 3 fois que je vous écris.",
        "Colis reçu abîmé. C'est vraiment inadmissible !",
        "je suis très inquiète pour ma commande",
    ]
    archive = tmp_path / "chats.jsonl"
    archive.write_text((EXAMPLES / "chats_fr.jsonl").read_text("utf-8") + "\n".join(
        json.dumps({**_conv(f"upset-{i}"), "messages": [
            *_conv("x")["messages"][:2], {"role": "customer", "text": text},
            {"role": "advisor", "text": "Je comprends votre agacement, je m'en occupe."}]},
            ensure_ascii=False) for i, text in enumerate(upset)) + "\n", "utf-8")
    light = Pipeline.from_grid("fr_chat")
    assert light_roles(light) == {Role.CUSTOMER}
    tokenized = light.score_archive(archive, progress=False)
    assert light._light_nlp["fr"].pipe_names == ["sentencizer"]
    assert light._light_nlp["fr"].vocab is light.nlp("fr").vocab
    monkeypatch.setattr(ConductAnalyzer, "light_roles", property(lambda self: ()))
    full = Pipeline.from_grid("fr_chat")
    assert light_roles(full) == set()
    parsed = full.score_archive(archive, progress=False)
    emotions = tokenized.findings[tokenized.findings["code"] == "customer.emotion"]
    assert set(emotions["conversation_id"]) == {"upset-0", "upset-1", "upset-2"}
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(tokenized, name), getattr(parsed, name))


def test_pipeline_a_customer_pattern_on_lemmas_gets_the_full_parse():
    from chatqa.analyzers.markers import CUSTOMER_KINDS, token_level

    conduct = next(a for a in Pipeline.from_grid("fr_chat").built("fr").conversation
                   if a.name == "conduct")
    assert token_level(conduct.markers, CUSTOMER_KINDS) and conduct.light_roles == ("customer",)
    section = conduct.markers.customer_emotion
    entry = section.patterns[0]
    lemma = entry.model_copy(update={"patterns": [[{"LEMMA": "inquiéter"}]]})
    markers = conduct.markers.model_copy(update={"customer_emotion": section.model_copy(
        update={"patterns": [lemma, *section.patterns[1:]]})})
    assert not token_level(markers, CUSTOMER_KINDS)
    assert replace(conduct, markers=markers).light_roles == ()


@pytest.mark.parametrize("value", [0, -1, 1.5, "2"])
def test_pipeline_n_process_must_be_a_positive_integer(pipe, tmp_path, value):
    with pytest.raises(ConfigError, match=r"\[E105\]"):
        pipe.score_archive(tmp_path / "x.jsonl", n_process=value)


def test_pipeline_criterion_on_unknown_metric_is_rejected(tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text(
        "[grid]\nname='g'\n[levels]\norder=['a','b']\n[analyzers.timing]\n"
        "[criteria.c]\nrule='thresholds'\n[[criteria.c.metrics]]\nname='nope_s'\n"
        "bands={a=[0,1]}\n"
    )
    with pytest.raises(ConfigError, match=r"\[E303\].*'nope_s'.*first_response_s"):
        Pipeline.from_grid(grid)


def test_pipeline_unknown_analyzer_lists_the_registry(tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text("[grid]\nname='g'\n[levels]\norder=['a']\n[analyzers.nope]\n[criteria]\n")
    with pytest.raises(ConfigError, match=r"\[E101\].*'nope'.*timing"):
        Pipeline.from_grid(grid)


def test_pipeline_unknown_grid(tmp_path):
    with pytest.raises(GridError, match=r"\[E301\]"):
        Pipeline.from_grid("no_such_grid")


def test_pipeline_roles_column_is_role_values(pipe, make_conversation):
    res = pipe.score(make_conversation(("customer", 0, "Allô"), ("bot", 1, "Un conseiller arrive")))
    assert set(res.messages["role"]) <= {r.value for r in Role}


def test_pipeline_grid_thresholds_reach_the_analyzer_and_the_meta(tmp_path, make_conversation):
    grid = tmp_path / "sla.toml"
    text = (Path(chatqa.__file__).parent / "grids" / "fr_chat.toml").read_text("utf-8")
    grid.write_text(text.replace("relaunch_silence_s = 60.0", "relaunch_silence_s = 300.0"))
    strict = Pipeline.from_grid(grid)
    assert strict.meta()["analyzers"]["timing"]["params"] == {
        "relaunch_silence_s": 300.0, "default_hold_s": 120.0}
    conv = make_conversation(
        ("customer", 0, "Bonjour"), ("advisor", 10, "Bonjour !"),
        ("advisor", 130, "Êtes-vous toujours là ?"),   # 120 s: a relaunch at 60 s, not at 300 s
    )
    assert strict.score(conv).metrics["relaunch_count"] == 0
    assert Pipeline.from_grid("fr_chat").score(conv).metrics["relaunch_count"] == 1


def test_pipeline_spelling_errors_fill_orthographe_grammaire(pipe, make_conversation):
    sloppy = make_conversation(
        ("customer", 0, "Bonjour, mon colis n'est pas arrivé"),
        ("advisor", 20, "bonjour, je vais vous envoyé le suivi."),   # capital + conjugation
        ("advisor", 40, "Il y a un probleme avec le transporteur."),   # spelling
    )
    res = pipe.score(sloppy)
    assert res.metrics["advisor_language_errors"] == 3
    proposal = res.form.proposals["orthographe_grammaire"]
    # sure of the band (the score is far from an edge), but from 15 own words only: thin
    # evidence scales the confidence by 0.5 + 0.5 × 15 / 60
    assert proposal.level == "a_ameliorer" and proposal.confidence == 0.62
    highlighted = {(e.message_index, e.text) for e in proposal.evidence if e.kind == "finding"}
    assert highlighted == {(1, "bonjour"), (1, "envoyé"), (2, "probleme")}
    # at least 15 words of the advisor's own: fewer is too little to judge (na)
    clean = make_conversation(("customer", 0, "Bonjour"),
                              ("advisor", 20, "Bonjour Madame, je regarde votre dossier et je "
                                              "vous donne une réponse dans un petit instant."),
                              ("customer", 30, "Merci"))
    assert pipe.score(clean).form.proposals["orthographe_grammaire"].level == "exceptionnel"
    messages = res.messages.set_index("message_index")
    assert messages.loc[2, "language_errors"] == 1 and math.isnan(messages.loc[0, "words"])


def test_pipeline_detects_an_english_conversation_and_says_what_it_skipped(pipe,
                                                                             make_conversation):
    english = make_conversation(
        ("customer", 0, "Hi, where is my order?"),
        ("advisor", 30, "Hello, thank you for your message. Your order has been shipped and "
                        "will arrive within three business days."),
        id="en1",
    )
    res = pipe.score(english)
    assert res.language == "en"
    assert res.metrics["first_response_s"] == 30          # timing has English cues
    assert math.isnan(res.metrics.get("advisor_language_errors", math.nan))
    assert res.form.proposals["orthographe_grammaire"].level == "na"
    assert not [f for f in res.findings if f.analyzer == "spelling_grammar"]
    assert "spelling_grammar" in pipe.meta()["analyzers_unavailable"]["en"]
    # too little advisor text to tell, or language metadata: no detection
    short = make_conversation(("customer", 0, "Hi"), ("advisor", 5, "Hello!"), id="en2")
    assert pipe.score(short).language == "fr"
    tagged = make_conversation(("advisor", 5, "Hello, thank you for your message today."),
                               id="en3", language="fr")
    assert pipe.score(tagged).language == "fr"


def test_pipeline_mixed_languages_in_one_archive_give_one_table(pipe, tmp_path):
    english = {"id": "en", "messages": [
        {"role": "customer", "time": "2026-03-02T10:00:00Z", "text": "Hi there"},
        {"role": "advisor", "time": "2026-03-02T10:00:20Z",
         "text": "Hello, thank you for contacting us, I am checking your account right now."}]}
    french = _conv("fr")
    del french["language"]
    tables = pipe.score_archive(_jsonl(tmp_path / "a.jsonl", [french, english]), progress=False)
    assert list(tables.conversations["language"]) == ["fr", "en"]
    assert list(tables.conversations["first_response_s"]) == [40.0, 20.0]
    assert tables.errors.empty and "words" in tables.messages.columns


def test_pipeline_participants_names_are_not_spelling_errors(pipe, make_conversation):
    text = "Merci, ozturk vous rappellera demain."   # a lowercase surname mid-sentence
    bare = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, text), id="n1")
    assert [f.text for f in pipe.score(bare).findings if f.code == "spelling.word"] == ["ozturk"]
    assert pipe.score(bare).metrics["advisor_language_errors"] == 1
    from dataclasses import replace as with_
    named = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, text), id="n2")
    named = with_(named, messages=(named.messages[0],
                                   with_(named.messages[1], author="Maëlys Öztürk")))
    res = pipe.score(named)   # the author's name, folded, covers « ozturk »
    assert not [f for f in res.findings if f.code == "spelling.word"]
    assert res.metrics["advisor_language_errors"] == 0
    assert res.messages.loc[1, "language_errors"] == 0
    by_metadata = make_conversation(("customer", 0, "Bonjour"), ("advisor", 10, text), id="n3",
                                    customer_name="M. Ozturk")
    assert pipe.score(by_metadata).metrics["advisor_language_errors"] == 0


@pytest.mark.parametrize("tag", ["fr", "FR", "fr-FR", "fr_FR", "français"])
def test_pipeline_language_tags_are_normalised(pipe, tmp_path, tag):
    conv = {**_conv("c1"), "language": tag}
    tables = pipe.score_archive(_jsonl(tmp_path / "a.jsonl", [conv]), progress=False)
    assert tables.conversations["language"].tolist() == ["fr"]
    assert len(tables.errors) == 0


@pytest.mark.issue(6)
@pytest.mark.parametrize("tag", ["../../somewhere", "de", "fr/../../x", "", "  "])
def test_pipeline_unsupported_language_goes_to_errors_never_to_a_path(pipe, tmp_path, tag):
    convs = [{**_conv("c1"), "language": tag}, _conv("c2")]
    tables = pipe.score_archive(_jsonl(tmp_path / "a.jsonl", convs), progress=False)
    if tag.strip():
        assert tables.conversations["conversation_id"].tolist() == ["c2"]
        assert tables.errors["code"].tolist() == ["E019"]
        assert tables.errors["field"].tolist() == ["language"]
    else:  # an empty tag is no tag: the conversation is detected as usual
        assert len(tables.conversations) == 2


def test_pipeline_resources_refuse_a_language_that_is_not_shipped():
    from chatqa.resources import load_resource

    with pytest.raises(ConfigError, match=r"\[E202\]"):
        load_resource("../../fr", "timing")


@pytest.mark.issue(6)
def test_pipeline_long_message_is_analysed_up_to_the_grid_cap(tmp_path, make_conversation):
    grid = Path(chatqa.__file__).parent / "grids" / "fr_chat.toml"
    text = grid.read_text("utf-8").replace("max_message_chars = 10000", "max_message_chars = 200")
    (tmp_path / "g.toml").write_text(text, "utf-8")
    pipe = Pipeline.from_grid(tmp_path / "g.toml")
    long = "Je vérifie votre dossier. " * 20 + "Je vous remercie de votre patiance."
    res = pipe.score(make_conversation(
        ("customer", "10:00", "Bonjour"), ("advisor", "10:01", long), language="fr"))
    cut = [f for f in res.findings if f.code == "text.truncated"]
    # 20 x 26 = 520 characters before the typo: the cut falls at the last space before 200
    assert len(cut) == 1 and cut[0].start == cut[0].end == long.rfind(" ", 150, 200)
    assert cut[0].details == {"length": len(long), "analysed_chars": cut[0].start}
    assert res.messages["text"].iloc[1] == long  # the tables keep the whole text
    assert not [f for f in res.findings if f.code == "spelling.word"]  # « patiance » was not read
    assert all(f.end <= cut[0].start for f in res.findings
               if f.message_index == 1 and f.end is not None)  # spanless: about the message


def test_pipeline_grid_cap_has_a_documented_floor(tmp_path):
    grid = Path(chatqa.__file__).parent / "grids" / "fr_chat.toml"
    text = grid.read_text("utf-8").replace("max_message_chars = 10000", "max_message_chars = 5")
    (tmp_path / "g.toml").write_text(text, "utf-8")
    with pytest.raises(GridError, match="max_message_chars"):
        Pipeline.from_grid(tmp_path / "g.toml")


@pytest.mark.issue(6)
def test_pipeline_no_suggestion_search_for_overlong_words():
    from chatqa.analyzers.spelling_grammar.builtin import Lexicon

    lexicon = Lexicon("fr", max_suggestion_word_chars=40)
    assert lexicon.suggest("x" * 10_000) == ()
    assert "problème" in lexicon.suggest("probleme")


@pytest.mark.issue(6)
def test_pipeline_redact_masks_the_tables_and_keeps_offsets_valid(pipe, make_conversation):
    advisor = "Bonjour Mme Martin, je vous est envoyé le code à jean.martin@gmail.com."
    conv = make_conversation(
        ("customer", "10:00", "Mon numéro : 06 12 34 56 78, mon nom Lucie Martin"),
        ("advisor", "10:01", advisor), customer_name="Lucie Martin",
    )
    raw = pipe.score(conv)
    masked = pipe.score(conv, redact=True)
    assert raw.messages["text"].tolist() == [m.text for m in conv.messages]
    shown = masked.messages["text"].tolist()
    assert "<PHONE>" in shown[0] and "06 12" not in shown[0] and "Lucie" not in shown[0]
    assert "<EMAIL>" in shown[1] and "gmail" not in shown[1] and "Martin" not in shown[1]
    assert [f.code for f in masked.findings] == [f.code for f in raw.findings]
    conjugation = next(f for f in masked.findings if f.code == "grammar.conjugation")
    assert conjugation.text == "est"  # « je vous est envoyé »: moved onto the masked text
    for f in masked.findings:
        if f.start is None:  # about the message as a whole (conduct.greeting_missing...)
            assert (f.end, f.text) == (None, "")
            continue
        assert shown[f.message_index][f.start:f.end] == f.text
