"""Clarity and construction of sentences, measured on the advisor's own text (conversation level).

Definitions (docs/clarity.md states them with the minimum tokens of each):

* Sentences are spaCy's (``doc.sents``); words are ``own_text`` words. Sentence length,
  readability (Flesch with Kandel and Moles's constants, LIX) and syntax (mean dependency
  distance, subordinate clauses, passive voice, noun chains; French parse only) are computed on
  the advisor's own text (canned replies left out), NaN below the minimum.
* Per message (``message_metrics``): ``sentences`` and ``max_sentence_words`` of every
  advisor message with a parse.
* Findings in every advisor message (canned or not, said in their details): a wall of text (a
  message over ``wall_words`` words without a line break), jargon (an all-capitals term or code
  that is no common word, a hyphenated code, a reason code or a listed trade term, not public,
  not in the client's glossary, not explained where it is first used and not first written by
  the customer), shouting (a common word in capitals),
  runs of « ? », « ! » or dots, raw pastes (``chatqa.analyzers.raw_paste``) and run-on
  sentences (``chatqa.analyzers.run_on``; French: it needs the morphologizer).
* In customer messages: the customer saying they did not understand the advisor's message just
  before theirs, asking what it means or asking for it again (``clarity.not_understood``; the
  span is the customer's words, ``details["advisor_message"]`` the message not understood).

Only the findings in the own text (for ``not_understood``: on an own advisor message) count in
``clarity_issues`` and ``clarity_issues_per_100_words``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from chatqa.analyzers.base import Analysis, ConversationContext, MetricSpec, check_param
from chatqa.analyzers.own_text import (
    PLACEHOLDER,
    AdvisorMessage,
    PatternSet,
    advisor_messages,
    apart,
    finding,
    is_long_word,
    other_findings,
)
from chatqa.analyzers.raw_paste import pasted_spans
from chatqa.analyzers.run_on import run_on_spans
from chatqa.analyzers.vocabulary import zipf
from chatqa.measures.readability import flesch, lix, syllables
from chatqa.model import Conversation, Finding, Role, Severity
from chatqa.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

    from chatqa.resources.schemas import ClarityResource

NAN = math.nan
#: Dependency labels of a subordinate clause, and of a passive construction (UD, French).
SUBORDINATE_DEPS = frozenset({"advcl", "acl", "acl:relcl", "ccomp", "csubj"})
PASSIVE_DEPS = frozenset({"aux:pass", "nsubj:pass", "expl:pass", "csubj:pass"})
#: Two capitals in a row (Latin script): a message without them holds no shouting, and its
#: tokens need not be read.
TWO_CAPITALS = re.compile(r"[A-ZÀ-ÖØ-ÞŒŸ]{2}")


@dataclass(frozen=True, kw_only=True)
class ClarityAnalyzer:
    """Sentence length, readability, syntax, walls of text, jargon, shouting, punctuation.

    The grid's ``[analyzers.clarity]`` may give ``glossary``: the client's file of terms its
    customers know (one per line, ``#`` comments), which are no jargon.
    """

    name: ClassVar[str] = "clarity"
    requires: ClassVar[tuple[str, ...]] = ("doc.sents",)
    version: ClassVar[int] = 14
    metrics: ClassVar[tuple[MetricSpec, ...]] = (
        MetricSpec("sentences", "message", "Sentences of the advisor message."),
        MetricSpec("max_sentence_words", "message", "Words of its longest sentence."),
        MetricSpec("sentence_words_mean", "conversation",
                   "Mean words per sentence of the own text."),
        MetricSpec("longest_sentence_words", "conversation",
                   "Words of the own text's longest sentence."),
        MetricSpec("flesch_score", "conversation",
                   "Flesch reading ease with the language's constants (higher is easier)."),
        MetricSpec("lix_score", "conversation", "LIX readability index (lower is easier)."),
        MetricSpec("dependency_distance_mean", "conversation",
                   "Mean distance in words between a word and its head (NaN without a parse)."),
        MetricSpec("subordinate_clauses_per_sentence", "conversation",
                   "Subordinate clauses per sentence (NaN without a parse)."),
        MetricSpec("passive_sentence_ratio", "conversation",
                   "Share of sentences in the passive voice (NaN without a parse)."),
        MetricSpec("long_noun_chains", "conversation",
                   "Chains of three or more nouns linked by « de » and the like."),
        MetricSpec("wall_of_text_messages", "conversation",
                   "Own messages over the wall-of-text limit without a line break (a count; "
                   "NaN without an own message)."),
        MetricSpec("raw_paste_messages", "conversation",
                   "Own messages holding text pasted raw from a tool or a page (a count; NaN "
                   "without an own message)."),
        MetricSpec("run_on_sentences", "conversation",
                   "Run-on sentences of the own text: clauses strung together with nothing to "
                   "part them (a count; NaN without an own parsed message or a morphologizer)."),
        MetricSpec("one_word_replies", "conversation",
                   "Own messages of a single word (a count; NaN without an own message)."),
        MetricSpec("multi_question_messages", "conversation",
                   "Own messages asking two questions or more (a count; NaN without an own "
                   "message)."),
        MetricSpec("not_understood_messages", "conversation",
                   "Own messages the customer said they did not understand (a count; NaN "
                   "without an own message)."),
        MetricSpec("clarity_issues", "conversation",
                   "Walls of text, raw pastes, run-on sentences, jargon, shouting, repeated "
                   "punctuation and messages the customer did not understand, in the own text "
                   "(a count; NaN under the minimum of own words, as the rate)."),
        MetricSpec("clarity_issues_per_100_words", "conversation",
                   "Walls of text, raw pastes, run-on sentences, jargon, shouting, repeated "
                   "punctuation and messages the customer did not understand, per 100 own "
                   "words."),
        MetricSpec("jargon_per_100_words", "conversation",
                   "Internal terms and codes not explained (the jargon findings) per 100 own "
                   "words: what shorthand weighs in the wording (NaN under the minimum)."),
        MetricSpec("grammar_errors_per_100_words", "conversation",
                   "Grammar findings of the spelling and grammar analyzer (badly built "
                   "sentences) in the own text per 100 own words; NaN where it did not run."),
    )
    codes: ClassVar[Mapping[str, str]] = {
        "clarity.wall_of_text": "A long message without a line break; the span is the message.",
        "clarity.jargon": "An internal term or code the customer cannot know, not explained.",
        "clarity.shouting": "Words in capitals for emphasis.",
        "clarity.punctuation": "A run of « ? », « ! » or dots.",
        "clarity.raw_paste": "Text pasted as it came from a tool or a page (an order summary, "
                             "a product page, tracking lines, error output).",
        "clarity.run_on": "A run-on sentence: clauses strung together with nothing to part "
                          "them.",
        "clarity.not_understood": "The customer says they did not understand the advisor's "
                                  "message just before; the span is the customer's words.",
    }

    rules: ClarityResource
    lang: str = field(repr=False)
    glossary: str | None = None
    _known: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)
    _token: re.Pattern[str] = field(default=None, init=False, repr=False, compare=False)
    _maybe_term: re.Pattern[str] = field(default=None, init=False, repr=False, compare=False)
    _punctuation: re.Pattern[str] = field(default=None, init=False, repr=False, compare=False)
    _lost: PatternSet = field(default=None, init=False, repr=False, compare=False)
    _term_questions: PatternSet = field(default=None, init=False, repr=False, compare=False)
    _trade_terms: re.Pattern[str] = field(default=None, init=False, repr=False, compare=False)
    _hyphen_code: re.Pattern[str] = field(default=None, init=False, repr=False, compare=False)
    _definition_phrases: tuple[str, ...] = field(default=(), init=False, repr=False,
                                                 compare=False)

    def __post_init__(self) -> None:
        """Read the glossary (E201 when it is no readable file) and compile the patterns."""
        known = {w.upper() for w in self.rules.jargon.public}
        if self.glossary is not None:
            path = Path(self.glossary)
            check_param("ClarityAnalyzer", "glossary", self.glossary, path.is_file(),
                        "the path of a text file of terms, one per line")
            terms = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8")
                     .splitlines())
            known |= {t.split("=", 1)[0].strip().upper() for t in terms if t}
        object.__setattr__(self, "_known", frozenset(known))
        jargon = self.rules.jargon
        object.__setattr__(self, "_token", re.compile(jargon.token))
        # the term pattern unanchored, or a digit: a text without either holds no term in
        # capitals nor an error code, and its tokens need not be read one by one
        unanchored = jargon.token.removeprefix("^").removesuffix("$")
        object.__setattr__(self, "_maybe_term", re.compile(f"(?:{unanchored})|[0-9]"))
        object.__setattr__(self, "_trade_terms", _words_pattern(jargon.trade_terms))
        object.__setattr__(self, "_hyphen_code", re.compile(jargon.hyphen_code or "(?!)"))
        object.__setattr__(self, "_definition_phrases", tuple(map(fold, jargon.definition_phrases)))
        object.__setattr__(self, "_punctuation", re.compile(self.rules.punctuation.pattern))
        lost = self.rules.not_understood
        if lost is not None:
            object.__setattr__(self, "_lost", PatternSet.compile(lost.patterns))
            object.__setattr__(self, "_term_questions", PatternSet.compile(lost.term_questions))

    def analyze_conversation(
        self, conversation: Conversation, context: ConversationContext | Sequence[Doc | None] = ()
    ) -> Analysis:
        """Clarity metrics of the advisor's own text, per-message sentence counts, findings."""
        messages = advisor_messages(conversation, context)
        own = [m for m in messages if not m.macro and m.doc is not None]
        findings = [*self._walls(messages), *self._jargon(conversation, messages),
                    *self._shouting(messages), *self._punctuation_runs(messages),
                    *self._raw_pastes(messages), *self._run_ons(messages),
                    *self._not_understood(conversation, messages)]
        sentences = [(m, s, w) for m in own for s, w in m.sentence_words if w]
        words = [w for _, _, ws in sentences for w in ws]
        n, k = len(words), len(sentences)
        minimum = self.rules.minimum
        enough = n >= minimum.words and k >= minimum.sentences
        lang = self.lang
        syll = sum(syllables(w.lower_, lang) for w in words) if enough else 0
        long_words = sum(1 for w in words if is_long_word(w, self.rules.limits.long_word_letters))
        parsed = [(s, ws) for m, s, ws in sentences if m.doc.has_annotation("DEP")]
        # the findings of the own text by code (a canned reply's are the company's); a message
        # the customer did not understand is one issue, however many words say so
        own_codes = Counter(f.code for f in findings if not f.details["macro"])
        lost = {f.details["advisor_message"] for f in findings
                if f.code == "clarity.not_understood" and not f.details["macro"]}
        issues = len(lost) + own_codes.total() - own_codes["clarity.not_understood"]
        metrics = {
            "sentence_words_mean": n / k if n >= minimum.words else NAN,
            "longest_sentence_words": float(max((len(w) for _, _, w in sentences), default=0))
            if n >= minimum.words else NAN,
            "flesch_score": flesch(n, k, syll, self.rules.readability.flesch) if enough else NAN,
            "lix_score": lix(n, k, long_words) if enough else NAN,
            **self._syntax(parsed, n >= minimum.words),
            "wall_of_text_messages": float(own_codes["clarity.wall_of_text"]) if own else NAN,
            "raw_paste_messages": float(len({
                f.message_index for f in findings if f.code == "clarity.raw_paste"
                and not f.details["macro"]})) if own else NAN,
            "run_on_sentences": float(own_codes["clarity.run_on"])
            if own and self.rules.run_on and any(m.doc.has_annotation("DEP") for m in own)
            else NAN,
            "one_word_replies": float(sum(1 for m in own if len(m.words) == 1)) if own
            else NAN,
            "multi_question_messages": float(sum(  # « ?? » is one question, not two
                1 for m in own if sum(1 for s, w in m.sentence_words
                                      if w and s.text.rstrip().endswith("?")) >= 2))
            if own else NAN,
            "not_understood_messages": float(len(lost)) if own else NAN,
            "clarity_issues": float(issues) if n >= minimum.words else NAN,
            "clarity_issues_per_100_words": 100 * issues / n if n >= minimum.words else NAN,
            "jargon_per_100_words": 100 * own_codes["clarity.jargon"] / n
            if n >= minimum.words else NAN,
            "grammar_errors_per_100_words": self._grammar_rate(own, context, n)
            if n >= minimum.words else NAN,
        }
        per_message = {}
        for m in messages:
            if m.doc is not None:
                lengths = [len(w) for _, w in m.sentence_words]
                per_message[m.index] = {"sentences": float(sum(1 for x in lengths if x)),
                                        "max_sentence_words": float(max(lengths, default=0))}
        return Analysis(metrics=metrics, message_metrics=per_message,
                        findings=tuple(sorted(findings, key=lambda f: (f.message_index, f.start,
                                                                      f.code))))

    def _grammar_rate(self, own: Sequence[AdvisorMessage],
                      context: ConversationContext | Sequence[Doc | None], words: int) -> float:
        """Grammar findings of ``[construction]`` in the own messages per 100 own words.

        NaN when its analyzer did not run: no count of errors is no evidence of well-built
        sentences.
        """
        construction = self.rules.construction
        return 100 * other_findings(own, context, [construction]) / words if construction else NAN

    # -- syntax ---------------------------------------------------------------------------------
    @staticmethod
    def _syntax(parsed: Sequence[tuple[Span, list]], enough: bool) -> dict[str, float]:
        if not parsed or not enough:
            return dict.fromkeys(("dependency_distance_mean", "subordinate_clauses_per_sentence",
                                  "passive_sentence_ratio", "long_noun_chains"), NAN)
        distances: list[int] = []
        clauses = passive = chains = 0
        for sentence, _ in parsed:  # one pass over the tokens: each read makes a Token
            in_passive = False
            for t in sentence:
                dep, head = t.dep_, t.head.i
                if head != t.i and not (t.is_punct or t.is_space):
                    distances.append(abs(head - t.i))
                clauses += dep in SUBORDINATE_DEPS
                in_passive = in_passive or dep in PASSIVE_DEPS
                chains += t.pos_ in ("NOUN", "PROPN") and dep != "nmod" and _nmod_depth(t) >= 2
            passive += in_passive
        return {
            "dependency_distance_mean": sum(distances) / len(distances) if distances else NAN,
            "subordinate_clauses_per_sentence": clauses / len(parsed),
            "passive_sentence_ratio": passive / len(parsed),
            "long_noun_chains": float(chains),
        }

    # -- findings -------------------------------------------------------------------------------
    def _walls(self, messages: Sequence[AdvisorMessage]) -> list[Finding]:
        limit = self.rules.limits.wall_words
        return [finding(self.name, "clarity.wall_of_text", m, 0, len(m.text), Severity.MINOR,
                        note="wall of text", words=len(m.words))
                for m in messages
                if m.doc is not None and "\n" not in m.text.strip() and len(m.words) > limit]

    def _jargon(self, conversation: Conversation,
                messages: Sequence[AdvisorMessage]) -> list[Finding]:
        rules = self.rules.jargon
        by_index = {m.index: m for m in messages}
        known = set(self._known)
        out = []
        for i, message in enumerate(conversation.messages):
            if message.role is Role.CUSTOMER:
                known.update(w.strip(".,;:!?()«»\"'").upper() for w in message.text.split())
                known.update(self._trade_terms.findall(fold(message.text)))  # folded
                continue
            m = by_index.get(i)
            if m is None or m.doc is None:
                continue
            if len(m.words) < 3:
                continue  # a bare code sent on its own is an answer, not a sentence to decode
            for first, last, start, key in self._jargon_candidates(m):
                if key in known:
                    continue
                if self._explained(first, last):
                    known.add(key)  # explained here: known from now on
                    continue
                out.append(finding(self.name, "clarity.jargon", m, start,
                                   last.idx + len(last.text), Severity.MINOR, note=rules.note,
                                   term=m.text[start:last.idx + len(last.text)]))
        return out

    def _jargon_candidates(self, message: AdvisorMessage):
        """``(first token, last token, start offset, key)`` of each term that may be jargon.

        A trade term of the list (« jarretière », « plafond glissant »), a hyphenated code
        (« AUTH-403 », « PEND-FRD ») and a term in capitals or the code of a refusal; the key
        is what makes it known (its capitals, or its folded words).
        """
        doc, covered = message.doc, set()
        terms = [(m.span(), fold(m.group()), False)
                 for m in self._trade_terms.finditer(message.folded)]
        codes = [(m.span(), m.group(), True) for m in self._hyphen_code.finditer(message.text)
                 if self._looks_like_a_code(m.group())]
        for (start, end), key, code in sorted(terms + codes):
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None or covered.intersection(range(span.start, span.end)) \
                    or code and (self._a_code_given(span[0]) or _capitals_around(span)):
                continue  # a code given (« dossier RMA-7788 »), a line in capitals
            covered.update(range(span.start, span.end))
            yield span[0], span[-1], start, key
        if not self._maybe_term.search(message.text):
            return
        for t in doc:
            if t.i in covered:
                continue
            code = self._error_code(t)  # « refusé avec le code 05 », « motif 12 »
            if code or self._looks_like_jargon(t):
                # a code of digits alone reads with its word (« code 05 »)
                first = doc[t.i - 1] if code and t.text.isdigit() else t
                yield first, t, first.idx, t.text.upper()

    def _explained(self, first, last) -> bool:
        """Whether the term from ``first`` to ``last`` is explained where it stands.

        A cue just after it (« (», « c'est-à-dire »), a naming word just before (« on
        l'appelle »), an apposition, brackets around it or a definition a few words on.
        """
        rules, doc = self.rules.jargon, first.doc
        cue = any(self._explains(x) for x in doc[last.i + 1:last.i + 1 + rules.window]
                  if not self._gives_a_value(x))  # « la VR, soit 9 200 € »: what it costs
        before = {x.lower_ for x in doc[max(0, first.i - rules.window):first.i]}
        return cue or bool(before & rules.explained_after) \
            or self._apposition(last) or _in_brackets(first) or self._defined_later(last) \
            or first is last and _spelled_out(last)

    def _apposition(self, last) -> bool:
        """A comma then a determiner right after the term, or after its complement.

        « votre CRM, le coefficient… », « le NRO de votre secteur, le local technique… »; not
        a new clause (:func:`_opens_a_clause`).
        """
        rules, doc = self.rules.jargon, last.doc
        i = last.i + 1
        if i < len(doc) and doc[i].lower_ in rules.kind_links:  # « de votre secteur »
            i += 1
            while i < min(len(doc), last.i + 1 + rules.definition_window) \
                    and doc[i].pos_ in ("DET", "ADJ", "NOUN", "PROPN", "NUM"):
                i += 1
        return i + 1 < len(doc) and doc[i].text == "," \
            and doc[i + 1].lower_ in rules.apposition_starts \
            and not _opens_a_clause(doc[i + 1], rules.relative_pronouns)

    def _explains(self, cue) -> bool:
        """Whether ``cue``, a word just after a term, says what it means (``explained_by``).

        Not when denied (« la RUM ne correspond pas »); « qui » and « c'est » only before a
        definition (:meth:`_defines`).
        """
        rules, word = self.rules.jargon, cue.lower_
        if word not in rules.explained_by \
                or cue.i and cue.doc[cue.i - 1].lower_ in rules.negations:
            return False
        return word not in rules.defining_cues or self._defines(cue)

    def _defines(self, cue) -> bool:
        """Whether a definition follows ``cue`` (« qui est le… », « c'est-à-dire »).

        One of ``definition_verbs`` and a determiner, a cue verb of ``explained_by``
        (« qui correspond à… ») or one of ``definition_phrases``.
        """
        rules, doc = self.rules.jargon, cue.doc
        nxt = doc[cue.i + 1:cue.i + 3]
        if not nxt:
            return False
        if nxt[0].lower_ in rules.explained_by and nxt[0].lower_ not in rules.defining_cues:
            return True
        if len(nxt) == 2 and nxt[0].lower_ in rules.definition_verbs \
                and nxt[1].lower_ in rules.apposition_starts:
            return True
        rest = fold("".join(t.text_with_ws for t in doc[cue.i:cue.i + 7]))
        return rest.startswith(self._definition_phrases)

    def _looks_like_a_code(self, code: str) -> bool:
        """Whether ``code`` is an internal code in capitals (« AUTH-403 », « VALID-KO »).

        One of its parts holds a digit or is no common word (« SAINT-DENIS » is a name), and
        its first part is no public acronym (« SMS-PRO »).
        """
        parts = code.split("-")
        return parts[0] not in self._known \
            and any(not p.isalpha() or not self._common(p) for p in parts)

    def _common(self, term: str) -> bool:
        """Whether ``term`` is a common word of the language (a Zipf of ``common_zipf``)."""
        return zipf(term.lower(), self.lang) >= self.rules.jargon.common_zipf

    def _looks_like_jargon(self, token) -> bool:
        """A term in capitals or digits that is no common word, name, code given or number."""
        term, rules = token.text, self.rules.jargon
        return bool(self._token.match(term)) \
            and (not self._common(term)
                 or self._capitalised_stop_word(token)) \
            and not (_in_capitals_run(token) or self._a_code_given(token)
                     or _after_a_hyphen(token) or self._in_an_address(token)
                     or sum(c.isdigit() for c in term) > rules.max_digits
                     or _end_of_a_word_in_capitals(token))  # a reference; « AUJOURD'HUI »

    def _error_code(self, token) -> bool:
        """« un refus avec le code 05 », « rejeté, motif MD01 », « motif 12 »: a reason code.

        Right after one of ``error_code_words``, holding a digit, in a sentence that speaks of
        a refusal or an error (``error_words``); or right after one of ``reason_code_words``
        and counting no noun after it (« motif 12 », not « des cas 10 jours »). A code of
        digits alone is spanned with its word (« code 05 »). A code the customer is given
        (« code NOEL10 ») has no such word around it.
        """
        rules, text = self.rules.jargon, token.text
        if not token.i or len(text) > 8 or not any(c.isdigit() for c in text):
            return False  # most tokens: read before the word ahead of them
        word = token.doc[token.i - 1].lower_
        if word not in rules.reason_code_words and word not in rules.error_code_words \
                or _CODE.fullmatch(text) is None:
            return False
        if word in rules.reason_code_words:
            after = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
            return after is None or after.pos_ not in {"NOUN", "PROPN"}
        return any(fold(x.text) in rules.error_words for x in token.sent)

    def _defined_later(self, token) -> bool:
        """« le PDL du logement, c'est le point de livraison »: a definition a few words on.

        A comma or a colon, then one of ``definition_starts``, within ``definition_window``
        tokens after the term and in its sentence; or right after the term, one of
        ``definition_verbs`` and a determiner (« la VRADE est la valeur… »).
        """
        rules = self.rules.jargon
        end = min(token.i + 1 + rules.definition_window, token.sent.end)
        following = token.doc[token.i + 1:end]
        if len(following) > 1 and following[0].lower_ in rules.definition_verbs \
                and following[1].lower_ in rules.apposition_starts:
            return True  # « la VRADE est la valeur de remplacement… »
        return any(a.text in {",", ":"} and b.lower_ in rules.definition_starts
                   and not self._gives_a_value(b)
                   and (b.lower_ not in rules.defining_cues or self._defines(b))
                   for a, b in zip(following, following[1:], strict=False))

    def _in_an_address(self, token) -> bool:
        """Whether the token's line is an address: a number, then a street word.

        « JMY multiservices 37 Rue de … » names a relay shop; the street words are
        ``raw_paste.address_words``.
        """
        paste = self.rules.raw_paste
        doc, first, last = token.doc, token.i, token.i  # (``Doc.text`` joins every token)
        while first > 0 and "\n" not in doc[first - 1].text:
            first -= 1
        while last + 1 < len(doc) and "\n" not in doc[last + 1].text:
            last += 1
        line = doc[first:last + 1]
        return any(
            a.like_num and b.lower_ in paste.address_words
            for a, b in zip(line, line[1:], strict=False))

    def _gives_a_value(self, token) -> bool:
        """Whether ``token`` is one of ``value_cues`` followed by a number (« soit 9 200 € »).

        It gives a value, not a meaning.
        """
        following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
        return token.lower_ in self.rules.jargon.value_cues and following is not None \
            and following.like_num

    def _capitalised_stop_word(self, token) -> bool:
        """« votre CAR », « MES » alone in capitals: an acronym, not the common word.

        A grammatical word too short to be shouting on its own, and not one written in capitals
        to stress it (« PAS », « NE »: the shouting's emphasis words) or opening a name (« UN
        jardin … », a shop's name: ``name_words``); « AVANT » is shouting.
        """
        shouting = self.rules.shouting
        return self.rules.jargon.stop_word_acronyms and token.is_stop \
            and len(token.text) < shouting.single_min_letters \
            and token.lower_ not in shouting.emphasis_words \
            and token.lower_ not in self.rules.jargon.name_words

    def _a_code_given(self, token) -> bool:
        """Whether ``token`` is a code the customer is given (« code NOEL10 », « commande A12 »).

        Not when a link word comes between: « le numéro de RMA », « le dossier du PNS » name a
        kind of number or a service, which the customer has to know.
        """
        before = token.doc[max(0, token.i - 2):token.i]
        rules = self.rules.jargon
        return bool({x.lower_ for x in before} & rules.not_after) \
            and not (before and before[-1].lower_ in rules.kind_links)

    def _shouting(self, messages: Sequence[AdvisorMessage]) -> list[Finding]:
        rules = self.rules.shouting
        out = []
        for m in messages:
            if m.doc is None or not TWO_CAPITALS.search(m.text):
                continue
            caps = [t for t in m.doc if _capitals(t.text)]
            loud = {t.i for t in caps if len(t.text) >= rules.min_letters
                    and t.text not in self._known
                    and zipf(t.lower_, self.lang) >= rules.common_zipf}
            runs: list[list] = []
            for t in caps:
                if runs and t.i == runs[-1][-1].i + 1:
                    runs[-1].append(t)
                else:
                    runs.append([t])
            for run in runs:
                before = m.doc[max(0, run[0].i - 2):run[0].i]
                if any(t.like_num or PLACEHOLDER.match(t.text) for t in before):
                    continue  # after a number or a postcode: part of an address
                alone = len(run) == 1 and (len(run[0].text) < rules.single_min_letters
                                           and run[0].lower_ not in rules.emphasis_words)
                if len(run) <= rules.max_run and not alone and any(t.i in loud for t in run) \
                        and all(len(t.text) >= 2 and t.text not in self._known for t in run):
                    start, end = run[0].idx, run[-1].idx + len(run[-1].text)
                    out.append(finding(self.name, "clarity.shouting", m, start, end,
                                       Severity.MINOR, note=rules.note))
        return out

    def _punctuation_runs(self, messages: Sequence[AdvisorMessage]) -> list[Finding]:
        note = self.rules.punctuation.note
        return [finding(self.name, "clarity.punctuation", m, *match.span(), Severity.MINOR,
                        note=note)
                for m in messages for match in self._punctuation.finditer(m.text)]

    def _raw_pastes(self, messages: Sequence[AdvisorMessage]) -> list[Finding]:
        """Text pasted raw from a tool or a page (``chatqa.analyzers.raw_paste``)."""
        rules = self.rules.raw_paste
        return self._spans_found(messages, "clarity.raw_paste", rules.note,
                                 lambda doc: pasted_spans(doc, rules))

    def _run_ons(self, messages: Sequence[AdvisorMessage]) -> list[Finding]:
        """Run-on sentences (``chatqa.analyzers.run_on``); none without the resource's rules."""
        rules = self.rules.run_on
        if rules is None:
            return []
        return self._spans_found(messages, "clarity.run_on", rules.note,
                                 lambda doc: run_on_spans(doc, rules))

    def _spans_found(self, messages: Sequence[AdvisorMessage], code: str, note: str,
                     spans_of: Callable[[Doc], list[tuple[int, int]]]) -> list[Finding]:
        """A finding of ``code`` for each span ``spans_of`` finds in a parsed advisor message."""
        return [finding(self.name, code, m, start, end, Severity.MINOR, note=note)
                for m in messages if m.doc is not None for start, end in spans_of(m.doc)]

    def _not_understood(self, conversation: Conversation,
                        messages: Sequence[AdvisorMessage]) -> list[Finding]:
        """The customer's words saying they did not understand the advisor's message before."""
        if self.rules.not_understood is None:
            return []
        note = self.rules.not_understood.note
        by_index = {m.index: m for m in messages}
        out = []
        previous = None  # the advisor's message just before, if the last message was one
        for i, message in enumerate(conversation.messages):
            if message.role is Role.SYSTEM or not message.text.strip():
                continue
            if message.role is Role.CUSTOMER and previous is not None:
                out.extend(self._lost_in(i, message.text, previous, note))
            previous = by_index.get(i)
        return out

    def _lost_in(self, index: int, text: str, advisor: AdvisorMessage,
                 note: str) -> list[Finding]:
        """The findings of customer message ``index``, which answers ``advisor``."""
        folded = fold(text)
        spans = [*self._lost.spans(folded), *self._term_spans(folded, advisor.folded)]
        return [Finding(analyzer=self.name, code="clarity.not_understood", message_index=index,
                        start=start, end=end, text=text[start:end], severity=Severity.MINOR,
                        details={"note": note, "advisor_message": advisor.index,
                                 "macro": advisor.macro})
                for start, end in _joined(apart(spans), folded)]

    def _term_spans(self, folded: str, advisor: str) -> list[tuple[int, int]]:
        """Questions about a word the advisor has just used (« c'est quoi l'étoile rouge ? »)."""
        spans = []
        for pattern, match in self._term_questions.finditer(folded):
            term = match.group("term")
            if len(term) >= 3 and re.search(rf"(?<!\w){re.escape(term)}", advisor):
                spans.append(match.span("w") if "w" in pattern.groupindex else match.span())
        return spans


def _words_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    """One search for ``terms`` as whole words in folded text (the longest first)."""
    alternatives = "|".join(re.escape(fold(t)) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])" if terms else "(?!)")


def _opens_a_clause(determiner, relatives: frozenset[str]) -> bool:
    """Whether the noun after a comma is the subject of a new clause (needs a parse).

    « le motif AM04, le créancier a reçu… » explains nothing; an apposition closed by a comma
    before the verb (« le SSO, la connexion unique, est en panne ») does.
    """
    noun = determiner.head
    if noun.dep_ in {"nsubj", "nsubj:pass"} and noun.i > determiner.i:
        verb = noun.head
        between = determiner.doc[noun.i + 1:verb.i] if verb.i > noun.i else ()
        return not any(t.text == "," for t in between)
    return _finite_verb_ahead(determiner, relatives)


#: What ends the stretch read for a verb after an apposition's determiner.
_STRETCH_ENDS = frozenset(",;:.!?()")


def _finite_verb_ahead(determiner, relatives: frozenset[str]) -> bool:
    """Whether a conjugated verb follows, before any punctuation or one of ``relatives``.

    The small French model often misses the subject (« en VEI, le coût des réparations dépasse
    la VRADE », « un médecin OPTAM, les dépassements y sont limités »): the conjugated verb says
    a clause begins; « le NRO, le local technique qui relie… » stays an apposition.
    """
    for t in determiner.doc[determiner.i + 1:determiner.sent.end]:
        if t.text in _STRETCH_ENDS or t.lower_ in relatives:
            return False
        if t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm"):
            return True
    return False


def _spelled_out(token) -> bool:
    """Whether the words right after an acronym spell it out by their initials.

    « une LOA, location avec option d'achat », « un acte HN (hors nomenclature) »: past a
    comma, a colon, a dash or a bracket, the words start with its letters in order, the first
    with its first.
    """
    letters, doc = token.text.lower(), token.doc
    if not (token.is_alpha and token.is_upper and 2 <= len(letters) <= 6):
        return False
    i = token.i + 1
    while i < len(doc) and doc[i].text in {",", ":", "-", "–", "(", "="}:
        i += 1
    initials = [t.lower_[0] for t in doc[i:i + 2 * len(letters) + 2] if t.is_alpha]
    if not initials or initials[0] != letters[0]:
        return False
    found = iter(initials)
    return all(letter in found for letter in letters)


def _joined(spans: Sequence[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Ordered, disjoint ``spans`` of ``text`` with those only spaces apart made one.

    Two matches in a row are one expression (« can you explain that again in plain english »):
    one finding, as a person would mark it. A span that ends a sentence (« come again? ») ends
    its expression.
    """
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and text[out[-1][1] - 1].isalnum() and not text[out[-1][1]:start].strip():
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _in_brackets(token) -> bool:
    """Whether an opening bracket stands before the token in its sentence, still open."""
    for x in reversed(token.doc[token.sent.start:token.i]):
        if x.text == ")":
            return False
        if x.text == "(":
            return True
    return False


def _capitals(text: str) -> bool:
    """A word in capitals, elided forms included (« N' », « DON'T »)."""
    return text.isupper() and all(c.isalpha() or c in "'’-" for c in text)


#: What a refusal or error code looks like: digits and capitals, a hyphen inside.
_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)?")


def _end_of_a_word_in_capitals(token) -> bool:
    """« HUI » of « AUJOURD'HUI »: glued to a word in capitals that ends in an apostrophe."""
    if not token.i:
        return False
    before = token.doc[token.i - 1]
    return (not before.whitespace_ and before.text[-1] in "'’" and len(before.text) > 2
            and before.text[:-1].isupper())


def _capitals_around(span) -> bool:
    """Whether a word in capitals stands right before or after ``span`` (a name, a heading)."""
    doc = span.doc
    return any(0 <= j < len(doc) and doc[j].is_upper and doc[j].is_alpha and len(doc[j]) > 1
               for j in (span.start - 1, span.end))


def _after_a_hyphen(token) -> bool:
    """« M42 » of « DUPONT-M42 »: the end of a word joined by a hyphen (a reference, a name)."""
    doc, i = token.doc, token.i
    return i >= 2 and doc[i - 1].text in {"-", "‐"} and not doc[i - 1].whitespace_ \
        and not doc[i - 2].whitespace_


def _in_capitals_run(token) -> bool:
    """Whether a neighbouring word is in capitals too (a name, an address, a heading)."""
    return _capitals_around(token.doc[token.i:token.i + 1])


def _nmod_depth(token) -> int:
    """Longest chain of ``nmod`` dependents below ``token``."""
    children = [c for c in token.children if c.dep_ == "nmod"]
    return 1 + max((_nmod_depth(c) for c in children), default=0) if children else 0
