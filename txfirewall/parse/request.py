"""The parse stage: a JSON-RPC request object (or a bare transaction object) to a ``Request``.

Every signing method has a strict shape here; raw transactions and typed data have their own
modules (``raw_tx``, ``typed_data_request``), batches of calls are in ``calls_request``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from txfirewall.errors import (
    InvalidParamsError,
    InvalidRequestError,
    MalformedJsonError,
    NonCanonicalKeyError,
    UnsupportedMethodError,
)
from txfirewall.model.primitives import ChainId, is_address, parse_data, parse_quantity, to_address
from txfirewall.model.request import (
    TRANSACTION_METHODS,
    TYPED_DATA_METHODS,
    MessageRequest,
    Method,
    Request,
    TransactionRequest,
)
from txfirewall.model.untrusted_json import loads_strict
from txfirewall.parse.calls_request import parse_send_calls
from txfirewall.parse.raw_tx import decode_raw_transaction
from txfirewall.parse.typed_data_legacy import parse_legacy_typed_data
from txfirewall.parse.typed_data_request import parse_typed_data
from txfirewall.parse.unsigned_tx import decode_unsigned_transaction, looks_unsigned

_ENVELOPE_KEYS = frozenset({"jsonrpc", "id", "method", "params"})
_TX_KEYS = frozenset(
    {
        "from",
        "to",
        "value",
        "data",
        "input",
        "gas",
        "gasPrice",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "nonce",
        "chainId",
        "type",
        "accessList",
    }
)
_KNOWN_TX_TYPES = frozenset({0, 1, 2})
"""Types a wallet builds from a JSON object; blob and set-code transactions arrive raw."""
_UINT64_MAX = 2**64 - 1
_UINT256_MAX = 2**256 - 1


_HEX_TEXT = re.compile(r"0x[0-9a-fA-F]+")
"""A whole request that is only hex: a serialized transaction, signed or not."""


def parse_request(
    source: str | bytes | Mapping[str, Any], *, origin: str | None = None, account: str | None = None
) -> Request:
    """Parse a request from JSON text or an already-decoded object.

    A decoded object cannot reveal duplicate keys any more, so prefer passing the raw text
    when it came off the wire. ``account`` is the signing account when the request cannot name it
    (an unsigned serialized transaction, handed to a hardware wallet as hex).
    """
    if isinstance(source, (str, bytes)) and _HEX_TEXT.fullmatch(
        source.strip() if isinstance(source, str) else source.strip().decode("ascii", "replace")
    ):
        text = source if isinstance(source, str) else source.decode("ascii")
        return _serialized_transaction(text.strip(), account, origin)
    obj = loads_strict(source) if isinstance(source, (str, bytes)) else source
    if isinstance(obj, str):
        return _serialized_transaction(obj, account, origin)
    if not isinstance(obj, Mapping):
        raise MalformedJsonError(f"expected a JSON object, got {type(obj).__name__}")
    obj = dict(obj)
    if "method" not in obj and "from" in obj:
        return _transaction_request(Method.SEND_TRANSACTION, None, obj, obj, origin)
    _check_keys(obj, _ENVELOPE_KEYS, "request")
    if obj.get("jsonrpc") != "2.0":
        raise InvalidRequestError('"jsonrpc" must be the string "2.0"')
    req_id = obj.get("id")
    if req_id is not None and (isinstance(req_id, bool) or not isinstance(req_id, (int, str))):
        raise InvalidRequestError('"id" must be a string, an integer or null')
    method_name = obj.get("method")
    if not isinstance(method_name, str):
        raise InvalidRequestError('"method" must be a string')
    try:
        method = Method(method_name)
    except ValueError:
        raise UnsupportedMethodError(
            f"{method_name!r} is not a signing method txfirewall analyses",
            hint="supported: " + ", ".join(m.value for m in Method),
        ) from None
    params = obj.get("params", [])
    if not isinstance(params, list):
        raise InvalidParamsError('"params" must be an array')
    if method is Method.SIGN_TRANSACTION and len(params) in (1, 2) and isinstance(params[0], str):
        signer = params[1] if len(params) == 2 and isinstance(params[1], str) else account
        unsigned = _serialized_transaction(params[0], signer, origin, req_id=req_id, raw=obj)
        if unsigned.method is not Method.SIGN_TRANSACTION:
            raise InvalidParamsError("eth_signTransaction takes an unsigned transaction; this one is signed")
        return unsigned
    if method in TRANSACTION_METHODS:
        if len(params) != 1 or not isinstance(params[0], Mapping):
            raise InvalidParamsError(f"{method.value} takes exactly one transaction object")
        return _transaction_request(method, req_id, dict(params[0]), obj, origin)
    if method is Method.SIGN:
        return _message_request(method, req_id, params, obj, origin, signer_index=0)
    if method is Method.PERSONAL_SIGN:
        return _message_request(method, req_id, params, obj, origin, signer_index=1)
    if method is Method.SEND_RAW_TRANSACTION:
        return _raw_transaction_request(req_id, params, obj, origin)
    if method in TYPED_DATA_METHODS:
        return _typed_data(method, req_id, params, obj, origin)
    return parse_send_calls(req_id, params, obj, origin)


def _serialized_transaction(
    text: str, account: str | None, origin: str | None, *, req_id: Any = None, raw: dict[str, Any] | None = None
) -> Request:
    """A transaction given as hex: signed (as eth_sendRawTransaction sends it) or unsigned (what a
    hardware wallet signs; the account must then be named)."""
    try:
        payload = parse_data(text.strip())
    except ValueError as exc:
        raise InvalidParamsError(f"a transaction as hex: {exc}") from exc
    envelope = raw if raw is not None else {"transaction": text}
    if not looks_unsigned(payload):
        tx, decoded = decode_raw_transaction(payload)
        return Request(
            method=Method.SEND_RAW_TRANSACTION, id=req_id, transaction=tx, origin=origin, raw=envelope, raw_tx=decoded
        )
    if account is None or not is_address(account):
        raise InvalidParamsError(
            "an unsigned transaction does not say who signs it",
            hint="name the signing account (check --from ADDRESS, or eth_signTransaction [hex, address])",
        )
    tx = decode_unsigned_transaction(payload, to_address(account))
    return Request(method=Method.SIGN_TRANSACTION, id=req_id, transaction=tx, origin=origin, raw=envelope)


def _raw_transaction_request(req_id: Any, params: list[Any], raw: dict[str, Any], origin: str | None) -> Request:
    if len(params) != 1 or not isinstance(params[0], str):
        raise InvalidParamsError("eth_sendRawTransaction takes [signedTransactionHex]")
    try:
        payload = parse_data(params[0])
    except ValueError as exc:
        raise InvalidParamsError(f"eth_sendRawTransaction: {exc}") from exc
    tx, decoded = decode_raw_transaction(payload)
    return Request(
        method=Method.SEND_RAW_TRANSACTION, id=req_id, transaction=tx, origin=origin, raw=raw, raw_tx=decoded
    )


def _typed_data(method: Method, req_id: Any, params: list[Any], raw: dict[str, Any], origin: str | None) -> Request:
    """v3/v4 take ``[address, typedData]``; the legacy form (``eth_signTypedData``/``_v1``) takes
    ``[typedDataArray, address]``. The document may be a JSON string or an object."""
    if len(params) != 2:
        raise InvalidParamsError(f"{method.value} takes exactly two params")
    legacy_shape = isinstance(params[0], (list, str)) and not is_address(params[0])
    if method is Method.SIGN_TYPED_DATA_V1 or (method is Method.SIGN_TYPED_DATA and legacy_shape):
        document, signer = params
        try:
            address = to_address(signer)
        except (ValueError, TypeError) as exc:
            raise InvalidParamsError(f"{method.value} takes [typedData, address]: {exc}") from exc
        if not isinstance(document, (list, str)):
            raise InvalidParamsError(f"{method.value} takes a legacy typed-data array")
        typed = parse_legacy_typed_data(address, document)
    else:
        signer, document = params
        try:
            address = to_address(signer)
        except (ValueError, TypeError) as exc:
            raise InvalidParamsError(f"{method.value} takes [address, typedData]: {exc}") from exc
        if not isinstance(document, (Mapping, str)):
            raise InvalidParamsError(f"{method.value}: typed data must be a JSON object or its text")
        typed = parse_typed_data(address, document, allow_arrays=method is not Method.SIGN_TYPED_DATA_V3)
    return Request(method=method, id=req_id, origin=origin, raw=raw, typed_data=typed)


def _check_keys(obj: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    lowered = {k.casefold(): k for k in allowed}
    for key in obj:
        if key in allowed:
            continue
        canonical = lowered.get(key.casefold())
        if canonical is not None:
            raise NonCanonicalKeyError(f"{what} key {key!r} is not canonical; expected {canonical!r}")
        raise InvalidRequestError(f"unknown {what} key {key!r}")


def _quantity(tx: Mapping[str, Any], key: str, *, limit: int = _UINT256_MAX) -> int | None:
    if key not in tx or tx[key] is None:
        return None
    try:
        value = parse_quantity(tx[key])
    except ValueError as exc:
        raise InvalidParamsError(f"transaction field {key!r}: {exc}") from exc
    if value > limit:
        raise InvalidParamsError(f"transaction field {key!r} is out of range")
    return value


def _transaction_request(
    method: Method, req_id: Any, tx: dict[str, Any], raw: dict[str, Any], origin: str | None
) -> Request:
    _check_keys(tx, _TX_KEYS, "transaction")
    if "from" not in tx:
        raise InvalidParamsError('transaction has no "from"; the signer must be explicit')
    try:
        sender = to_address(tx["from"])
        to = None if tx.get("to") is None else to_address(tx["to"])
    except (ValueError, TypeError) as exc:
        raise InvalidParamsError(f"transaction address: {exc}") from exc
    data = b""
    payloads: dict[str, bytes] = {}
    for key in ("data", "input"):
        if tx.get(key) is not None:
            try:
                payloads[key] = parse_data(tx[key])
            except ValueError as exc:
                raise InvalidParamsError(f"transaction field {key!r}: {exc}") from exc
    if len(payloads) == 2 and payloads["data"] != payloads["input"]:
        raise InvalidParamsError('"data" and "input" are both set and differ; which one would be signed?')
    if payloads:
        data = next(iter(payloads.values()))
    gas_price = _quantity(tx, "gasPrice")
    max_fee = _quantity(tx, "maxFeePerGas")
    max_priority = _quantity(tx, "maxPriorityFeePerGas")
    if gas_price is not None and (max_fee is not None or max_priority is not None):
        raise InvalidParamsError("gasPrice cannot be combined with maxFeePerGas/maxPriorityFeePerGas")
    if max_fee is not None and max_priority is not None and max_priority > max_fee:
        raise InvalidParamsError("maxPriorityFeePerGas is larger than maxFeePerGas")
    if max_priority is not None and max_fee is None:
        raise InvalidParamsError("maxPriorityFeePerGas is set without maxFeePerGas")
    tx_type = _quantity(tx, "type", limit=0xFF)
    if tx_type is not None:
        if tx_type not in _KNOWN_TX_TYPES:
            raise InvalidParamsError(f"transaction type {tx_type:#x} cannot be sent as a JSON object")
        if tx_type == 2 and gas_price is not None:
            raise InvalidParamsError("a type-2 transaction takes maxFeePerGas, not gasPrice")
        if tx_type in (0, 1) and max_fee is not None:
            raise InvalidParamsError(f"a type-{tx_type} transaction takes gasPrice, not maxFeePerGas")
    if tx.get("accessList") is not None and not isinstance(tx["accessList"], list):
        raise InvalidParamsError("accessList must be an array")
    if to is None and not data:
        raise InvalidParamsError("contract creation without code")
    chain_id = _quantity(tx, "chainId", limit=_UINT64_MAX)
    transaction = TransactionRequest(
        sender=sender,
        to=to,
        value=_quantity(tx, "value") or 0,
        data=data,
        gas=_quantity(tx, "gas", limit=_UINT64_MAX),
        gas_price=gas_price,
        max_fee_per_gas=max_fee,
        max_priority_fee_per_gas=max_priority,
        nonce=_quantity(tx, "nonce", limit=_UINT64_MAX),
        chain_id=None if chain_id is None else ChainId(chain_id),
        tx_type=tx_type,
    )
    return Request(method=method, id=req_id, transaction=transaction, origin=origin, raw=raw)


def _message_request(
    method: Method,
    req_id: Any,
    params: list[Any],
    raw: dict[str, Any],
    origin: str | None,
    *,
    signer_index: int,
) -> Request:
    """eth_sign is ``[address, data]``; personal_sign is ``[data, address]`` (an optional third
    param, a password, is refused: a site has no business sending one)."""
    shape = "[address, data]" if signer_index == 0 else "[data, address]"
    if len(params) != 2 or not all(isinstance(p, str) for p in params):
        raise InvalidParamsError(f"{method.value} takes {shape}")
    try:
        signer = to_address(params[signer_index])
        payload = parse_data(params[1 - signer_index])
    except ValueError as exc:
        raise InvalidParamsError(f"{method.value} takes {shape}: {exc}") from exc
    return Request(
        method=method,
        id=req_id,
        message=MessageRequest(signer=signer, payload=payload),
        origin=origin,
        raw=raw,
    )
