"""Language tags chatqa accepts, and detection of the language of a text with lingua.

A tag comes from input (a conversation's ``language`` metadata), so it is normalised and
checked against the languages chatqa ships resources for before anything uses it: no input
value ever becomes part of a path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property, lru_cache

from chatqa.errors import Errors, TranscriptError
from chatqa.model import Conversation, Role
from chatqa.resources import load_shared_resource, shipped_languages
from chatqa.text import fold

#: A BCP-47-like tag: a primary subtag, then optional region / script subtags.
_TAG = re.compile(r"(?P<primary>[a-z]{2,3})(?:[-_][a-z0-9]{1,8})*")


def normalize_language(value: object) -> str | None:
    """The language chatqa supports that ``value`` names, or None.

    ``"FR"``, ``"fr-FR"``, ``"fr_FR"`` and ``"français"`` give ``"fr"``; ``"../x"``, ``"de"``
    (no resources) and non-strings give None.
    """
    return _normalize_tag(value) if isinstance(value, str) else None


@lru_cache(maxsize=256)
def _normalize_tag(value: str) -> str | None:
    tag = fold(value.strip())
    tag = load_shared_resource("language")["names"].get(tag, tag)
    match = _TAG.fullmatch(tag)
    if match is None:
        return None
    primary = load_shared_resource("language")["names"].get(match["primary"], match["primary"])
    return primary if primary in shipped_languages() else None


class LanguageDetector:
    """A lingua detector restricted to ``languages`` (ISO 639-1), built on first use."""

    def __init__(self, languages: Sequence[str] = ("fr", "en")) -> None:
        self.languages = tuple(languages)

    @cached_property
    def _detector(self):
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                  for code in self.languages]
        return LanguageDetectorBuilder.from_languages(*chosen).build()

    def detect(self, text: str) -> tuple[str, float]:
        """``(language, confidence)`` of the most likely language; ``("", 0.0)`` if none."""
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return "", 0.0
        best = values[0]
        return best.language.iso_code_639_1.name.lower(), float(best.value)

    def __reduce__(self):
        return (LanguageDetector, (self.languages,))


def conversation_language(
    conversation: Conversation, default: str, detector: LanguageDetector | None = None
) -> str:
    """The conversation's language: its metadata, else detected, else ``default``.

    Detection runs only with a ``detector``, on the advisor's and the customer's text
    (placeholders removed: an automatic greeting in the grid's language should not outweigh a
    conversation held in English), and is kept only when confident (``resources/language.toml``).

    Raises:
        TranscriptError: (E019) the metadata names a language chatqa has no resources for.
    """
    if conversation.language:
        language = normalize_language(conversation.language)
        if language is None:
            field = "language" if conversation.metadata.get("language") else "lang"
            raise TranscriptError(
                Errors.E019.format(
                    file="<records>", line="?", conversation_id=conversation.id, field=field,
                    value=conversation.language[:40], available=list(shipped_languages()),
                ),
                conversation_id=conversation.id, field=field, code="E019",
            )
        return language
    if detector is None:
        return default
    text = " ".join(m.text for m in conversation.messages
                    if m.role in (Role.ADVISOR, Role.CUSTOMER))
    cfg = load_shared_resource("language")
    text = re.sub(cfg["placeholder"], " ", text)[: cfg["max_chars"]]
    if len(text.split()) < cfg["min_words"]:
        return default
    language, confidence = detector.detect(text)
    return language if confidence >= cfg["min_confidence"] else default
