"""The decide stage: findings and policy to allow / warn / block and a 0-100 risk score."""

from __future__ import annotations

from collections.abc import Sequence

from txfirewall.decide.policy import Policy
from txfirewall.model.findings import Finding, Severity
from txfirewall.model.verdict import Decision, Verdict

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


def blocking_rules(findings: Sequence[Finding], policy: Policy) -> frozenset[str]:
    """The rules whose findings block under ``policy``: unconditional ones, and those at or above
    the block threshold. What a block rests on: an override confirms these and nothing else."""
    return frozenset(f.rule for f in findings if f.unconditional or f.severity >= policy.block_at)


def overridable(verdict: Verdict, policy: Policy) -> bool:
    """A block the user may override (``[confirm] allow_block_override``): the policy allows it,
    and no unconditional finding (an unconditional rule, a deny-list entry) nor an unreadable
    request caused it. The one definition: the proxy holds such a block instead of refusing it,
    and the terminal app offers the two confirmations for it."""
    if verdict.decision is not Decision.BLOCK or not policy.allow_block_override:
        return False
    return verdict.error is None and not any(f.unconditional for f in verdict.findings)
