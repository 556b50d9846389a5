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
