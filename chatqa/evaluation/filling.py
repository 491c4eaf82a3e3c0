"""Fill a grid for one conversation: worth reviewing?, proposals, justifications, overall score.

The order is the evaluator's: a conversation not worth reviewing (bot only, customer gone at
once, too short) is ``na`` on every criterion with the reason, as a QA tool's sampler would skip
it; otherwise each criterion's rule proposes a level, its justification is written in the
grid's language, and the levels add up to a score out of 100 over the applicable criteria,
failed outright by a knockout (« critère éliminatoire »).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from chatqa.evaluation.form import EvaluationForm, Evidence, Overall, Proposal
from chatqa.evaluation.grid import CONVERSATION_FACTS, NA, Grid
from chatqa.evaluation.justify import format_number, justify, not_reviewable_justification
from chatqa.evaluation.rules import own_findings, propose_form_levels
from chatqa.model import Conversation, Finding, Role

FACTS = CONVERSATION_FACTS
#: A word of two letters or more, and a link: a customer message made only of links, digits
#: or signs (spam, a pasted URL) is no message a conversation can be judged on.
_WORD = re.compile(r"[^\W\d_]{2,}")
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def conversation_facts(conversation: Conversation) -> dict[str, float]:
    """Message counts by role, and two of the customer's: after the first answer, with words.

    « With words »: a word of two letters or more outside links (not only a URL, digits or
    signs, as spam often is).
    """
    roles = [m.role for m in conversation.messages if m.text.strip()]
    first_answer = next((i for i, r in enumerate(roles) if r is Role.ADVISOR
                         and Role.CUSTOMER in roles[:i]), None)
    after = 0 if first_answer is None else sum(
        1 for r in roles[first_answer + 1:] if r is Role.CUSTOMER)
    worded = sum(1 for m in conversation.messages if m.role is Role.CUSTOMER
                 and _WORD.search(_LINK.sub(" ", m.text)))
    return {
        "n_customer_messages_with_words": float(worded),
        "n_messages": float(len(conversation.messages)),
        "n_advisor_messages": float(roles.count(Role.ADVISOR)),
        "n_customer_messages": float(roles.count(Role.CUSTOMER)),
        "n_customer_messages_after_answer": float(after),
    }


def thinned_confidence(grid: Grid, criterion: str, proposal: Proposal,
                       metrics: Mapping[str, float]) -> float:
    """The rule's confidence, lower when the criterion's ``thin_evidence`` metric is small.

    Only heuristic levels are scaled: an ``na`` is sure, a model's probability is its own.
    """
    thin = grid.criteria[criterion].thin_evidence
    if thin is None or proposal.level == NA or proposal.confidence_kind != "heuristic":
        return proposal.confidence
    value = float(metrics.get(thin.metric, math.nan))
    share = 0.0 if math.isnan(value) else min(1.0, max(0.0, value) / thin.full_at)
    return round(proposal.confidence * (0.5 + 0.5 * share), 2)


def review_gate(grid: Grid, metrics: Mapping[str, float]) -> tuple[bool, str]:
    """``(True, "")`` when the conversation is worth reviewing, else ``(False, reason)``."""
    conditions = grid.reviewable.conditions
    if conditions is None:
        return True, ""
    failed = conditions.unmet(metrics)
    return (True, "") if failed is None else (False, failed[0])


def knockouts_fired(
    grid: Grid, proposals: Mapping[str, Proposal], findings: Sequence[Finding],
    macro_messages: Collection[int] = frozenset(),
) -> tuple[str, ...]:
    """Ids of the grid's knockouts that fire on these findings or proposed levels.

    A knockout with ``exclude_macros`` does not see the findings in or about
    ``macro_messages`` (:func:`~chatqa.evaluation.rules.own_findings`).
    """
    all_codes = {f.code for f in findings}
    own_codes = {f.code for f in own_findings(findings, macro_messages)}
    fired = []
    for k in grid.knockouts:
        codes = own_codes if k.exclude_macros else all_codes
        by_code = any(c in codes if not c.endswith(".*") else
                      any(x.startswith(c[:-1]) for x in codes) for c in k.codes)
        by_level = any(proposals[cid].level in levels for cid, levels in k.levels.items()
                       if cid in proposals)
        if by_code or by_level:
            fired.append(k.id)
    return tuple(fired)


def overall_of(
    grid: Grid, proposals: Mapping[str, Proposal], knockouts: tuple[str, ...]
) -> Overall:
    """Score out of 100: Σ weight × (points − min) / (max − min) over applicable criteria.

    ``na`` criteria and criteria of weight 0 leave the denominator. A knockout sets the
    result to ``fail`` (and the score to 0) whatever the levels.
    """
    num = den = 0.0
    for cid, p in proposals.items():
        weight = grid.criteria[cid].weight
        if p.level == NA or p.points is None or weight == 0:
            continue
        points = list((grid.scale(cid).points or {}).values())
        low, high = min(points), max(points)
        num += weight * (p.points - low) / (high - low) if high > low else weight
        den += weight
    labels = {k.id: k.label or k.id for k in grid.knockouts}
    if knockouts:
        names = ", ".join(labels[k] for k in knockouts)
        return Overall(0.0, "fail", knockouts, f"knockout: {names}")
    if den == 0:
        return Overall(None, "na", (), "no criterion scored")
    score = round(100.0 * num / den, 1)
    mark = grid.overall.pass_mark
    if mark is None:
        return Overall(score, "scored", (), f"{format_number(score, 'en')} / 100")
    result = "pass" if score >= mark else "fail"
    return Overall(score, result, (), f"{format_number(score, 'en')} / 100, pass mark "
                                      f"{format_number(mark, 'en')}")


def fill_form(
    grid: Grid,
    conversation: Conversation,
    metrics: Mapping[str, float],
    findings: Sequence[Finding],
    macro_messages: Collection[int] = frozenset(),
) -> EvaluationForm:
    """The grid filled for ``conversation`` from its metrics and findings.

    Justifications are in the grid's language, whatever the conversation's: the form is the
    QA team's.
    """
    values = {**conversation_facts(conversation), **metrics}
    reviewable, why = review_gate(grid, values)
    if reviewable:
        proposals = propose_form_levels(grid, values, findings, macro_messages)
        proposals = {
            cid: replace(p, label=grid.level_label(p.level, cid),
                         justification=justify(p, grid),
                         confidence_kind="none" if p.rule == "na" else p.confidence_kind,
                         confidence=0.0 if p.rule == "na" else thinned_confidence(
                             grid, cid, p, values))
            for cid, p in proposals.items()
        }
        fired = knockouts_fired(grid, proposals, findings, macro_messages)
        overall = overall_of(grid, proposals, fired)
    else:
        shown = tuple(Evidence("metric", name, values[name]) for name in FACTS
                      if not math.isnan(values.get(name, math.nan)))
        proposals = {
            cid: Proposal(cid, NA, 1.0, shown, f"not reviewable: {why}", "reviewable",
                          None, grid.level_label(NA, cid),
                          not_reviewable_justification(why, grid))
            for cid in grid.criteria
        }
        overall = Overall(None, "na", (), f"not reviewable: {why}")
    return EvaluationForm(
        conversation_id=conversation.id,
        grid=grid.name,
        proposals=proposals,
        labels={cid: c.label for cid, c in grid.criteria.items()},
        sections={cid: c.section for cid, c in grid.criteria.items()},
        reviewable=reviewable,
        reviewable_reason=why,
        overall=overall,
    )
