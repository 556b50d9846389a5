"""Property tests: random bytes, JSON and typed data never crash parse or decode; only typed errors."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txfirewall.errors import InvalidRequestError
from txfirewall.model.request import Method
from txfirewall.parse.raw_tx import decode_raw_transaction
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request
from txfirewall.signatures.calldata import decode_calldata

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
METHODS = [m.value for m in Method]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**260), 2**260)
    | st.text(max_size=20)
    | st.sampled_from(["0x", "0x00", "0x1", ALICE, "0x" + "ff" * 32, "uint256", "address", "Permit"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _analyse(source: Any) -> None:
    try:
        request = parse_request(source)
    except InvalidRequestError:
        return
    intent = decode_request(request)
    json.dumps(intent.to_json())


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_as_a_request(data: bytes) -> None:
    _analyse(data)


@SETTINGS
@given(st.sampled_from(METHODS), st.lists(json_values, max_size=3))
def test_random_params_for_every_method(method: str, params: list[Any]) -> None:
    _analyse(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))


@SETTINGS
@given(st.binary(max_size=400))
def test_random_raw_transactions(data: bytes) -> None:
    _analyse(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x" + data.hex()]}))
    for prefix in (b"\x01", b"\x02", b"\x03", b"\x04"):
        with contextlib.suppress(InvalidRequestError):
            decode_raw_transaction(prefix + data)


FIELD_TYPES = st.sampled_from(
    [
        "uint256",
        "uint8",
        "int8",
        "address",
        "bool",
        "string",
        "bytes",
        "bytes32",
        "Inner",
        "Inner[]",
        "uint256[2]",
        "Missing",
        "Permit",
        "uint7",
        "bytes33",
    ]
)
type_lists = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["a", "b", "spender", "value", "details", "owner", "deadline", "nonce"]),
            "type": FIELD_TYPES,
        }
    ),
    max_size=5,
)


@SETTINGS
@given(
    type_lists,
    type_lists,
    st.dictionaries(
        st.sampled_from(["a", "b", "spender", "value", "details", "owner", "deadline", "nonce"]),
        json_values,
        max_size=6,
    ),
    st.sampled_from(["Permit", "Inner", "EIP712Domain", "Nope"]),
)
def test_random_typed_data(permit: list[Any], inner: list[Any], message: dict[str, Any], primary: str) -> None:
    doc = {
        "types": {"EIP712Domain": [{"name": "chainId", "type": "uint256"}], "Permit": permit, "Inner": inner},
        "primaryType": primary,
        "domain": {"chainId": 7357},
        "message": message,
    }
    _analyse(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, json.dumps(doc)]})
    )


@SETTINGS
@given(
    st.sampled_from(
        [
            b"",
            b"\xac\x96\x50\xd8",
            b"\x1f\x9e\x34\x6e"[:0] + b"\xb6\x1d\x27\xf6",
            b"\x24\x85\x6b\xc3",
            b"\x6a\x76\x12\x02",
            b"\x8d\x80\xff\x0a",
            b"\x09\x5e\xa7\xb3",
            b"\x82\xad\x56\xcb",
            b"\x00\x00\x00\x00",
        ]
    ),
    st.binary(max_size=600),
)
def test_random_calldata_for_container_selectors(selector: bytes, body: bytes) -> None:
    decode_calldata(selector + body)
    _analyse({"from": ALICE, "to": ALICE, "data": "0x" + (selector + body).hex()})


SIGNED_LEGACY_TX = (
    "0xf85f80018252089419e7e376e7c213b7e7e7e46cc70a5dd086daff2a808025a0663278a8237773b26cc57167"
    "91a4e7178b617095410f0d4bf9a3adb42853f912a064a127ba11d98fef656fed2d04c5d0436f358b28c8641005beda74e7b624b357"
)


def test_loading_eth_account_keeps_the_recursion_limit() -> None:
    """py_ecc (imported by eth-account) raises the recursion limit process-wide on import; this
    file failed when run alone because the first lazy import happened inside a Hypothesis test.
    A fresh interpreter shows the limit is put back after txfirewall loads eth-account (for a raw
    transaction and for typed data)."""
    typed = {
        "types": {"EIP712Domain": [{"name": "name", "type": "string"}], "M": [{"name": "a", "type": "uint256"}]},
        "primaryType": "M",
        "domain": {"name": "x"},
        "message": {"a": 1},
    }
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, typed]}
    code = (
        "import json, sys\n"
        "from txfirewall.parse.request import parse_request\n"
        "before = sys.getrecursionlimit()\n"
        f"parse_request({SIGNED_LEGACY_TX!r})\n"
        f"parse_request(json.loads({json.dumps(request)!r}))\n"
        "assert 'py_ecc' in sys.modules\n"
        "print(before, sys.getrecursionlimit())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    before, after = out.split()
    assert before == after, f"the recursion limit went from {before} to {after}"
