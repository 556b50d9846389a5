"""The parse stage: strict JSON-RPC framing, transaction fields, message params."""

from __future__ import annotations

import json

import pytest

from txfirewall.errors import (
    InvalidParamsError,
    InvalidRequestError,
    MalformedJsonError,
    NonCanonicalKeyError,
    UnsupportedMethodError,
)
from txfirewall.model.request import Method
from txfirewall.parse.request import parse_request

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
BOB = "0x00000000000000000000000000000000000000b0"


def rpc(method: str, params: list[object]) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})


def test_send_transaction_fields_are_typed() -> None:
    req = parse_request(
        rpc(
            "eth_sendTransaction",
            [
                {
                    "from": ALICE.lower(),
                    "to": BOB,
                    "value": "0x10",
                    "gas": "0x5208",
                    "maxFeePerGas": "0x3",
                    "maxPriorityFeePerGas": "0x1",
                    "chainId": "0x1cbd",
                }
            ],
        )
    )
    tx = req.transaction
    assert req.method is Method.SEND_TRANSACTION and req.id == 7
    assert tx is not None and tx.sender == ALICE and tx.value == 16 and tx.gas == 21000
    assert tx.chain_id == 7357 and tx.max_fee_per_gas == 3


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"jsonrpc":"2.0","id":1,"METHOD":"eth_sendTransaction","params":[]}', NonCanonicalKeyError),
        (
            '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","method":"eth_sendTransaction","params":[]}',
            NonCanonicalKeyError,
        ),
        ('{"jsonrpc":"2.0","id":1,"method":"eth_sign","Method":"x","params":[]}', NonCanonicalKeyError),
        ("'f", MalformedJsonError),
        ("[1,2,3]", MalformedJsonError),
        (
            '{"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"from":"0x1"}], "x": NaN}',
            MalformedJsonError,
        ),
        ('{"jsonrpc":"2.1","id":1,"method":"eth_sign","params":[]}', InvalidRequestError),
        ('{"jsonrpc":"2.0","id":[],"method":"eth_sign","params":[]}', InvalidRequestError),
        ('{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}', UnsupportedMethodError),
        ('{"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":{}}', InvalidParamsError),
    ],
)
def test_framing_errors_are_typed(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_request(text)


@pytest.mark.parametrize(
    ("tx", "fragment"),
    [
        ({"to": BOB}, 'no "from"'),
        ({"from": ALICE, "to": BOB, "data": "0x01", "input": "0x02"}, "differ"),
        ({"from": ALICE, "to": BOB, "gasPrice": "0x1", "maxFeePerGas": "0x2"}, "gasPrice"),
        ({"from": ALICE, "to": BOB, "maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x2"}, "larger"),
        ({"from": ALICE, "to": BOB, "value": "0x01"}, "canonical"),
        ({"from": ALICE, "to": BOB, "value": "12"}, "canonical"),
        ({"from": ALICE, "to": BOB, "data": "0x123"}, "even"),
        ({"from": ALICE, "to": "0x1234"}, "address"),
        ({"from": ALICE}, "creation without code"),
        ({"from": ALICE, "to": BOB, "Value": "0x1"}, "canonical"),
        ({"from": ALICE, "to": BOB, "gas": hex(2**64)}, "out of range"),
        ({"from": ALICE, "to": BOB, "colour": "red"}, "unknown"),
    ],
)
def test_transaction_field_errors_say_what_is_wrong(tx: dict[str, str], fragment: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_request(rpc("eth_sendTransaction", [tx]))
    assert fragment in str(info.value)


def test_data_and_input_that_agree_are_accepted() -> None:
    req = parse_request(rpc("eth_sendTransaction", [{"from": ALICE, "to": BOB, "data": "0xab", "input": "0xab"}]))
    assert req.transaction is not None and req.transaction.data == b"\xab"


def test_bare_transaction_object_is_a_send() -> None:
    req = parse_request({"from": ALICE, "to": BOB, "value": "0x0"})
    assert req.method is Method.SEND_TRANSACTION and req.id is None


def test_eth_sign_and_personal_sign_param_orders() -> None:
    digest = "0x" + "11" * 32
    signed = parse_request(rpc("eth_sign", [ALICE, digest]))
    assert signed.message is not None and signed.message.signer == ALICE and len(signed.message.payload) == 32
    personal = parse_request(rpc("personal_sign", ["0x6869", ALICE]))
    assert personal.message is not None and personal.message.payload == b"hi"
    with pytest.raises(InvalidParamsError):
        parse_request(rpc("personal_sign", [ALICE, "0x6869"]))
    with pytest.raises(InvalidParamsError):
        parse_request(rpc("eth_sign", [ALICE, digest, "password"]))


def test_typed_data_without_its_parts_is_a_typed_error() -> None:
    with pytest.raises(InvalidParamsError, match="missing"):
        parse_request(rpc("eth_signTypedData_v4", [ALICE, "{}"]))


def test_oversized_request_is_rejected() -> None:
    with pytest.raises(MalformedJsonError):
        parse_request(b" " * (5 * 1024 * 1024 + 1))
