"""Has the user dealt with an address before? Shared by the "never used" rules."""

from __future__ import annotations

from txfirewall.model.context import AnalysisContext
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address


def unfamiliar_contract(ctx: AnalysisContext, address: Address, min_past_interactions: int) -> JsonValue | None:
    """For a contract the user used fewer than ``min_past_interactions`` times, the evidence value
    (past count, or "not provided" without history); None for EOAs, unknowns, familiar contracts and
    well-known protocols (``known_as``: a first swap on Uniswap is not a stranger's contract)."""
    facts = ctx.facts(address)
    if facts is None or not facts.is_contract or facts.known_as is not None:
        return None
    used = facts.relationship.sent_count if facts.relationship else 0
    if used >= min_past_interactions:
        return None
    return "not provided" if ctx.history is None else used
