"""Rules about marketplace orders (Seaport, Blur, 0x, UniswapX) the user is asked to sign.

Deliberately not reported: orders whose price looks low (that needs market prices, which this
offline check does not have); fees and royalties to third parties (normal on every listing).
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind


@rule(
    id="order-for-nothing",
    title="Order gives your assets away for nothing",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
)
def order_for_nothing(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """The "free listing" scam: a Seaport (or similar) order whose offer is your NFTs or tokens
    and whose consideration pays you nothing, so anyone can fill it and take them."""
    intent = ctx.intent
    if intent is None or intent.kind is not IntentKind.ORDER or not intent.gives:
        return None
    paid = [r for r in intent.receives if (r.amount or 0) > 0]
    if paid:
        return None
    return Hit(
        message=(
            "This order offers your assets but pays you nothing in return: whoever fills it takes "
            "them for free. Marketplaces never need such a signature."
        ),
        evidence={
            "gives": [g.to_json() for g in intent.gives],
            "receives": [r.to_json() for r in intent.receives],
            "marketplace": intent.target,
        },
    )


@rule(
    id="order-paid-in-unknown-token",
    title="Order sells your NFT for a token nobody vouches for",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.INTENT,),
)
def order_paid_in_unknown_token(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A listing that sells an NFT for an ERC-20 that is no well-known token (not in the curated
    list, not an ERC-7730 token, no benign label): the fake-WETH payment scam, where the buyer pays
    in a worthless look-alike. Listings priced in ETH or a known token do not fire."""
    intent = ctx.intent
    if intent is None or intent.kind is not IntentKind.ORDER:
        return None
    if not any(g.kind in ("erc721", "erc1155") for g in intent.gives):
        return None
    for paid in intent.receives:
        if paid.kind != "erc20" or paid.token is None:
            continue
        facts = ctx.facts(paid.token)
        if facts is not None and (
            facts.known_as or any(label.category.value in ("benign", "protocol") for label in facts.labels)
        ):
            continue
        info = ctx.tokens.get(paid.token)
        return Hit(
            message=f"This order sells your NFT for {paid.amount} of token {paid.token}"
            + (f" (it calls itself {info.symbol!r})" if info is not None and info.symbol else "")
            + ", which txfirewall does not know as a real token. Scam listings pay in worthless look-alikes of WETH "
            "or USDC. Check the payment token before you sign.",
            evidence={
                "payment_token": paid.token,
                "amount": None if paid.amount is None else str(paid.amount),
                "marketplace": intent.target,
            },
            subject=paid.token,
        )
    return None
