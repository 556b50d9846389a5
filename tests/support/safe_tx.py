"""Safe test inputs shared by the unit rules and the fixture-chain tests: an owner's SafeTx
signature request and MultiSend's packed batch entries."""

from __future__ import annotations

from typing import Any

ZERO_ADDRESS = "0x" + "00" * 20
SAFE_TX_FIELDS = (
    ("to", "address"),
    ("value", "uint256"),
    ("data", "bytes"),
    ("operation", "uint8"),
    ("safeTxGas", "uint256"),
    ("baseGas", "uint256"),
    ("gasPrice", "uint256"),
    ("gasToken", "address"),
    ("refundReceiver", "address"),
    ("nonce", "uint256"),
)


def safe_tx_request(
    signer: str, safe: str, chain_id: int, to: str, operation: int, data: bytes = b"", nonce: int = 7
) -> dict[str, Any]:
    """``eth_signTypedData_v4`` of a SafeTx: ``safe`` runs ``data`` on ``to`` (0 CALL, 1 DELEGATECALL)."""
    doc = {
        "types": {
            "EIP712Domain": [{"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
            "SafeTx": [{"name": n, "type": t} for n, t in SAFE_TX_FIELDS],
        },
        "primaryType": "SafeTx",
        "domain": {"chainId": chain_id, "verifyingContract": safe},
        "message": {
            "to": to,
            "value": "0",
            "data": "0x" + data.hex(),
            "operation": operation,
            "safeTxGas": "0",
            "baseGas": "0",
            "gasPrice": "0",
            "gasToken": ZERO_ADDRESS,
            "refundReceiver": ZERO_ADDRESS,
            "nonce": str(nonce),
        },
    }
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [signer, doc]}


def multisend_entry(operation: int, to: str, data: bytes = b"", value: int = 0) -> bytes:
    """One packed MultiSend entry: operation (1 byte), to (20), value (32), data length (32), data."""
    return bytes([operation]) + bytes.fromhex(to[2:]) + value.to_bytes(32, "big") + len(data).to_bytes(32, "big") + data
