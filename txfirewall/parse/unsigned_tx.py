"""Unsigned serialized transactions: what a hardware wallet is handed to sign.

Types 0-2, RLP-encoded without a signature: legacy ``[nonce, gasPrice, gas, to, value, data]`` or
with EIP-155 placeholders ``[..., chainId, 0, 0]``; typed ``type || rlp([chainId, nonce, ..., data,
accessList])``. Decoding is as strict as for signed transactions (canonical RLP, no trailing bytes,
fields of the right width). There is no signature to recover the signer from, so the signing
account comes from the caller (``--from``, the proxy's account).
"""

from __future__ import annotations

from txfirewall.errors import RawTransactionError
from txfirewall.model.primitives import Address, ChainId
from txfirewall.model.request import TransactionRequest
from txfirewall.parse.raw_tx import MAX_RAW_TX_BYTES, _access_list, _address, _int, _rlp

_UNSIGNED_FIELDS: dict[int, tuple[str, ...]] = {
    0: ("nonce", "gasPrice", "gas", "to", "value", "data"),
    1: ("chainId", "nonce", "gasPrice", "gas", "to", "value", "data", "accessList"),
    2: ("chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "data", "accessList"),
}


def looks_unsigned(raw: bytes) -> bool:
    """True when ``raw`` has the field count of an unsigned transaction of its type (a quick check
    before the strict decode; a signed one has three fields more)."""
    try:
        if raw[:1] in (b"\x01", b"\x02"):
            items = _rlp(raw[1:], "transaction")
            return isinstance(items, list) and len(items) == len(_UNSIGNED_FIELDS[raw[0]])
        items = _rlp(raw, "transaction")
    except RawTransactionError:
        return False
    if not isinstance(items, list):
        return False
    return len(items) == 6 or (len(items) == 9 and items[7] == b"" and items[8] == b"")


def decode_unsigned_transaction(raw: bytes, sender: Address) -> TransactionRequest:
    """The transaction ``sender`` is asked to sign; ``RawTransactionError`` when ``raw`` is not a
    strictly encoded unsigned transaction of type 0, 1 or 2."""
    if not raw:
        raise RawTransactionError("unsigned transaction is empty")
    if len(raw) > MAX_RAW_TX_BYTES:
        raise RawTransactionError(f"unsigned transaction is larger than {MAX_RAW_TX_BYTES} bytes")
    chain_id: int | None = None
    if raw[0] in (1, 2):
        tx_type, items = raw[0], _rlp(raw[1:], f"unsigned type-{raw[0]} transaction")
    elif raw[0] >= 0xC0:
        tx_type, items = 0, _rlp(raw, "unsigned legacy transaction")
    else:
        raise RawTransactionError(f"first byte 0x{raw[0]:02x}: not an unsigned transaction of type 0, 1 or 2")
    if not isinstance(items, list):
        raise RawTransactionError("transaction payload must be an RLP list")
    names = _UNSIGNED_FIELDS[tx_type]
    if tx_type == 0 and len(items) == 9:
        if items[7] != b"" or items[8] != b"":
            raise RawTransactionError(
                "a legacy transaction with a signature is not unsigned; send it as a raw transaction"
            )
        chain_id = _int(items[6], "chainId (EIP-155 placeholder)", bits=64)
        items = items[:6]
    if len(items) != len(names):
        raise RawTransactionError(f"unsigned type-{tx_type} transaction has {len(items)} fields, expected {len(names)}")
    fields = dict(zip(names, items, strict=True))
    for name in ("to", "data"):
        if not isinstance(fields[name], bytes):
            raise RawTransactionError(f"field {name!r} must be an RLP string")
    if "chainId" in fields:
        chain_id = _int(fields["chainId"], "chainId", bits=64)
    tx = TransactionRequest(
        sender=sender,
        to=_address(fields["to"], "to", optional=True),
        value=_int(fields["value"], "value"),
        data=fields["data"],
        gas=_int(fields["gas"], "gas", bits=64),
        gas_price=_int(fields["gasPrice"], "gasPrice") if "gasPrice" in fields else None,
        max_fee_per_gas=_int(fields["maxFeePerGas"], "maxFeePerGas") if "maxFeePerGas" in fields else None,
        max_priority_fee_per_gas=(
            _int(fields["maxPriorityFeePerGas"], "maxPriorityFeePerGas") if "maxPriorityFeePerGas" in fields else None
        ),
        nonce=_int(fields["nonce"], "nonce", bits=64),
        chain_id=None if chain_id is None else ChainId(chain_id),
        tx_type=tx_type,
        access_list=_access_list(fields["accessList"]) if "accessList" in fields else (),
    )
    if tx.max_fee_per_gas is not None and (tx.max_priority_fee_per_gas or 0) > tx.max_fee_per_gas:
        raise RawTransactionError("maxPriorityFeePerGas is larger than maxFeePerGas")
    if tx.to is None and not tx.data:
        raise RawTransactionError("contract creation without code")
    return tx
