"""Grammalecte, the reference French grammar checker, found on the machine and never bundled.

Grammalecte is GPL-3: chatqa does not ship or copy it. It is loaded at run time from the
folder given by the ``CHATQA_GRAMMALECTE_PATH`` environment variable, else from where Debian's
``python3-grammalecte`` installs it (``/usr/lib/python3/dist-packages``), else from the Python
path. Chat-hostile typography options are turned off from the resource file.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from chatqa.analyzers.spelling_grammar.issues import RawIssue
from chatqa.errors import ConfigError, Errors

if TYPE_CHECKING:
    from spacy.tokens import Doc

#: Environment variable naming the folder that holds the ``grammalecte`` package.
ENV_VAR = "CHATQA_GRAMMALECTE_PATH"
#: Where Debian's python3-grammalecte puts the package.
DEBIAN_DIR = Path("/usr/lib/python3/dist-packages")


def grammalecte_dirs() -> list[Path]:
    """Folders searched for the ``grammalecte`` package, in order."""
    dirs = []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]))
    dirs.append(DEBIAN_DIR)
    return dirs


def find_grammalecte() -> Path | None:
    """The folder holding the ``grammalecte`` package, or None when it is not installed."""
    for folder in grammalecte_dirs():
        if (folder / "grammalecte" / "__init__.py").is_file():
            return folder
    spec = importlib.util.find_spec("grammalecte")
    if spec is not None and spec.origin:
        return Path(spec.origin).parent.parent
    return None


def _import_grammalecte(folder: Path):
    """Import the package from ``folder`` without letting the rest of that folder shadow ours."""
    if "grammalecte" in sys.modules:
        return sys.modules["grammalecte"]
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("grammalecte")
    finally:
        sys.path.remove(str(folder))


class GrammalecteChecker:
    """Adapter: Grammalecte's paragraph errors and spelling errors as :class:`RawIssue`."""

    name: ClassVar[str] = "grammalecte"

    def __init__(
        self,
        *,
        disabled_options: Sequence[str] = (),
        enabled_options: Sequence[str] = (),
        types: Mapping[str, str],
        rule_ids: Mapping[str, str] | None = None,
        spelling_message: str,
        max_suggestions: int = 3,
        folder: Path | None = None,
    ) -> None:
        folder = folder or find_grammalecte()
        if folder is None:
            raise ConfigError(Errors.E205.format(
                backend="grammalecte",
                problem="Grammalecte is not installed (Debian: apt-get install "
                        f"python3-grammalecte, or set {ENV_VAR} to its folder)"))
        self._config = {"disabled_options": tuple(disabled_options),
                        "enabled_options": tuple(enabled_options), "types": dict(types),
                        "rule_ids": dict(rule_ids or {}), "spelling_message": spelling_message,
                        "max_suggestions": max_suggestions, "folder": folder}
        module = _import_grammalecte(folder)
        self._checker = module.GrammarChecker("fr")
        engine = self._checker.getGCEngine()
        engine.setOptions({o: False for o in disabled_options} |
                          {o: True for o in enabled_options})
        self.types = dict(types)
        self.rule_ids = tuple((re.compile(p), code) for p, code in (rule_ids or {}).items())
        #: the message of a spelling error, which Grammalecte gives without one
        self.spelling_message = spelling_message
        self.max_suggestions = max_suggestions

    def check(self, text: str, doc: Doc | None = None) -> list[RawIssue]:
        """Check each line of ``text`` as a paragraph; offsets are into ``text``."""
        issues: list[RawIssue] = []
        offset = 0
        for line in text.split("\n"):
            if line.strip():
                grammar, spelling = self._checker.getParagraphErrors(line, bSpellSugg=False)
                for err in _merge_parts(grammar):
                    issues.append(self._issue(err, err["sType"], err["sRuleId"], offset))
                for err in spelling:
                    issues.append(self._issue(err, "WORD", "spelling.word", offset))
            offset += len(line) + 1
        return issues

    def _issue(self, err: Mapping[str, Any], kind: str, rule_id: str, offset: int) -> RawIssue:
        code = next((c for p, c in self.rule_ids if p.search(rule_id)), None) or \
            self.types.get(kind, "grammar.usage")
        message = err.get("sMessage") or self.spelling_message
        return RawIssue(
            offset + err["nStart"], offset + err["nEnd"], f"{kind}:{rule_id}", code, message,
            tuple(err.get("aSuggestions", ()))[: self.max_suggestions], self.name,
        )

    def __reduce__(self):
        return (_rebuild, (self._config,))


def _merge_parts(errors: list[Mapping[str, Any]], gap: int = 40) -> list[dict[str, Any]]:
    """Merge the spans Grammalecte reports for one error into one issue.

    « Le techniciens » comes as two spans of the same rule (``gn_le_1m__b4_a3`` and
    ``__b4_a4``): one error for the evaluator, one finding.
    """
    merged: list[dict[str, Any]] = []
    for err in sorted(errors, key=lambda e: e["nStart"]):
        rule = err["sRuleId"]
        # graph rules name their actions __bN_aM: two actions of one rule are one error
        key = re.sub(r"_a\d+(_\d+)?$", "", rule) if re.search(r"__b\d+_a\d+", rule) else None
        last = merged[-1] if merged else None
        if key is not None and last is not None and last["_key"] == key and \
                err["nStart"] - last["nEnd"] <= gap:
            last["nEnd"] = max(last["nEnd"], err["nEnd"])
            continue
        merged.append({**err, "_key": key})
    return merged


def _rebuild(config: dict[str, Any]) -> GrammalecteChecker:
    return GrammalecteChecker(**config)

