"""The values of contract dating: the pinned block, what a search found, the age it gives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address
from txfirewall.simulate.block_env import BlockEnv

AgeSource = Literal["creation-block", "graph-first-seen"]

AGE_ROLES: tuple[str, ...] = ("delegate", "spender", "receives-your-assets", "recipient", "called")
"""Roles whose age matters, most important first (the order picks who is dated under the cap)."""


@dataclass(frozen=True)
class PinnedBlock:
    """The block the analysis reads state at; ages are measured to its timestamp."""

    number: int
    timestamp: int


def pinned_from_env(env: BlockEnv | None) -> PinnedBlock | None:
    """The pinned block from the simulation environment, which describes the block after it."""
    return None if env is None else PinnedBlock(env.number - 1, env.timestamp - 12)


@dataclass(frozen=True)
class CreationBlock:
    """What the search found; cached, since a creation block never changes."""

    number: int
    timestamp: int
    code_hash: str
    """Hash of the code the search saw at the pinned block: new code means a new search."""


@dataclass(frozen=True)
class ContractAge:
    """How old an address is at the pinned block. ``unknown`` says why nothing was found."""

    address: Address
    creation_block: int | None = None
    created_at: int | None = None
    age_seconds: int | None = None
    source: AgeSource | None = None
    unknown: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "address": self.address,
            "creation_block": self.creation_block,
            "created_at": self.created_at,
            "age_seconds": self.age_seconds,
            "source": self.source,
            "unknown": self.unknown,
        }


@dataclass(frozen=True)
class AgeSearchOptions:
    """How hard to look: probes per round trip, round and address caps, a time budget."""

    fan_out: int = 16
    """Probe blocks per round trip (one JSON-RPC batch)."""
    max_rounds: int = 10
    """Give up (unknown) after this many round trips for one address."""
    max_addresses: int = 4
    """Addresses dated per request; the others keep only the graph's first-seen time."""
    budget_seconds: float = 4.0
    """Wall-clock budget; addresses not dated by then are unknown (and not cached)."""

    def __post_init__(self) -> None:
        if self.fan_out < 1 or self.max_rounds < 1 or self.max_addresses < 0 or self.budget_seconds <= 0:
            raise ValueError("age search options must be positive")


@dataclass(frozen=True)
class AgeReport:
    """The answer for one batch of addresses, with what it cost."""

    ages: Mapping[Address, ContractAge]
    pinned: PinnedBlock | None
    round_trips: int
    calls: int


def dated(address: Address, found: CreationBlock, pinned: PinnedBlock) -> ContractAge:
    return ContractAge(
        address, found.number, found.timestamp, max(0, pinned.timestamp - found.timestamp), "creation-block"
    )
