"""EIP-712 typed data (``eth_signTypedData*``): strict validation, then hashing with eth-account.

Checks follow geth's ``apitypes`` and its ``expfail_*`` fixtures: undefined or self-referencing
types, type names that shadow primitives or carry brackets, domains that are missing or carry keys
the ``EIP712Domain`` type does not declare, message fields not in the types (MetaMask's "PPOM
bypass"), integers wider than their type or negative for ``uint``, floats. Every failure is a
``TypedDataError`` that says which field is wrong. Walks are capped so a hostile document cannot
make validation slow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from txfirewall.errors import TypedDataError
from txfirewall.model.primitives import Address, is_address, to_address
from txfirewall.model.request import TypedDataRequest
from txfirewall.model.untrusted_json import loads_strict
from txfirewall.parse.eth_account_import import load_eth_account

MAX_DEPTH = 16
MAX_VALUES = 20_000
MAX_ARRAY = 4_096
MAX_ADDRESSES = 256

DOMAIN_FIELDS = {
    "name": "string",
    "version": "string",
    "chainId": "uint256",
    "verifyingContract": "address",
    "salt": "bytes32",
}
_TOP_KEYS = frozenset({"types", "primaryType", "domain", "message"})
_TYPE_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(:[A-Za-z_$][A-Za-z0-9_$]*)*$")
"""Struct type names: identifiers, optionally namespaced with ':' as real traffic does
(Hyperliquid's ``HyperliquidTransaction:Withdraw``; eth-account and wallets hash it). Brackets,
spaces and other punctuation stay errors: they would change what encodeType produces."""
_ARRAY_SUFFIX = re.compile(r"^(.*)\[(\d*)\]$")
_INT_TYPE = re.compile(r"^(u?)int(\d*)$")
_BYTES_N = re.compile(r"^bytes(\d+)$")
_DECIMAL = re.compile(r"^-?[0-9]+$")
_HEX = re.compile(r"^-?0x[0-9a-fA-F]+$")


def is_primitive(name: str) -> bool:
    if name in ("address", "bool", "string", "bytes"):
        return True
    m = _INT_TYPE.match(name)
    if m:
        bits = int(m.group(2) or 256)
        return 8 <= bits <= 256 and bits % 8 == 0 and (m.group(2) == "" or not m.group(2).startswith("0"))
    m = _BYTES_N.match(name)
    return m is not None and 1 <= int(m.group(1)) <= 32 and not m.group(1).startswith("0")


def _split_array(type_name: str) -> tuple[str, list[int | None]]:
    dims: list[int | None] = []
    while True:
        m = _ARRAY_SUFFIX.match(type_name)
        if not m:
            return type_name, dims[::-1]
        type_name = m.group(1)
        dims.append(int(m.group(2)) if m.group(2) else None)


def validate_types(types: Any) -> dict[str, tuple[tuple[str, str], ...]]:
    """The ``types`` object, checked: every reference defined, no cycles, no shadowing."""
    if not isinstance(types, Mapping) or not types:
        raise TypedDataError('"types" must be a non-empty object')
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, fields in types.items():
        if not isinstance(name, str) or not name:
            raise TypedDataError("a type has an empty name")
        if not _TYPE_NAME.match(name):
            raise TypedDataError(f"type name {name!r} is not an identifier (brackets or spaces?)")
        if is_primitive(name):
            raise TypedDataError(f"type name {name!r} shadows a primitive type")
        if not isinstance(fields, list):
            raise TypedDataError(f"type {name!r} must be a list of fields")
        seen: set[str] = set()
        parsed = []
        for i, field in enumerate(fields):
            if not isinstance(field, Mapping) or set(field) != {"name", "type"}:
                raise TypedDataError(f"type {name!r} field {i} must be exactly {{name, type}}")
            fname, ftype = field["name"], field["type"]
            if not isinstance(fname, str) or not isinstance(ftype, str) or not fname or not ftype:
                raise TypedDataError(f"type {name!r} field {i}: name and type must be non-empty strings")
            if fname in seen:
                raise TypedDataError(f"type {name!r} declares field {fname!r} twice")
            seen.add(fname)
            parsed.append((fname, ftype))
        out[name] = tuple(parsed)
    for name, fields in out.items():
        for fname, ftype in fields:
            base, dims = _split_array(ftype)
            if any(d == 0 for d in dims):
                raise TypedDataError(f"{name}.{fname}: zero-length fixed array")
            if base == name:
                raise TypedDataError(f"type {name!r} references itself (field {fname!r})")
            if not is_primitive(base) and base not in out:
                raise TypedDataError(f"{name}.{fname} has undefined type {base!r}")
    _check_acyclic(out)
    return out


def _check_acyclic(types: Mapping[str, tuple[tuple[str, str], ...]]) -> None:
    """Depth-first, with an explicit stack: a chain of thousands of types (each holding the next)
    must be a verdict, not a RecursionError."""
    state: dict[str, int] = {}
    for root in types:
        if state.get(root) == 2:
            continue
        state[root] = 1
        trail = [root]
        stack = [iter(types[root])]
        while stack:
            child = None
            for _, ftype in stack[-1]:
                base, _dims = _split_array(ftype)
                if base in types and state.get(base) != 2:
                    child = base
                    break
            if child is None:
                state[trail.pop()] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                raise TypedDataError("recursive types: " + " -> ".join((*trail, child)))
            state[child] = 1
            trail.append(child)
            stack.append(iter(types[child]))


def _reachable(
    types: Mapping[str, tuple[tuple[str, str], ...]], roots: tuple[str, ...]
) -> dict[str, tuple[tuple[str, str], ...]]:
    """The types ``roots`` use, directly or through other types. The hash of a message covers only
    its primary type, the domain and what they reference: a document may define other types too
    (MetaMask's own test dapp sends an unused ``Group``), which MetaMask ignores when it signs and
    eth-account refuses ("Unable to determine primary type"), so only these are hashed."""
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    todo = [r for r in roots if r in types]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out[name] = types[name]
        todo.extend(b for b in (_split_array(t)[0] for _, t in types[name]) if b in types and b not in out)
    return out


class _Walker:
    """Validates a value against its type and returns it normalised (ints as int, addresses
    checksummed), recording address-typed fields by path."""

    def __init__(self, types: Mapping[str, tuple[tuple[str, str], ...]]) -> None:
        self.types = types
        self.count = 0
        self.addresses: list[tuple[str, Address]] = []

    def value(self, type_name: str, value: Any, path: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise TypedDataError(f"typed data has more than {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise TypedDataError(f"typed data nests deeper than {MAX_DEPTH} levels")
        base, dims = _split_array(type_name)
        if dims:
            size = dims[-1]
            inner = type_name[: type_name.rindex("[")]
            if not isinstance(value, list):
                raise TypedDataError(f"{path}: expected an array for {type_name}")
            if len(value) > MAX_ARRAY:
                raise TypedDataError(f"{path}: array longer than {MAX_ARRAY}")
            if size is not None and len(value) != size:
                raise TypedDataError(f"{path}: {type_name} needs {size} items, got {len(value)}")
            return [self.value(inner, v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
        if base in self.types:
            return self.struct(base, value, path, depth + 1)
        return self.atomic(base, value, path)

    def struct(self, name: str, value: Any, path: str, depth: int) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise TypedDataError(f"{path}: expected an object of type {name}")
        fields = self.types[name]
        declared = {f for f, _ in fields}
        extra = sorted(set(value) - declared)
        if extra:
            raise TypedDataError(f"{path}: extra data not declared in type {name}: {', '.join(map(repr, extra))}")
        missing = [f for f, _ in fields if f not in value]
        if missing:
            raise TypedDataError(f"{path}: missing field(s) of {name}: {', '.join(missing)}")
        return {f: self.value(t, value[f], f"{path}.{f}", depth) for f, t in fields}

    def atomic(self, type_name: str, value: Any, path: str) -> Any:
        m = _INT_TYPE.match(type_name)
        if m:
            number = _integer(value, path)
            bits = int(m.group(2) or 256)
            low, high = (0, 2**bits) if m.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1))
            if not low <= number < high:
                raise TypedDataError(f"{path}: {number} does not fit in {type_name}")
            return number
        if type_name == "address":
            if not is_address(value):
                raise TypedDataError(f"{path}: not a 20-byte hex address: {_short(value)}")
            address = to_address(value)
            if len(self.addresses) < MAX_ADDRESSES:
                self.addresses.append((path, address))
            return address
        if type_name == "bool":
            if not isinstance(value, bool):
                raise TypedDataError(f"{path}: expected true or false")
            return value
        if type_name == "string":
            if not isinstance(value, str):
                raise TypedDataError(f"{path}: expected a string")
            return value
        if not isinstance(value, str) or not re.fullmatch(r"0x([0-9a-fA-F]{2})*", value):
            raise TypedDataError(f"{path}: expected 0x-prefixed hex bytes for {type_name}")
        data = bytes.fromhex(value[2:])
        m = _BYTES_N.match(type_name)
        if m and len(data) != int(m.group(1)):
            raise TypedDataError(f"{path}: {type_name} needs {m.group(1)} bytes, got {len(data)}")
        return "0x" + data.hex()


def _integer(value: Any, path: str) -> int:
    if isinstance(value, (bool, float)):
        raise TypedDataError(f"{path}: {_short(value)} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and len(value) <= 80:
        if _DECIMAL.match(value):
            return int(value)
        if _HEX.match(value):
            return -int(value[3:], 16) if value.startswith("-") else int(value, 16)
    raise TypedDataError(f"{path}: {_short(value)} is not an integer")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_typed_data(signer: Address, document: Any, *, allow_arrays: bool = True) -> TypedDataRequest:
    """Validate one EIP-712 document (v3/v4 shape) and hash it."""
    if isinstance(document, str):
        document = loads_strict(document)
    if not isinstance(document, Mapping):
        raise TypedDataError("typed data must be a JSON object")
    unknown = set(document) - _TOP_KEYS
    if unknown:
        raise TypedDataError(f"typed data has unknown top-level keys: {', '.join(sorted(map(repr, unknown)))}")
    missing = _TOP_KEYS - set(document)
    if missing:
        raise TypedDataError(f"typed data is missing {', '.join(sorted(missing))}")
    types = validate_types(document["types"])
    if "EIP712Domain" not in types:
        raise TypedDataError("typed data has no EIP712Domain type (undefined domain)")
    for fname, ftype in types["EIP712Domain"]:
        if DOMAIN_FIELDS.get(fname) != ftype:
            raise TypedDataError(f"EIP712Domain field {fname} {ftype} is not a standard domain field")
    primary = document["primaryType"]
    if not isinstance(primary, str) or primary not in types:
        raise TypedDataError(f"primaryType {_short(primary)} is not a defined type")
    if not allow_arrays and any(_split_array(t)[1] for fields in types.values() for _, t in fields):
        raise TypedDataError("eth_signTypedData_v3 does not support arrays; use eth_signTypedData_v4")
    walker = _Walker(types)
    if not isinstance(document["domain"], Mapping) or not document["domain"]:
        raise TypedDataError("domain must be a non-empty object (undefined domain)")
    domain = walker.struct("EIP712Domain", document["domain"], "domain", 0)
    message = walker.struct(primary, document["message"], "message", 0)
    full = {
        "types": {
            k: [{"name": n, "type": t} for n, t in v] for k, v in _reachable(types, ("EIP712Domain", primary)).items()
        },
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }
    try:
        load_eth_account()
        from eth_account.messages import _hash_eip191_message, encode_typed_data  # lazy: 0.4 s import

        digest = bytes(_hash_eip191_message(encode_typed_data(full_message=full)))
    except Exception as exc:  # eth-account raises many types for encoding problems
        raise TypedDataError(f"typed data does not encode: {type(exc).__name__}: {exc}") from exc
    vc = domain.get("verifyingContract")
    return TypedDataRequest(
        signer=signer,
        primary_type=primary,
        domain=domain,
        types=types,
        message=message,
        digest=digest,
        domain_chain_id=domain.get("chainId"),
        verifying_contract=Address(vc) if vc else None,
        addresses=tuple(walker.addresses),
    )
