"""RELIABILITY A8 cases 11-25 and the methods added by issue 3: every bad request is a typed error."""

from __future__ import annotations

import json

import pytest

from txfirewall.errors import InvalidParamsError, InvalidRequestError, MalformedJsonError, NonCanonicalKeyError
from txfirewall.model.request import Method
from txfirewall.parse.request import parse_request

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
BOB = "0x00000000000000000000000000000000000000b0"


def rpc(method: str, params: object) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})


@pytest.mark.parametrize(
    "text",
    [
        "[]",  # 11 empty batch
        "[1,2,3]",
        "[null]",  # 12 non-object elements
        '{"id":[],"jsonrpc":"2.0","method":"eth_sign"}',  # 15 bad ids
        '{"id":{},"jsonrpc":"2.0","method":"eth_sign"}',
        '{"jsonrpc":"2.1","id":1,"method":"eth_sign","params":[]}',  # 16 version
        '{"jsonrpc":2.0,"id":1,"method":"eth_sign","params":[]}',
        '{"jsonrpc":1,"id":1,"method":"eth_sign","params":[]}',
        '{"id":1,"method":"eth_sign","params":[]}',
        "'f",  # 17 syntax
        '{"jsonrpc":"2.0","id":1,"METHOD":"eth_sendRawTransaction","params":[]}',  # 21
        '{"jsonrpc":"2.0","id":1,"Method":"eth_sendRawTransaction","params":[]}',
        '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","method":"eth_sendTransaction"}',  # 22
        '{"jsonrpc":"2.0","id":1,"method":"personal_sendTransaction","params":[]}',  # 24 default deny
        '{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransactionSync","params":["0x00"]}',
        "[" * 100_000,
    ],
)
def test_framing_and_classification_cases_are_typed_errors(text: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_request(text)


VALID_ETH_SIGN: dict[str, object] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "eth_sign",
    "params": [ALICE, "0x" + "ab" * 32],
}
"""A request that parses; each case below changes one envelope field, so only that check can refuse it."""


def test_the_envelope_cases_start_from_a_valid_request() -> None:
    assert parse_request(json.dumps(VALID_ETH_SIGN)).method is Method.SIGN
    for good_id in ("abc", 0, 123456789012345678901234567890, None):
        assert parse_request(json.dumps({**VALID_ETH_SIGN, "id": good_id})).id == good_id


@pytest.mark.parametrize("bad_id", [[], {}, [1], {"a": 1}, True, False, 1.5])
def test_bad_ids_are_invalid_requests_case_15(bad_id: object) -> None:
    """Case 15: ``{"id":[]}`` and ``{"id":{}}`` are -32600, refused for the id itself (the rest of
    the request is valid, so removing the id check makes this fail)."""
    with pytest.raises(InvalidRequestError, match='"id" must be') as caught:
        parse_request(json.dumps({**VALID_ETH_SIGN, "id": bad_id}))
    assert type(caught.value) is InvalidRequestError


@pytest.mark.parametrize("version", ["2.1", "1.0", "2", "", 2.0, 2, 1, None, ["2.0"], "missing"])
def test_jsonrpc_versions_other_than_the_string_2_0_are_invalid_case_16(version: object) -> None:
    """Case 16: ``"jsonrpc"`` other than the string "2.0" (or missing) is -32600, refused for the
    version itself."""
    obj = dict(VALID_ETH_SIGN)
    if version == "missing":
        del obj["jsonrpc"]
    else:
        obj["jsonrpc"] = version
    with pytest.raises(InvalidRequestError, match=r'"jsonrpc" must be the string "2\.0"') as caught:
        parse_request(json.dumps(obj))
    assert type(caught.value) is InvalidRequestError


def test_data_and_input_disagreeing_is_rejected_case_25() -> None:
    with pytest.raises(InvalidParamsError, match="differ"):
        parse_request(rpc("eth_sendTransaction", [{"from": ALICE, "to": BOB, "data": "0x01", "input": "0x02"}]))


@pytest.mark.parametrize(
    ("tx", "fragment"),
    [
        ({"maxPriorityFeePerGas": "0x1"}, "without maxFeePerGas"),
        ({"type": "0x2", "gasPrice": "0x1"}, "not gasPrice"),
        ({"type": "0x0", "maxFeePerGas": "0x1"}, "not maxFeePerGas"),
        ({"type": "0x5"}, "cannot be sent"),
        ({"type": "0x4"}, "cannot be sent"),
        ({"accessList": "x"}, "accessList"),
        ({"type": "2"}, "canonical"),
    ],
)
def test_fee_and_type_fields(tx: dict[str, str], fragment: str) -> None:
    with pytest.raises(InvalidParamsError, match=fragment):
        parse_request(rpc("eth_sendTransaction", [{"from": ALICE, "to": BOB, **tx}]))


def test_wallet_send_calls_batch() -> None:
    req = parse_request(
        rpc(
            "wallet_sendCalls",
            [
                {
                    "version": "2.0.0",
                    "from": ALICE,
                    "chainId": "0x1cbd",
                    "atomicRequired": True,
                    "calls": [{"to": BOB, "value": "0x1"}, {"to": BOB, "data": "0x"}],
                }
            ],
        )
    )
    assert req.method is Method.WALLET_SEND_CALLS and req.calls is not None and len(req.calls.calls) == 2
    assert req.sender == ALICE and req.request_chain_id == 7357 and req.transaction is None


@pytest.mark.parametrize(
    "batch",
    [
        {"calls": []},
        {"calls": [{"to": "0x12"}]},
        {"calls": [{"to": BOB, "value": "0x01"}]},
        {"calls": [{"to": BOB, "colour": "red"}]},
        {"calls": [{}]},
        {"calls": [{"to": BOB}], "chainId": 5},
        {"calls": [{"to": BOB}], "atomicRequired": "yes"},
        {"calls": [{"to": BOB}], "extra": 1},
        {"calls": "nope"},
    ],
)
def test_wallet_send_calls_errors(batch: dict[str, object]) -> None:
    with pytest.raises(InvalidParamsError):
        parse_request(rpc("wallet_sendCalls", [batch]))


@pytest.mark.parametrize(
    "params",
    [[], ["0x"], ["0xzz"], ["0x0"], [1], ["0x02", "0x03"]],
)
def test_raw_transaction_param_errors(params: list[object]) -> None:
    with pytest.raises(InvalidParamsError):
        parse_request(rpc("eth_sendRawTransaction", params))


def test_single_call_batch_is_also_a_transaction() -> None:
    req = parse_request(rpc("wallet_sendCalls", [{"from": ALICE, "calls": [{"to": BOB, "value": "0x5"}]}]))
    assert req.transaction is not None and req.transaction.value == 5


def test_malformed_json_never_crashes() -> None:
    with pytest.raises(MalformedJsonError):
        parse_request(b"\xff\xfe")
    with pytest.raises(NonCanonicalKeyError):
        parse_request('{"jsonrpc":"2.0","id":1,"method":"eth_sign","params":[{"a":1,"A":2}]}')
