"""Revert data to words: Error(string), Panic(uint256), and custom errors.

Custom errors are looked up in a curated list of common ones (ERC-6093 token errors, Ownable,
Permit2, Uniswap) and then in the selector database; a candidate counts only when its arguments
decode and re-encode to the same bytes. Several survivors are all reported, never one guessed.
"""

from __future__ import annotations

from functools import lru_cache

from txfirewall.model.abi import AbiError, abi_decode, abi_encode
from txfirewall.model.hashing import keccak256
from txfirewall.model.json_values import to_json_value
from txfirewall.signatures.abi_types import signature_types
from txfirewall.signatures.selector_db import function_signatures

_ERROR = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")
PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x22: "corrupted storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}
CURATED = (
    "ERC20InsufficientBalance(address,uint256,uint256)",
    "ERC20InvalidSender(address)",
    "ERC20InvalidReceiver(address)",
    "ERC20InsufficientAllowance(address,uint256,uint256)",
    "ERC20InvalidApprover(address)",
    "ERC20InvalidSpender(address)",
    "ERC721NonexistentToken(uint256)",
    "ERC721IncorrectOwner(address,uint256,address)",
    "ERC721InsufficientApproval(address,uint256)",
    "ERC1155InsufficientBalance(address,uint256,uint256,uint256)",
    "ERC1155MissingApprovalForAll(address,address)",
    "OwnableUnauthorizedAccount(address)",
    "OwnableInvalidOwner(address)",
    "AccessControlUnauthorizedAccount(address,bytes32)",
    "ReentrancyGuardReentrantCall()",
    "EnforcedPause()",
    "ERC2612ExpiredSignature(uint256)",
    "ERC2612InvalidSigner(address,address)",
    "InvalidAccountNonce(address,uint256)",
    "AllowanceExpired(uint256)",
    "InsufficientAllowance(uint256)",
    "ExcessiveInvalidation()",
    "InvalidAmount(uint256)",
    "InvalidNonce()",
    "InvalidSignature()",
    "InvalidSigner()",
    "SignatureExpired(uint256)",
    "InvalidContractSignature()",
    "LengthMismatch()",
    "V3TooLittleReceived()",
    "V3TooMuchRequested()",
    "V2TooLittleReceived()",
    "V2TooMuchRequested()",
    "TransactionDeadlinePassed()",
    "ExecutionFailed(uint256,bytes)",
    "InsufficientToken()",
    "InsufficientETH()",
    "TransferFailed()",
    "Unauthorized()",
)


@lru_cache(maxsize=1)
def _curated() -> dict[bytes, tuple[str, ...]]:
    table: dict[bytes, tuple[str, ...]] = {}
    for sig in CURATED:
        key = keccak256(sig.encode())[:4]
        table[key] = (*table.get(key, ()), sig)
    return table


def _render(signature: str, body: bytes) -> str | None:
    types = signature_types(signature)
    if types is None:
        return None
    try:
        values = abi_decode(list(types), body)
        if abi_encode(list(types), list(values)) != body:
            return None
    except (AbiError, ValueError, OverflowError):
        return None
    name = signature.split("(", 1)[0]
    args = ", ".join(str(to_json_value(v)) for v in values)
    return f"{name}({args})"


def describe_revert(data: bytes) -> str | None:
    """Plain words for revert data; None when there is none."""
    if not data:
        return None
    head, body = data[:4], data[4:]
    if len(data) < 4:
        return "0x" + data.hex()
    try:
        if head == _ERROR:
            (message,) = abi_decode(["string"], body)
            return str(message)
        if head == _PANIC:
            (code,) = abi_decode(["uint256"], body)
            return f"panic 0x{code:02x}: {PANIC_CODES.get(code, 'unknown panic code')}"
    except (AbiError, ValueError, OverflowError):
        return f"malformed {('Error' if head == _ERROR else 'Panic')} revert data"
    candidates = _curated().get(head) or function_signatures(head)
    rendered = [r for sig in candidates if (r := _render(sig, body)) is not None]
    if len(rendered) == 1:
        return f"custom error {rendered[0]}"
    if rendered:
        return "custom error, one of: " + " | ".join(rendered[:4])
    return f"custom error 0x{head.hex()} (unknown)"
