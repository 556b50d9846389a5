"""What a simulated request really did: transfers, approvals, net asset changes, revert reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address


class AssetKind(StrEnum):
    NATIVE = "native"
    ERC20 = "erc20"
    ERC721 = "erc721"
    ERC1155 = "erc1155"


class SimulationStatus(StrEnum):
    SUCCESS = "success"
    REVERTED = "reverted"
    FAILED = "failed"
    """The simulator itself could not run the request (node down, timeout, rejected)."""
    SKIPPED = "skipped"
    """Not attempted: the user asked for no simulation, or the request is not a transaction."""


@dataclass(frozen=True)
class Transfer:
    """One asset movement seen in the logs (ETH movements come from traceTransfers pseudo-logs)."""

    kind: AssetKind
    token: Address | None
    sender: Address
    recipient: Address
    amount: int
    token_id: int | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind.value,
            "token": self.token,
            "from": self.sender,
            "to": self.recipient,
            "amount": str(self.amount),
            "token_id": None if self.token_id is None else str(self.token_id),
        }


@dataclass(frozen=True)
class ApprovalChange:
    """An allowance or operator approval set by the request (amount 0 / approved False = revoke)."""

    kind: AssetKind
    token: Address
    owner: Address
    spender: Address
    amount: int | None = None
    approved: bool | None = None
    token_id: int | None = None
    unlimited: bool = False
    via: Address | None = None
    """The allowance manager (Permit2) holding this allowance, when it is not the token itself."""
    expiration: int | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind.value,
            "token": self.token,
            "owner": self.owner,
            "spender": self.spender,
            "amount": None if self.amount is None else str(self.amount),
            "approved": self.approved,
            "token_id": None if self.token_id is None else str(self.token_id),
            "unlimited": self.unlimited,
            "via": self.via,
            "expiration": self.expiration,
        }


@dataclass(frozen=True)
class AssetChange:
    """The net change of one asset for one address over the whole request."""

    address: Address
    kind: AssetKind
    token: Address | None
    delta: int
    token_id: int | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "address": self.address,
            "kind": self.kind.value,
            "token": self.token,
            "delta": str(self.delta),
            "token_id": None if self.token_id is None else str(self.token_id),
        }


class CodeChangeKind(StrEnum):
    DELEGATION_SET = "delegation-set"
    DELEGATION_CLEARED = "delegation-cleared"
    IMPLEMENTATION_CHANGED = "implementation-changed"
    ADMIN_CHANGED = "admin-changed"
    BEACON_CHANGED = "beacon-changed"
    OWNER_CHANGED = "owner-changed"
    CONTRACT_CREATED = "contract-created"
    CODE_DESTROYED = "code-destroyed"


@dataclass(frozen=True)
class CodeChange:
    """Who controls what changed: a 7702 delegation, a proxy slot, an owner, new code."""

    kind: CodeChangeKind
    address: Address
    before: Address | None
    after: Address | None
    code_size: int | None = None
    code: bytes | None = field(default=None, compare=False, repr=False)
    """The new runtime code of a contract created by the request (scanned in the enrich stage)."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind.value,
            "address": self.address,
            "before": self.before,
            "after": self.after,
            "code_size": self.code_size,
        }


@dataclass(frozen=True)
class CallFrame:
    """One frame of the call tree (depth-first order)."""

    depth: int
    call_type: str
    caller: Address
    target: Address | None
    value: int
    selector: str | None
    error: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "depth": self.depth,
            "type": self.call_type,
            "from": self.caller,
            "to": self.target,
            "value": str(self.value),
            "selector": self.selector,
            "error": self.error,
        }


@dataclass(frozen=True)
class FundsPull:
    """A token movement and the contract whose call made the token move it."""

    transfer: Transfer
    pulled_by: Address

    def to_json(self) -> dict[str, JsonValue]:
        return {**self.transfer.to_json(), "pulled_by": self.pulled_by}


@dataclass(frozen=True)
class Divergence:
    """The request did different things in two equally plausible runs: two block environments, or
    two gas limits a wallet or a simulator may use."""

    description: str
    primary: tuple[str, ...]
    variant: tuple[str, ...]
    kind: str = "block"
    """What differed between the runs: ``block`` (the block it lands in) or ``gas`` (its gas limit)."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "description": self.description,
            "primary": list(self.primary),
            "variant": list(self.variant),
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Simulation:
    """The outcome of simulating a request on a pinned fork."""

    status: SimulationStatus
    block_number: int | None = None
    gas_used: int | None = None
    revert_reason: str | None = None
    error: str | None = None
    transfers: tuple[Transfer, ...] = ()
    approvals: tuple[ApprovalChange, ...] = ()
    changes: tuple[AssetChange, ...] = field(default=())
    engine: str = "eth_simulateV1"
    code_changes: tuple[CodeChange, ...] = ()
    frames: tuple[CallFrame, ...] = ()
    pulls: tuple[FundsPull, ...] = ()
    divergence: Divergence | None = None
    variants_compared: int | None = None
    """Other block environments the run was repeated in and compared with (the check behind
    ``divergence``); 0: none (no block environment to vary, or every such run failed); None: not
    recorded. Not in the JSON: a check that could not run is listed in ``skipped_rules``."""
    state_diff_unread: str | None = None
    """Why the state diff (code, proxy-slot and delegation changes) of a successful run was not read:
    the node did not return it, or a run of several calls, which is not traced; None when it was
    read, or nothing was recorded. Not in the JSON, as ``variants_compared``."""
    environment: dict[str, JsonValue] | None = None
    notes: tuple[str, ...] = ()
    signature_effect: bool = False
    """True when this simulates what a signature lets its counterparty do, not a transaction:
    a revert then means "not possible with today's approvals", not a failed transaction."""

    @property
    def ran(self) -> bool:
        return self.status in (SimulationStatus.SUCCESS, SimulationStatus.REVERTED)

    def changes_for(self, address: Address) -> tuple[AssetChange, ...]:
        return tuple(c for c in self.changes if c.address == address)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "status": self.status.value,
            "engine": self.engine,
            "block_number": self.block_number,
            "gas_used": self.gas_used,
            "revert_reason": self.revert_reason,
            "error": self.error,
            "transfers": [t.to_json() for t in self.transfers],
            "approvals": [a.to_json() for a in self.approvals],
            "asset_changes": [c.to_json() for c in self.changes],
            "code_changes": [c.to_json() for c in self.code_changes],
            "pulls": [p.to_json() for p in self.pulls],
            "call_frames": [f.to_json() for f in self.frames],
            "divergence": self.divergence.to_json() if self.divergence else None,
            "environment": self.environment,
            "notes": list(self.notes),
            "signature_effect": self.signature_effect,
        }


def net_changes(transfers: tuple[Transfer, ...]) -> tuple[AssetChange, ...]:
    """Sum transfers into per-address, per-asset deltas, dropping zeros; deterministic order."""
    totals: dict[tuple[Address, AssetKind, Address | None, int | None], int] = {}
    for t in transfers:
        key_out = (t.sender, t.kind, t.token, t.token_id)
        key_in = (t.recipient, t.kind, t.token, t.token_id)
        totals[key_out] = totals.get(key_out, 0) - t.amount
        totals[key_in] = totals.get(key_in, 0) + t.amount
    changes = [
        AssetChange(address=a, kind=k, token=tok, delta=d, token_id=tid)
        for (a, k, tok, tid), d in totals.items()
        if d != 0
    ]
    changes.sort(key=lambda c: (c.address, c.kind.value, c.token or "", c.token_id or 0))
    return tuple(changes)
