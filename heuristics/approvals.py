"""Approval rules: what a transaction lets someone else take from the user later.

Every grant a transaction makes counts, however deep in a multicall, Safe or router batch it sits,
and Permit2's ``approve`` as much as ERC-20's (``heuristics/grants.py``). Deliberately not
reported: finite approvals to contracts (the amount is the user's stated intent); unlimited
approvals to contracts the user already used or that are well-known protocols (routers ask for
them every day; the contract's age and reputation are weighed by other rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from txfirewall.heuristics.familiarity import unfamiliar_contract
from txfirewall.heuristics.grants import Grant, transaction_grants
from txfirewall.heuristics.rule import Hit, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import UNLIMITED_SENTINEL


@dataclass(frozen=True)
class UnlimitedApprovalParams:
    unlimited_threshold: int = UNLIMITED_SENTINEL
    """Amounts at or above this are unlimited whatever the token (besides covering the supply or the
    user's whole balance, which always counts)."""
    unverified_severity: Literal["info", "low", "medium", "high"] = "low"
    """Severity when no node could say whether the spender has code and no list knows it: ``low``
    notes it; ``medium`` warns on every such approval (strict offline use)."""


def _evidence(g: Grant, is_contract: bool | None) -> dict[str, JsonValue]:
    return {
        "token": g.token,
        "spender": g.spender,
        "grant": g.what,
        "amount": None if g.amount is None else str(g.amount),
        "unlimited_because": g.unlimited_because,
        "source": g.source,
        "path": g.path,
        "spender_is_contract": is_contract,
    }


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
    time: no protocol works that way. When no node could say whether the spender has code (offline,
    by the user's choice) and it is no well-known contract, the hit is graded down to low: a note to
    verify, not a warning. Real traffic approves a long tail of contracts no list names (2.5 % of
    5,561 real mainnet transactions offline), and a warning on each would teach users to click
    through. With a node the question is answered and a plain account is critical."""
    for g in transaction_grants(ctx, params.unlimited_threshold):
        if not g.unlimited:
            continue
        facts = ctx.facts(g.spender)
        is_contract = facts.is_contract if facts else None
        where = "" if g.path in ("top", "simulated") else f" (inside {g.path})"
        if is_contract is False:
            return Hit(
                message=(
                    f"You would give {g.spender} an {g.what} over token {g.token}{where}: {g.unlimited_because}. "
                    "That address has no code: it is a plain account, so whoever controls it can take all of "
                    "this token from you, now or later. Legitimate apps approve contracts, not people."
                ),
                evidence=_evidence(g, is_contract),
                subject=g.spender,
            )
        if is_contract is None:
            return Hit(
                message=(
                    f"You would give {g.spender} an {g.what} over token {g.token}{where}, and txfirewall could "
                    "not check whether that address is a contract (no node). Verify the spender first."
                ),
                evidence=_evidence(g, is_contract),
                severity=Severity(params.unverified_severity),
                subject=g.spender,
            )
    return None


@rule(
    id="approval-to-eoa",
    title="Approval to an address with no code",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT, Fact.CODE),
    params=UnlimitedApprovalParams,
)
def approval_to_eoa(ctx: AnalysisContext, params: UnlimitedApprovalParams) -> Hit | None:
    """Even a finite allowance to a plain account is a standing offer to whoever holds its key: apps
    take tokens through contracts. Unlimited grants are left to ``unlimited-approval-to-eoa``."""
    for g in transaction_grants(ctx, params.unlimited_threshold):
        facts = ctx.facts(g.spender)
        if g.unlimited or facts is None or facts.is_contract is not False:
            continue
        return Hit(
            message=(
                f"You would let {g.spender}, a plain account with no code, take up to {g.amount} of token "
                f"{g.token} from you whenever it likes. Apps move tokens through contracts; an approval to "
                "a person is how phishing sites collect."
            ),
            evidence=_evidence(g, False),
            subject=g.spender,
        )
    return None


@dataclass(frozen=True)
class UnfamiliarSpenderParams:
    unlimited_threshold: int = UNLIMITED_SENTINEL
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
    router or marketplace the user already used, or a well-known protocol, does not fire; a new one
    needs confirmation."""
    for g in transaction_grants(ctx, params.unlimited_threshold):
        if not g.unlimited:
            continue
        past = unfamiliar_contract(ctx, g.spender, params.min_past_interactions)
        if past is None:
            continue
        return Hit(
            message=(
                f"You would give contract {g.spender}, which you have never used, an {g.what} over "
                f"token {g.token}: {g.unlimited_because}. It could move those tokens at any time. Only "
                "confirm if you know and trust this app."
            ),
            evidence={**_evidence(g, True), "past_transactions_with_spender": past},
            subject=g.spender,
        )
    return None
