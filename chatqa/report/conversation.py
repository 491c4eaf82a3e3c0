"""One conversation in HTML: its messages, highlighted and annotated, then its form.

Each highlight (a ``<mark>`` titled by its finding's code and suggestion, as before) is
followed by the numbers of the notes it covers (``<sup class="refs">``, links), and each
message by its notes, always shown: number, finding code, the text found (masked), the
finding's own explanation (its details' ``message``, else ``note``...) and the suggestion. A
finding about a whole message has a note and no mark. The form gives, per criterion, the
level's label, the confidence, the justification and reason, the evidence, and the notes of
the criterion's evidence codes; its button outlines their highlights
(:data:`~chatqa.report.assets.CONVERSATION_JS`).
"""

from __future__ import annotations

from collections.abc import Iterable

from chatqa.report.build import _esc, _highlight
from chatqa.report.views import ConversationView, CriterionView, MessageView, Note


def render_conversation(view: ConversationView, *, back: str) -> str:
    """A conversation's section: its messages, highlighted and annotated, then its form."""
    row = view.row
    anchor = f"conversation-{row.number}"
    title = f"Conversation {row.conversation_id}" + (
        f" (occurrence {row.occurrence + 1})" if row.duplicated else "")
    facts = [f"Advisor: {', '.join(row.advisors) or '—'}"]
    if row.date:
        facts.append(row.date)
    facts.append(f"{row.n_messages} messages")
    parts = [
        f"<section class='conversation' id='{anchor}'>",
        f"<h2>{_esc(title)}</h2>",
        f"<p class='facts'>{_esc(' · '.join(facts))} · <a href='{_esc(back)}'>back to the "
        "index</a></p>",
    ]
    if row.duplicated:
        parts.append(f"<p class='warning'>Id {_esc(row.conversation_id)} appears more than "
                     "once in this run: findings are not highlighted.</p>")
    parts.append("<table class='messages'><tr><th>#</th><th>time</th><th>role</th>"
                 "<th>text</th></tr>")
    for message in view.messages:
        parts.append(_message_row(message, anchor))
    parts.append("</table>")
    if view.other_notes:
        parts.append("<h3>Findings on no message shown</h3>"
                     + _notes(view.other_notes, anchor, on_message=False))
    if view.criteria:
        parts.append("<h3>Form</h3><table class='form'><tr><th>criterion</th><th>level</th>"
                     "<th>confidence</th><th>reason</th><th>evidence</th>"
                     "<th>highlights</th></tr>")
        for c in view.criteria:
            numbers = " ".join(map(str, c.notes))
            refs = ", ".join(f"<a class='ref' href='#{anchor}-n{k}'>{k}</a>" for k in c.notes)
            codes = _esc(", ".join(c.codes))
            name = (f"<button type='button' class='focus' data-notes='{numbers}' "
                    f"title='show the highlights of its evidence'>{_esc(c.label)}</button>"
                    if c.notes else _esc(c.label))
            parts.append(
                f"<tr><td>{name}<small class='id'>{_esc(c.criterion)}</small></td>"
                f"<td class='lvl-{_esc(c.level)}'>{_esc(c.level_label)}</td>"
                f"<td>{c.confidence}</td><td>{_reason(c)}</td><td>{_esc(c.evidence)}</td>"
                f"<td>{refs}{'<br>' if refs and codes else ''}"
                f"{f'<small>{codes}</small>' if codes else ''}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</section>")
    return "\n".join(parts)


def _reason(c: CriterionView) -> str:
    """The justification for people when there is one, the rule's reason under it."""
    if not c.justification or c.justification == c.reason:
        return _esc(c.reason)
    return f"{_esc(c.justification)}<small class='id'>{_esc(c.reason)}</small>"


def _message_row(message: MessageView, anchor: str) -> str:
    """One message's row: its text highlighted, note numbers after each mark, notes under."""
    located = [n for n in message.notes if n.span is not None]

    def marker(start: int, end: int) -> str:
        links = ",".join(f"<a class='ref' href='#{anchor}-n{n.number}'>{n.number}</a>"
                         for n in located if n.span[0] < end and start < n.span[1])
        return f"<sup class='refs'>{links}</sup>"

    body = _highlight(message.text, [(*n.span, n.label) for n in located], message.pii,
                      marker)
    notes = _notes(message.notes, anchor) if message.notes else ""
    return (f"<tr class='{_esc(message.role)}'><td>{_esc(message.index)}</td>"
            f"<td>{_esc(message.time[11:19])}</td><td>{_esc(message.role)}</td>"
            f"<td>{body}{notes}</td></tr>")


def _notes(notes: Iterable[Note], anchor: str, *, on_message: bool = True) -> str:
    """The notes as a list, each with its number, always shown."""
    items = []
    for n in notes:
        where = ""
        if n.span is None:
            if on_message:
                where = (" <span class='where'>(the whole message)</span>" if not n.quote
                         else " <span class='where'>(not located in the text shown)</span>")
            elif n.message_index is not None:
                where = f" <span class='where'>(message {n.message_index})</span>"
        quote = f" « {_esc(n.quote)} »" if n.quote else ""
        reason = f" — {_esc(n.reason)}" if n.reason else ""
        suggestion = f" → <b>{_esc(n.suggestion)}</b>" if n.suggestion else ""
        items.append(f"<li id='{anchor}-n{n.number}'><span class='n'>[{n.number}]</span> "
                     f"<code>{_esc(n.code)}</code>{quote}{reason}{suggestion}{where}</li>")
    return f"<ol class='notes'>{''.join(items)}</ol>"
