"""Calls that look like drainer kits' lures.

Deliberately not reported: the same function names called without ETH (``claim()`` of a real
airdrop sends nothing); those are judged by what the simulation shows leaving the wallet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from txfirewall.heuristics.rule import Hit, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import Intent
from txfirewall.model.primitives import Address
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
    phishing" lure. Real airdrops do not ask you to pay to claim. Calls nested in a batch,
    multicall or Safe transaction count as much as the top-level call."""
    intent = ctx.intent
    if intent is None:
        return None
    for where, selector, value, target, name in _calls(intent):
        if selector not in SCAM_PAYABLE_SELECTORS or value < params.min_value_wei:
            continue
        return Hit(
            message=(
                f"This calls {name} on {target}{where} and pays it {native_amount(value)}. Drainer "
                "sites use exactly these names for fake claims and 'security updates'; real "
                "airdrops never ask you to pay."
            ),
            evidence={
                "function": name,
                "selector": selector,
                "contract": target,
                "value_wei": str(value),
                "path": where.strip(" ()") or "top",
            },
            subject=target,
        )
    return None


def _calls(intent: Intent) -> Iterator[tuple[str, str | None, int, Address | None, str]]:
    """(where, selector, value, target, name) for the top call and every nested call."""
    top_name = intent.call.signature if intent.call else str(intent.selector)
    yield "", intent.selector, intent.value, intent.target, top_name
    stack = [(node, "") for node in reversed(intent.children)]
    while stack:
        node, parent = stack.pop()
        label = f"{parent}/{node.label}" if parent else node.label
        name = node.call.signature if node.call else str(node.selector)
        yield f" (inside {label})", node.selector, node.value, node.target, name
        stack.extend((child, label) for child in reversed(node.children))
