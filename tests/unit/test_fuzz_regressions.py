"""Crashes the fuzzers found (tests/fuzz, tools/fuzz.py), each with the exact input: a typed error
now, never a bare ``ValueError``, ``OverflowError``, ``decimal.Overflow`` or ``RecursionError``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from txfirewall.decide.policy import load_policy
from txfirewall.enrich.history_file import parse_history_lines
from txfirewall.errors import InputFileError, InvalidRequestError, MalformedJsonError, TypedDataError
from txfirewall.graph.ingest import read_edges
from txfirewall.parse.request import parse_request
from txfirewall.proxy.jsonrpc import PARSE_ERROR, RpcFailure, encode, id_key, loads_exact, parse_payload

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
LONG_INT = "1" * 4301
"""One digit past Python's int/str conversion limit: json.loads raised a bare ValueError."""


@contextmanager
def default_recursion_limit() -> Iterator[None]:
    """The limit of a process that never imported eth-account (py_ecc raises it to 100,000)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def test_request_with_an_integer_too_long_for_python() -> None:
    # found by test_envelope: {"id": <4301 digits>} raised ValueError out of parse_request
    text = (
        '{"jsonrpc": "2.0", "method": "eth_sendTransaction", "id": '
        + LONG_INT
        + ', "params": [{"from": "'
        + ALICE
        + '"}]}'
    )
    with pytest.raises(MalformedJsonError, match="number too long"):
        parse_request(text)


def test_proxy_body_with_an_integer_too_long_for_python() -> None:
    body = ('{"jsonrpc": "2.0", "method": "eth_blockNumber", "id": ' + LONG_INT + "}").encode()
    with pytest.raises(RpcFailure) as caught:
        parse_payload(body, max_batch=100)
    assert caught.value.code == PARSE_ERROR


def test_history_line_with_an_integer_too_long_for_python() -> None:
    line = '{"from": "' + ALICE + '", "timestamp": ' + LONG_INT + "}"
    with pytest.raises(InputFileError, match="line 1"):
        parse_history_lines([line])


def test_history_value_too_long_for_python() -> None:
    # found by test_history_file: a "value" of 5,000 digits passed validation, then int() raised
    line = json.dumps({"from": ALICE, "to": ALICE, "value": "9" * 5000})
    with pytest.raises(InputFileError, match="more than 78 digits"):
        parse_history_lines([line])
    assert parse_history_lines([json.dumps({"from": ALICE, "value": str(2**256 - 1)})])[0].value == 2**256 - 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # found by test_edge_file (rows shrunk to one): each was an OverflowError or decimal.Overflow
        ("value.csv", f"from,to,value\n{ALICE},{ALICE},{10**400}\n"),
        ("infinite.csv", f"from,to,value_eth\n{ALICE},{ALICE},Infinity\n"),
        ("huge-ether.csv", f"from,to,value_eth\n{ALICE},{ALICE},1e1000000\n"),
        ("timestamp.csv", f"from,to,timestamp\n{ALICE},{ALICE},{'9' * 30}\n"),
        ("timestamp.jsonl", json.dumps({"from": ALICE, "to": ALICE, "timestamp": 10**30}) + "\n"),
    ],
)
def test_edge_rows_out_of_range(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputFileError, match="line"):
        read_edges(path)


def test_policy_nested_too_deeply(tmp_path: Path) -> None:
    # found by test_policy_file: tomllib recurses per nesting level (RecursionError)
    path = tmp_path / "policy.toml"
    path.write_text("x = " + "[" * 150_000 + "]" * 150_000 + "\n")
    with default_recursion_limit(), pytest.raises(InputFileError, match="too deeply"):
        load_policy(path)


def test_policy_with_an_integer_too_long_for_python(tmp_path: Path) -> None:
    # found by test_policy_file: tomllib turns a 4,400-digit integer into a plain ValueError
    # (Python's 4,300-digit conversion limit), not a TOMLDecodeError
    from txfirewall.tui.policy_file import PolicyFile, parse_toml_value

    text = "x = " + "1" * 4400 + "\n"
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(InputFileError, match="number too long"):
        load_policy(path)
    with pytest.raises(InputFileError, match="number too long"):
        PolicyFile(path, text)
    with pytest.raises(InputFileError, match="is not a value"):
        parse_toml_value("1" * 4400)


_PERMIT_TYPES = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
_DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
BTC_B_AVALANCHE = "0x152b9d0FdC40C096757F570A51E494bd4b943E50"


def _permit_request(permit_types: list[dict[str, str]], spender: object) -> bytes:
    document = {
        "types": {"EIP712Domain": _DOMAIN_TYPES, "Permit": permit_types},
        "primaryType": "Permit",
        "domain": {"name": "Bitcoin", "version": "1", "chainId": 43114, "verifyingContract": BTC_B_AVALANCHE},
        "message": {
            "owner": ALICE,
            "spender": spender,
            "value": 2500000,
            "nonce": 7,
            "deadline": 1777000000,
        },
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, document]}
    return json.dumps(body).encode()


def test_permit_whose_spender_is_declared_a_number() -> None:
    # found by atheris request: a Permit declaring "uint256 spender" decoded as a permit with an
    # integer spender, and the summary's short_address raised TypeError on it. A field a shape reads
    # must be declared with the shape's type; otherwise the document is another message (its type
    # hash differs: no token accepts it as a permit) and is described generically, and no ERC-7730
    # descriptor (keyed by the exact type) is shown for it.
    from txfirewall.model.intent import IntentKind
    from txfirewall.signatures import decode_request

    uint_spender = [dict(f, type="uint256") if f["name"] == "spender" else f for f in _PERMIT_TYPES]
    spender = "0x9702230A8Ea53601f5cD2dc00fDBc134ddF4A8c7"
    odd = decode_request(parse_request(_permit_request(uint_spender, int(spender, 16)), account=ALICE))
    json.dumps(odd.to_json())
    assert odd.kind is IntentKind.TYPED_DATA and not odd.allowances and odd.clear_intent is None
    assert any("not its shape" in n for n in odd.notes)
    real = decode_request(parse_request(_permit_request(_PERMIT_TYPES, spender), account=ALICE))
    assert real.kind is IntentKind.PERMIT and real.counterparty is not None
    assert real.counterparty.lower() == spender.lower() and real.clear_intent is not None


def test_typed_data_with_a_long_chain_of_types() -> None:
    # found by test_typed_data_graphs: 3,000 types, each holding the next, overflowed the
    # recursive cycle check
    types: dict[str, list[dict[str, str]]] = {"EIP712Domain": [{"name": "chainId", "type": "uint256"}]}
    for i in range(3000):
        types[f"T{i}"] = [{"name": "x", "type": f"T{i + 1}"}]
    types["T3000"] = [{"name": "x", "type": "uint256"}]
    doc = {"types": types, "primaryType": "T0", "domain": {"chainId": 1}, "message": {"x": {}}}
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, doc]})
    with default_recursion_limit(), pytest.raises(TypedDataError, match="missing field"):
        parse_request(request)
    types["T3000"] = [{"name": "x", "type": "T0"}]
    with default_recursion_limit(), pytest.raises(TypedDataError, match="recursive types: T0 -> T1"):
        parse_request(json.dumps({**json.loads(request), "params": [ALICE, {**doc, "types": types}]}))


@pytest.mark.parametrize("token", ["1.0e1", "1.3250485353881952e+16", "1e2", "-0", "0.0", "1.50"])
def test_proxy_echoes_a_fractional_id_as_sent(token: str) -> None:
    # found by test_proxy_payload: 1.0e1 was written back as str(Decimal) and came out as 10, an
    # integer, so the proxy's own answers (blocks, errors) carried another id than the client sent.
    # Now the raw token is kept (ExactNumber) and written back byte for byte.
    body = ('{"jsonrpc": "2.0", "method": "eth_blockNumber", "id": ' + token + "}").encode()
    call = parse_payload(body, max_batch=100).calls[0]
    assert encode({"id": call.id}) == '{"id":' + token + "}"
    again = loads_exact(encode({"id": call.id}))["id"]
    assert id_key(again) == id_key(call.id)


def test_invalid_request_family() -> None:
    assert issubclass(MalformedJsonError, InvalidRequestError)
