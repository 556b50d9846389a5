"""Creation blocks found so far, and how far back the node serves state."""

from __future__ import annotations

import time
from collections import OrderedDict

from txfirewall.enrich.contract_age.values import CreationBlock
from txfirewall.model.primitives import Address


class ContractAgeCache:
    """What the searches learnt, per Firewall (one upstream): creation blocks found (bounded, least
    recently used out), and the highest block the node failed to serve state for.

    Pruning only ever removes the oldest state, so no later search probes at or below that block:
    on a node without history, searches stop costing round trips after the first one. An error
    may also be transient (a rate limit), so that memory lasts ``floor_ttl`` seconds."""

    def __init__(self, max_entries: int = 4096, *, floor_ttl: float = 600.0) -> None:
        self._entries: OrderedDict[Address, CreationBlock] = OrderedDict()
        self.max_entries = max_entries
        self.floor_ttl = floor_ttl
        self._floor: int | None = None
        self._floor_at = 0.0

    def history_floor(self) -> int | None:
        """The highest block recently found without state; None when none is known."""
        if self._floor is not None and time.monotonic() - self._floor_at > self.floor_ttl:
            self._floor = None
        return self._floor

    def no_state_at(self, block: int) -> None:
        floor = self.history_floor()
        if floor is None or block >= floor:
            self._floor, self._floor_at = block, time.monotonic()

    def get(self, address: Address) -> CreationBlock | None:
        found = self._entries.get(address)
        if found is not None:
            self._entries.move_to_end(address)
        return found

    def put(self, address: Address, found: CreationBlock) -> None:
        self._entries[address] = found
        self._entries.move_to_end(address)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def discard(self, address: Address) -> None:
        self._entries.pop(address, None)

    def __len__(self) -> int:
        return len(self._entries)
