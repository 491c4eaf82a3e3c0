"""Every resource file has a schema, every packaged one validates, and a typo is an E203 that
names the file and the key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import chatqa.resources as resources
from chatqa.errors import ConfigError
from chatqa.resources import (
    RESOURCES_DIR,
    load_resource,
    load_shared_resource,
    read_resource,
    schemas,
    validate_resource,
)
from chatqa.resources.schemas import SCHEMAS

#: privacy.toml is validated (and compiled) by chatqa/privacy.py, not through load_resource.
NOT_HERE = {"privacy"}
PER_LANGUAGE = sorted(p.relative_to(RESOURCES_DIR) for p in RESOURCES_DIR.glob("*/*.toml"))
SHARED = sorted(p.stem for p in RESOURCES_DIR.glob("*.toml") if p.stem not in NOT_HERE)


def _edited(tmp_path: Path, resource: str, old: str, new: str) -> Path:
    """A copy of a packaged resource with one edit, as someone would mistype it."""
    text = (RESOURCES_DIR / resource).read_text("utf-8")
    assert text.count(old) >= 1, f"{old!r} is not in {resource}: update the test"
    path = tmp_path / Path(resource).name
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize("relative", PER_LANGUAGE, ids=str)
def test_resources_every_language_resource_validates(relative):
    lang, name = relative.parent.name, relative.stem
    model = load_resource(lang, name)
    assert isinstance(model, SCHEMAS[name])
    with pytest.raises(ValidationError):  # cached and shared: it must not be changed
        setattr(model, next(iter(type(model).model_fields)), None)


@pytest.mark.parametrize("name", SHARED)
def test_resources_every_shared_resource_validates_and_reads_as_its_file(name):
    with (RESOURCES_DIR / f"{name}.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    assert load_shared_resource(name) == raw


@pytest.mark.parametrize("name", sorted({p.stem for p in RESOURCES_DIR.rglob("*.toml")}))
def test_resources_every_resource_file_has_a_schema(name):
    assert name in SCHEMAS or name in NOT_HERE


@pytest.mark.parametrize("model", [
    m for m in vars(schemas).values()
    if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == schemas.__name__
], ids=lambda m: m.__name__)
def test_resources_every_schema_forbids_extra_keys_and_is_frozen(model):
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True


@pytest.mark.parametrize("resource, old, new, where", [
    # an unknown key (a typo in a key's name), at the top, deep, and in an array of tables
    ("fr/spelling_grammar.toml", "\naccepted_words = [", "\nacepted_words = [",
     r"chat -> acepted_words: unknown key; the keys here are accepted_words, "),
    ("fr/spelling_grammar.toml", "[morphology]", "[morphologie]",
     r"morphologie: unknown key"),
    ("fr/spelling_grammar.toml", 'subjects = ["nous"]', 'subject = ["nous"]',
     r"supplement -> person -> 1 -> subject: unknown key"),
    ("fr/timing.toml", "[hold]\n", "[holds]\n", r"holds: unknown key"),
    ("language.toml", "max_chars =", "max_char =", r"max_char: unknown key"),
    # a wrong type
    ("fr/spelling_grammar.toml", "min_words = 4", 'min_words = "4"',
     r"chat -> foreign -> min_words: Input should be a valid integer"),
    ("fr/spelling_grammar.toml", '"ok", "okay",', '"ok", 4,',
     r"chat -> accepted_words -> 1: Input should be a valid string"),
    ("fr/spelling_grammar.toml", 'fix = "c\'est"', 'fix = ["c\'est"]',
     r"builtin -> homophones -> ces -> fix: Input should be a valid string"),
    ("fr/timing.toml", "quinze = 15", 'quinze = "15"', r"numbers -> quinze: Input should be"),
    ("roles.toml", 'bot = ["bot", "chatbot", "assistant_virtuel", "automated"]', 'bot = "bot"',
     r"aliases -> bot: Input should be a valid list"),
    # a missing key
    ("fr/spelling_grammar.toml", "ne_elided = \"n'\"\n", "",
     r"chat -> negation -> ne_elided: missing key"),
    ("fr/spelling_grammar.toml", 'fix = "c\'est"\n', "",
     r"builtin -> homophones -> ces -> fix: missing key"),
    ("en/timing.toml", "[duration]", "[durations]", r"durations: unknown key"),
    ("redaction.toml", 'phone = "[téléphone]"', "",
     r"replacement -> phone: missing: every pattern needs a replacement"),
    # a value no rule can use
    ("fr/spelling_grammar.toml", 'conj = "grammar.conjugation"', 'conj = "grammar.conjugaison"',
     r"grammalecte -> types -> conj: unknown finding code 'grammar.conjugaison'"),
    ("fr/spelling_grammar.toml", "« {word} »", "« {mot} »",
     r"messages -> unknown_word: unknown placeholder \{mot\}; this message may use \{word\}"),
    ("fr/spelling_grammar.toml", 'accents = { a = "aàâä"', 'accents = { a = "àaâä"',
     r"builtin -> alphabet -> accents -> a: must start with 'a'"),
    ("fr/timing.toml", "(?P<unit>{unit_words})", "(?P<units>{unit_words})",
     r"duration -> pattern: needs the named groups digits, word and unit; missing \['unit'\]"),
    ("fr/timing.toml", "(?P<word>{number_words})", "(?P<word>{numbers})",
     r"duration -> pattern: the placeholders are \{number_words\} and \{unit_words\}"),
    ("language.toml", "min_confidence = 0.8", "min_confidence = 80",
     r"min_confidence: Input should be less than or equal to 1"),
    ("language.toml", 'french = "fr"', 'french = "French"', r"names -> french: String should"),
    ("fr/clarity.toml", 'une)\\\\s*[\\"«]?\\\\s*(?P<term>', 'une)\\\\s*[\\"«]?\\\\s*(?P<t>',
     r"not_understood -> term_questions: a term question needs a group named `term`"),
    ("fr/vocabulary.toml", 'checker = "vérifier"', 'check = "vérifier"',
     r"anglicisms: verbs must be infinitives in -er: check"),
    ("fr/clarity.toml", '"rollback", "backlog",', '"rollback", "backlog", "Hotfix",',
     r"jargon -> trade_terms: 'Hotfix' is listed twice \(as 'hotfix'\)"),
])
def test_resources_a_typo_is_an_error_naming_file_and_key(tmp_path, resource, old, new, where):
    path = _edited(tmp_path, resource, old, new)
    name = path.stem
    with pytest.raises(ConfigError, match=rf"\[E203\] Resource '{re.escape(str(path))}' is "
                                          rf"invalid: {where}"):
        read_resource(path, name)


@pytest.mark.parametrize("resource, old, new, where", [
    ("fr/spelling_grammar.toml", '{ pattern = "\\\\bpallie', '{ pattern = "(\\\\bpallie',
     r"chat -> usage -> entries -> 0 -> pattern"),
    ("fr/spelling_grammar.toml", '{ pattern = "\\\\ben vacance', '{ pattern = "\\\\ben vac[ance',
     r"chat -> usage -> entries -> 1 -> pattern"),
    ("fr/spelling_grammar.toml", 'placeholder = "_[A-Za-z]+', 'placeholder = "_[A-Za-z+',
     r"chat -> protected -> placeholder"),
    ("fr/spelling_grammar.toml", 'exceptions = "(?i)^', 'exceptions = "(?i)^(',
     r"chat -> negation -> exceptions"),
    ("fr/spelling_grammar.toml", '"neg_ne_manquant" =', '"neg_ne_manquant(" =',
     r"grammalecte -> rule_ids -> neg_ne_manquant\("),
    ("fr/timing.toml", '"\\\\bpatientez\\\\b",', '"\\\\bpatientez\\\\b(",',
     r"hold -> patterns -> 6"),
    ("fr/timing.toml", '(?P<digits>', '(?P<digits',
     r"duration -> pattern"),
    ("language.toml", 'placeholder = "_[A-Za-z]+', 'placeholder = "_[A-Za-z+', r"placeholder"),
    ("redaction.toml", "card = '\\b(?:", "card = '\\b((?:", r"patterns -> card"),
])
def test_resources_an_invalid_regex_is_an_error_naming_it(tmp_path, resource, old, new, where):
    path = _edited(tmp_path, resource, old, new)
    with pytest.raises(ConfigError, match=rf"\[E203\] Resource '{re.escape(str(path))}' is "
                                          rf"invalid: {where}: not a valid regular expression"):
        read_resource(path, path.stem)


@pytest.fixture
def resources_in(tmp_path, monkeypatch):
    """A copy of the packaged resources that load_resource reads, with fresh caches."""
    import shutil

    copy = tmp_path / "resources"
    shutil.copytree(RESOURCES_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    caches = (resources.shipped_languages, resources.load_resource,
              resources.load_shared_resource)
    for cache in caches:
        cache.cache_clear()
    monkeypatch.setattr(resources, "RESOURCES_DIR", copy)
    yield copy
    for cache in caches:
        cache.cache_clear()


@pytest.mark.parametrize("relative, load", [
    ("fr/spelling_grammar.toml", lambda: resources.load_resource("fr", "spelling_grammar")),
    ("en/timing.toml", lambda: resources.load_resource("en", "timing")),
    ("roles.toml", lambda: resources.load_shared_resource("roles")),
])
def test_resources_loaders_validate_what_they_load(resources_in, relative, load):
    path = resources_in / relative
    path.write_text(path.read_text("utf-8") + "\n[surprise]\nkey = 1\n", "utf-8")
    with pytest.raises(ConfigError, match=rf"\[E203\] Resource '{re.escape(str(path))}' is "
                                          r"invalid: surprise: unknown key"):
        load()


@pytest.mark.parametrize("name", ["no_such_resource"])
def test_resources_a_resource_without_a_schema_is_refused(name):
    with pytest.raises(ConfigError, match=rf"\[E203\].*no schema is registered for the "
                                          rf"resource '{name}'"):
        validate_resource(name, {}, path=f"fr/{name}.toml")


@pytest.mark.parametrize("data, count", [({"messages": {}}, "more")])
def test_resources_the_first_problem_is_named_and_the_others_counted(data, count):
    with pytest.raises(ConfigError, match=rf"messages -> unknown_word: missing key \(and \d+ "
                                          rf"{count}\)"):
        validate_resource("spelling_grammar", data, path="x.toml")
