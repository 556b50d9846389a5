"""Revert data decoded into words; custom errors only when their arguments re-encode exactly."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from txfirewall.signatures.custom_errors import describe_revert


def err(signature: str, types: list[str], args: list[object]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, args)


def test_error_string_and_panic() -> None:
    assert describe_revert(err("Error(string)", ["string"], ["EXPIRED"])) == "EXPIRED"
    assert describe_revert(err("Panic(uint256)", ["uint256"], [0x12])) == "panic 0x12: division by zero"
    assert describe_revert(b"") is None


def test_curated_custom_error_is_named_with_arguments() -> None:
    data = err(
        "ERC20InsufficientBalance(address,uint256,uint256)",
        ["address", "uint256", "uint256"],
        ["0x" + "ab" * 20, 5, 10],
    )
    assert describe_revert(data) == f"custom error ERC20InsufficientBalance(0x{'ab' * 20}, 5, 10)"


def test_custom_error_with_bad_arguments_is_not_named() -> None:
    data = err("SignatureExpired(uint256)", ["uint256"], [1])[:-1]  # truncated argument
    assert (
        describe_revert(data) == "custom error 0x" + keccak(text="SignatureExpired(uint256)")[:4].hex() + " (unknown)"
    )


def test_malformed_error_string_is_reported_not_raised() -> None:
    assert "malformed Error" in (describe_revert(bytes.fromhex("08c379a0") + b"\x00" * 5) or "")
    assert describe_revert(b"\x01\x02") == "0x0102"
