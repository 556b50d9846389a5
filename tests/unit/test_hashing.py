"""Our EIP-55 checksum and keccak wrapper against eth-utils, the reference."""

from __future__ import annotations

from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from txfirewall.model.hashing import keccak256, selector_of
from txfirewall.model.primitives import address_from_bytes, to_address


@given(st.binary(min_size=20, max_size=20))
def test_checksum_matches_eth_utils(raw: bytes) -> None:
    assert address_from_bytes(raw) == to_checksum_address(raw)
    assert to_address("0x" + raw.hex().upper()) == to_checksum_address(raw)


@given(st.binary(max_size=300))
def test_keccak_matches_eth_utils(data: bytes) -> None:
    assert keccak256(data) == keccak(data)


def test_selector() -> None:
    assert selector_of("transfer(address,uint256)").hex() == "a9059cbb"
