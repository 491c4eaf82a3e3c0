"""LanguageTool, for users who run a LanguageTool server, through ``language_tool_python``.

chatqa never downloads or starts LanguageTool: the grid gives the URL of a running server
(``remote_server``). The adapter maps LanguageTool's rule ids and categories to chatqa's codes
from the resource file. Tests run it against a local HTTP server that answers with
LanguageTool's documented ``/v2/check`` JSON, since LanguageTool itself cannot be installed
where the tests run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.spelling_grammar.issues import RawIssue
from chatqa.errors import ConfigError, Errors

if TYPE_CHECKING:
    from spacy.tokens import Doc


class LanguageToolChecker:
    """Adapter: LanguageTool matches as :class:`RawIssue` with chatqa's codes."""

    name: ClassVar[str] = "languagetool"

    def __init__(
        self,
        *,
        remote_server: str | None,
        language: str = "fr",
        disabled_rules: Sequence[str] = (),
        rule_ids: Mapping[str, str],
        categories: Mapping[str, str],
        max_suggestions: int = 3,
    ) -> None:
        if not remote_server:
            raise ConfigError(Errors.E207)
        self._config = {"remote_server": remote_server, "language": language,
                        "disabled_rules": tuple(disabled_rules), "rule_ids": dict(rule_ids),
                        "categories": dict(categories), "max_suggestions": max_suggestions}
        try:
            import language_tool_python
        except ImportError as exc:
            raise ConfigError(Errors.E205.format(
                backend="languagetool",
                problem=f"{exc}; install it with `pip install language-tool-python`")) from None
        try:
            self._tool = language_tool_python.LanguageTool(language, remote_server=remote_server)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server
            raise ConfigError(Errors.E205.format(
                backend="languagetool",
                problem=f"the server at {remote_server} did not answer ({exc})")) from None
        self._tool.disabled_rules.update(disabled_rules)
        self.rule_ids = tuple((re.compile(p), code) for p, code in rule_ids.items())
        self.categories = dict(categories)
        self.max_suggestions = max_suggestions

    def check(self, text: str, doc: Doc | None = None) -> list[RawIssue]:
        """Send ``text`` to the server; map every match it returns."""
        return [self.to_issue(m) for m in self._tool.check(text)]

    def to_issue(self, match: Any) -> RawIssue:
        """One ``language_tool_python.Match`` (LanguageTool's JSON match) as a RawIssue."""
        return RawIssue(
            match.offset, match.offset + match.error_length, match.rule_id,
            self.code_for(match.rule_id, match.category), match.message,
            tuple(match.replacements[: self.max_suggestions]), self.name,
        )

    def code_for(self, rule_id: str, category: str) -> str:
        """The chatqa code of a LanguageTool rule: by rule id pattern, else by category."""
        for pattern, code in self.rule_ids:
            if pattern.search(rule_id):
                return code
        return self.categories.get(category, "grammar.usage")

    def __reduce__(self):
        return (_rebuild, (self._config,))


def _rebuild(config: dict[str, Any]) -> LanguageToolChecker:
    return LanguageToolChecker(**config)
