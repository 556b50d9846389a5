"""Address poisoning and sends of most of what the user holds to strangers.

Address poisoning (the costliest attack of 2024-2025) plants a look-alike of someone the user really
pays, matching the first and last hex digits a person checks, through zero-value or dust transfers
or a fake token, and waits for the user to copy it from their history. The check compares every
place the user's assets or an allowance go with the user's *real* counterparties (MetaMask's
threshold: 4 leading and 4 trailing hex digits alike, not equal; Ambire compares only with
addresses actually paid before, to stay clear of the birthday paradox on big address books).

Deliberately not reported: destinations that are themselves real counterparties (the friend
themselves), look-alikes of addresses only ever seen in planted transfers (nothing to imitate),
and large sends to addresses the user has paid before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from txfirewall.heuristics.grants import transaction_grants
from txfirewall.heuristics.rule import Hit, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import UNLIMITED_SENTINEL, Address


def destinations(ctx: AnalysisContext) -> Iterator[tuple[Address, str, int | None, Address | None]]:
    """(address, what goes there, amount, token) for every place the user's assets or allowances go."""
    sender = ctx.request.sender
    tx = ctx.request.transaction
    intent = ctx.intent
    if tx is not None and tx.to is not None and tx.value > 0:
        yield tx.to, "ETH", tx.value, None
    if intent is not None and intent.kind is IntentKind.TOKEN_TRANSFER and intent.counterparty is not None:
        yield intent.counterparty, "tokens", intent.amount, intent.token
    sim = ctx.simulation
    if sim is not None and sim.ran:
        for t in sim.transfers:
            if t.sender == sender:
                yield t.recipient, "ETH" if t.token is None else "tokens", t.amount, t.token
    for g in transaction_grants(ctx, UNLIMITED_SENTINEL):
        yield g.spender, "an allowance", g.amount, g.token


@dataclass(frozen=True)
class PoisoningParams:
    min_prefix: int = 4
    """Leading hex digits alike (after 0x) that make a look-alike (MetaMask: 4)."""
    min_suffix: int = 4
    """Trailing hex digits alike (MetaMask: 4)."""


def _held(ctx: AnalysisContext, token: Address | None) -> int | None:
    """The sender's balance of ``token`` (ETH for None); None when it was not read."""
    holdings = ctx.holdings
    if holdings is None:
        return None
    return holdings.native if token is None else (h.balance if (h := holdings.of(token)) is not None else None)


def _share(ctx: AnalysisContext, amount: int | None, token: Address | None) -> float | None:
    held = _held(ctx, token)
    return None if amount is None or not held else min(1.0, amount / held)


@rule(
    id="address-poisoning-lookalike",
    title="Destination imitates someone you really pay",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT, Fact.HISTORY),
    params=PoisoningParams,
)
def address_poisoning_lookalike(ctx: AnalysisContext, params: PoisoningParams) -> Hit | None:
    """The destination shares its first and last hex digits with an address the user really paid,
    but is another address: the address-poisoning pattern. Critical when the history shows it was
    planted (zero-value, dust or incoming-token transfers) or most of a balance is going."""
    mine = ctx.counterparties
    if mine is None or not mine.real:
        return None
    from txfirewall.heuristics.lookalike_kernel import find_lookalike

    for address, what, amount, token in destinations(ctx):
        if mine.is_real(address):
            continue
        index, prefix, suffix = find_lookalike(
            mine.packed, bytes.fromhex(address[2:]), params.min_prefix, params.min_suffix
        )
        if index < 0:
            continue
        friend = mine.real[index]
        planted = mine.planted.get(address, 0)
        share = _share(ctx, amount, token)
        critical = planted > 0 or (share is not None and share >= 0.5)
        evidence: dict[str, JsonValue] = {
            "destination": address,
            "imitates": friend,
            "leading_digits_alike": prefix,
            "trailing_digits_alike": suffix,
            "what": what,
            "planted_transfers_in_history": planted,
            "share_of_balance": None if share is None else round(share, 4),
        }
        how = (
            f" It reached your history through {planted} zero-value or dust transfer(s): that is how it was planted."
            if planted
            else ""
        )
        return Hit(
            message=(
                f"{what.capitalize()} would go to {address}, which looks like {friend}, an address you really "
                f"paid: the first {prefix} and last {suffix} hex digits match, the rest does not. This is address "
                f"poisoning: copy the address from a trusted source, not from your history.{how}"
            ),
            evidence=evidence,
            severity=Severity.CRITICAL if critical else Severity.HIGH,
            subject=address,
        )
    return None


@dataclass(frozen=True)
class MostOfBalanceParams:
    min_share: float = 0.9
    """Share of what the user holds of the asset (0-1) that counts as "most of it"."""


@rule(
    id="most-of-balance-to-new-address",
    title="Most of a balance goes to an address you never dealt with",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT, Fact.HISTORY, Fact.HOLDINGS),
    params=MostOfBalanceParams,
)
def most_of_balance_to_new_address(ctx: AnalysisContext, params: MostOfBalanceParams) -> Hit | Skip | None:
    """Sending 90 % or more of an asset to an address never seen in the user's history is what a
    scam, a poisoned address or a coerced transfer looks like; moving everything to one's own new
    wallet looks the same, so this asks for a deliberate confirmation, it does not block. Known
    protocol contracts (a deposit into a vault, a swap) do not fire. Skipped when the balance of
    what goes to such an address could not be read."""
    mine = ctx.counterparties
    if mine is None:
        return None
    unread: list[str] = []
    for address, what, amount, token in destinations(ctx):
        if mine.is_real(address) or what == "an allowance":
            continue
        facts = ctx.facts(address)
        if facts is not None and (facts.known_as or (facts.relationship and facts.relationship.interacted)):
            continue
        share = _share(ctx, amount, token)
        if share is None and amount and _held(ctx, token) is None:
            asset = "ETH" if token is None else f"token {token}"
            if asset not in unread:
                unread.append(asset)
        if share is None or share < params.min_share:
            continue
        return Hit(
            message=(
                f"This sends {share:.0%} of your {'ETH' if token is None else 'balance of token ' + token} to {address}, "
                "an address you have never sent to or received from. Check it is really yours or your "
                "counterparty's before you confirm."
            ),
            evidence={"destination": address, "share_of_balance": round(share, 4), "token": token, "what": what},
            subject=address,
        )
    if unread:
        return Skip(
            f"your balance of {', '.join(unread[:3])} could not be read, so the share of it going to an "
            "address you never dealt with could not be measured"
        )
    return None
