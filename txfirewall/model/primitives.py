"""Primitive value types and strict hex helpers used across the model."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NewType

from txfirewall.model.hashing import keccak256

Address = NewType("Address", str)
"""An EIP-55 checksummed 20-byte address, the one canonical spelling used internally."""

ChainId = NewType("ChainId", int)
Selector = NewType("Selector", str)
"""A 4-byte function selector as 0x-prefixed lowercase hex."""

MAX_UINT256 = 2**256 - 1
UNLIMITED_SENTINEL = 2**128
"""Allowance amounts at or above this are unlimited whatever the field's width: no token has a
supply near 3.4e38 base units (a quadrillion tokens at 18 decimals is 1e33), while drainers ask
for 2**256-1, 2**255-1, 2**160-1 (Permit2's uint160) and values just below them to dodge
equality checks."""


def is_unlimited_amount(amount: int, bits: int = 256) -> bool:
    """The sentinel test: at or above ``UNLIMITED_SENTINEL``, or the upper half of a narrower field
    (a uint96 allowance near its maximum). What an amount does to a user also depends on their
    balance and the token's supply: see ``heuristics/grants.py``."""
    return amount >= min(UNLIMITED_SENTINEL, 1 << (bits - 1))


ZERO_ADDRESS = Address("0x0000000000000000000000000000000000000000")
NATIVE_TRANSFER_PSEUDO_ADDRESS = Address("0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE")

_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]*$")
_QUANTITY_RE = re.compile(r"^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$")


def is_address(value: object) -> bool:
    return isinstance(value, str) and bool(_ADDRESS_RE.match(value))


@lru_cache(maxsize=1 << 16)
def _checksum(lower_hex: str) -> Address:
    # EIP-55. Cached: a simulation names the same few addresses hundreds of times, and the
    # keccak behind each checksum was over half of the simulator's Python time.
    digest = keccak256(lower_hex.encode("ascii")).hex()
    return Address("0x" + "".join(c.upper() if d in "89abcdef" else c for c, d in zip(lower_hex, digest, strict=False)))


def to_address(value: str) -> Address:
    """Canonicalise a 0x-prefixed 20-byte hex address (raises ValueError otherwise)."""
    if not is_address(value):
        raise ValueError(f"not a 20-byte 0x-prefixed hex address: {value!r}")
    return _checksum(value[2:].lower())


def address_from_bytes(raw: bytes) -> Address:
    """A 20-byte address as checksummed text."""
    if len(raw) != 20:
        raise ValueError("an address is 20 bytes")
    return _checksum(raw.hex())


def address_from_word(word: bytes) -> Address:
    """The address in the low 20 bytes of a 32-byte ABI word or log topic."""
    if len(word) != 32:
        raise ValueError("an address word must be 32 bytes")
    return _checksum(word[12:].hex())


def parse_quantity(value: str) -> int:
    """A JSON-RPC QUANTITY: 0x-prefixed hex without leading zeros (``0x0`` for zero)."""
    if not isinstance(value, str) or not _QUANTITY_RE.match(value):
        raise ValueError(f"not a canonical hex quantity: {value!r}")
    return int(value, 16)


def parse_data(value: str) -> bytes:
    """JSON-RPC DATA: 0x-prefixed hex with an even number of digits."""
    if not isinstance(value, str) or not _HEX_RE.match(value) or len(value) % 2:
        raise ValueError(f"not 0x-prefixed hex bytes of even length: {value!r}")
    return bytes.fromhex(value[2:])


def to_quantity(value: int) -> str:
    return hex(value)


def short_address(address: str) -> str:
    """``0xAbCd…1234`` for prose; evidence always carries the full address."""
    return f"{address[:6]}…{address[-4:]}"
