"""Tell which language a sentence is in, with lingua (short texts, mixed-language chat)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property


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
