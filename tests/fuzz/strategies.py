"""Hypothesis strategies for the fuzz targets: structured inputs (envelopes, RLP, typed
transactions, typed-data type graphs, registry calldata, SIWE, policy TOML, history lines, edge
files, proxy bodies) and byte-level mutation of the valid seeds in ``seeds``."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from typing import Any

import rlp
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.fuzz import seeds
from txfirewall.model.request import Method
from txfirewall.parse.request import _TX_KEYS

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
MAX_EXAMPLES_ENV = "FUZZ_MAX_EXAMPLES"
DEFAULT_MAX_EXAMPLES = 15
"""The default suite's share: a few seconds for the whole directory."""


def fuzz_settings() -> settings:
    """``FUZZ_MAX_EXAMPLES`` inputs per test (``tools/fuzz.py`` sets it per target; the suite runs
    15 each). No deadline: the first call pays imports."""
    n = int(os.environ.get(MAX_EXAMPLES_ENV, DEFAULT_MAX_EXAMPLES))
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None if os.environ.get("FUZZ_NO_DATABASE") else settings.default.database,
    )


# --- values and JSON ---------------------------------------------------------------------------

BIG_NUMBER_TOKENS = ["1" * 4301, "9" * 5000, "-" + "1" * 4400, "1e400", "-0", "1.0", "1E+2", "0.1e-999", "1" * 80]
"""JSON number tokens a Python value cannot be dumped as (json.dumps refuses ints over 4,300 digits)."""
_TOKEN = "\x00num{}\x00"

addresses = st.sampled_from([ALICE, "0x" + "00" * 20, "0x" + "ff" * 20, "0x" + "11" * 20, ALICE.lower(), ALICE.upper()])
hex_quantities = st.one_of(
    st.integers(0, 2**256 + 5).map(hex),
    st.sampled_from(["0x", "0x0", "0x00", "0x01", "1", "0X1", "-0x1", "0x" + "f" * 65, "", "0xg"]),
)
hex_data = st.one_of(
    st.binary(max_size=80).map(lambda b: "0x" + b.hex()),
    st.sampled_from(["0x", "0x0", "0xzz", "", "00", "0x" + "a" * 41]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**260), 2**260),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=24),
    addresses,
    hex_quantities,
    hex_data,
    st.sampled_from(["uint256", "address", "Permit", "EIP712Domain", "eth_sendTransaction", "2.0"]),
    st.sampled_from(range(len(BIG_NUMBER_TOKENS))).map(_TOKEN.format),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)


def dumps(value: Any) -> str:
    """JSON text, with the placeholder strings replaced by their raw number tokens."""
    text = json.dumps(value, ensure_ascii=False)
    for i, token in enumerate(BIG_NUMBER_TOKENS):
        text = text.replace(json.dumps(_TOKEN.format(i)), token)
    return text


# --- byte-level mutation ---------------------------------------------------------------------------

_INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xc0",
    b"\xf8",
    b"\xb8",
    b'"',
    b"{",
    b"[",
    b"]",
    b"}",
    b",",
    b"\\",
]
_TOKENS = [
    b'"id":',
    b"0x",
    b"null",
    b"[]",
    b"{}",
    b"1e999",
    b"-0",
    b"\xf0\x9f\x92\xa9",
    b"\\u0000",
    b"\r\n",
    b"1" * 4400,
]


@st.composite
def mutated(draw: st.DrawFn, pool: tuple[bytes, ...]) -> bytes:
    """A seed with up to 8 edits: bit flips, byte sets, inserted tokens, deleted or duplicated
    spans, or a splice with another seed."""
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 6))
        pos = draw(st.integers(0, max(len(data), 1) - 1)) if data else 0
        if op == 0 and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == 1 and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == 2:
            data[pos:pos] = draw(st.sampled_from(_INTERESTING + _TOKENS))
        elif op == 3 and data:
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == 4 and data:
            span = data[pos : pos + draw(st.integers(1, 32))]
            data[pos:pos] = span * draw(st.integers(1, 4))
        elif op == 5:
            other = draw(st.sampled_from(pool))
            cut = draw(st.integers(0, len(other)))
            data = data[:pos] + bytearray(other[cut:])
        elif op == 6 and data:
            data[pos : pos + 1] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


# --- JSON-RPC envelopes ---------------------------------------------------------------------------

SIGNING_METHODS = [m.value for m in Method]
ids = st.one_of(
    st.integers(-(2**70), 2**70),
    st.text(max_size=12),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(range(len(BIG_NUMBER_TOKENS))).map(_TOKEN.format),
    st.just([1]),
)
TX_KEYS = sorted(_TX_KEYS)  # the keys the parser accepts in a transaction object
transaction_objects = st.dictionaries(
    st.sampled_from([*TX_KEYS, "FROM", "Data", "extra"]),
    st.one_of(addresses, hex_quantities, hex_data, json_values),
    max_size=8,
).map(lambda d: {"from": ALICE, **d} if "FROM" not in d else d)


@st.composite
def envelopes(draw: st.DrawFn) -> str:
    """A JSON-RPC request text for a signing method, params shaped for it (or not)."""
    method = draw(st.sampled_from([*SIGNING_METHODS, "eth_call", "ETH_SIGN", ""]))
    if method in ("eth_sendTransaction", "eth_signTransaction"):
        params: Any = [draw(transaction_objects)]
    elif method == "wallet_sendCalls":
        call = st.dictionaries(st.sampled_from(["to", "data", "value", "capabilities", "x"]), json_values | hex_data)
        batch = {
            "version": "2.0.0",
            "from": ALICE,
            "chainId": draw(hex_quantities),
            "calls": draw(st.lists(call, max_size=4)),
            "atomicRequired": draw(json_values),
        }
        params = [draw(st.dictionaries(st.sampled_from(list(batch)), st.just(None), max_size=2)) | batch]
    elif method in ("personal_sign", "eth_sign"):
        msg = draw(hex_data | st.text(max_size=40))
        params = [msg, ALICE] if method == "personal_sign" else [ALICE, msg]
    else:
        params = draw(st.lists(json_values, max_size=3))
    envelope: dict[str, Any] = {"jsonrpc": draw(st.sampled_from(["2.0", "2.0", "1.0", 2])), "method": method}
    if draw(st.booleans()):
        envelope["id"] = draw(ids)
    if draw(st.integers(0, 9)):
        envelope["params"] = params
    else:
        envelope["params"] = draw(json_values)
    if not draw(st.integers(0, 9)):
        envelope[draw(st.sampled_from(["Method", "ID", "extra", "id"]))] = draw(json_values)
    return dumps(envelope)


# --- RLP, raw and unsigned transactions -----------------------------------------------------------

rlp_items = st.recursive(
    st.binary(max_size=40) | st.integers(0, 2**256).map(lambda v: v.to_bytes((v.bit_length() + 7) // 8, "big")),
    lambda children: st.lists(children, max_size=8),
    max_leaves=30,
)


@st.composite
def rlp_payloads(draw: st.DrawFn) -> bytes:
    """Canonical RLP (random nesting) after a type byte or none: the shape is right, the fields are not."""
    prefix = draw(st.sampled_from([b"", b"\x01", b"\x02", b"\x03", b"\x04", b"\x05", b"\x7f"]))
    return prefix + rlp.encode(draw(st.lists(rlp_items, max_size=16)))


@cache
def _valid_r() -> int:
    """An r that is the x-coordinate of a curve point: any s and parity then recover some key."""
    from eth_account import Account

    signed = Account.sign_transaction(
        {"nonce": 0, "gasPrice": 1, "gas": 21000, "to": ALICE, "value": 0, "chainId": 1}, "0x" + "11" * 32
    )
    return int(signed.r)


def _b(v: int) -> bytes:
    return v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""


uint64 = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**64 - 1, 2**63]))
uint256 = st.one_of(st.integers(0, 2**256 - 1), st.sampled_from([0, 1, 2**256 - 1, 2**255]))
address_bytes = st.binary(min_size=20, max_size=20)
access_lists = st.lists(st.tuples(address_bytes, st.lists(st.binary(min_size=32, max_size=32), max_size=3)), max_size=3)


@st.composite
def signed_transactions(draw: st.DrawFn) -> bytes:
    """A canonical signed transaction of type 0-4 with random fields and a recoverable signature."""
    tx_type = draw(st.integers(0, 4))
    r = _valid_r() if draw(st.integers(0, 9)) else draw(st.integers(1, SECP256K1_N - 1))
    s = draw(st.integers(1, SECP256K1_N // 2))
    parity = draw(st.integers(0, 1))
    to = draw(address_bytes) if tx_type >= 3 or draw(st.integers(0, 9)) else b""
    data = draw(st.binary(max_size=200))
    if not to and not data:
        data = b"\x60"
    value, gas, nonce = draw(uint256), draw(uint64), draw(st.integers(0, 2**64 - 1))
    if tx_type == 0:
        chain = draw(st.none() | st.integers(1, 2**32))
        v = 27 + parity if chain is None else chain * 2 + 35 + parity
        return rlp.encode([_b(nonce), _b(draw(uint256)), _b(gas), to, _b(value), data, _b(v), _b(r), _b(s)])
    chain_id = draw(uint64)
    access = [[a, list(keys)] for a, keys in draw(access_lists)]
    head = [_b(chain_id), _b(nonce)]
    if tx_type == 1:
        head += [_b(draw(uint256)), _b(gas)]
    else:
        cap = draw(uint256)
        head += [_b(draw(st.integers(0, cap))), _b(cap), _b(gas)]
    body: list[Any] = [*head, to, _b(value), data, access]
    if tx_type == 3:
        hashes = draw(st.lists(st.binary(min_size=31, max_size=31).map(lambda h: b"\x01" + h), min_size=1, max_size=3))
        body += [_b(draw(uint256)), hashes]
    if tx_type == 4:
        auth = st.tuples(uint64, address_bytes, uint64, st.integers(0, 2), uint256, uint256)
        body.append(
            [
                [_b(c), a, _b(n), _b(y), _b(ar), _b(as_)]
                for c, a, n, y, ar, as_ in draw(st.lists(auth, min_size=1, max_size=2))
            ]
        )
    body += [_b(parity), _b(r), _b(s)]
    return bytes([tx_type]) + rlp.encode(body)


@st.composite
def unsigned_transactions(draw: st.DrawFn) -> bytes:
    """A canonical unsigned transaction of type 0-2 (legacy with or without EIP-155 placeholders)."""
    tx_type = draw(st.integers(0, 2))
    to = draw(address_bytes) if draw(st.integers(0, 9)) else b""
    data = draw(st.binary(max_size=200))
    if not to and not data:
        data = b"\x60"
    nonce, gas, value = _b(draw(uint64)), _b(draw(uint64)), _b(draw(uint256))
    if tx_type == 0:
        fields = [nonce, _b(draw(uint256)), gas, to, value, data]
        if draw(st.booleans()):
            fields += [_b(draw(uint64)), b"", b""]
        return rlp.encode(fields)
    access = [[a, list(keys)] for a, keys in draw(access_lists)]
    if tx_type == 1:
        fees = [_b(draw(uint256))]
    else:
        cap = draw(uint256)
        fees = [_b(draw(st.integers(0, cap))), _b(cap)]
    return bytes([tx_type]) + rlp.encode([_b(draw(uint64)), nonce, *fees, gas, to, value, data, access])


# --- EIP-712 typed data with random type graphs -------------------------------------------------

PRIMITIVES = [
    "uint256",
    "uint8",
    "int8",
    "int256",
    "address",
    "bool",
    "string",
    "bytes",
    "bytes32",
    "bytes1",
    "uint160",
]
BAD_TYPES = ["uint7", "bytes33", "int0", "uint256 ", "Missing", "uint256[0]", "string[", "bytes01", "uint256\n"]


@st.composite
def typed_value(draw: st.DrawFn, type_name: str, types: dict[str, list[dict[str, str]]], depth: int) -> Any:
    """A value that fits ``type_name`` most of the time (sometimes not: wrong width, wrong kind)."""
    if not draw(st.integers(0, 24)):
        return draw(json_values)
    if type_name.endswith("]") and "[" in type_name:
        inner, _, size = type_name[: type_name.rindex("]")].rpartition("[")
        n = int(size) if size.isdigit() and int(size) < 6 else draw(st.integers(0, 3))
        if depth > 6:
            return []
        return [draw(typed_value(inner, types, depth + 1)) for _ in range(n)]
    if type_name in types:
        if depth > 6:
            return {}
        return {f["name"]: draw(typed_value(f["type"], types, depth + 1)) for f in types[type_name]}
    m = re.fullmatch(r"(u?)int(\d*)", type_name)
    if m:
        bits = max(8, min(256, int(m.group(2) or 256)))
        low, high = (0, 2**bits - 1) if m.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        n = draw(st.integers(low - 1, high + 1))
        return draw(st.sampled_from([n, str(n), hex(n) if n >= 0 else "-" + hex(-n)]))
    if type_name == "address":
        return draw(addresses)
    if type_name == "bool":
        return draw(st.booleans())
    if type_name == "string":
        return draw(st.text(max_size=30))
    if type_name.startswith("bytes"):
        size = int(type_name[5:]) if type_name[5:].isdigit() else None
        return "0x" + draw(st.binary(min_size=size or 0, max_size=size if size is not None else 40)).hex()
    return draw(json_values)


@st.composite
def typed_data_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A type graph of up to 6 struct types (mostly a DAG; sometimes a cycle, a self-reference or
    an undefined type), a domain, and a message generated from the primary type."""
    n = draw(st.integers(1, 6))
    names = [
        draw(st.sampled_from(["Permit", "Order", "Mail", "Person", "A", "Ns:Type", "T"])) + str(i) for i in range(n)
    ]
    types: dict[str, list[dict[str, str]]] = {}
    for i, name in enumerate(names):
        fields = []
        for j in range(draw(st.integers(0, 5))):
            kind = draw(st.integers(0, 19))
            if kind < 11:
                base = draw(st.sampled_from(PRIMITIVES))
            elif kind < 16 and i + 1 < n:
                base = names[draw(st.integers(i + 1, n - 1))]
            elif kind == 16:
                base = draw(st.sampled_from(names))
            else:
                base = draw(st.sampled_from(BAD_TYPES + PRIMITIVES))
            suffix = draw(st.sampled_from(["", "", "", "[]", "[2]", "[][]", "[1][]"]))
            fields.append(
                {
                    "name": draw(st.sampled_from(["a", "b", "owner", "spender", "value", "to", "x"])) + str(j),
                    "type": base + suffix,
                }
            )
        types[name] = fields
    if not draw(st.integers(0, 29)):
        # a long chain of types, each holding the next: deep type graphs, not deep JSON
        depth = draw(st.sampled_from([20, 6000]))
        for k in range(depth):
            types[f"Chain{k}"] = [{"name": "next", "type": f"Chain{k + 1}"}]
        types[f"Chain{depth}"] = [{"name": "end", "type": "uint256"}]
        names.append("Chain0")
    domain_fields = draw(
        st.lists(st.sampled_from(["name", "version", "chainId", "verifyingContract", "salt"]), unique=True, max_size=5)
    )
    domain_types = {
        "name": "string",
        "version": "string",
        "chainId": "uint256",
        "verifyingContract": "address",
        "salt": "bytes32",
    }
    types["EIP712Domain"] = [{"name": f, "type": domain_types[f]} for f in domain_fields]
    primary = draw(st.sampled_from([*names, "EIP712Domain", "Nope"]))
    doc = {
        "types": types,
        "primaryType": primary,
        "domain": draw(typed_value("EIP712Domain", types, 0)),
        "message": draw(typed_value(primary, types, 0)),
    }
    if not draw(st.integers(0, 14)):
        doc.pop(draw(st.sampled_from(list(doc))))
    return doc


@st.composite
def typed_data_mutations(draw: st.DrawFn) -> dict[str, Any]:
    """A real document (ERC-7730 vectors, fixtures) with one JSON-level edit: a field's value
    replaced, a key dropped or added, a type renamed."""
    doc = json.loads(json.dumps(draw(st.sampled_from(seeds.typed_data_documents()))))
    section = draw(st.sampled_from(["message", "domain", "types", "primaryType"]))
    target = doc.get(section)
    if isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target)))
        action = draw(st.integers(0, 2))
        if action == 0:
            target[key] = draw(json_values)
        elif action == 1:
            del target[key]
        else:
            target[key + "X"] = target[key]
    else:
        doc[section] = draw(json_values)
    return doc


legacy_typed_data = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from([*PRIMITIVES, "uint7", "Mail", "string[]"]),
            "name": st.sampled_from(["a", "b", "message", "amount", ""]),
            "value": json_values,
        }
    ),
    max_size=5,
)


# --- ABI calldata for the registry's functions -----------------------------------------------------


def abi_values(type_text: str) -> st.SearchStrategy[Any]:
    """Values of an ABI type (eth-abi's grammar), as eth-abi encodes them."""
    from eth_abi.grammar import parse

    return _abi_strategy(parse(type_text))


def _abi_strategy(node: Any) -> st.SearchStrategy[Any]:
    from eth_abi.grammar import TupleType

    if node.arrlist:
        dims = node.arrlist[-1]
        inner = _abi_strategy(node.item_type)
        if dims:
            return st.lists(inner, min_size=dims[0], max_size=dims[0]).map(tuple)
        return st.lists(inner, max_size=3).map(tuple)
    if isinstance(node, TupleType):
        return st.tuples(*(_abi_strategy(c) for c in node.components))
    base, sub = node.base, node.sub
    if base == "uint":
        return st.one_of(st.integers(0, 2**sub - 1), st.sampled_from([0, 2**sub - 1]))
    if base == "int":
        return st.integers(-(2 ** (sub - 1)), 2 ** (sub - 1) - 1)
    if base == "address":
        return address_bytes.map(lambda b: "0x" + b.hex())
    if base == "bool":
        return st.booleans()
    if base == "bytes":
        return st.binary(min_size=sub, max_size=sub) if sub else st.binary(max_size=70)
    if base == "string":
        return st.text(max_size=30)
    raise ValueError(f"no strategy for ABI type {node.to_type_str()}")


@cache
def registry_functions() -> tuple[tuple[str, tuple[str, ...], bytes], ...]:
    """(signature, argument types, selector) of every function the decoder knows by name."""
    from txfirewall.signatures.known_functions import BY_SELECTOR

    out = []
    for selector, fns in sorted(BY_SELECTOR.items()):
        for fn in fns:
            out.append((fn.signature, fn.types, bytes.fromhex(selector[2:])))
    return tuple(out)


@st.composite
def registry_calldata(draw: st.DrawFn) -> tuple[str, tuple[str, ...], tuple[Any, ...], bytes]:
    """(signature, types, values, calldata): a registry function called with random arguments."""
    from txfirewall.model.abi import abi_encode

    signature, types, selector = draw(st.sampled_from(registry_functions()))
    values = tuple(draw(abi_values(t)) for t in types)
    return signature, types, values, selector + abi_encode(list(types), list(values))


# --- SIWE -------------------------------------------------------------------------------------

siwe_domains = st.sampled_from(["example.com", "app.uniswap.org", "localhost:3000", "xn--80ak6aa92e.com", "a.b.c.d"])


@st.composite
def siwe_messages(draw: st.DrawFn) -> tuple[str, dict[str, Any] | None]:
    """(text, the fields it must parse to) for a well-formed message, or (mutated text, None)."""
    scheme = draw(st.sampled_from([None, "https", "http"]))
    domain = draw(siwe_domains)
    address = draw(addresses.filter(lambda a: a.startswith("0x")))
    chain = draw(st.integers(1, 2**64))
    nonce = draw(st.text("abcdefghijklmnopqrstuvwxyzABCDEF0123456789", min_size=8, max_size=17))
    statement = draw(
        st.none() | st.text("abcdefghij klmnopqrstuvwxyz.,!", min_size=1, max_size=40).map(str.strip).filter(bool)
    )
    header = f"{scheme}://{domain}" if scheme else domain
    lines = [f"{header} wants you to sign in with your Ethereum account:", address, ""]
    if statement is not None:
        lines += [statement, ""]
    lines += [
        f"URI: https://{domain}/login",
        "Version: 1",
        f"Chain ID: {chain}",
        f"Nonce: {nonce}",
        "Issued At: 2024-01-01T00:00:00Z",
    ]
    if draw(st.booleans()):
        lines.append("Expiration Time: 2030-01-01T00:00:00Z")
    if draw(st.booleans()):
        lines += ["Resources:", "- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/"]
    sep = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = sep.join(lines)
    if draw(st.integers(0, 2)):
        expect = {
            "scheme": scheme,
            "domain": domain,
            "address": address,
            "uri": f"https://{domain}/login",
            "chain_id": chain if chain < 10**20 else None,
            "nonce": nonce,
            "statement": statement,
        }
        return text, expect
    data = draw(mutated((text.encode(),)))
    return data.decode("utf-8", "replace"), None


# --- user files -----------------------------------------------------------------------------------


@cache
def rule_ids() -> tuple[str, ...]:
    from txfirewall.heuristics.registry import BUILTIN_RULES

    return tuple(sorted(r.id for r in BUILTIN_RULES))


@cache
def rule_params() -> dict[str, tuple[str, ...]]:
    """Each built-in rule's parameter names."""
    import dataclasses

    from txfirewall.heuristics.registry import BUILTIN_RULES

    return {r.id: tuple(f.name for f in dataclasses.fields(r.params_type)) for r in BUILTIN_RULES}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return '""'


toml_scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=16),
    st.sampled_from(["info", "low", "medium", "high", "critical", "HIGH", ALICE, "evil.example", "xn--80ak6aa92e.com"]),
)
toml_values = st.recursive(
    toml_scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=10
)


@st.composite
def policy_texts(draw: st.DrawFn) -> str:
    """A policy file: the real sections and rule ids with random values, or a mutation of one."""
    sections: list[str] = []
    if draw(st.booleans()):
        sections.append(
            "[thresholds]\n"
            + "".join(
                f"{k} = {_toml_value(draw(toml_values | st.sampled_from(['low', 'medium', 'high', 'critical'])))}\n"
                for k in draw(st.lists(st.sampled_from(["warn", "block", "other"]), unique=True, max_size=3))
            )
        )
    for rule in draw(st.lists(st.sampled_from([*rule_ids(), "no-such-rule"]), unique=True, max_size=3)):
        keys = draw(
            st.lists(st.sampled_from(["enabled", "severity", "params", "unconditional", "x"]), unique=True, max_size=3)
        )
        values = {k: draw(toml_values) for k in keys}
        if "params" in keys and draw(st.booleans()):
            names = (*rule_params().get(rule, ()), "no_such_param")
            values["params"] = {
                n: draw(toml_values) for n in draw(st.lists(st.sampled_from(names), unique=True, max_size=2))
            }
        body = "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())
        sections.append(f"[rules.{json.dumps(rule)}]\n{body}")
    for table, keys in (("allowlist", ["addresses"]), ("denylist", ["addresses", "spenders", "origins"])):
        if draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
            body = "".join(
                f"{k} = {_toml_value(draw(st.lists(addresses | siwe_domains | toml_scalars, max_size=3) | toml_values))}\n"
                for k in chosen
            )
            sections.append(f"[{table}]\n{body}")
    if not draw(st.integers(0, 9)):
        sections.append(f"[{draw(st.text(max_size=8))}]\n")
    text = "\n".join(sections)
    if not draw(st.integers(0, 3)):
        deep = draw(st.sampled_from([0, 0, 50, 3000]))
        text += "\nx = " + "[" * deep + "]" * deep + "\n" if deep else ""
        return draw(mutated((text.encode() or b"[thresholds]\n",))).decode("utf-8", "replace")
    return text


@st.composite
def history_files(draw: st.DrawFn) -> list[str]:
    """History lines: real ones, ones with random field values, raw mutations."""
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            lines.append(draw(st.sampled_from(seeds.history_lines())))
        elif kind == 1:
            base = json.loads(draw(st.sampled_from(seeds.history_lines())))
            key = draw(
                st.sampled_from(["from", "to", "value", "hash", "timestamp", "token", "method", "origin", "extra"])
            )
            base[key] = draw(
                json_values
                | st.sampled_from(
                    ["9" * 5000, "1" * 79, "²", "-1", "https://app.example", "javascript:alert(1)", "a" * 300]
                )
            )
            lines.append(dumps(base))
        elif kind == 2:
            lines.append(draw(mutated(tuple(s.encode() for s in seeds.history_lines()))).decode("utf-8", "replace"))
        else:
            lines.append(dumps(draw(json_values)))
    return lines


EDGE_COLUMNS = [
    "from",
    "to",
    "value",
    "value_eth",
    "timestamp",
    "block_time",
    "token",
    "tx_hash",
    "src",
    "dst",
    "amount",
    "x",
]
edge_cells = st.one_of(
    addresses,
    st.integers(-(2**70), 2**1400),
    st.sampled_from(
        [
            "",
            "Infinity",
            "NaN",
            "-1",
            "1e1000000",
            "1.5",
            "0x" + "f" * 80,
            "9" * 30,
            "²",
            "2024-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
        ]
    ),
    st.text(max_size=12),
    st.floats(allow_nan=False),
)


@st.composite
def edge_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """(content, suffix): CSV, JSON lines (maybe gzipped) or Parquet rows with the reader's column
    names and hostile cells, or mutated bytes."""
    import gzip
    import io

    columns = draw(st.lists(st.sampled_from(EDGE_COLUMNS), min_size=1, max_size=5, unique=True))
    rows = [{c: draw(edge_cells) for c in columns} for _ in range(draw(st.integers(0, 4)))]
    fmt = draw(st.sampled_from(["csv", "jsonl", "parquet"]))
    if fmt == "csv":
        out = io.StringIO()
        out.write(",".join(columns) + "\n")
        for row in rows:
            out.write(",".join(str(row[c]) for c in columns) + "\n")
        content = out.getvalue().encode()
    elif fmt == "jsonl":
        content = "".join(dumps(r) + "\n" for r in rows).encode()
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pa.Table.from_pylist(
                [{c: str(v) if isinstance(v, int) and abs(v) > 2**63 else v for c, v in r.items()} for r in rows]
            )
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            table = pa.table({"from": [ALICE], "to": [ALICE]})
        sink = io.BytesIO()
        pq.write_table(table, sink)
        content = sink.getvalue()
    if draw(st.integers(0, 4)) == 0:
        content = draw(mutated((content or b"from,to\n",)))
    suffix = "." + fmt
    if fmt != "parquet" and draw(st.integers(0, 4)) == 0:
        content, suffix = gzip.compress(content), suffix + ".gz"
    return content, suffix


# --- proxy bodies ---------------------------------------------------------------------------------

READ_METHODS = ["eth_blockNumber", "eth_getBalance", "eth_call", "eth_chainId", "eth_getBlockByNumber"]


@st.composite
def proxy_bodies(draw: st.DrawFn) -> bytes:
    """A request body: one call, a batch of calls (reads and signing), or junk."""

    @st.composite
    def call(draw2: st.DrawFn) -> Any:
        obj: dict[str, Any] = {
            "jsonrpc": "2.0",
            "method": draw2(st.sampled_from([*READ_METHODS, *SIGNING_METHODS, ""])),
        }
        if draw2(st.integers(0, 4)):
            obj["id"] = draw2(ids)
        if draw2(st.booleans()):
            obj["params"] = draw2(st.lists(json_values, max_size=2) | json_values)
        if not draw2(st.integers(0, 9)):
            obj[draw2(st.sampled_from(["METHOD", "Id", "jsonrpc", "extra"]))] = draw2(json_values)
        return obj if draw2(st.integers(0, 14)) else draw2(json_values)

    kind = draw(st.integers(0, 3))
    if kind == 0:
        return dumps(draw(call())).encode()
    if kind == 1:
        return dumps(draw(st.lists(call(), max_size=25))).encode()
    if kind == 2:
        return draw(mutated(seeds.all_requests()[:40]))
    return draw(st.binary(max_size=64))
