"""Keccak-256, the one hash the EVM uses, behind a typed function.

``eth_hash`` picks its backend (pycryptodome here) on first use; importing it costs about 20 ms,
against about 160 ms for ``eth_utils``, which the model used to import for this alone.
"""

from __future__ import annotations

from eth_hash.auto import keccak as _keccak


def keccak256(data: bytes | bytearray | memoryview) -> bytes:
    """The 32-byte Keccak-256 digest of ``data`` (the pre-standard padding, as the EVM uses)."""
    return _keccak(bytes(data))


def selector_of(signature: str) -> bytes:
    """The 4-byte function selector of a canonical signature such as ``transfer(address,uint256)``."""
    return keccak256(signature.encode())[:4]
