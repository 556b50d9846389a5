"""``wallet_sendCalls`` (EIP-5792): a batch of calls the wallet may run atomically.

Each call is checked like a transaction's fields; capabilities are kept out of the analysis
except ``atomicRequired``. A batch of one is also exposed as a plain transaction so it is
simulated like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from txfirewall.errors import InvalidParamsError
from txfirewall.model.primitives import ChainId, parse_data, parse_quantity, to_address
from txfirewall.model.request import BatchCall, CallsRequest, Method, Request, TransactionRequest

MAX_CALLS = 256
_BATCH_KEYS = frozenset({"version", "id", "from", "chainId", "atomicRequired", "calls", "capabilities"})
_CALL_KEYS = frozenset({"to", "data", "value", "capabilities"})


def _keys(obj: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    for key in obj:
        if key not in allowed:
            raise InvalidParamsError(f"unknown {what} key {key!r}")


def _call(i: int, obj: Any) -> BatchCall:
    if not isinstance(obj, Mapping):
        raise InvalidParamsError(f"wallet_sendCalls calls[{i}] must be an object")
    _keys(obj, _CALL_KEYS, f"calls[{i}]")
    try:
        to = None if obj.get("to") is None else to_address(obj["to"])
        data = b"" if obj.get("data") is None else parse_data(obj["data"])
        value = 0 if obj.get("value") is None else parse_quantity(obj["value"])
    except (ValueError, TypeError) as exc:
        raise InvalidParamsError(f"wallet_sendCalls calls[{i}]: {exc}") from exc
    if value >= 2**256:
        raise InvalidParamsError(f"wallet_sendCalls calls[{i}].value is out of range")
    if to is None and not data:
        raise InvalidParamsError(f"wallet_sendCalls calls[{i}] has neither a recipient nor code")
    return BatchCall(to=to, value=value, data=data)


def parse_send_calls(req_id: Any, params: list[Any], raw: dict[str, Any], origin: str | None) -> Request:
    if len(params) != 1 or not isinstance(params[0], Mapping):
        raise InvalidParamsError("wallet_sendCalls takes exactly one batch object")
    batch = params[0]
    _keys(batch, _BATCH_KEYS, "wallet_sendCalls")
    calls = batch.get("calls")
    if not isinstance(calls, list) or not calls:
        raise InvalidParamsError("wallet_sendCalls needs a non-empty calls array")
    if len(calls) > MAX_CALLS:
        raise InvalidParamsError(f"wallet_sendCalls has more than {MAX_CALLS} calls")
    try:
        sender = None if batch.get("from") is None else to_address(batch["from"])
        chain_id = None if batch.get("chainId") is None else ChainId(parse_quantity(batch["chainId"]))
    except (ValueError, TypeError) as exc:
        raise InvalidParamsError(f"wallet_sendCalls: {exc}") from exc
    atomic = batch.get("atomicRequired", False)
    version = batch.get("version", "")
    if not isinstance(atomic, bool) or not isinstance(version, str):
        raise InvalidParamsError("wallet_sendCalls: atomicRequired must be a boolean and version a string")
    parsed = CallsRequest(
        sender=sender,
        chain_id=chain_id,
        calls=tuple(_call(i, c) for i, c in enumerate(calls)),
        atomic_required=atomic,
        version=version,
    )
    tx = None
    if sender is not None and len(parsed.calls) == 1:
        only = parsed.calls[0]
        tx = TransactionRequest(sender=sender, to=only.to, value=only.value, data=only.data, chain_id=chain_id)
    return Request(method=Method.WALLET_SEND_CALLS, id=req_id, origin=origin, raw=raw, calls=parsed, transaction=tx)
