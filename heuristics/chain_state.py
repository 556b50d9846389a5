"""The analysis ran on chain state the node has not confirmed for a while.

Before each analysis the Firewall asks the node for its head and re-pins the fork when it moved,
so the state is normally seconds old. When the node stops answering, analyses go on with the last
fork; balances, allowances and the user's own recent sends may have changed since, so a verdict
computed on old state is at least a warning, with the block and the check's error as evidence.

Not reported: an idle chain (a development node mines nothing for days, and its head is still
the head: the check confirms it); blocks of a chain whose block time is long.
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.rule import Hit, rule
from txfirewall.heuristics.wording import spoken_duration
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity


@dataclass(frozen=True)
class StaleStateParams:
    """``max_unconfirmed_s``: seconds since the node last confirmed the pinned block as its head,
    past which the verdict warns."""

    max_unconfirmed_s: int = 60


@rule(
    id="stale-chain-state",
    title="Simulated on old chain state",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.CHAIN_STATE,),
    params=StaleStateParams,
)
def stale_chain_state(ctx: AnalysisContext, params: StaleStateParams) -> Hit | None:
    """The node has not confirmed the simulated block as its head for ``max_unconfirmed_s``
    seconds (its head checks failed): the verdict may rest on balances that changed since."""
    state = ctx.chain_state
    if state is None or state.confirmed_s_ago <= params.max_unconfirmed_s:
        return None
    why = f" ({state.check_error})" if state.check_error else ""
    return Hit(
        message=(
            f"This was simulated on block {state.number}, which the node last confirmed as its head "
            f"{spoken_duration(state.confirmed_s_ago)} ago{why}. Balances and approvals may have changed since."
        ),
        evidence={
            "block": state.number,
            "confirmed_s_ago": round(state.confirmed_s_ago, 1),
            "limit_s": params.max_unconfirmed_s,
            "check_error": state.check_error,
        },
    )
