"""Findings: what a rule saw, how bad it is, and the evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from txfirewall.model.json_values import JsonValue, to_json_value


class Severity(StrEnum):
    """A total order: info < low < medium < high < critical."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Confidence(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Finding:
    """One rule's hit. ``evidence`` holds JSON-safe values only."""

    rule: str
    severity: Severity
    confidence: Confidence
    title: str
    message: str
    evidence: Mapping[str, JsonValue] = field(default_factory=dict)
    unconditional: bool = False

    def sort_key(self) -> tuple[int, str, str]:
        return (-self.severity.rank, self.rule, self.message)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "title": self.title,
            "message": self.message,
            "evidence": to_json_value(dict(self.evidence)),
        }
