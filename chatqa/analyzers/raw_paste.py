"""Raw pastes: text copied into an advisor message as it came from a tool or a web page.

An order summary with its values in a row, a product page with its buttons, tracking lines,
error output, table rows: the customer has to decode them. Such text is dense in *data*
tokens (numbers, prices, codes in capitals, ``field_names``, ``key=value``, markup, words
glued across two blocks: « momentDéposer ») and poor in the grammatical words of a sentence.

Each line of a message is read apart (a list the advisor laid out, one item per line, has one
value per line). A token is *in a paste* when, among the tokens around it on its line
(``window`` on each side), data tokens outnumber grammatical words by ``min_share`` of the
window; a run of such tokens with ``min_data`` data tokens or more is a paste, spanning its
first to its last data token. Pastes one after the other, on one line or on lines in a row,
are one paste unless a grammatical word (the advisor writing) parts them; one alone inside a
name, with a word or data on each side (« Crème de nuit », « Frais de port »), is the tool's.
A time written out (« 07 h 05 ») is one value.

These layouts are pastes whatever their words: HTML left in (two tags or more, on lines in a
row: from the first to the last); a log (``min_stamps`` entries in a row, each a bare date or
time, not after a grammatical word as « le 14/05 » is, then a few words: a tracking history); a
page copied whole whose blocks ran together (``min_glued`` words glued to the next on a line:
« momentDéposer », « 14.95Duties »); table rows exported as text (``min_row_fields`` fields
joined by commas without spaces); a record (``min_record_lines`` « label : value » lines in a
row holding ``min_record_codes`` codes of a tool: « ETAT : EN_ATTENTE »).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from chatqa.text import PLACEHOLDER

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from chatqa.resources.schemas import RawPaste

#: Field separators and markup, which punctuation would otherwise hide.
_SEPARATOR = re.compile(r"^(?:[|=<{}\[\]★☆]|\w+=.*|.*\w=\w.*)$")
#: HTML left in: a tag or « &nbsp; » (not « &amp; », « &gt; », « &#39; »: archives escape « & »,
#: « > » and « ' » so in any text).
_MARKUP = re.compile(r"</?[a-z]+\d?\s*/?>|&nbsp;", re.IGNORECASE)
#: A piece of a link the archive spaced out (« http : / / WWW. site. com »): no data.
_LINK_PIECE = re.compile(r"^(?:https?|www\.?|/|\S*\w[?&]\w\S*)$", re.IGNORECASE)
#: What every data token holds at least one of (a cheap count before reading the tokens).
_DATA_MARK = re.compile(r"\d+|[|=_{}<\[\]★☆%]|[A-ZÀ-Þ]{3}|[a-zà-ÿ][A-ZÀ-Þ]")
_WORD = re.compile(r"[\w-]+")
#: A calculation the advisor writes out: a number (and its unit), « = » between spaces, a
#: number (« key=value » has no spaces).
_CALCULATION = re.compile(r"[\d€$%)](?:\s*[^\W\d_]{1,4})?\s+=\s*-?\d")
#: Two blocks glued together: a small letter, then a capital starting a word (« momentDéposer »).
_GLUED = re.compile(r"[a-zà-ÿ][A-ZÀ-Þ][a-zà-ÿ]")
#: The same, where a block ends: three small letters, a number or a unit, then a capitalised word
#: (« dédouanementDétails », « 14.95Duties », « %En »); not a brand (« ParfumsMoinsCher »,
#: « iPhone »), which the caller leaves out by its capital first letter or its short start.
_GLUE_POINT = re.compile(r"(?:[a-zà-ÿ]{3}|[\d€%$)])[A-ZÀ-Þ][a-zà-ÿ]")
#: Markdown left in, three kinds: a heading at the start of a line, bold or italic words between
#: stars, a link written [text](address).
_MARKDOWN = (re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE),
             re.compile(r"\*{1,2}[^*\s][^*\n]*\*{1,2}"),
             re.compile(r"\[[^\]\n]+\]\((?:https?://|/)[^)\s]+\)"))
#: A link, an e-mail address, a handle or a hashtag, whose capitals are their own.
_ADDRESS = re.compile(r"[/@#]|www\.", re.IGNORECASE)
#: A date or a clock time as a tool writes it: « 14/05 », « 11/03/2024 », « 2024-03-11 »,
#: « 07:52 » (not « 14.95 », a price).
_STAMP = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{2}-\d{2}"
                    r"|\d{1,2}:\d{2}(?::\d{2})?")
#: A line of a record: a short label, a colon, a value (« ETAT : PLANIFIEE », "- id: wh_20931").
_FIELD_LINE = re.compile(r"^[ \t]*(?:[-*][ \t]+)?([^\W\d_][^:\n]{0,30}?)[ \t]*:[ \t]*"
                         r"(?!//)(\S[^\n]*)$", re.MULTILINE)  # « https://… » is no label
#: A tool's code: a word with « _ » inside, letters and digits mixed, or four capitals or more.
_CODE = re.compile(r"\w_\w|^(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[\w-]{2,}$|^[A-ZÀ-Þ]{4,}$")
#: Letters and digits that are no code: a number and up to three letters, a time, an ordinal,
#: a unit (« 10h30 », « 2e », « 3rd », « 48h », « 500ml »).
_UNIT = re.compile(r"^\d+[a-zà-ÿ]{1,3}\d*$", re.IGNORECASE)
#: Where an entry of a log ends at the latest: a full stop or a line break.
_ENTRY_END = re.compile(r"[.!?]|\n")


def pasted_spans(doc: Doc, rules: RawPaste) -> list[tuple[int, int]]:
    """``(start, end)`` of each raw paste in the text of ``doc`` (module docstring)."""
    interface, address = rules.interface_words, rules.address_words
    text = doc.text  # spaCy joins the tokens' texts again at every read
    if not _may_hold_one(text, rules.min_data, interface):
        return []
    parting: list[int] = []  # where the advisor writes (grammatical words, calculations)
    found: list[tuple[int, int]] = []
    for line in _lines(doc):
        begin, end = line[0].idx, line[-1].idx + len(line[-1].text)
        if _CALCULATION.search(text, begin, end):  # « 2 x 24,90 € = 49,80 € »: written
            parting.append(begin)
            continue
        kinds = _one_value_each(line, [_kind(t, interface, address) for t in line],
                                rules.hour_marks)
        parting.extend(line[k].idx for k in _writing(kinds))
        if len(_MARKUP.findall(text, begin, end)) < 2:  # else HTML, found below
            found.extend(_runs(line, kinds, rules))
    found.extend(_markup(text) + _logs(doc, rules) + _glued_pages(text, rules)
                 + _rows(text, rules) + _records(text, rules))
    pastes: list[tuple[int, int]] = []
    for start, end in sorted(found):  # one paste goes on, over lines too, until the advisor writes
        if pastes and (start < pastes[-1][1]
                       or not any(pastes[-1][1] <= g < start for g in parting)):
            pastes[-1] = (pastes[-1][0], max(end, pastes[-1][1]))
        else:
            pastes.append((start, end))
    return pastes


def _markup(text: str) -> list[tuple[int, int]]:
    """HTML or Markdown left in: from its first mark to its last.

    HTML: a block of two tags or entities or more, on one line or lines in a row (no blank
    line between two). Markdown: two kinds of mark or more in the message (a heading, stars, a
    link); stars alone are an advisor's emphasis.
    """
    blocks: list[list[re.Match[str]]] = [[]]
    for tag in _MARKUP.finditer(text):
        if blocks[-1] and "\n\n" in text[blocks[-1][-1].end():tag.start()]:
            blocks.append([])
        blocks[-1].append(tag)
    found = [(block[0].start(), block[-1].end()) for block in blocks if len(block) >= 2]
    kinds = [list(mark.finditer(text)) for mark in _MARKDOWN]
    if sum(1 for kind in kinds if kind) >= 2:
        marks = [m for kind in kinds for m in kind]
        found.append((min(m.start() for m in marks), max(m.end() for m in marks)))
    return found


def _logs(doc: Doc, rules: RawPaste) -> list[tuple[int, int]]:
    """Logs: ``min_stamps`` entries or more in a row, each a bare stamp then a few words.

    A stamp after a grammatical word (« le 14/05 », "at 6:12") is the advisor writing; a date
    and a time side by side are one stamp. An entry holds ``entry_words`` words (least, most);
    the last one ends at a full stop or a line break.
    """
    tokens = [t for t in doc if not t.is_space or "\n" in t.text]
    stamps: list[tuple[int, int]] = []  # (first, last) token of each bare stamp
    for i, token in enumerate(tokens):
        if not _STAMP.fullmatch(token.text):
            continue
        if stamps and stamps[-1][1] == i - 1:
            stamps[-1] = (stamps[-1][0], i)
        elif i == 0 or not tokens[i - 1].is_stop or tokens[i - 1].is_punct:
            stamps.append((i, i))
    least, most = rules.entry_words
    logs: list[tuple[int, int]] = []
    run: list[Token] = []  # the stamp of each entry of the log being read
    for k, (first, last) in enumerate(stamps):
        upto = stamps[k + 1][0] if k + 1 < len(stamps) else len(tokens)
        entry = tokens[last + 1:upto]
        if k + 1 < len(stamps) and least <= _words(entry) <= most:
            run.append(tokens[first])  # the entry reaches the next stamp: the log goes on
            continue
        entry = _entry_end(entry, most)
        if _words(entry) >= least:
            run.append(tokens[first])
        else:  # the log ended with the entry before this stamp
            entry = [t for t in tokens[:first] if not t.is_space]
        if len(run) >= rules.min_stamps:
            logs.append((run[0].idx, entry[-1].idx + len(entry[-1].text)))
        run = []
    return logs


def _words(tokens: Sequence[Token]) -> int:
    return sum(1 for t in tokens if t.is_alpha)


def _entry_end(tokens: Sequence[Token], most: int) -> Sequence[Token]:
    """The last entry of a log: up to a full stop or a line break, at most ``most`` tokens."""
    for k, token in enumerate(tokens):
        if _ENTRY_END.fullmatch(token.text) or "\n" in token.text or k >= most:
            return tokens[:k]
    return tokens


def _glued_pages(text: str, rules: RawPaste) -> list[tuple[int, int]]:
    """A page copied whole: ``min_glued`` words on a line glued to the next block or more."""
    pages = []
    for line in re.finditer(r"[^\n]+", text):
        glued = [m for m in re.finditer(r"\S+", line.group())
                 if not m.group()[0].isupper() and not _ADDRESS.search(m.group())
                 and _GLUE_POINT.search(m.group())]
        if len(glued) >= rules.min_glued:
            pages.append((line.start() + glued[0].start(), line.start() + glued[-1].end()))
    return pages


def _records(text: str, rules: RawPaste) -> list[tuple[int, int]]:
    """A record: lines in a row, each « label : value », holding the codes of a tool.

    ``min_record_lines`` lines or more and ``min_record_codes`` distinct codes or more
    (« ETAT : EN_ATTENTE », "claim_id: HRM-0417"). A summary the advisor lays out
    (« Forfait Fibre Max : 39,99 € ») has plain labels and values: prices and dates are no
    codes.
    """
    records, block = [], []
    for line in _FIELD_LINE.finditer(text):
        if block and text.count("\n", block[-1].end(), line.start()) != 1:
            records.append(block)
            block = []
        block.append(line)
    records.append(block)
    found = []
    for block in records:
        codes = {word for line in block for word in re.split(r"[\s,;:()\[\]\"'.]+", line.group())
                 if _CODE.search(word) and not _UNIT.match(word)}
        if len(block) >= rules.min_record_lines and len(codes) >= rules.min_record_codes:
            start = block[0].start() + len(block[0].group()) - len(block[0].group().lstrip())
            found.append((start, block[-1].end()))
    return found


def _rows(text: str, rules: RawPaste) -> list[tuple[int, int]]:
    """Table rows exported as text: ``min_row_fields`` fields joined by commas without spaces."""
    fields = rules.min_row_fields - 1
    return [m.span() for m in re.finditer(rf"[^\s,]+(?:,[^\s,]+){{{fields},}}", text)]


def _one_value_each(line: Sequence[Token], kinds: list[str],
                    hour_marks: frozenset[str]) -> list[str]:
    """``kinds`` with a value written in pieces counted once: the pieces after its first are words.

    « 1 188,00 » is a number split at its thousands; « 07 h 05 » is a time.
    """
    for k in range(1, len(line)):
        if (kinds[k - 1] == "d" and line[k].is_digit
                and line[k].idx == line[k - 1].idx + len(line[k - 1].text) + 1):
            kinds[k] = "w"
        if (k >= 2 and line[k].is_digit and line[k - 1].lower_ in hour_marks
                and line[k - 2].is_digit):
            kinds[k] = "w"
    return kinds


def _writing(kinds: Sequence[str]) -> list[int]:
    """Where the advisor writes on a line: its grammatical words, but not one alone inside a name.

    « Crème de nuit », « Frais de port », « assis-debout » in an invoice are the tool's words: a
    grammatical word between two words or data, with no other grammatical word within two
    tokens, is not the advisor writing. « et côté remboursement : » (at the start of its line) is.
    """
    found = [k for k, kind in enumerate(kinds) if kind == "g"]
    return [k for k in found
            if any(0 < abs(k - j) <= 2 for j in found)
            or not (0 < k < len(kinds) - 1 and kinds[k - 1] in "wd" and kinds[k + 1] in "wd")]


def _may_hold_one(text: str, least: int, interface: frozenset[str]) -> bool:
    """Whether ``text`` has the marks of ``least`` data tokens, or markup.

    Most messages have not, and their tokens need not be read one by one.
    """
    marks = len(_DATA_MARK.findall(text))
    if marks >= least or _MARKUP.search(text):
        return True
    return marks + sum(1 for w in _WORD.findall(text.lower()) if w in interface) >= least


def _lines(doc: Doc) -> list[list[Token]]:
    """The tokens of each line that count (no spaces, no plain punctuation)."""
    lines: list[list[Token]] = [[]]
    for t in doc:
        if "\n" in t.text:
            lines.append([])
        elif not t.is_space and (not t.is_punct or t.text == "," or _SEPARATOR.match(t.text)
                                 or _MARKUP.search(t.text)):
            lines[-1].append(t)
    return [line for line in lines if line]


def _kind(token: Token, interface: frozenset[str], address: frozenset[str]) -> str:
    """``d`` a data token, ``g`` a grammatical word, ``p`` a comma, ``w`` any other word.

    A page's interface words (« ajouter au panier », "add to cart") are data; a comma weighs as
    a grammatical word does, but does not part two pastes. The words of a street address
    (« avenue », "street") are written for the customer: grammatical.
    """
    text = token.text
    if token.lower_ in address:
        return "g"
    if PLACEHOLDER.fullmatch(text) or _LINK_PIECE.match(text):
        return "w"
    if text == ",":
        return "p"
    if (any(c.isdigit() for c in text) or text == "%"
            or _SEPARATOR.match(text) or _MARKUP.search(text) or _GLUED.search(text)
            or ("_" in text.strip("_") and not token.like_email)
            or (sum(c.isalpha() for c in text) >= 3 and text.isupper())
            or token.lower_ in interface):
        return "d"
    return "g" if token.is_stop and not text.isupper() else "w"


def _runs(line: Sequence[Token], kinds: Sequence[str],
          rules: RawPaste) -> list[tuple[int, int]]:
    """The pastes of one line: runs of tokens whose window is mostly data."""
    n, h = len(line), rules.window
    inside = []
    for i in range(n):
        around = kinds[max(0, i - h):i + h + 1]
        share = (around.count("d") - around.count("g") - around.count("p")) / len(around)
        inside.append(share >= rules.min_share)
    gaps = [k for k in range(n) if not inside[k]]
    for k in gaps:  # a few words inside a paste (a product's name) are part of it
        before = any(inside[max(0, k - h):k])
        after = any(inside[k + 1:k + h + 1])
        if before and after:
            inside[k] = True
    spans, i = [], 0
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1]:
            j += 1
        data = [line[k] for k in range(i, j + 1) if kinds[k] == "d"]
        if len(data) >= rules.min_data:
            spans.append((data[0].idx, data[-1].idx + len(data[-1].text)))
        i = j + 1
    return spans
