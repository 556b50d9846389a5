"""Calls that look like drainer kits' lures.

Deliberately not reported: the same function names called without ETH (``claim()`` of a real
airdrop sends nothing); those are judged by what the simulation shows leaving the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.rule import Hit, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.signatures.intent_text import native_amount
from txfirewall.signatures.known_functions import SCAM_PAYABLE_SELECTORS


@dataclass(frozen=True)
class ScamSelectorParams:
    min_value_wei: int = 2 * 10**15
    """Smallest ETH value that counts (0.002 ETH, Revoke.cash's default)."""


@rule(
    id="value-to-scam-selector",
    title="ETH sent to a function name drainer kits use",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.INTENT,),
    params=ScamSelectorParams,
)
def value_to_scam_selector(ctx: AnalysisContext, params: ScamSelectorParams) -> Hit | None:
    """``Claim()``, ``SecurityUpdate()``, ``ClaimRewards()``... with ETH attached: the "native ice
    phishing" lure. Real airdrops do not ask you to pay to claim."""
    intent = ctx.intent
    if intent is None or intent.selector not in SCAM_PAYABLE_SELECTORS or intent.value < params.min_value_wei:
        return None
    name = intent.call.signature if intent.call else intent.selector
    return Hit(
        message=(
            f"This calls {name} on {intent.target} and pays it {native_amount(intent.value)}. Drainer "
            "sites use exactly these names for fake claims and 'security updates'; real airdrops "
            "never ask you to pay."
        ),
        evidence={"function": name, "selector": intent.selector, "contract": intent.target,
                  "value_wei": str(intent.value)},
        subject=intent.target,
    )
