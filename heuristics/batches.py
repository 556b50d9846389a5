"""Requests that do much more than one thing: many approvals, many calls, heavy "revokes".

Deliberately not reported: a router call that approves and swaps (one grant); batches of a few
calls (wallets bundle approve + action every day); gas-heavy swaps and mints (their work is real).
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.grants import transaction_grants
from txfirewall.heuristics.rule import Hit, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import UNLIMITED_SENTINEL


@dataclass(frozen=True)
class BulkApprovalParams:
    min_grants: int = 3
    """Unlimited grants in one request that make it a bulk approval (Forta ice-phishing: 3)."""


@rule(
    id="bulk-unlimited-approvals",
    title="Many unlimited approvals in one request",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT,),
    params=BulkApprovalParams,
)
def bulk_unlimited_approvals(ctx: AnalysisContext, params: BulkApprovalParams) -> Hit | None:
    """Drainer kits batch ``setApprovalForAll`` and unlimited allowances over every valuable asset
    into one request (Blowfish BULK_APPROVALS_REQUEST); no app needs several at once."""
    grants = [g for g in transaction_grants(ctx, UNLIMITED_SENTINEL) if g.unlimited]
    if ctx.intent is not None and ctx.intent.kind is IntentKind.PERMIT:
        grants = []
        grants_signed = [a for a in ctx.intent.allowances if a.unlimited]
        if len(grants_signed) >= params.min_grants:
            tokens = sorted({str(a.token) for a in grants_signed})
            return Hit(
                message=f"This signature grants {len(grants_signed)} unlimited allowances at once "
                f"({', '.join(tokens[:5])}). Apps ask for one at a time; drainers collect them in bulk.",
                evidence={
                    "grants": len(grants_signed),
                    "tokens": list(tokens),
                    "spenders": [str(s) for s in sorted({a.spender for a in grants_signed})],
                },
            )
        return None
    if len({(g.token, g.spender) for g in grants}) < params.min_grants:
        return None
    tokens = sorted({str(g.token) for g in grants})
    return Hit(
        message=f"This request grants {len(grants)} unlimited approvals at once ({', '.join(tokens[:5])}). Apps ask "
        "for one at a time; drainers collect them in bulk.",
        evidence={
            "grants": len(grants),
            "tokens": list(tokens),
            "spenders": [str(s) for s in sorted({g.spender for g in grants})],
        },
    )


@dataclass(frozen=True)
class BatchSizeParams:
    max_calls: int = 10
    """Calls in one ``wallet_sendCalls`` batch above which it is unusual."""


@rule(
    id="oversized-call-batch",
    title="A batch with unusually many calls",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    requires=(Fact.REQUEST,),
    params=BatchSizeParams,
)
def oversized_call_batch(ctx: AnalysisContext, params: BatchSizeParams) -> Hit | None:
    """A ``wallet_sendCalls`` batch of many calls is hard to review (Blowfish TOO_MANY_TRANSACTIONS);
    each call is still analysed, this only says there are many."""
    calls = ctx.request.calls
    if calls is None or len(calls.calls) <= params.max_calls:
        return None
    return Hit(
        message=f"This batch holds {len(calls.calls)} calls that run together. Review each one; a long batch is "
        "where a harmful call hides.",
        evidence={"calls": len(calls.calls), "max_calls": params.max_calls},
    )


@dataclass(frozen=True)
class ApprovalGasParams:
    max_gas: int = 1_000_000
    """Gas an approval or revoke may use before it is suspicious (Rabby 1118)."""


@rule(
    id="approval-burns-gas",
    title="An approval or revoke that uses far too much gas",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT, Fact.SIMULATION),
    params=ApprovalGasParams,
)
def approval_burns_gas(ctx: AnalysisContext, params: ApprovalGasParams) -> Hit | None:
    """An ``approve`` costs about 50,000 gas; one that burns over a million is a fake "revoke" that
    mints gas tokens or runs hidden work at the user's expense (Rabby 1118)."""
    intent, sim = ctx.intent, ctx.simulation
    if intent is None or sim is None or intent.kind is not IntentKind.TOKEN_APPROVAL or sim.gas_used is None:
        return None
    if sim.gas_used <= params.max_gas:
        return None
    return Hit(
        message=f"This approval uses {sim.gas_used:,} gas; an approval needs about 50,000. Something else runs inside "
        "it and you would pay for it.",
        evidence={"gas_used": sim.gas_used, "max_gas": params.max_gas},
        subject=intent.target,
    )
