"""Every analyzer factory, in one place: the only code that reads resources for analyzers.

``make_<name>(lang, **params)`` loads the language's resources and builds the analyzer;
``register_analyzers()`` registers them all, once, so analyzer modules have no registry side
effects (as spaCy 3.8 does with ``register_factories``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from chatqa.analyzers.base import analyzers, check_param_names
from chatqa.errors import ConfigError, Errors
from chatqa.resources import load_resource

_registered = False


# --- timing -----------------------------------------------------------------------------------
def make_timing(lang: str, **params: Any):
    """Build the timing analyzer with the cue phrases of ``lang`` and the grid's thresholds."""
    from chatqa.analyzers.timing import TimingAnalyzer, TimingCues

    check_param_names("timing", TimingAnalyzer, params, internal=("cues",))
    cues = TimingCues.from_resource(load_resource(lang, "timing"))
    return TimingAnalyzer(cues=cues, **params)


# --- spelling_grammar -------------------------------------------------------------------------
def make_spelling_grammar(lang: str, **params: Any):
    """Build the spelling / grammar analyzer with its backend and chat layer.

    ``backend="auto"`` takes the best backend installed; the checker is built once per process.
    """
    from chatqa.analyzers.spelling_grammar import SpellingGrammarAnalyzer
    from chatqa.analyzers.spelling_grammar.backends import resolve_backend
    from chatqa.analyzers.spelling_grammar.builtin import GrammarRules
    from chatqa.analyzers.spelling_grammar.chat import ChatLayer, ChatRules
    from chatqa.language import LanguageDetector

    check_param_names("spelling_grammar", SpellingGrammarAnalyzer, params,
                      internal=("checker", "chat"))
    data = load_resource(lang, "spelling_grammar")
    backend = resolve_backend(params.get("backend", "auto"), lang, params.get("remote_server"))
    max_suggestions = params.get("max_suggestions", data.builtin.max_suggestions)
    allow_list = params.get("allow_list")
    lexicon = _lexicon(lang)
    checker = _checker(backend, lang, params.get("remote_server"), max_suggestions)
    chat = ChatLayer(
        ChatRules.from_resource(data, _read_allow_list(allow_list) if allow_list else (),
                                language=lang),
        lexicon=lexicon, grammar=GrammarRules.from_resource(data),
        detector=LanguageDetector(data.chat.foreign.languages),
    )
    return SpellingGrammarAnalyzer(
        checker=checker, chat=chat, **{**params, "backend": backend,
                                       "max_suggestions": max_suggestions},
    )


@lru_cache(maxsize=8)
def _lexicon(lang: str):
    """The Hunspell lexicon of ``lang``'s resource ([builtin] dictionary and alphabet)."""
    from chatqa.analyzers.spelling_grammar.builtin import Lexicon

    builtin = load_resource(lang, "spelling_grammar").builtin
    return Lexicon(builtin.dictionary, max_suggestion_word_chars=builtin.max_suggestion_word_chars,
                   letters=builtin.alphabet.letters, accents=builtin.alphabet.accents)


@lru_cache(maxsize=8)
def _checker(backend: str, lang: str, remote_server: str | None, max_suggestions: int):
    """One checker per process and configuration: loading a backend is the slow part."""
    from chatqa.analyzers.spelling_grammar.backends import make_checker

    data = load_resource(lang, "spelling_grammar")
    return make_checker(backend, lang, data, lexicon=_lexicon(lang),
                        remote_server=remote_server, max_suggestions=max_suggestions)


def _read_allow_list(path: str | Path) -> list[str]:
    """Names of a client's allow-list file: one per line, ``#`` starts a comment."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(Errors.E208.format(path=path, cwd=Path.cwd()))
    names = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return [name for name in names if name]



# --- markers ----------------------------------------------------------------------------------
def make_markers(lang: str, **params: Any):
    """Build the markers analyzer with the token patterns of ``lang``.

    The patterns are compiled on the loaded pipeline's vocabulary by ``initialize(nlp)``.
    """
    from chatqa.analyzers.markers import MarkersAnalyzer

    check_param_names("markers", MarkersAnalyzer, params, internal=("patterns", "matcher"))
    return MarkersAnalyzer(patterns=load_resource(lang, "markers"), **params)


# --- conduct ----------------------------------------------------------------------------------
def make_conduct(lang: str, **params: Any):
    """Build the conduct analyzer with the marker patterns and conduct rules of ``lang``.

    The patterns are compiled on the loaded pipeline's vocabulary by ``initialize(nlp)``; card
    numbers and codes written in the chat are found by chatqa.privacy's default rules.
    """
    from chatqa.analyzers.conduct import ConductAnalyzer
    from chatqa.privacy import load_rules

    check_param_names("conduct", ConductAnalyzer, params,
                      internal=("markers", "rules", "secrets", "matcher", "_phrases",
                                "_closing"))
    return ConductAnalyzer(markers=load_resource(lang, "markers"),
                           rules=load_resource(lang, "conduct"), secrets=load_rules(),
                           **params)


# --- vocabulary and clarity -------------------------------------------------------------------
def make_vocabulary(lang: str, **params: Any):
    """Build the vocabulary analyzer with the word lists of ``lang``."""
    from chatqa.analyzers.vocabulary import VocabularyAnalyzer, VocabularyRules

    check_param_names("vocabulary", VocabularyAnalyzer, params, internal=("rules", "lang"))
    return VocabularyAnalyzer(
        rules=VocabularyRules.from_resource(load_resource(lang, "vocabulary")), lang=lang)


def make_clarity(lang: str, **params: Any):
    """Build the clarity analyzer with the limits and lists of ``lang`` (and a glossary)."""
    from chatqa.analyzers.clarity import ClarityAnalyzer

    check_param_names("clarity", ClarityAnalyzer, params,
                      internal=("rules", "lang", "_known", "_token", "_punctuation"))
    return ClarityAnalyzer(rules=load_resource(lang, "clarity"), lang=lang, **params)


# --- registration -----------------------------------------------------------------------------
def register_analyzers() -> None:
    """Register every packaged analyzer factory (idempotent)."""
    global _registered
    if _registered:
        return
    analyzers.register("timing", func=make_timing)
    analyzers.register("spelling_grammar", func=make_spelling_grammar)
    analyzers.register("markers", func=make_markers)
    analyzers.register("conduct", func=make_conduct)
    analyzers.register("vocabulary", func=make_vocabulary)
    analyzers.register("clarity", func=make_clarity)
    _registered = True
