"""Comparing the effects of one request under two block environments (simulation evasion).

A divergence is evidence of environment gating: a contract that reads the coinbase, base fee,
gas price, prevrandao, block number, ``tx.origin`` or ``gasleft()`` to behave one way when
watched and another when mined. Two things are *not* evidence and are not reported:

* a deadline or expiry passing in the later run (the request says how long it is valid; the later
  run stays inside it, and a revert that names a passed deadline is read as exactly that);
* amounts that drift by less than ``AMOUNT_TOLERANCE`` between blocks (interest, rebasing and
  vesting tokens accrue every second); who moves what to whom must still be identical;
* a revert in the run that had less gas, when the variant changes the gas limit (it may have run
  out of gas); the gas used is never compared, only who moves what to whom.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypeVar

from txfirewall.model.primitives import Address, short_address
from txfirewall.model.simulation import ApprovalChange, Divergence, Simulation, SimulationStatus, Transfer
from txfirewall.simulate.validity import is_deadline_revert

AMOUNT_TOLERANCE = 0.01
"""Relative difference in an amount that still counts as the same movement."""

_MovementKey = tuple[str, Address | None, int | None, Address, Address]
_ApprovalKey = tuple[Address, Address, Address, bool]
_K = TypeVar("_K")


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


def _movements(transfers: Iterable[Transfer]) -> dict[_MovementKey, int]:
    out: dict[_MovementKey, int] = {}
    for t in transfers:
        key = (t.kind.value, t.token, t.token_id, t.sender, t.recipient)
        out[key] = out.get(key, 0) + t.amount
    return out


def _approvals(approvals: Iterable[ApprovalChange]) -> dict[_ApprovalKey, int]:
    out: dict[_ApprovalKey, int] = {}
    for a in approvals:
        key = (a.token, a.owner, a.spender, a.unlimited)
        out[key] = a.amount if a.amount is not None else int(bool(a.approved))
    return out


def _close(a: int, b: int) -> bool:
    return abs(a - b) <= AMOUNT_TOLERANCE * max(abs(a), abs(b))


def _same_amounts(left: dict[_K, int], right: dict[_K, int]) -> bool:
    return left.keys() == right.keys() and all(_close(left[k], right[k]) for k in left)


def _same_effects(primary: Simulation, variant: Simulation) -> bool:
    return _same_amounts(_movements(primary.transfers), _movements(variant.transfers)) and _same_amounts(
        _approvals(primary.approvals), _approvals(variant.approvals)
    )


def compare(
    primary: Simulation,
    variant: Simulation,
    label: str = "a variant environment",
    *,
    primary_label: str = "the realistic next block",
    less_gas: Literal["primary", "variant"] | None = None,
    kind: Literal["block", "gas"] = "block",
) -> Divergence | None:
    """None when both runs did the same thing; otherwise what differs, in both directions.
    ``less_gas`` names the run that had less gas (a gas variant): its revert is not evidence."""
    if variant.status is SimulationStatus.FAILED or primary.status is SimulationStatus.FAILED:
        return None
    if primary.status is variant.status:
        if primary.status is not SimulationStatus.SUCCESS or _same_effects(primary, variant):
            return None
        description = f"its asset movements in {primary_label} differ from those in {label}"
    else:
        reverted, which = (primary, "primary") if primary.status is SimulationStatus.REVERTED else (variant, "variant")
        if is_deadline_revert(reverted.revert_reason) or which == less_gas:
            return None
        description = f"the transaction ends in {primary.status.value} in {primary_label} but in {variant.status.value} in {label}"
    a, b = effect_lines(primary), effect_lines(variant)
    return Divergence(description, tuple(x for x in a if x not in b), tuple(x for x in b if x not in a), kind)
