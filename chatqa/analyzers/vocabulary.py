"""Vocabulary richness and choice of words, measured on the advisor's own text (conversation level).

Definitions (docs/vocabulary.md states them with the minimum tokens of each):

* The advisor's *own text* is their messages minus canned replies (``own_text``); every
  measure but ``macro_text_ratio`` is computed on it, so a shop's standard explanation does
  not count for or against the advisor.
* *Diversity*: MTLD, MATTR and HD-D on lower-cased word forms and on lemmas
  (``chatqa.measures.diversity``), each NaN below its minimum number of words.
* *Sophistication*: the mean wordfreq Zipf frequency of the content words (words that are not
  stop words), and the share of them rarer than ``rare_zipf``.
* *Findings* in every advisor message (canned or not, said in their details): verbal tics,
  vague words, anglicisms (with the French word as the suggestion), and the third and later
  uses of a stock word, or of a content word that is not the customer's subject, in the
  advisor's own text. Only those in the own text count in ``vocabulary_issues_per_100_words``.
* *Repeated passages*: runs of words of the own text that a later own message writes again
  (``repeated_passages``), the advisor repeating instead of reformulating.
* *Connectors*: uses of a logical connector (« toutefois », « dans ce cas », « afin de ») in
  the own text (``connectors``): answers that explain, not only state.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from chatqa.analyzers.base import Analysis, ConversationContext, MetricSpec
from chatqa.analyzers.own_text import (
    AdvisorMessage,
    PatternSet,
    advisor_messages,
    apart,
    finding,
    is_long_word,
    other_findings,
)
from chatqa.measures.diversity import hdd, mattr, mtld
from chatqa.model import Conversation, Finding, Role, Severity
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from chatqa.resources.schemas import VocabularyResource, WordRepetition

NAN = math.nan


@lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    """The Zipf frequency of ``word`` in ``lang`` from wordfreq (0 for an unknown word)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, lang)


def repeated_passages(texts: Sequence[Sequence[str]], length: int) -> int:
    """Passages of ``length`` words or more written again in a later message.

    ``texts`` are the words of each message, in order. A passage counts each time a later
    message brings it back; a longer passage counts once, not once per window of ``length``
    words. Within one message, a list (« 7 à 10 jours ouvrés pour une livraison en relais,
    10 à 14 jours ouvrés pour une livraison à domicile ») is no repetition; words with a digit
    (anonymised names and postcodes, sizes) break a passage: an address or a product
    reference quoted twice is data, not wording.
    """
    earlier: set[tuple[str, ...]] = set()
    count = 0
    for words in texts:
        covered = -1  # the last word of the repeated passage being read
        current: set[tuple[str, ...]] = set()
        digit = [any(c.isdigit() for c in w) for w in words]
        for i in range(len(words) - length + 1):
            if any(digit[i:i + length]):
                continue
            window = tuple(words[i:i + length])
            if window in earlier:
                if i > covered:
                    count += 1
                covered = i + length - 1
            current.add(window)
        earlier |= current
    return count


_LETTERS = re.compile(r"[^\W\d_]+")


def _fold_word(word: str) -> str:
    """``word`` folded, without the apostrophe or hyphen spaCy leaves at its ends (« qu' »)."""
    return fold(word).strip("'’-")


#: A list item's mark: a dash or a bullet opening a line or after a space (« : - livraison… »).
_BULLET = re.compile(r"(?:^|\s)[-•*]\s", re.MULTILINE)


def _counted_lemma(word: Token, data: WordRepetition, topic: set[str],
                   inside: Sequence[tuple[int, int]]) -> str | None:
    """The folded lemma ``word`` counts under for word repetition, or None when it does not.

    Not counted: other parts of speech (but the general ``nouns``), stop words, short words,
    the ``ignore`` lemmas, the customer's words (``topic``, first letters), a word beside a
    number, a word inside another finding or a stock phrase (``inside``).
    """
    tagged = word.pos_ in data.pos
    if word.is_stop or not (tagged or word.pos_ == "NOUN") or len(word.text) < data.min_letters:
        return None  # the cheap tests first: most words stop here, unfolded
    lemma = _fold_word(word.lemma_ or word.text)
    if not tagged and lemma not in data.nouns:
        return None
    form, cut = _fold_word(word.text), data.stem_letters
    if (len(form) < data.min_letters or not lemma.isalpha() or lemma in data.ignore
            or lemma[:cut] in topic or form[:cut] in topic or _beside_a_number(word)
            or any(a <= word.idx < b for a, b in inside)):
        return None
    return lemma


def _beside_a_number(word: Token) -> bool:
    """Whether the word before or after ``word`` holds a digit: data, not wording.

    « 14 h », « 22 juin », « parfum spray 100 ml », an address after « _Name3_ »;
    punctuation between does not count.
    """
    doc = word.doc
    for step in (-1, 1):
        i = word.i + step
        while 0 <= i < len(doc) and doc[i].is_punct:
            i += step
        if 0 <= i < len(doc) and any(c.isdigit() for c in doc[i].text):
            return True
    return False


def customer_words(conversation: Conversation) -> set[str]:
    """The folded words the customer wrote in ``conversation`` (runs of letters)."""
    return {w for m in conversation.messages if m.role is Role.CUSTOMER
            for w in _LETTERS.findall(fold(m.text))}


@dataclass(frozen=True)
class VocabularyRules:
    """The compiled word lists of one language (``resources/<lang>/vocabulary.toml``)."""

    data: VocabularyResource
    tics: PatternSet
    vague: PatternSet
    anglicism: re.Pattern[str] | None
    anglicism_forms: Mapping[str, str]
    stock: PatternSet
    connectors: re.Pattern[str] | None

    @classmethod
    def from_resource(cls, data: VocabularyResource) -> VocabularyRules:
        """Compile a validated vocabulary resource."""
        forms = data.anglicisms.forms()
        words = sorted(forms, key=len, reverse=True)
        # a whole word; a verb may carry its pronoun (« pluggez-la », « forwardez-moi »)
        anglicism = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, words))
                               + r")(?!\w|-(?!(?:" + _CLITICS + r")\b))") if words else None
        return cls(
            data=data,
            tics=PatternSet.compile(data.tics.patterns),
            vague=PatternSet.compile(data.vague.patterns),
            anglicism=anglicism,
            anglicism_forms=forms,
            stock=PatternSet.compile(map(_whole_phrase, data.repetition.phrases)),
            connectors=_whole_phrases(data.connectors.phrases) if data.connectors.phrases
            else None,
        )


#: Pronouns joined to a verb by a hyphen (« pluggez-la »).
_CLITICS = "le|la|les|lui|leur|moi|toi|nous|vous|en|y"

#: A quoted stretch: an interface's label or a name the advisor quotes (« Settings »).
_QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”")


def _named(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` names something rather than being the advisor's wording.

    Inside quotes (« cliquez sur « Settings » »), part of a link's path (« … fr / tracking »,
    a link the anonymisation spaced out), or capitalised within a sentence (« le plan
    Business », « Team Pro »); a word in capitals (« ASAP ») or opening a sentence is wording.
    """
    if any(q.start() < start and end <= q.end() for q in _QUOTED.finditer(text)):
        return True
    before = text[:start].rstrip()
    if before.endswith("/"):
        return True
    word = text[start:end]
    if word[:1].isupper() and not word.isupper():
        return bool(before) and before[-1] not in ".!?:…\n"
    return False


def _whole_phrase(phrase: str) -> str:
    """``phrase`` as a regex of whole words (one ending in an apostrophe runs into the next)."""
    return r"(?<![\w'])" + _phrase_then_word_end(phrase)


def _whole_phrases(phrases: Sequence[str]) -> re.Pattern[str]:
    """One search for ``phrases`` as whole words, the longest first.

    The word start is asserted once, before the alternatives: asserted in each of them, it
    made the search thirty times slower.
    """
    return re.compile(r"(?<![\w'])(?:" + "|".join(map(_phrase_then_word_end, sorted(
        phrases, key=len, reverse=True))) + ")")


def _phrase_then_word_end(phrase: str) -> str:
    """``phrase`` escaped, then the end of a word unless it ends in an apostrophe."""
    return re.escape(phrase) + ("" if phrase.endswith("'") else r"(?![\w'])")


@dataclass(frozen=True, kw_only=True)
class VocabularyAnalyzer:
    """Lexical diversity, sophistication, tics, vague words, anglicisms and repetition.

    Built by ``make_vocabulary`` with the language's word lists; no grid parameter.
    """

    name: ClassVar[str] = "vocabulary"
    requires: ClassVar[tuple[str, ...]] = ("doc.sents",)
    version: ClassVar[int] = 5
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("own_words", "conversation",
                   "Words the advisor wrote outside canned replies."),
        MetricSpec("macro_text_ratio", "conversation",
                   "Share of the advisor's words that are in canned replies."),
        MetricSpec("mtld_score", "conversation",
                   "MTLD of the own text's word forms (NaN under 100 words)."),
        MetricSpec("mtld_lemma_score", "conversation",
                   "MTLD of the own text's lemmas (NaN under 100 words or without lemmas)."),
        MetricSpec("mattr_ratio", "conversation",
                   "Moving-average type-token ratio, windows of 50 words (NaN under 50)."),
        MetricSpec("mattr_lemma_ratio", "conversation",
                   "MATTR of the own text's lemmas (NaN under 50 words or without lemmas)."),
        MetricSpec("hdd_ratio", "conversation", "HD-D of the own text (NaN under 42 words)."),
        MetricSpec("hdd_lemma_ratio", "conversation",
                   "HD-D of the own text's lemmas (NaN under 42 words or without lemmas)."),
        MetricSpec("zipf_mean", "conversation",
                   "Mean Zipf frequency of the own text's content words (lower is rarer)."),
        MetricSpec("rare_word_ratio", "conversation",
                   "Share of the own text's content words outside the most frequent bands."),
        MetricSpec("long_word_ratio", "conversation",
                   "Share of the own words of seven letters or more (lexical sophistication)."),
        MetricSpec("vocabulary_issues_per_100_words", "conversation",
                   "Tics, vague words, anglicisms and repetitions per 100 own words."),
        MetricSpec("repeated_passages", "conversation",
                   "Passages of the own text written again in a later message (each later "
                   "time counts; NaN under the minimum own words)."),
        MetricSpec("connectors", "conversation",
                   "Logical connectors (« toutefois », « dans ce cas ») in the own text (NaN "
                   "under the minimum own words or without a connector list)."),
        MetricSpec("familiar_register_marks", "conversation",
                   "Familiar words, tutoiement and dropped « ne » in the own text, as the "
                   "markers and spelling analyzers found them (NaN where neither ran)."),
        MetricSpec("familiar_register_marks_per_100_words", "conversation",
                   "The same marks per 100 own words: what one familiar word weighs in a line "
                   "or two (NaN where neither analyzer ran)."),
    )
    codes: ClassVar[Mapping[str, str]] = {
        "vocabulary.tic": "A verbal tic or filler (« du coup », « en fait », « voilà »).",
        "vocabulary.vague": "A vague or empty word (« truc », « chose », « faire le nécessaire »).",
        "vocabulary.anglicism": "An English word with a French one for it, as the suggestion.",
        "vocabulary.repetition": "The third or later use of the same stock word.",
        "vocabulary.word_repetition": "The third or later use of the same content word (not "
                                      "the subject the customer named).",
    }

    rules: VocabularyRules
    lang: str = field(repr=False)

    def analyze_conversation(
        self, conversation: Conversation, context: ConversationContext | Sequence[Doc | None] = ()
    ) -> Analysis:
        """The vocabulary metrics of the advisor's own text, and the findings."""
        messages = advisor_messages(conversation, context)
        own = [m for m in messages if not m.macro]
        words = [w for m in own for w in m.words]
        all_words = sum(len(m.words) for m in messages)
        findings = self._findings(messages, conversation)
        minimum = self.rules.data.minimum
        forms = [w.lower_ for w in words]
        lemmas = [(w.lemma_ or "").lower() for w in words]
        has_lemmas = all(lemmas)  # a blank pipeline (English) has none
        content = [f for w, f in zip(words, forms, strict=True) if not w.is_stop and len(f) > 1]
        n = len(words)
        issues = sum(1 for f in findings if not f.details["macro"])
        zipfs = [zipf(w, self.lang) for w in content]
        enough_content = n >= minimum.words and len(content) >= minimum.content_words
        metrics = {
            "own_words": float(n) if messages else NAN,
            "macro_text_ratio": (all_words - n) / all_words if all_words else NAN,
            "mtld_score": mtld(forms) if n >= minimum.mtld_words else NAN,
            "mtld_lemma_score": mtld(lemmas) if n >= minimum.mtld_words and has_lemmas else NAN,
            "mattr_ratio": mattr(forms, minimum.mattr_window),
            "mattr_lemma_ratio": mattr(lemmas, minimum.mattr_window) if has_lemmas else NAN,
            "hdd_ratio": hdd(forms, minimum.hdd_draws),
            "hdd_lemma_ratio": hdd(lemmas, minimum.hdd_draws) if has_lemmas else NAN,
            "zipf_mean": sum(zipfs) / len(zipfs) if enough_content else NAN,
            "rare_word_ratio": sum(1 for z in zipfs if z < self.rules.data.frequency.rare_zipf)
            / len(zipfs) if enough_content else NAN,
            "long_word_ratio": sum(1 for w in words if is_long_word(w, minimum.long_word_letters))
            / n if n >= minimum.words else NAN,
            "vocabulary_issues_per_100_words": 100 * issues / n if n >= minimum.words else NAN,
            "repeated_passages": float(repeated_passages(
                [[w.lower_ for w in m.words] for m in own],
                self.rules.data.repetition.passage_words)) if n >= minimum.words else NAN,
            "connectors": float(sum(len(self.rules.connectors.findall(m.folded)) for m in own))
            if n >= minimum.words and self.rules.connectors is not None else NAN,
            "familiar_register_marks": self._register_marks(own, context)
            if n >= minimum.words else NAN,
        }
        metrics["familiar_register_marks_per_100_words"] = \
            100 * metrics["familiar_register_marks"] / n if n >= minimum.words else NAN
        return Analysis(metrics=metrics, findings=tuple(findings))

    def _register_marks(self, own: Sequence[AdvisorMessage],
                        context: ConversationContext | Sequence[Doc | None]) -> float:
        """Marks of a familiar register in the own messages (``[familiar_register] sources``)."""
        register = self.rules.data.familiar_register
        return other_findings(own, context, register.sources) if register else NAN

    def _findings(self, messages: Sequence[AdvisorMessage],
                  conversation: Conversation) -> list[Finding]:
        """Tics, vague words, anglicisms and repetitions of the advisor's messages."""
        rules, data = self.rules, self.rules.data
        out: list[Finding] = []
        for m in messages:
            spans = [("vocabulary.tic", s, data.tics.note) for s in rules.tics.spans(m.folded)]
            spans += [("vocabulary.vague", s, data.vague.note) for s in
                      rules.vague.spans(m.folded)
                      if not any(s[0] < b and a < s[1] for _, (a, b), _ in spans)]
            for code, (start, end), note in spans:
                out.append(finding(self.name, code, m, start, end, Severity.MINOR, note=note))
            if rules.anglicism is not None:
                for match in rules.anglicism.finditer(m.folded):
                    if _named(m.text, *match.span()) or self._in_english(m.folded, match):
                        continue
                    f = finding(self.name, "vocabulary.anglicism", m, *match.span(),
                                Severity.MINOR, note=data.anglicisms.note)
                    out.append(replace(f, suggestion=rules.anglicism_forms[match.group()]))
        stock = {m.index: self._stock_phrases(m) for m in messages if not m.macro}
        out.extend(self._repetitions(messages, stock))
        out.extend(self._word_repetitions(messages, conversation, out, stock))
        return sorted(out, key=lambda f: (f.message_index, f.start, f.code))

    def _in_english(self, folded: str, match: re.Match[str]) -> bool:
        """Whether ``match`` stands in a sentence written in English (``[anglicisms]``)."""
        data = self.rules.data.anglicisms
        start = max(folded.rfind(c, 0, match.start()) for c in ".!?\n") + 1
        ends = [i for i in (folded.find(c, match.end()) for c in ".!?\n") if i >= 0]
        around = folded[start:match.start()] + " " + folded[match.end():min(ends, default=None)]
        return sum(1 for w in _LETTERS.findall(around)
                   if w in data.english_words) >= data.english_sentence_words

    def _stock_phrases(self, message: AdvisorMessage) -> list[tuple[int, int, str]]:
        """``(start, end, phrase)`` of each stock phrase of ``message``, in order, no overlap.

        « bien entendu » is one use, not one of « entendu » as well. A phrase matches itself
        in the folded text, so the match is the phrase.
        """
        return apart((match.start(), match.end(), match.group())
                     for _, match in self.rules.stock.finditer(message.folded))

    def _repetitions(self, messages: Sequence[AdvisorMessage],
                     stock: Mapping[int, list[tuple[int, int, str]]]) -> list[Finding]:
        """Third and later uses of a stock word in the own text (in order of writing)."""
        data = self.rules.data.repetition
        uses: dict[str, int] = {}
        out = []
        for m in messages:
            if m.macro:
                continue
            for start, end, phrase in stock[m.index]:
                uses[phrase] = uses.get(phrase, 0) + 1
                if uses[phrase] >= data.min_uses:
                    out.append(finding(self.name, "vocabulary.repetition", m, start, end,
                                       Severity.MINOR, note=data.note, phrase=phrase,
                                       use=uses[phrase]))
        return out

    def _word_repetitions(self, messages: Sequence[AdvisorMessage], conversation: Conversation,
                          taken: Sequence[Finding],
                          stock: Mapping[int, list[tuple[int, int, str]]]) -> list[Finding]:
        """Third and later uses of a content word of the own text (by lemma, in order).

        Which words count: :func:`_counted_lemma`. In a list (two items or more), a word
        counts once per message: each item names it again.
        """
        data = self.rules.data.word_repetition
        if data is None:
            return []
        topic = {w[:data.stem_letters] for w in customer_words(conversation)}
        spans = {(f.message_index, f.start, f.end) for f in taken}
        uses: dict[str, int] = {}
        out = []
        for m in messages:
            if m.macro:
                continue
            inside = [(a, b) for i, a, b in spans if i == m.index]
            inside += [(a, b) for a, b, _ in stock[m.index]]
            in_list = len(_BULLET.findall(m.text)) >= 2  # each item says it again: once
            seen: set[str] = set()
            for w in m.words:
                lemma = _counted_lemma(w, data, topic, inside)
                if lemma is None or (in_list and lemma in seen):
                    continue
                seen.add(lemma)
                stem = lemma[:data.stem_letters]  # « informe » / « informerai »: the
                uses[stem] = uses.get(stem, 0) + 1  # lemmatizer misses some forms
                if uses[stem] >= data.min_uses:
                    out.append(finding(self.name, "vocabulary.word_repetition", m, w.idx,
                                       w.idx + len(w.text), Severity.MINOR, note=data.note,
                                       lemma=lemma, use=uses[stem]))
        return out

