"""What a request lets someone else take: allowances and operator approvals, with what they mean
for this user.

A transaction's grants come from the simulation when it ran (every Approval the user's call tree
emitted, however deeply nested, Permit2 included), else from the decoded call tree (every
``approve``, ``increaseAllowance``, Permit2 ``approve``/``permit`` and ``setApprovalForAll`` the
decoder found, at any depth). A signature's grants come from the decoded permit.

"Unlimited" means what it does to the user, not a magic number: an amount at the sentinel size
(``is_unlimited_amount``: 2**256-1, 2**255-1, Permit2's 2**160-1 and values just below), more than
the token's whole supply, or all the user holds of it; an operator approval covers every token id.
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.model.context import AnalysisContext
from txfirewall.model.holdings import unlimited_in_effect
from txfirewall.model.intent import Allowance, IntentKind
from txfirewall.model.primitives import Address, is_unlimited_amount
from txfirewall.model.simulation import AssetKind

NEVER_EXPIRES = 2**47
"""Expirations at or beyond this (year ~4.4 million) mean "never"; Permit2 uses 2**48-1 (uint48 max)."""


@dataclass(frozen=True)
class Grant:
    token: Address | None
    spender: Address
    amount: int | None
    """None for an operator approval (every token id of a collection)."""
    unlimited_because: str | None
    """Why it is unlimited for this user; None when it is a finite part of what they hold."""
    source: str
    path: str = "top"
    expiration: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.unlimited_because is not None

    @property
    def what(self) -> str:
        if self.amount is None:
            return "operator approval for every token"
        return "unlimited allowance" if self.unlimited else f"allowance of {self.amount}"


def _why(ctx: AnalysisContext, token: Address | None, amount: int | None, bits: int, threshold: int) -> str | None:
    if amount is None:
        return "it covers every token of the collection"
    if amount >= threshold or is_unlimited_amount(amount, bits):
        return "the amount is the maximum such a field holds"
    holdings = ctx.holdings
    return unlimited_in_effect(amount, holdings.of(token) if holdings is not None else None)


def _from_allowance(ctx: AnalysisContext, a: Allowance, threshold: int) -> Grant:
    if a.amount is None:
        return Grant(a.token, a.spender, None, "it covers every token of the collection", a.source, a.path or "top")
    bits = 160 if a.source.startswith("permit2") else 256
    why = (
        "the amount is the maximum such a field holds" if a.unlimited else _why(ctx, a.token, a.amount, bits, threshold)
    )
    return Grant(a.token, a.spender, a.amount, why, a.source, a.path or "top", a.expiration)


def transaction_grants(ctx: AnalysisContext, threshold: int) -> list[Grant]:
    """Grants a transaction (or a batch of calls) makes from the sender's assets."""
    intent = ctx.intent
    if intent is None or intent.kind is IntentKind.PERMIT:
        return []
    sim = ctx.simulation
    sender = ctx.request.sender
    if sim is not None and sim.ran:
        grants = []
        for a in sim.approvals:
            if a.owner != sender:
                continue
            if a.kind is AssetKind.ERC20 and a.amount is not None:
                bits = 160 if a.expiration is not None else 256  # Permit2 events carry an expiration
                why = "the amount is the maximum such a field holds" if a.unlimited else None
                why = why or _why(ctx, a.token, a.amount, bits, threshold)
                source = "permit2-approve" if a.expiration is not None else "approve"
                grants.append(Grant(a.token, a.spender, a.amount, why, source, "simulated", a.expiration))
            elif a.approved and a.token_id is None:
                grants.append(
                    Grant(a.token, a.spender, None, "it covers every token of the collection", "setApprovalForAll")
                )
        return grants
    found = [_from_allowance(ctx, a, threshold) for a in intent.allowances]
    if not found and intent.kind is IntentKind.TOKEN_APPROVAL and intent.token and intent.counterparty:
        amount = None if intent.amount is None and intent.unlimited else intent.amount
        why = _why(ctx, intent.token, amount, 256, threshold)
        found.append(Grant(intent.token, intent.counterparty, amount, why, "approve"))
    return [g for g in found if g.amount is None or g.amount > 0]


def signature_grants(ctx: AnalysisContext, threshold: int) -> list[Grant]:
    """Grants a signed permit makes (EIP-2612, DAI, Permit2 single, batch and transfer)."""
    intent = ctx.intent
    if intent is None or intent.kind is not IntentKind.PERMIT:
        return []
    return [_from_allowance(ctx, a, threshold) for a in intent.allowances]


def long_lived(g: Grant) -> bool:
    """No expiry, or one so far away it is never (Permit2's uint48 maximum)."""
    return g.source in ("eip2612-permit", "dai-permit") or g.expiration is None or g.expiration >= NEVER_EXPIRES
