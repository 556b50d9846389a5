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
