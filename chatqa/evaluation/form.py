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

    def __str__(self) -> str:
        points = "" if self.points is None else f"  points={self.points:g}"
        lines = [f"{self.criterion}: {self.level}  confidence={self.confidence:g}{points}",
                 f"  reason: {self.reason}"]
        if self.evidence:
            lines.append(f"  evidence: {'; '.join(str(e) for e in self.evidence)}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class EvaluationForm:
    """A grid filled for one conversation: ``proposals[criterion]``, in grid order."""

    conversation_id: str
    grid: str
    proposals: Mapping[str, Proposal] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)

    def points(self) -> dict[str, float | None]:
        """Points of each criterion's proposed level (None for ``na`` or a grid without points)."""
        return {cid: p.points for cid, p in self.proposals.items()}

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per criterion, the shape of the ``forms`` table."""
        return [
            {
                "conversation_id": self.conversation_id,
                "grid": self.grid,
                "criterion": p.criterion,
                "criterion_label": self.labels.get(p.criterion, ""),
                "level": p.level,
                "confidence": p.confidence,
                "points": p.points,
                "rule": p.rule,
                "evidence": "; ".join(str(e) for e in p.evidence),
                "evidence_codes": ",".join(
                    sorted({e.name for e in p.evidence if e.kind == "finding"})
                ),
                "reason": p.reason,
            }
            for p in self.proposals.values()
        ]
