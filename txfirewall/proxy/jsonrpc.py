"""JSON-RPC 2.0 framing for the proxy: the wire in, calls out; responses back, ids intact.

The body is read once, strictly: a duplicate or case-variant key anywhere refuses the whole
payload (a node decoding with Go's ``encoding/json`` would bind ``"METHOD"`` to ``method`` and
take the last duplicate; the proxy must never classify a request differently from the node).
Numbers keep their exact value and type: integers as ints of any size, fractions as ``Decimal``,
so an id ``1.0`` or ``123456789012345678901234567890`` is echoed as sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from txfirewall.errors import MalformedJsonError, NonCanonicalKeyError
from txfirewall.model.untrusted_json import loads_bounded, strict_pairs

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
LIMIT_EXCEEDED = -32005
RESPONSE_TOO_LARGE = -32003
USER_REJECTED = 4001
"""EIP-1193: the user rejected the request (txfirewall's block, or the user's own no)."""


class RpcFailure(Exception):
    """A JSON-RPC error object to answer with (internal: never leaves the proxy as an exception)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


@dataclass(frozen=True)
class Call:
    """One element of a request. ``error`` is set when it is not a valid call (answered with it,
    never forwarded); ``has_id`` is False for a notification (answered with nothing)."""

    index: int
    obj: dict[str, Any] | None
    id: Any = None
    has_id: bool = True
    method: str = ""
    error: RpcFailure | None = None


@dataclass(frozen=True)
class Payload:
    """A whole request body: one call or a batch."""

    calls: tuple[Call, ...]
    batch: bool


class ExactNumber(Decimal):
    """A JSON number that is not a plain integer (``1.0``, ``1e2``, ``1.50``, ``-0``), kept with the
    token it was written as: ``encode`` writes that token back, so an id is echoed byte for byte
    (``str(Decimal("1e2"))`` would be ``1E+2``, and ``int("-0")`` would come back as ``0``)."""

    __slots__ = ("token",)
    token: str

    def __new__(cls, token: str) -> ExactNumber:
        number = super().__new__(cls, token)
        number.token = token
        return number


def _exact_int(token: str) -> int | ExactNumber:
    return ExactNumber(token) if token == "-0" else int(token)


def loads_exact(body: bytes | str) -> Any:
    """Strict JSON with exact numbers; raises ``MalformedJsonError`` / ``NonCanonicalKeyError``."""
    try:
        return loads_bounded(
            body,
            object_pairs_hook=strict_pairs,
            parse_float=ExactNumber,
            parse_int=_exact_int,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise MalformedJsonError(f"invalid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise MalformedJsonError("not UTF-8") from exc


def _no_constant(name: str) -> Any:
    raise MalformedJsonError(f"{name} is not valid JSON")


def parse_payload(body: bytes, *, max_batch: int) -> Payload:
    """The calls in ``body``. Raises ``RpcFailure`` when the body as a whole must be answered with
    one error: not JSON (-32700), non-canonical (-32600, never forwarded), an empty batch, a batch
    over ``max_batch`` items (geth's "batch too large", answered as a one-element array)."""
    try:
        doc = loads_exact(body)
    except NonCanonicalKeyError as exc:
        raise RpcFailure(INVALID_REQUEST, f"non-canonical request refused: {exc}") from exc
    except MalformedJsonError as exc:
        raise RpcFailure(PARSE_ERROR, f"parse error: {exc}") from exc
    if isinstance(doc, list):
        if not doc:
            raise RpcFailure(INVALID_REQUEST, "empty batch")
        if len(doc) > max_batch:
            first = doc[0].get("id") if isinstance(doc[0], dict) and _valid_id(doc[0].get("id")) else None
            raise BatchTooLarge(first, max_batch)
        return Payload(tuple(_call(i, item) for i, item in enumerate(doc)), batch=True)
    return Payload((_call(0, doc),), batch=False)


class BatchTooLarge(RpcFailure):
    def __init__(self, first_id: Any, limit: int) -> None:
        super().__init__(INVALID_REQUEST, f"batch too large (more than {limit} calls)")
        self.first_id = first_id


def _valid_id(value: Any) -> bool:
    return value is None or (isinstance(value, str | int | Decimal) and not isinstance(value, bool))


_ENVELOPE = frozenset({"jsonrpc", "id", "method", "params"})


def _call(index: int, item: Any) -> Call:
    if not isinstance(item, dict):
        return Call(index, None, error=RpcFailure(INVALID_REQUEST, "a call must be a JSON object"))
    for key in item:
        if key not in _ENVELOPE and key.casefold() in _ENVELOPE:
            # Go's decoder binds "METHOD" to method; read here it would be no method at all. The
            # answer keeps the call's id when it has a canonical one (no variant of "id" can be
            # beside it: the strict reader refused those), so a batch client can match it.
            same_id = item.get("id") if _valid_id(item.get("id")) else None
            return Call(index, None, same_id, error=RpcFailure(INVALID_REQUEST, f"non-canonical key {key!r} refused"))
    has_id = "id" in item
    raw_id = item.get("id")
    if not _valid_id(raw_id):
        return Call(index, item, error=RpcFailure(INVALID_REQUEST, '"id" must be a string, a number or null'))
    if item.get("jsonrpc") != "2.0":
        return Call(index, item, raw_id, has_id=True, error=RpcFailure(INVALID_REQUEST, '"jsonrpc" must be "2.0"'))
    method = item.get("method")
    if not isinstance(method, str) or not method:
        return Call(index, item, raw_id, has_id=True, error=RpcFailure(INVALID_REQUEST, '"method" must be a string'))
    params = item.get("params")
    if params is not None and not isinstance(params, list | dict):
        return Call(index, item, raw_id, error=RpcFailure(INVALID_REQUEST, '"params" must be an array or an object'))
    return Call(index, item, raw_id, has_id=has_id, method=method)


def encode(value: Any) -> str:
    """Compact JSON with exact numbers (``Decimal`` written as its digits, a parsed number as its token)."""
    if isinstance(value, ExactNumber):
        return value.token
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def error_object(call_id: Any, failure: RpcFailure) -> dict[str, Any]:
    error: dict[str, Any] = {"code": failure.code, "message": failure.message}
    if failure.data is not None:
        error["data"] = failure.data
    return {"jsonrpc": "2.0", "id": call_id, "error": error}


def id_key(value: Any) -> tuple[str, str]:
    """Match a response to its call: ``1``, ``1.0`` and ``"1"`` are three different ids."""
    if value is None:
        return ("null", "")
    if isinstance(value, Decimal):
        return ("frac", str(value.normalize()))
    return (type(value).__name__, str(value))


def assemble(calls: Sequence[Call], answers: Mapping[int, dict[str, Any]], upstream: Sequence[Any]) -> list[Any]:
    """The batch response, in the order of the calls: our answers at their calls' positions, each
    upstream reply at the position of the call with its id (a node may answer a batch in any order,
    RELIABILITY A7.1: filling the slots in the node's order would hand a client that matches by
    position the wrong results). Replies whose id matches no call fill the calls left without one,
    in the node's order; a forwarded call the node did not answer at all gets an error, never
    silence; notifications get nothing."""
    slots: list[Any] = []
    owners: dict[int, Call] = {}
    pending: dict[tuple[str, str], list[int]] = {}
    for call in calls:
        if call.index in answers:
            slots.append(answers[call.index])
        elif call.has_id:
            owners[len(slots)] = call
            pending.setdefault(id_key(call.id), []).append(len(slots))
            slots.append(None)
    unmatched: list[Any] = []
    for reply in upstream:
        waiting = pending.get(id_key(reply.get("id"))) if isinstance(reply, Mapping) else None
        if waiting:
            slots[waiting.pop(0)] = reply
        else:
            unmatched.append(reply)
    leftovers = iter(unmatched)
    missing = RpcFailure(INTERNAL_ERROR, "the upstream node did not answer this call")
    out: list[Any] = []
    for pos, slot in enumerate(slots):
        if slot is None:
            slot = next(leftovers, None)
        out.append(slot if slot is not None else error_object(owners[pos].id, missing))
    out.extend(leftovers)
    return out
