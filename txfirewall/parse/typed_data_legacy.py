"""The legacy typed-data format (``eth_signTypedData`` / ``_v1``): a flat list of
``{type, name, value}``, hashed as eth-sig-util's ``typedSignatureHash`` does.

Only atomic types exist in this format; anything else is a ``TypedDataError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from txfirewall.errors import TypedDataError
from txfirewall.model.abi import abi_encode_packed as encode_packed
from txfirewall.model.hashing import keccak256
from txfirewall.model.primitives import Address
from txfirewall.model.request import TypedDataRequest
from txfirewall.model.untrusted_json import loads_strict
from txfirewall.parse.typed_data_request import MAX_ARRAY, _Walker, is_primitive

LEGACY_TYPE = "LegacyTypedData"


def parse_legacy_typed_data(signer: Address, document: Any) -> TypedDataRequest:
    if isinstance(document, str):
        document = loads_strict(document)
    if not isinstance(document, list) or not document:
        raise TypedDataError("legacy typed data must be a non-empty array of {type, name, value}")
    if len(document) > MAX_ARRAY:
        raise TypedDataError(f"legacy typed data has more than {MAX_ARRAY} entries")
    fields: list[tuple[str, str]] = []
    raw: dict[str, Any] = {}
    for i, entry in enumerate(document):
        if not isinstance(entry, Mapping) or set(entry) != {"type", "name", "value"}:
            raise TypedDataError(f"legacy typed data entry {i} must be exactly {{type, name, value}}")
        name, type_name = entry["name"], entry["type"]
        if not isinstance(name, str) or not isinstance(type_name, str) or not name:
            raise TypedDataError(f"legacy typed data entry {i}: name and type must be strings")
        if not is_primitive(type_name):
            raise TypedDataError(f"legacy typed data entry {i}: {type_name!r} is not an atomic type")
        if name in raw:
            raise TypedDataError(f"legacy typed data declares {name!r} twice")
        fields.append((name, type_name))
        raw[name] = entry["value"]
    types = {LEGACY_TYPE: tuple(fields)}
    walker = _Walker(types)
    message = walker.struct(LEGACY_TYPE, raw, "message", 0)
    try:
        schema = keccak256(encode_packed(["string"] * len(fields), [f"{t} {n}" for n, t in fields]))
        values = [bytes.fromhex(message[n][2:]) if t.startswith("bytes") else message[n] for n, t in fields]
        data = keccak256(encode_packed([t for _, t in fields], values))
    except Exception as exc:  # eth-abi raises several types
        raise TypedDataError(f"legacy typed data does not encode: {type(exc).__name__}: {exc}") from exc
    return TypedDataRequest(
        signer=signer,
        primary_type=LEGACY_TYPE,
        domain={},
        types=types,
        message=message,
        digest=keccak256(schema + data),
        legacy=True,
        addresses=tuple(walker.addresses),
    )
