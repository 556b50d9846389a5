"""Rules about assets leaving the user.

Deliberately not reported: swaps and trades (something comes back); transfers to addresses the
user has paid before; the size of a transfer (a later anomaly rule compares it with the user's
own history).
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.familiarity import unfamiliar_contract
from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import Address


@dataclass(frozen=True)
class UnfamiliarContractParams:
    min_past_interactions: int = 1
    """How many past transactions with a contract make it "used before"."""


@rule(
    id="assets-to-unfamiliar-contract",
    title="Assets leave you for a contract you never used, with nothing back",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.SIMULATION, Fact.CODE),
    params=UnfamiliarContractParams,
)
def assets_to_unfamiliar_contract(ctx: AnalysisContext, params: UnfamiliarContractParams) -> Hit | None:
    """The drainer pattern: a payable "Claim" or "Security update" takes ETH or tokens and returns
    nothing. Paying a contract you have used before (a vault, a known app) does not fire."""
    sim = ctx.simulation
    sender = ctx.request.sender
    if sim is None or sender is None:
        return None
    mine = sim.changes_for(sender)
    outgoing = [c for c in mine if c.delta < 0]
    incoming = [c for c in mine if c.delta > 0]
    if not outgoing or incoming:
        return None
    receivers: list[Address] = []
    for t in sim.transfers:
        if t.sender == sender and t.recipient not in receivers:
            receivers.append(t.recipient)
    for receiver in receivers:
        past = unfamiliar_contract(ctx, receiver, params.min_past_interactions)
        if past is None:
            continue
        return Hit(
            message=(
                f"This sends your assets to contract {receiver}, which you have never used before, "
                "and nothing comes back to you. Drainers look exactly like this."
            ),
            evidence={
                "contract": receiver,
                "you_lose": [c.to_json() for c in outgoing],
                "you_receive": [],
                "past_transactions_with_contract": past,
            },
            subject=receiver,
        )
    return None


@rule(
    id="first-transfer-to-address",
    title="First transfer to this address",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT, Fact.HISTORY),
)
def first_transfer_to_address(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Address poisoning and typos both show up as a first payment to a new address."""
    intent = ctx.intent
    if intent is None or intent.kind not in (IntentKind.NATIVE_TRANSFER, IntentKind.TOKEN_TRANSFER):
        return None
    recipient = intent.counterparty
    facts = ctx.facts(recipient)
    if recipient is None or (facts and facts.relationship and facts.relationship.sent_count > 0):
        return None
    return Hit(
        message=f"You have never sent anything to {recipient} before. Check every character of it.",
        evidence={"recipient": recipient, "past_transfers_to_recipient": 0},
        subject=recipient,
    )
