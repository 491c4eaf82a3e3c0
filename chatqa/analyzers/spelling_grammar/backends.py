"""Choose and build a spelling / grammar backend; ``auto`` takes the best one present."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatqa.analyzers.spelling_grammar.builtin import BuiltinChecker, GrammarRules, Lexicon
from chatqa.analyzers.spelling_grammar.grammalecte import GrammalecteChecker, find_grammalecte
from chatqa.analyzers.spelling_grammar.issues import Checker
from chatqa.analyzers.spelling_grammar.languagetool import LanguageToolChecker
from chatqa.errors import ConfigError, Errors

if TYPE_CHECKING:
    from chatqa.resources.schemas import SpellingGrammarResource

#: Backend names a grid may give; ``auto`` picks the best one present.
BACKENDS = ("auto", "grammalecte", "languagetool", "builtin")


def resolve_backend(backend: str, lang: str, remote_server: str | None) -> str:
    """The backend ``auto`` stands for.

    Grammalecte (French, when installed), else a configured LanguageTool server, else builtin.
    """
    if backend not in BACKENDS:
        raise ConfigError(Errors.E206.format(backend=backend, available=list(BACKENDS)))
    if backend != "auto":
        return backend
    if lang == "fr" and find_grammalecte() is not None:
        return "grammalecte"
    if remote_server:
        return "languagetool"
    return "builtin"


def make_checker(
    backend: str,
    lang: str,
    data: SpellingGrammarResource,
    *,
    lexicon: Lexicon,
    remote_server: str | None = None,
    max_suggestions: int = 3,
) -> Checker:
    """Build the (already resolved) ``backend`` from the language's validated resource."""
    if backend == "grammalecte":
        if lang != "fr":
            problem = f"Grammalecte checks French, not {lang!r}"
            raise ConfigError(Errors.E205.format(backend=backend, problem=problem))
        cfg = data.grammalecte
        return GrammalecteChecker(
            disabled_options=cfg.disabled_options, enabled_options=cfg.enabled_options,
            types=cfg.types, rule_ids=cfg.rule_ids, max_suggestions=max_suggestions,
            spelling_message=data.messages.grammalecte_unknown_word,
        )
    if backend == "languagetool":
        lt = data.languagetool
        return LanguageToolChecker(
            remote_server=remote_server, language=lang, disabled_rules=lt.disabled_rules,
            rule_ids=lt.rule_ids, categories=lt.categories, max_suggestions=max_suggestions,
        )
    return BuiltinChecker(lexicon, GrammarRules.from_resource(data), max_suggestions)
