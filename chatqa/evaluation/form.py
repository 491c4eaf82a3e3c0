"""The pre-filled evaluation form: one proposal per criterion, with its evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a proposal rests on: a metric value, or a located finding to highlight."""

    kind: Literal["metric", "finding"]
    name: str                               # metric name, or finding code
    value: float | None = None              # the metric's value
    message_index: int | None = None        # where the finding is
    start: int | None = None
    end: int | None = None
    text: str = ""

    def __str__(self) -> str:
        if self.kind == "metric":
            return f"{self.name}={self.value:g}" if self.value is not None else self.name
        where = f"@{self.message_index}" if self.message_index is not None else ""
        return f"{self.name}{where}"

    def quoted(self, limit: int = 60) -> str:
        """For people: ``code « quoted text » (message 3)``, or a metric's ``name=value``."""
        if self.kind == "metric":
            return str(self)
        text = self.text if len(self.text) <= limit else self.text[:limit - 1] + "…"
        quote = f" « {text} »" if text else ""
        where = f" (message {self.message_index})" if self.message_index is not None else ""
        return f"{self.name}{quote}{where}"


@dataclass(frozen=True, slots=True)
class Proposal:
    """The machine's level for one criterion, how sure it is (0.5–1) and why."""

    criterion: str
    level: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""
    rule: str = ""
    points: float | None = None             # the level's points ([levels] points); None for na
    label: str = ""                         # the level's label in the grid (« À améliorer »)
    justification: str = ""                 # one line in the grid's language, from the evidence
    confidence_kind: str = "heuristic"      # heuristic (rules), model (calibrated), none

    def __str__(self) -> str:
        points = "" if self.points is None else f"  points={self.points:g}"
        lines = [f"{self.criterion}: {self.level}  confidence={self.confidence:g}{points}",
                 f"  reason: {self.reason}"]
        if self.evidence:
            lines.append(f"  evidence: {'; '.join(str(e) for e in self.evidence)}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Overall:
    """The form's total: score out of 100 over the applicable criteria, and the result.

    ``result`` is ``pass`` / ``fail`` against the grid's pass mark, ``scored`` without one,
    ``fail`` whatever the score when a knockout fired, and ``na`` when nothing was scored.
    """

    score: float | None = None
    result: str = "na"
    knockouts: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True)
class EvaluationForm:
    """A grid filled for one conversation: ``proposals[criterion]``, in grid order."""

    conversation_id: str
    grid: str
    proposals: Mapping[str, Proposal] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)
    sections: Mapping[str, str] = field(default_factory=dict, compare=False)
    reviewable: bool = True
    reviewable_reason: str = ""
    overall: Overall = field(default_factory=Overall)

    def points(self) -> dict[str, float | None]:
        """Points of each criterion's proposed level (None for ``na`` or a grid without points)."""
        return {cid: p.points for cid, p in self.proposals.items()}

    def to_dict(self) -> dict[str, Any]:
        """The form as plain data (JSON-ready): overall result, then each proposal."""
        return {
            "conversation_id": self.conversation_id,
            "grid": self.grid,
            "reviewable": self.reviewable,
            "reviewable_reason": self.reviewable_reason,
            "overall": {"score": self.overall.score, "result": self.overall.result,
                        "knockouts": list(self.overall.knockouts),
                        "reason": self.overall.reason},
            "proposals": [
                {"criterion": p.criterion, "label": self.labels.get(p.criterion, ""),
                 "section": self.sections.get(p.criterion, ""), "level": p.level,
                 "level_label": p.label, "confidence": p.confidence,
                 "confidence_kind": p.confidence_kind, "points": p.points, "rule": p.rule,
                 "justification": p.justification, "reason": p.reason,
                 "evidence": [_evidence_dict(e) for e in p.evidence]}
                for p in self.proposals.values()
            ],
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per criterion, the shape of the ``forms`` table."""
        return [
            {
                "conversation_id": self.conversation_id,
                "grid": self.grid,
                "criterion": p.criterion,
                "criterion_label": self.labels.get(p.criterion, ""),
                "section": self.sections.get(p.criterion, ""),
                "level": p.level,
                "level_label": p.label,
                "confidence": p.confidence,
                "confidence_kind": p.confidence_kind,
                "points": p.points,
                "rule": p.rule,
                "evidence": "; ".join(e.quoted() for e in p.evidence),
                "evidence_codes": ",".join(
                    sorted({e.name for e in p.evidence if e.kind == "finding"})
                ),
                "reason": p.reason,
                "justification": p.justification,
            }
            for p in self.proposals.values()
        ]


def _evidence_dict(e: Evidence) -> dict[str, Any]:
    if e.kind == "metric":
        return {"kind": "metric", "name": e.name, "value": e.value}
    return {"kind": "finding", "code": e.name, "message_index": e.message_index,
            "start": e.start, "end": e.end, "text": e.text}
