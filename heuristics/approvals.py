"""Approval rules.

Deliberately not reported: finite approvals (the amount is the user's stated intent); unlimited
approvals to contracts, which routers routinely ask for (a later rule weighs the contract's age
and reputation instead).
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.familiarity import unfamiliar_contract
from txfirewall.heuristics.rule import Hit, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import UNLIMITED_ALLOWANCE, Address
from txfirewall.model.simulation import AssetKind


@dataclass(frozen=True)
class UnlimitedApprovalParams:
    unlimited_threshold: int = UNLIMITED_ALLOWANCE
    """Allowances at or above this count as unlimited (drainers use 2**256-1 and values just below)."""


def _unlimited_grants(ctx: AnalysisContext, threshold: int) -> list[tuple[Address, Address, str]]:
    """(token, spender, what) for each unlimited grant, from the simulation when it ran."""
    sender = ctx.request.sender
    sim = ctx.simulation
    grants: list[tuple[Address, Address, str]] = []
    if sim is not None and sim.ran:
        for a in sim.approvals:
            if a.owner != sender:
                continue
            if a.kind is AssetKind.ERC20 and a.amount is not None and a.amount >= threshold:
                grants.append((a.token, a.spender, "unlimited allowance"))
            elif a.approved and a.token_id is None:
                grants.append((a.token, a.spender, "operator approval for every token"))
        return grants
    intent = ctx.intent
    if intent is not None and intent.kind is IntentKind.TOKEN_APPROVAL and intent.token and intent.counterparty:
        if intent.amount is None and intent.unlimited:
            grants.append((intent.token, intent.counterparty, "operator approval for every token"))
        elif intent.amount is not None and intent.amount >= threshold:
            grants.append((intent.token, intent.counterparty, "unlimited allowance"))
    return grants


@rule(
    id="unlimited-approval-to-eoa",
    title="Unlimited approval to an address with no code",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
    params=UnlimitedApprovalParams,
)
def unlimited_approval_to_eoa(ctx: AnalysisContext, params: UnlimitedApprovalParams) -> Hit | None:
    """An unlimited approval to a plain account lets whoever holds its key take the tokens at any
    time: no protocol works that way. When no node could say whether the spender has code, the
    hit is graded down to medium (still a warning: fail closed)."""
    for token, spender, what in _unlimited_grants(ctx, params.unlimited_threshold):
        facts = ctx.facts(spender)
        is_contract = facts.is_contract if facts else None
        evidence = {"token": token, "spender": spender, "grant": what, "spender_is_contract": is_contract}
        if is_contract is False:
            return Hit(
                message=(
                    f"You would give {spender} an {what} over token {token}. That address has no code: "
                    "it is a plain account, so whoever controls it can take all of this token from you, "
                    "now or later. Legitimate apps approve contracts, not people."
                ),
                evidence=evidence,
                subject=spender,
            )
        if is_contract is None:
            return Hit(
                message=(
                    f"You would give {spender} an {what} over token {token}, and txfirewall could not "
                    "check whether that address is a contract (no node). Verify the spender first."
                ),
                evidence=evidence,
                severity=Severity.MEDIUM,
                subject=spender,
            )
    return None


@dataclass(frozen=True)
class UnfamiliarSpenderParams:
    unlimited_threshold: int = UNLIMITED_ALLOWANCE
    min_past_interactions: int = 1
    """How many past transactions with the spender make it "used before"."""


@rule(
    id="unlimited-approval-to-unfamiliar-contract",
    title="Unlimited approval to a contract you never used",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT, Fact.CODE),
    params=UnfamiliarSpenderParams,
)
def unlimited_approval_to_unfamiliar_contract(ctx: AnalysisContext, params: UnfamiliarSpenderParams) -> Hit | None:
    """Drainers ask for ``setApprovalForAll`` or an unlimited allowance to a fresh contract. A
    router or marketplace the user already used does not fire; a new one needs confirmation."""
    for token, spender, what in _unlimited_grants(ctx, params.unlimited_threshold):
        past = unfamiliar_contract(ctx, spender, params.min_past_interactions)
        if past is None:
            continue
        return Hit(
            message=(
                f"You would give contract {spender}, which you have never used, an {what} over "
                f"token {token}. It could move those tokens at any time. Only confirm if you know "
                "and trust this app."
            ),
            evidence={"token": token, "spender": spender, "grant": what, "past_transactions_with_spender": past},
            subject=spender,
        )
    return None
