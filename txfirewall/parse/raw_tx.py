"""Raw signed transactions (``eth_sendRawTransaction``): strict envelope decoding, sender recovery.

The RLP structure is checked here, field by field, so that every malformation is a typed error
that names the field: non-canonical or trailing RLP, integers with leading zeros, wrong field
counts, unknown type bytes, blob and set-code rules (EIP-4844 and EIP-7594 network wrappers,
EIP-7702). The cryptography is
not ours: hashing and recovery go through eth-account and eth-keys.
"""

from __future__ import annotations

import hashlib
from functools import cache
from types import ModuleType
from typing import Any

from txfirewall.errors import RawTransactionError
from txfirewall.model.hashing import keccak256
from txfirewall.model.primitives import Address, ChainId, address_from_bytes
from txfirewall.model.request import RawTransaction, SetCodeAuthorization, TransactionRequest
from txfirewall.parse.eth_account_import import load_eth_account

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_RAW_TX_BYTES = 1024 * 1024
_UINT64_MAX = 2**64 - 1

_FIELDS: dict[int, tuple[str, ...]] = {
    0: ("nonce", "gasPrice", "gas", "to", "value", "data", "v", "r", "s"),
    1: ("chainId", "nonce", "gasPrice", "gas", "to", "value", "data", "accessList", "yParity", "r", "s"),
    2: (
        "chainId",
        "nonce",
        "maxPriorityFeePerGas",
        "maxFeePerGas",
        "gas",
        "to",
        "value",
        "data",
        "accessList",
        "yParity",
        "r",
        "s",
    ),
    3: (
        "chainId",
        "nonce",
        "maxPriorityFeePerGas",
        "maxFeePerGas",
        "gas",
        "to",
        "value",
        "data",
        "accessList",
        "maxFeePerBlobGas",
        "blobVersionedHashes",
        "yParity",
        "r",
        "s",
    ),
    4: (
        "chainId",
        "nonce",
        "maxPriorityFeePerGas",
        "maxFeePerGas",
        "gas",
        "to",
        "value",
        "data",
        "accessList",
        "authorizationList",
        "yParity",
        "r",
        "s",
    ),
}
_LIST_FIELDS = frozenset({"accessList", "blobVersionedHashes", "authorizationList"})
_BYTES_FIELDS = frozenset({"to", "data"})


@cache
def _rlp_module() -> ModuleType:
    """``rlp`` imports eth-utils (about 100 ms): loaded for the first raw transaction, not before."""
    import rlp

    return rlp


def _rlp(payload: bytes, what: str) -> Any:
    try:
        return _rlp_module().decode(payload, strict=True)
    except _rlp_module().exceptions.DecodingError as exc:
        raise RawTransactionError(f"{what}: not canonical RLP ({exc})") from exc
    except RecursionError as exc:
        raise RawTransactionError(f"{what}: RLP nested too deeply") from exc


def _int(item: Any, name: str, *, bits: int = 256) -> int:
    if not isinstance(item, bytes):
        raise RawTransactionError(f"field {name!r} must be an RLP string, got a list")
    if item[:1] == b"\x00":
        raise RawTransactionError(f"field {name!r} has leading zero bytes (non-canonical integer)")
    value = int.from_bytes(item, "big")
    if value >= 2**bits:
        raise RawTransactionError(f"field {name!r} does not fit in {bits} bits")
    return value


def _address(item: Any, name: str, *, optional: bool) -> Address | None:
    if not isinstance(item, bytes):
        raise RawTransactionError(f"field {name!r} must be an address, got a list")
    if not item and optional:
        return None
    if len(item) != 20:
        raise RawTransactionError(f"field {name!r} must be 20 bytes, got {len(item)}")
    return address_from_bytes(item)


def _access_list(item: Any) -> tuple[tuple[Address, tuple[bytes, ...]], ...]:
    if not isinstance(item, list):
        raise RawTransactionError("accessList must be a list")
    out = []
    for i, entry in enumerate(item):
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[1], list):
            raise RawTransactionError(f"accessList[{i}] must be [address, [storageKeys]]")
        address = _address(entry[0], f"accessList[{i}].address", optional=False)
        assert address is not None
        slots = entry[1]
        if not all(isinstance(k, bytes) and len(k) == 32 for k in slots):
            raise RawTransactionError(f"accessList[{i}] storage keys must be 32 bytes each")
        out.append((address, tuple(slots)))
    return tuple(out)


def _signature_check(r: int, s: int, what: str) -> None:
    if not 0 < r < SECP256K1_N:
        raise RawTransactionError(f"{what}: r is out of range")
    if not 0 < s <= SECP256K1_N // 2:
        raise RawTransactionError(f"{what}: s is zero or above n/2 (malleable signature, EIP-2)")


def _authorizations(item: Any) -> tuple[SetCodeAuthorization, ...]:
    if not isinstance(item, list):
        raise RawTransactionError("authorizationList must be a list")
    if not item:
        raise RawTransactionError("authorizationList is empty: a set-code transaction needs at least one")
    out = []
    for i, entry in enumerate(item):
        if not isinstance(entry, list) or len(entry) != 6:
            raise RawTransactionError(f"authorizationList[{i}] must have 6 fields")
        where = f"authorizationList[{i}]"
        chain_id = _int(entry[0], f"{where}.chainId")
        address = _address(entry[1], f"{where}.address", optional=False)
        assert address is not None
        nonce = _int(entry[2], f"{where}.nonce")
        y_parity = _int(entry[3], f"{where}.yParity", bits=8)
        r = _int(entry[4], f"{where}.r")
        s = _int(entry[5], f"{where}.s")
        out.append(_authorization(i, chain_id, address, nonce, y_parity, r, s))
    return tuple(out)


def _authorization(i: int, chain_id: int, address: Address, nonce: int, y: int, r: int, s: int) -> SetCodeAuthorization:
    """An invalid tuple is skipped by the EVM, not fatal to the transaction: report, don't raise."""
    problem = None
    if nonce >= _UINT64_MAX:
        problem = "nonce is 2^64-1 or more"
    elif y > 1:
        problem = f"y-parity {y} is not 0 or 1"
    elif not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        problem = "signature r/s out of range (s must be at most n/2)"
    authority = None
    if problem is None:
        try:
            load_eth_account()
            from eth_account.typed_transactions.set_code_transaction import Authorization  # lazy: 0.4 s import
            from eth_keys.datatypes import Signature

            digest = Authorization(chain_id, bytes.fromhex(address[2:]), nonce).hash()
            key = Signature(vrs=(y, r, s)).recover_public_key_from_msg_hash(bytes(digest))
            authority = Address(key.to_checksum_address())
        except Exception as exc:  # noqa: BLE001 - eth-keys raises several types for bad points
            problem = f"signature does not recover a key ({type(exc).__name__})"
    return SetCodeAuthorization(i, chain_id, address, nonce, y, r, s, authority, problem)


BYTES_PER_BLOB = 131_072
"""EIP-4844: 4096 field elements of 32 bytes."""
CELLS_PER_EXT_BLOB = 128
"""EIP-7594 (PeerDAS): a blob extended to 128 cells, each with its own KZG proof."""
_KZG_BYTES = 48
_BLOB_WRAPPERS = (
    "a blob network wrapper must be [tx, blobs, commitments, proofs] (EIP-4844) or "
    "[tx, wrapper_version, blobs, commitments, cell_proofs] (EIP-7594)"
)


def _blob_wrapper(items: list[Any]) -> tuple[list[Any], list[bytes]]:
    """The transaction body and the commitments of a type-3 network wrapper, after checking its
    shape and counts: EIP-4844 carries one proof per blob; EIP-7594 (wrapper version 1) carries
    ``CELLS_PER_EXT_BLOB`` cell proofs per blob."""
    if len(items) == 4:
        body, blobs, commitments, proofs = items
        per_blob, what = 1, "proof"
    elif len(items) == 5 and isinstance(items[1], bytes):
        body, version, blobs, commitments, proofs = items
        wrapper_version = _int(version, "wrapper_version", bits=8)
        if wrapper_version != 1:
            raise RawTransactionError(f"unknown blob wrapper version {wrapper_version} (EIP-7594 defines 1)")
        per_blob, what = CELLS_PER_EXT_BLOB, "cell proof"
    else:
        raise RawTransactionError(_BLOB_WRAPPERS)
    if not all(isinstance(x, list) for x in (body, blobs, commitments, proofs)):
        raise RawTransactionError(_BLOB_WRAPPERS)
    if len(blobs) != len(commitments) or len(proofs) != per_blob * len(blobs):
        raise RawTransactionError(
            f"blob, commitment and proof counts differ: {len(blobs)} blob(s), {len(commitments)} commitment(s), "
            f"{len(proofs)} {what}(s) (expected {per_blob} per blob)"
        )
    for name, group, size in (("blob", blobs, BYTES_PER_BLOB), ("commitment", commitments, _KZG_BYTES)):
        if not all(isinstance(x, bytes) and len(x) == size for x in group):
            raise RawTransactionError(f"every {name} must be {size:,} bytes")
    if not all(isinstance(x, bytes) and len(x) == _KZG_BYTES for x in proofs):
        raise RawTransactionError(f"every {what} must be {_KZG_BYTES} bytes")
    return body, commitments


def _check_commitments(commitments: list[bytes], blob_hashes: tuple[bytes, ...]) -> None:
    """Each versioned hash must be 0x01 || sha256(commitment)[1:] of the blob at its index."""
    if len(commitments) != len(blob_hashes):
        raise RawTransactionError(
            f"blob count differs from the number of blob hashes ({len(commitments)} vs {len(blob_hashes)})"
        )
    for i, (commitment, versioned) in enumerate(zip(commitments, blob_hashes, strict=True)):
        if b"\x01" + hashlib.sha256(commitment).digest()[1:] != versioned:
            raise RawTransactionError(f"blob versioned hash {i} does not match its KZG commitment")


def decode_raw_transaction(raw: bytes) -> tuple[TransactionRequest, RawTransaction]:
    """Decode one signed transaction; the sender is recovered from its signature."""
    if not raw:
        raise RawTransactionError("raw transaction is empty")
    if len(raw) > MAX_RAW_TX_BYTES:
        raise RawTransactionError(f"raw transaction is larger than {MAX_RAW_TX_BYTES} bytes")
    first = raw[0]
    sidecar = False
    if first >= 0xC0:
        tx_type, items = 0, _rlp(raw, "legacy transaction")
    elif first in (1, 2, 3, 4):
        tx_type, items = first, _rlp(raw[1:], f"type-{first} transaction")
    elif first <= 0x7F:
        raise RawTransactionError(f"unknown transaction type 0x{first:02x}")
    else:
        raise RawTransactionError(f"first byte 0x{first:02x} is neither a type nor an RLP list")
    if not isinstance(items, list):
        raise RawTransactionError("transaction payload must be an RLP list")
    commitments: list[bytes] | None = None
    if tx_type == 3 and items and isinstance(items[0], list):
        sidecar, items, commitments = True, *_blob_wrapper(items)
    names = _FIELDS[tx_type]
    if len(items) != len(names):
        raise RawTransactionError(f"type-{tx_type} transaction has {len(items)} fields, expected {len(names)}")
    fields = dict(zip(names, items, strict=True))
    for name, item in fields.items():
        if name in _LIST_FIELDS and not isinstance(item, list):
            raise RawTransactionError(f"field {name!r} must be a list")
        if name in _BYTES_FIELDS and not isinstance(item, bytes):
            raise RawTransactionError(f"field {name!r} must be an RLP string")
    for name, item in fields.items():
        if name not in _LIST_FIELDS and name not in _BYTES_FIELDS:
            _int(item, name)
    to = _address(fields["to"], "to", optional=True)
    if tx_type in (3, 4) and to is None:
        raise RawTransactionError(f"a type-{tx_type} transaction must have a recipient (no contract creation)")
    blob_hashes: tuple[bytes, ...] = ()
    if tx_type == 3:
        blob_hashes = tuple(fields["blobVersionedHashes"])
        if not blob_hashes:
            raise RawTransactionError("blob transaction carries no blob hashes")
        if not all(isinstance(h, bytes) and len(h) == 32 and h[0] == 1 for h in blob_hashes):
            raise RawTransactionError("blob versioned hashes must be 32 bytes starting with 0x01")
        if commitments is not None:
            _check_commitments(commitments, blob_hashes)
    r, s = _int(fields["r"], "r"), _int(fields["s"], "s")
    if tx_type == 0:
        v = _int(fields["v"], "v")
        if v in (27, 28):
            chain_id, eip155, parity = None, False, v - 27
        elif v >= 37:
            chain_id, eip155, parity = (v - 35) // 2, True, (v - 35) % 2
        else:
            raise RawTransactionError(f"legacy v={v} is neither 27/28 nor an EIP-155 value")
        signature = (v, r, s)
    else:
        chain_id, eip155 = _int(fields["chainId"], "chainId", bits=64), True
        parity = _int(fields["yParity"], "yParity", bits=8)
        if parity > 1:
            raise RawTransactionError(f"yParity {parity} is not 0 or 1")
        signature = (parity, r, s)
    _signature_check(r, s, "transaction signature")
    access_list = _access_list(fields["accessList"]) if "accessList" in fields else ()
    auths = _authorizations(fields["authorizationList"]) if tx_type == 4 else ()
    signed = raw
    if sidecar:
        signed = bytes([3]) + _rlp_module().encode(items)
    try:
        load_eth_account()
        from eth_account import Account  # lazy: eth-account costs 0.4 s to import

        sender = Address(Account.recover_transaction(signed))
    except Exception as exc:  # eth-account/eth-keys raise several types
        raise RawTransactionError(f"cannot recover the sender: {type(exc).__name__}: {exc}") from exc
    del parity
    tx = TransactionRequest(
        sender=sender,
        to=to,
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
        access_list=access_list,
    )
    if tx.max_fee_per_gas is not None and (tx.max_priority_fee_per_gas or 0) > tx.max_fee_per_gas:
        raise RawTransactionError("maxPriorityFeePerGas is larger than maxFeePerGas")
    decoded = RawTransaction(
        tx_type=tx_type,
        raw=raw,
        hash=keccak256(signed),
        sender=sender,
        eip155=eip155,
        signature=signature,
        blob_hashes=blob_hashes,
        max_fee_per_blob_gas=(_int(fields["maxFeePerBlobGas"], "maxFeePerBlobGas") if tx_type == 3 else None),
        blob_sidecar=sidecar,
        authorizations=auths,
        nonce=tx.nonce,
    )
    return tx, decoded
