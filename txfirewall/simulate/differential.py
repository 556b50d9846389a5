"""Comparing the effects of one request under two block environments (simulation evasion)."""

from __future__ import annotations

from txfirewall.model.primitives import short_address
from txfirewall.model.simulation import ApprovalChange, Divergence, Simulation, SimulationStatus, Transfer


def _transfer_text(t: Transfer) -> str:
    what = "ETH" if t.token is None else short_address(t.token)
    tid = f" #{t.token_id}" if t.token_id is not None else ""
    return f"{t.kind.value} {t.amount} {what}{tid} {short_address(t.sender)}->{short_address(t.recipient)}"


def _approval_text(a: ApprovalChange) -> str:
    amount = "unlimited" if a.unlimited else (a.amount if a.amount is not None else a.approved)
    return f"approval {short_address(a.token)} {short_address(a.owner)}->{short_address(a.spender)} {amount}"


def effect_lines(sim: Simulation) -> tuple[str, ...]:
    lines = [f"status {sim.status.value}"]
    if sim.status is SimulationStatus.SUCCESS:
        lines += sorted(_transfer_text(t) for t in sim.transfers)
        lines += sorted(_approval_text(a) for a in sim.approvals)
    return tuple(lines)


def compare(primary: Simulation, variant: Simulation, label: str = "a variant environment") -> Divergence | None:
    """None when both runs did the same thing; otherwise what differs, in both directions."""
    if variant.status is SimulationStatus.FAILED or primary.status is SimulationStatus.FAILED:
        return None
    a, b = effect_lines(primary), effect_lines(variant)
    if a == b:
        return None
    only_a = tuple(x for x in a if x not in b)
    only_b = tuple(x for x in b if x not in a)
    if primary.status is not variant.status:
        description = (
            f"the transaction ends in {primary.status.value} in the realistic next block "
            f"but in {variant.status.value} in {label}"
        )
    else:
        description = f"its asset movements in the realistic next block differ from those in {label}"
    return Divergence(description, only_a, only_b)
