"""The user's real counterparties, from their own history, for look-alike (address poisoning) checks.

Address poisoning plants a look-alike of someone the user really pays (same first and last hex
digits) into their history with zero-value or dust transfers, or a fake token, hoping the user
copies it from there next time. So only *real* counterparties are compared against: addresses the
user sent value to, or received real ETH from. Addresses seen only through zero-value transfers,
dust or incoming tokens are *planted candidates*, kept apart as evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from txfirewall.model.primitives import Address


@dataclass(frozen=True)
class Counterparties:
    user: Address
    real: tuple[Address, ...]
    packed: bytes
    """The real addresses' 20 raw bytes each, in order: the kernel's input (no numpy in the model)."""
    planted: Mapping[Address, int] = field(default_factory=lambda: MappingProxyType({}))
    """Addresses seen only in zero-value, dust or incoming-token transfers -> how many times."""

    def is_real(self, address: Address) -> bool:
        return address in self._real_set

    @property
    def _real_set(self) -> frozenset[Address]:
        found: frozenset[Address] | None = self.__dict__.get("_real_cache")
        if found is None:
            found = frozenset(self.real)
            object.__setattr__(self, "_real_cache", found)
        return found
