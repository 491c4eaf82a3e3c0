"""The chat-aware layer: what chat text allows, and what an evaluator flags that checkers miss.

Whatever the backend, this layer

* drops issues on text that is not prose: URLs, e-mails, phone, order and ticket numbers,
  amounts, dates, emojis, placeholders (``_Name1_``), acronyms, brand names of the client's
  allow-list, accepted chat words (« mail », « ok », « appli ») and people's names;
* reports a sentence in another language once (``language.foreign``) instead of
  word by word;
* adds the checks backends miss or bury: lowercase sentence start (``typography.capital``),
  missing hyphen in an inversion (``typography.hyphen``), missing « ne »
  (``grammar.negation``), and usage errors of the resource's list (« pallier à »).

Its words, patterns and messages are data: ``[chat]``, ``[messages]`` and ``[morphology]`` of
``resources/<lang>/spelling_grammar.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatqa.analyzers.spelling_grammar.builtin import GrammarRules, HomophoneRules, Verbs
from chatqa.analyzers.spelling_grammar.issues import RawIssue
from chatqa.analyzers.spelling_grammar.supplement import ConjugationRules
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from chatqa.analyzers.spelling_grammar.builtin import Lexicon
    from chatqa.language import LanguageDetector
    from chatqa.resources.schemas import (
        ChatForeign,
        ChatNegation,
        Morphology,
        SpellingGrammarMessages,
        SpellingGrammarResource,
        Supplement,
    )

#: Codes the layer itself reports.
LAYER = "chat"


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a message: character span and text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ChatRules:
    """The chat data of one language (``resources/<lang>/spelling_grammar.toml``).

    ``language`` is the language of the resource: a sentence detected in another one is
    foreign. The word lists of ``[chat]`` are folded (lower case, no accents) where the layer
    compares folded words; ``negation``, ``foreign``, ``supplement``, ``morphology`` and
    ``messages`` are the validated tables themselves.
    """

    language: str
    accepted_words: frozenset[str]
    allow_list: frozenset[str]
    abbreviations: frozenset[str]
    name_titles: frozenset[str]
    protected: tuple[re.Pattern[str], ...]
    hyphen_pronouns: frozenset[str]
    hyphen_verbs: frozenset[str]
    clause_starters: frozenset[str]
    negation_words: frozenset[str]
    not_after_plus: frozenset[str]
    capital_openers: frozenset[str]
    negation_exceptions: str
    negation_rewrites: tuple[tuple[re.Pattern[str], str], ...]
    clitics: frozenset[str]
    usage: tuple[tuple[re.Pattern[str], str, str, str, bool], ...]
    negation: ChatNegation
    foreign: ChatForeign
    supplement: Supplement
    morphology: Morphology
    messages: SpellingGrammarMessages

    @classmethod
    def from_resource(cls, data: SpellingGrammarResource, allow_list: Iterable[str] = (), *,
                      language: str) -> ChatRules:
        """Build from a validated ``spelling_grammar`` resource and a client's allow-list."""
        chat = data.chat
        return cls(
            language=language,
            accepted_words=frozenset(fold(w) for w in chat.accepted_words),
            allow_list=frozenset(fold(w) for w in allow_list),
            abbreviations=frozenset(fold(w) for w in chat.abbreviations),
            name_titles=frozenset(fold(w) for w in chat.name_titles),
            protected=tuple(re.compile(p) for p in chat.protected.values()),
            hyphen_pronouns=frozenset(chat.hyphen.pronouns),
            hyphen_verbs=frozenset(fold(w) for w in chat.hyphen.verbs),
            clause_starters=chat.hyphen.clause_starters,
            negation_words=frozenset(chat.negation.words),
            not_after_plus=frozenset(fold(w) for w in chat.negation.not_after_plus),
            capital_openers=frozenset(fold(w) for w in chat.capital.openers),
            negation_exceptions=chat.negation.exceptions,
            negation_rewrites=tuple((re.compile(r.prefix), r.replacement)
                                    for r in chat.negation.rewrites),
            clitics=frozenset(fold(w) for w in chat.clitics),
            usage=tuple((re.compile(e.pattern), e.code, e.message, e.suggestion, e.raw)
                        for e in chat.usage.entries),
            negation=chat.negation,
            foreign=chat.foreign,
            supplement=data.supplement,
            morphology=data.morphology,
            messages=data.messages,
        )


class ChatLayer:
    """Reviews a backend's issues for chat, and adds the chat checks."""

    def __init__(
        self,
        rules: ChatRules,
        *,
        lexicon: Lexicon,
        grammar: GrammarRules | None = None,
        detector: LanguageDetector | None = None,
        add_checks: Sequence[str] = ("capital", "hyphen", "negation", "usage", "conjugation",
                                     "homophone"),
    ) -> None:
        self.rules = rules
        self.lexicon = lexicon
        self.detector = detector
        self.add_checks = tuple(add_checks)
        self._verbs = Verbs(lexicon, rules.morphology)
        self._conjugation = ConjugationRules(lexicon, rules.supplement, rules.morphology,
                                             rules.messages)
        self._homophones = HomophoneRules(grammar) if grammar is not None else None

    # -- public -------------------------------------------------------------------------------
    def review(self, doc: Doc, issues: Sequence[RawIssue]) -> list[RawIssue]:
        """Return the issues an evaluator would keep, plus the layer's own, sorted by offset."""
        text = doc.text
        folded = fold(text)
        protected = self.protected_spans(doc, folded)
        sentences = split_sentences(text, self.rules.abbreviations)
        foreign = [s for s in sentences if self._is_foreign(s)]
        kept: list[RawIssue] = []
        for issue in issues:
            if _inside_any(issue.start, issue.end, protected):
                continue
            if any(_overlaps(issue.start, issue.end, s.start, s.end) for s in foreign):
                continue
            if issue.code == "spelling.word" and self._allowed_word(text, issue.start, issue.end):
                continue
            if issue.code == "typography.capital" and not self._capital_counts(doc, sentences,
                                                                               issue):
                continue
            if issue.code == "grammar.negation" and self._not_a_negation(text, issue.end):
                continue
            kept.append(issue)
        for sentence in foreign:
            kept.append(RawIssue(
                sentence.start, sentence.end, "chat_foreign_language", "language.foreign",
                self.rules.messages.foreign_language, (), LAYER,
            ))
        own: list[RawIssue] = []
        if "capital" in self.add_checks:
            own += self._capitals(doc, sentences, protected, foreign)
        if "hyphen" in self.add_checks:
            own += self._hyphens(doc, protected)
        if "negation" in self.add_checks:
            own += self._negations(doc, protected)
        if "usage" in self.add_checks:
            own += self._usage(text, folded, protected)
        if "conjugation" in self.add_checks:
            own += [i for i in self._conjugation.check(doc)
                    if not _inside_any(i.start, i.end, protected)]
        if "homophone" in self.add_checks and self._homophones is not None:
            own += [i for i in self._homophones.check(doc)
                    if not _inside_any(i.start, i.end, protected)]
        kept = self._drop_consequences(text, kept, own)
        apostrophes = [i for i in own if i.code == "typography.apostrophe"]
        if apostrophes:  # a word broken by a missing or wrong apostrophe is one error
            kept = [k for k in kept if not any(_overlaps(k.start, k.end, a.start, a.end)
                                               for a in apostrophes)]
        for issue in own:
            if issue.code != "typography.apostrophe" and any(
                    _overlaps(issue.start, issue.end, a.start, a.end) for a in apostrophes):
                continue
            if not any(_overlaps(issue.start, issue.end, k.start, k.end) and k.code == issue.code
                       for k in kept) and not any(
                           _overlaps(issue.start, issue.end, s.start, s.end) for s in foreign):
                kept.append(issue)
        return _dedupe(sorted(kept, key=lambda i: (i.start, i.end, i.code)))

    def _drop_consequences(self, text: str, kept: list[RawIssue],
                           own: list[RawIssue]) -> list[RawIssue]:
        """Drop backend issues that only follow from an error the layer names better.

        A backend that reads « puis je avoir » or « les colis son partis » literally reports
        « avoir » or « partis »; the layer's hyphen or homophone finding is the error, and the
        backend's issue on the next word is its consequence. A backend's negation issue next to
        the layer's is the same error: the layer's span (verb to « pas ») is kept.
        """
        out = []
        for k in kept:
            consequence = False
            for o in own:
                if o.code in ("typography.hyphen", "grammar.homophone") and \
                        k.code != "spelling.word" and o.start <= k.start <= _next_word_end(
                            text, o.end, skip=self.rules.clitics):
                    consequence = True
                if o.code == k.code == "grammar.negation" and (
                        _overlaps(k.start, k.end, o.start, o.end) or 0 <= o.start - k.end <= 12):
                    consequence = True
            if not consequence:
                out.append(k)
        return out

    def protected_spans(self, doc: Doc, folded: str | None = None) -> list[tuple[int, int]]:
        """Character spans never checked: patterns, allow-listed names, people's names."""
        text = doc.text
        spans = [(m.start(), m.end()) for p in self.rules.protected for m in p.finditer(text)]
        folded = fold(text) if folded is None else folded
        for name in self.rules.allow_list:
            for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", folded):
                spans.append((m.start(), m.end()))
        spans += self._names(doc)
        return spans

    # -- what chat allows ---------------------------------------------------------------------
    def _allowed_word(self, text: str, start: int, end: int) -> bool:
        word = fold(text[start:end]).strip("'’-")
        if word in self.rules.accepted_words or word in self.rules.allow_list:
            return True
        # a capitalised word in mid-sentence that the lexicon does not know is taken for a
        # name (customer, advisor, place, product)
        original = text[start:end]
        return (original[:1].isupper() and not _sentence_start(text, start)
                and not original.isupper())

    def _names(self, doc: Doc) -> list[tuple[int, int]]:
        """Words after a title (« Mme Dupuis », « Monsieur nguyen ») are names."""
        spans = []
        for token in doc[:-1]:
            if fold(token.text.rstrip(".")) in self.rules.name_titles:
                nxt = token.nbor(1)
                if nxt.text == "." and nxt.i + 1 < len(doc):
                    nxt = nxt.nbor(1)
                if nxt.is_alpha:
                    spans.append((nxt.idx, nxt.idx + len(nxt.text)))
        return spans

    def _is_foreign(self, sentence: Sentence) -> bool:
        if self.detector is None:
            return False
        cfg = self.rules.foreign
        words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", sentence.text)
        if len(words) < cfg.min_words:
            return False
        unknown = sum(1 for w in words if not self.lexicon.knows(w)) / len(words)
        if unknown < cfg.min_unknown_ratio:
            return False
        language, confidence = self.detector.detect(sentence.text)
        return language != self.rules.language and confidence >= cfg.min_confidence

    # -- what the layer adds ------------------------------------------------------------------
    def _capitals(self, doc, sentences, protected, foreign) -> list[RawIssue]:
        out = []
        for sentence in sentences:
            if sentence in foreign or not self._is_clause(doc, sentence):
                continue
            match = re.search(r"[^\W\d_][\w'’-]*", sentence.text)
            if match is None:
                continue
            start = sentence.start + match.start()
            word = match.group()
            lead = sentence.text[: match.start()]
            if lead.strip(" \t\n\"«“'(-–—•*"):  # starts with a number, emoji, URL...
                continue
            if not word[0].islower() or _inside_any(start, start + len(word), protected):
                continue
            if fold(word) in self.rules.allow_list:  # « iPhone », « eBay »
                continue
            out.append(RawIssue(
                start, start + len(word), "chat_capital", "typography.capital",
                self.rules.messages.capital, (word[0].upper() + word[1:],), LAYER,
            ))
        return out

    def _capital_counts(self, doc: Doc, sentences: list[Sentence], issue: RawIssue) -> bool:
        """A backend's capital issue counts only in a sentence read as one (see _is_clause)."""
        sentence = next((s for s in sentences if s.start <= issue.start < s.end), None)
        return sentence is None or self._is_clause(doc, sentence)

    def _not_a_negation(self, text: str, end: int) -> bool:
        """« pas mal de », « pas moins de », comparatives: not a negation missing « ne »."""
        return re.match(self.rules.negation_exceptions, text[end:]) is not None

    def _is_clause(self, doc: Doc, sentence: Sentence) -> bool:
        """Whether an evaluator reads ``sentence`` as a sentence.

        It opens as chat messages do (« bonjour », « merci »), or it has a finite verb that is
        not its first word, or a first word the lexicon knows only as a verb (« veuillez »):
        taggers call many one-word fragments (« solo », « réserve de faune ») verbs.
        """
        folded = fold(sentence.text)
        if any(re.match(rf"{re.escape(o)}(?![^\W\d_])", folded)
               for o in self.rules.capital_openers):
            return True
        span = doc.char_span(sentence.start, sentence.end, alignment_mode="expand")
        if span is None:
            return False
        for k, token in enumerate(t for t in span if not t.is_punct and not t.is_space):
            if token.pos_ in ("VERB", "AUX") and "Fin" in token.morph.get("VerbForm"):
                if k > 0 or self._verbs.only_a_verb(token.text):
                    return True
        return False

    def _hyphens(self, doc: Doc, protected) -> list[RawIssue]:
        out = []
        for token in doc[:-1]:
            nxt = token.nbor(1)
            if nxt.text.lower() not in self.rules.hyphen_pronouns or not token.whitespace_:
                continue
            verb = fold(token.text)
            is_verb = token.pos_ in ("VERB", "AUX") and "Fin" in token.morph.get("VerbForm")
            if not (verb in self.rules.hyphen_verbs or is_verb):
                continue
            if not _clause_start(token, self.rules.clause_starters):
                continue
            # « Pouvez vous » is an inversion; « puis je » too; « est il » needs -t- rules
            # the backends know, so keep to the listed verbs or a verb whose subject it is.
            if verb not in self.rules.hyphen_verbs and not (
                    nxt.dep_.startswith("nsubj") and nxt.head.i in (token.i, token.head.i)):
                continue
            start, end = token.idx, nxt.idx + len(nxt.text)
            if _inside_any(start, end, protected):
                continue
            out.append(RawIssue(
                start, end, "chat_inversion_hyphen", "typography.hyphen",
                self.rules.messages.inversion_hyphen, (f"{token.text}-{nxt.text}",), LAYER,
            ))
        return out

    def _usage(self, text: str, folded: str, protected) -> list[RawIssue]:
        """Usage errors of the resource's list (« pallier à », « quelque soit »...)."""
        out = []
        for pattern, code, message, suggestion, raw in self.rules.usage:
            for match in pattern.finditer(text if raw else folded):
                start, end = match.start(), match.start() + len(match.group().rstrip())
                # a malformed link sits inside what looks like a URL: not protected
                if end > start and (code == "typography.link"
                                    or not _inside_any(start, end, protected)):
                    out.append(RawIssue(start, end, "chat_usage", code, message, (suggestion,),
                                        LAYER))
        return out

    def _negations(self, doc: Doc, protected) -> list[RawIssue]:
        negation = self.rules.negation
        out = []
        for token in doc:
            word = token.text.lower()
            if word not in self.rules.negation_words or token.i == 0:
                continue
            if word == negation.comparative and token.i + 1 < len(doc) and (
                    fold(token.nbor(1).text) in self.rules.not_after_plus
                    or token.nbor(1).pos_ in ("ADJ", "ADV", "NUM")
                    or any(fold(t.text) in negation.comparative_ends
                           for t in doc[token.i + 1:token.i + 4])):
                continue  # « plus de 3 jours », « plus froides que prévu »: not a negation
            if self._not_a_negation(doc.text, token.idx - 1):
                continue
            verb = token.nbor(-1)
            if not (verb.pos_ in ("VERB", "AUX") and "Fin" in verb.morph.get("VerbForm")):
                continue
            # « ne » / « n' » anywhere between the clause start and the verb
            clause = _clause_tokens_before(verb)
            if any(t.text.lower() in negation.ne_forms for t in clause):
                continue
            start = verb.idx
            # « c'est pas », « y a pas », « j'sais pas »: include the clitic subject
            prev = verb.nbor(-1) if verb.i > 0 else None
            if prev is not None and not prev.whitespace_ and prev.text.endswith(("'", "’")):
                start = prev.idx
            elif prev is not None and prev.text.lower() in negation.span_from:
                start = prev.idx
            end = token.idx + len(token.text)
            if _inside_any(start, end, protected):
                continue
            out.append(RawIssue(
                start, end, "chat_missing_ne", "grammar.negation",
                self.rules.messages.missing_ne, (self._with_ne(doc.text[start:end]),), LAYER,
            ))
        return out

    def _with_ne(self, span: str) -> str:
        """``span`` with « ne » added (« c'est pas » -> « ce n'est pas »)."""
        for prefix, replacement in self.rules.negation_rewrites:
            match = prefix.match(span)
            if match:
                return replacement + span[match.end():]
        negation = self.rules.negation
        first = span.split(" ", 1)[0]
        elided = negation.ne_elided if first[:1].lower() in negation.elision_initials \
            else negation.ne
        return elided + span


def split_sentences(text: str, abbreviations: frozenset[str] = frozenset()) -> list[Sentence]:
    """Split on . ! ? … and line breaks, keeping abbreviations (« M. », « etc. ») inside."""
    sentences: list[Sentence] = []
    start = 0
    for match in re.finditer(r"[.!?…]+(?=\s)|\n+", text):
        if match.group().startswith("."):
            before = re.search(r"(\w+)$", text[start:match.start()])
            if before and (fold(before.group(1)) in abbreviations or len(before.group(1)) == 1):
                continue
        end = match.end()
        _append(sentences, text, start, end)
        start = end
    _append(sentences, text, start, len(text))
    return sentences


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    offset = start + chunk.index(stripped)
    sentences.append(Sentence(offset, offset + len(stripped), stripped))


def _clause_start(token, starters: frozenset[str]) -> bool:
    prev = token.nbor(-1) if token.i > 0 else None
    if prev is not None and prev.text.endswith(("'", "’")):
        return False  # « c’est elle »: the elided word belongs to the verb
    if token.i == token.sent.start or prev is None:
        return True
    return prev.is_punct or fold(prev.text) in starters


def _clause_tokens_before(verb) -> list:
    tokens = []
    i = verb.i - 1
    while i >= verb.sent.start:
        t = verb.doc[i]
        if t.is_punct and t.text not in ("'", "’", "-"):
            break
        tokens.append(t)
        i -= 1
    return tokens


def _next_word_end(text: str, end: int, skip: frozenset[str] = frozenset()) -> int:
    """End of the first word after ``end`` that is not in ``skip`` (clitics: « vous »)."""
    for match in re.finditer(r"\w+", text[end:]):
        if fold(match.group()) not in skip:
            return end + match.end()
    return end


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?…\n"


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _inside_any(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans) or any(
        _overlaps(start, end, s, e) and (e - s) >= (end - start) for s, e in spans)


def _dedupe(issues: list[RawIssue]) -> list[RawIssue]:
    out: list[RawIssue] = []
    for issue in issues:
        if out and out[-1].start == issue.start and out[-1].end == issue.end:
            continue
        out.append(issue)
    return out
