"""The chat-aware layer: what chat text allows, and what an evaluator flags that checkers miss.

Whatever the backend, this layer

* drops issues on text that is not prose: URLs, e-mails, phone, order and ticket numbers,
  amounts, dates, emojis, placeholders (``_Name1_``), acronyms, brand names of the client's
  allow-list, accepted chat words (« mail », « ok », « appli ») and people's names, but not a
  capitalised word one edit from a proper noun the dictionary knows (« Marseile »);
* reports a sentence in another language once (``language.foreign``) instead of
  word by word;
* adds the checks backends miss or bury: lowercase sentence start (``typography.capital``),
  missing hyphen in an inversion (``typography.hyphen``), missing « ne »
  (``grammar.negation``), and usage errors of the resource's list (« pallier à »).

Each protection can be turned off (``ChatLayer(off=...)``, names in :data:`PROTECTIONS`) to
measure what it costs (``benchmarks/spelling_grammar_eval.py --protections``).

Its words, patterns and messages are data: ``[chat]``, ``[messages]`` and ``[morphology]`` of
``resources/<lang>/spelling_grammar.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chatqa.analyzers.spelling_grammar.builtin import (
    GrammarRules,
    HomophoneRules,
    Verbs,
    dictionary_dir,
)
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

#: What the layer keeps from being flagged, by name (``ChatLayer(off=...)`` turns some off).
#: Each ``[chat.protected]`` pattern of the resource is one more, under its key (``url``,
#: ``email``, ``with_digit``...).
PROTECTIONS: Mapping[str, str] = {
    "allow_list": "the client's allow-list of brand and product names",
    "participants": "the conversation's participants' names (applied by the analyzer's review)",
    "name_titles": "the word after a title (« M. », « Mme »)",
    "accepted_words": "accepted chat words (« mail », « ok », « appli »)",
    "capitalised": "an unknown capitalised word inside a sentence, taken for a name (unless it "
                   "reads as a typo of a proper noun of the dictionary)",
    "foreign": "a sentence in another language, reported once instead of word by word",
    "capital_clause": "a backend's lowercase-start issue counts only in a sentence read as one",
    "negation_idioms": "« pas mal de », « pas moins de »: not a negation missing « ne »",
    "consequences": "a backend issue that follows from the layer's hyphen or homophone finding",
    "apostrophe": "a word broken by a missing apostrophe is one error, not two",
}


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
    proper_noun_min_letters: int
    protected: tuple[tuple[str, re.Pattern[str]], ...]
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
            proper_noun_min_letters=chat.proper_noun_min_letters,
            protected=tuple((name, re.compile(p)) for name, p in chat.protected.items()),
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
    """Reviews a backend's issues for chat, and adds the chat checks.

    ``off`` names protections to turn off (:data:`PROTECTIONS` and the keys of
    ``[chat.protected]``), to measure what each one costs; by default all are on.
    ``proper_nouns=False`` takes every unknown capitalised word inside a sentence for a name,
    as the layer did before it looked for a proper noun one edit away.
    """

    def __init__(
        self,
        rules: ChatRules,
        *,
        lexicon: Lexicon,
        grammar: GrammarRules | None = None,
        detector: LanguageDetector | None = None,
        add_checks: Sequence[str] = ("capital", "hyphen", "negation", "usage", "conjugation",
                                     "homophone"),
        off: Collection[str] = (),
        proper_nouns: bool = True,
    ) -> None:
        unknown = sorted(set(off) - set(self.protection_names(rules)))
        if unknown:
            raise ValueError(f"unknown chat-layer protections {unknown}; the protections are "
                             f"{', '.join(self.protection_names(rules))}")
        self.rules = rules
        self.lexicon = lexicon
        self.grammar = grammar
        self.detector = detector
        self.add_checks = tuple(add_checks)
        self.off = frozenset(off)
        self.proper_nouns = proper_nouns
        self._verbs = Verbs(lexicon, rules.morphology)
        self._conjugation = ConjugationRules(lexicon, rules.supplement, rules.morphology,
                                             rules.messages)
        self._homophones = HomophoneRules(grammar) if grammar is not None else None

    @staticmethod
    def protection_names(rules: ChatRules) -> tuple[str, ...]:
        """Every protection ``off`` may name: :data:`PROTECTIONS`, then the resource's patterns."""
        return (*PROTECTIONS, *(name for name, _ in rules.protected))

    def on(self, protection: str) -> bool:
        """Whether ``protection`` is on."""
        return protection not in self.off

    def configured(self, *, off: Collection[str] = (), proper_nouns: bool | None = None,
                   add_checks: Sequence[str] | None = None) -> ChatLayer:
        """This layer with other options (same rules, lexicon, grammar and detector)."""
        return ChatLayer(
            self.rules, lexicon=self.lexicon, grammar=self.grammar, detector=self.detector,
            add_checks=self.add_checks if add_checks is None else add_checks, off=off,
            proper_nouns=self.proper_nouns if proper_nouns is None else proper_nouns,
        )

    # -- public -------------------------------------------------------------------------------
    def review(self, doc: Doc, issues: Sequence[RawIssue]) -> list[RawIssue]:
        """Return the issues an evaluator would keep, plus the layer's own, sorted by offset."""
        text = doc.text
        folded = fold(text)
        protected = self.protected_spans(doc, folded)
        sentences = split_sentences(text, self.rules.abbreviations)
        foreign = [s for s in sentences if self._is_foreign(s)] if self.on("foreign") else []
        kept: list[RawIssue] = []
        for issue in issues:
            if _inside_any(issue.start, issue.end, protected):
                continue
            if any(_overlaps(issue.start, issue.end, s.start, s.end) for s in foreign):
                continue
            if issue.code == "spelling.word":
                issue = self._reviewed_word(text, issue)
                if issue is None:
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
        if self.on("consequences"):
            kept = self._drop_consequences(text, kept, own)
        apostrophes = [i for i in own if i.code == "typography.apostrophe"] \
            if self.on("apostrophe") else []
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
        spans = [(m.start(), m.end()) for name, p in self.rules.protected if self.on(name)
                 for m in p.finditer(text)]
        folded = fold(text) if folded is None else folded
        if self.on("allow_list"):
            for name in self.rules.allow_list:
                for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", folded):
                    spans.append((m.start(), m.end()))
        if self.on("name_titles"):
            spans += self._names(doc)
        return spans

    # -- what chat allows ---------------------------------------------------------------------
    def _reviewed_word(self, text: str, issue: RawIssue) -> RawIssue | None:
        """A backend's unknown word as kept, or None when chat allows it.

        An unknown capitalised word inside a sentence is taken for a name (customer, advisor,
        place, product), unless it reads as a typo of a proper noun of the dictionary
        (« Marseile », « Guivenchy »: see :meth:`proper_nouns_near`): then it is kept, with that
        proper noun as the suggestion.
        """
        original = text[issue.start:issue.end]
        word = fold(original).strip("'’-")
        if self.on("accepted_words") and word in self.rules.accepted_words:
            return None
        if self.on("allow_list") and word in self.rules.allow_list:
            return None
        if not (self.on("capitalised") and original[:1].isupper()
                and not _sentence_start(text, issue.start) and not original.isupper()):
            return issue
        if not self.proper_nouns:
            return None
        nouns = self.proper_nouns_near(original.strip("'’-"), issue.suggestions)
        if not nouns:
            return None
        return replace(issue, suggestions=nouns,
                       message=self.rules.messages.proper_noun.format(noun=nouns[0]))

    def proper_nouns_near(self, word: str, suggestions: Sequence[str] = ()) -> tuple[str, ...]:
        """Proper nouns ``word`` is a likely typo of, best first.

        They are one edit away; the checker's ``suggestions`` among them come first, then
        accent fixes (« Noel » -> « Noël »).

        A proper noun is a capitalised entry of the lexicon's Hunspell dictionary (« Marseille »,
        « Fields »). A word the lexicon knows has none: it is spelled right; nor has a word of
        fewer than ``proper_noun_min_letters`` letters. An edit of the first letter (other than
        its accent) or of the ending is not taken for a typo: the first letter is seldom
        mistyped, and names come in variants that differ by their ending (« Karim » /
        « Karima », « Thomas » / « Thomass », « Hendrik » / « Hendrix »).
        """
        letters = sum(c.isalpha() for c in word)
        if letters < self.rules.proper_noun_min_letters or self.lexicon.knows(word):
            return ()
        near = [n for n in _proper_nouns_near(word, proper_nouns_of(self.lexicon),
                                              self.lexicon.letters) if _likely_typo(word, n)]
        first = tuple(s for s in suggestions if s in near)
        accents = tuple(n for n in near if fold(n) == fold(word) and n not in first)
        return first + accents + tuple(n for n in near if n not in first + accents)

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
            if sentence in foreign or (self.on("capital_clause")
                                       and not self._is_clause(doc, sentence)):
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
            if self.on("allow_list") and fold(word) in self.rules.allow_list:  # « iPhone »
                continue
            out.append(RawIssue(
                start, start + len(word), "chat_capital", "typography.capital",
                self.rules.messages.capital, (word[0].upper() + word[1:],), LAYER,
            ))
        return out

    def _capital_counts(self, doc: Doc, sentences: list[Sentence], issue: RawIssue) -> bool:
        """A backend's capital issue counts only in a sentence read as one (see _is_clause)."""
        if not self.on("capital_clause"):
            return True
        sentence = next((s for s in sentences if s.start <= issue.start < s.end), None)
        return sentence is None or self._is_clause(doc, sentence)

    def _not_a_negation(self, text: str, end: int) -> bool:
        """« pas mal de », « pas moins de », comparatives: not a negation missing « ne »."""
        return self.on("negation_idioms") and \
            re.match(self.rules.negation_exceptions, text[end:]) is not None

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


def proper_nouns_of(lexicon: Lexicon) -> frozenset[str]:
    """The proper nouns of ``lexicon``: the capitalised entries of its Hunspell dictionary.

    Dicollecte's dictionary writes a proper noun with its capital (« Marseille/L'D'Q' »,
    « Windows/L'D'Q' »); common nouns, verbs and adjectives are in lower case.
    """
    folder = getattr(lexicon, "folder", None) or dictionary_dir()
    if folder is None:
        return frozenset()
    return _read_proper_nouns(Path(folder) / f"{lexicon.language}.dic")


@lru_cache(maxsize=4)
def _read_proper_nouns(path: Path) -> frozenset[str]:
    if not path.is_file():
        return frozenset()
    nouns = set()
    with path.open(encoding="utf-8", errors="replace") as fh:
        next(fh, None)  # the first line is the entry count
        for line in fh:
            entry = line.split("/", 1)[0].split("\t", 1)[0].strip()
            if entry[:1].isupper() and not entry.isupper():
                nouns.add(entry)
    return frozenset(nouns)


@lru_cache(maxsize=4096)
def _proper_nouns_near(word: str, nouns: frozenset[str], letters: str) -> tuple[str, ...]:
    """The ``nouns`` one edit from ``word``, in the order the edits are tried.

    An edit transposes two letters, or replaces, deletes or inserts one of ``letters`` (either
    case): « Marseile » -> « Marseille », « Field » -> « Fields ».
    """
    letters += letters.upper()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    candidates = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    candidates += [a + c + b[1:] for a, b in splits if b for c in letters]
    candidates += [a + b[1:] for a, b in splits if b]
    candidates += [a + c + b for a, b in splits for c in letters]
    return tuple(dict.fromkeys(c for c in candidates if c != word and c in nouns))


def _likely_typo(word: str, noun: str) -> bool:
    """Whether ``word``, one edit from the proper noun ``noun``, reads as a typo of it.

    An accent fix is (« Epinay » -> « Épinay »); an edit of the first letter is not
    (« Bolt » / « Colt »), nor one of the last letter or at the end (« Armani » / « Armand »,
    « Angel » / « Angela »).
    """
    w, n = fold(word), fold(noun)
    if w == n:
        return True
    if w[:1] != n[:1] or w[-1:] != n[-1:]:
        return False
    return not (w.startswith(n) or n.startswith(w))


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
