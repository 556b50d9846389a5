"""The decide stage: findings and policy to allow / warn / block and a 0-100 risk score."""

from __future__ import annotations

from collections.abc import Sequence

from txfirewall.decide.policy import Policy
from txfirewall.model.findings import Finding, Severity
from txfirewall.model.verdict import Decision

_WEIGHT = {
    Severity.INFO: 0,
    Severity.LOW: 15,
    Severity.MEDIUM: 45,
    Severity.HIGH: 75,
    Severity.CRITICAL: 95,
}


def score(findings: Sequence[Finding]) -> int:
    """The worst finding's weight, plus 5 for each other finding that counts; capped at 100."""
    weights = sorted((_WEIGHT[f.severity] for f in findings), reverse=True)
    if not weights:
        return 0
    extra = sum(5 for w in weights[1:] if w > 0)
    return min(100, weights[0] + extra)


def decide(findings: Sequence[Finding], policy: Policy) -> Decision:
    if any(f.unconditional for f in findings):
        return Decision.BLOCK
    worst = max((f.severity for f in findings), key=lambda s: s.rank, default=None)
    if worst is None:
        return Decision.ALLOW
    if worst >= policy.block_at:
        return Decision.BLOCK
    if worst >= policy.warn_at:
        return Decision.WARN
    return Decision.ALLOW
