"""txfirewall.web3 without a node: web3's Python params become the JSON-RPC request the parser reads,
and the guard's decisions on an offline firewall (no simulation, verdicts from the request alone)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from hexbytes import HexBytes
from web3 import AsyncHTTPProvider, AsyncWeb3, HTTPProvider, Web3
from web3.datastructures import AttributeDict

from txfirewall.errors import (
    ConfigError,
    FirewallClosedError,
    InvalidParamsError,
)
from txfirewall.firewall import Firewall, FirewallConfig, SyncFirewall
from txfirewall.model.request import Method
from txfirewall.model.verdict import Decision, RequestBlockedError, Verdict
from txfirewall.parse.request import parse_request
from txfirewall.web3 import ANALYSED_METHODS, FirewallMiddleware, Web3Guard, firewall_middleware, to_jsonrpc_request

REQUESTS = Path(__file__).resolve().parents[2] / "anvil_fixtures" / "requests"
ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
BOB = "0x79482941438f16cC093e6Fb410BaA77A9823026F"
KEY = "0x" + "11" * 32


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REQUESTS / name).read_text())
    return loaded


def test_the_envelope_is_json_rpc_2_with_a_list_of_params() -> None:
    request = to_jsonrpc_request("eth_sign", (ALICE, HexBytes("0x" + "ab" * 32)))
    assert request == {"jsonrpc": "2.0", "id": 1, "method": "eth_sign", "params": [ALICE, "0x" + "ab" * 32]}


def test_transaction_fields_become_hex_quantities_and_data() -> None:
    tx = AttributeDict(
        {
            "from": ALICE.lower(),
            "to": BOB,
            "value": 10**18,
            "data": HexBytes("0x3158952e"),
            "gas": 21_000,
            "maxFeePerGas": 2 * 10**9,
            "maxPriorityFeePerGas": 0,
            "nonce": 7,
            "chainId": 7357,
            "type": 2,
            "accessList": ({"address": BOB, "storageKeys": (b"\x00" * 32,)},),
        }
    )
    request = to_jsonrpc_request("eth_sendTransaction", (tx,))
    sent = request["params"][0]
    assert sent["from"] == ALICE.lower() and sent["to"] == BOB, "addresses stay as given"
    assert sent["value"] == "0xde0b6b3a7640000" and sent["maxPriorityFeePerGas"] == "0x0"
    assert (sent["gas"], sent["nonce"], sent["chainId"], sent["type"]) == ("0x5208", "0x7", "0x1cbd", "0x2")
    assert sent["accessList"] == [{"address": BOB, "storageKeys": ["0x" + "00" * 32]}]
    parsed = parse_request(request)
    assert parsed.transaction is not None
    assert parsed.transaction.sender == ALICE and parsed.transaction.value == 10**18
    assert parsed.transaction.data == bytes.fromhex("3158952e") and parsed.transaction.chain_id == 7357


def test_hex_strings_pass_unchanged_and_wrong_values_stay_wrong() -> None:
    """What web3 already formatted is kept; a bool or negative quantity is not made valid."""
    hex_tx = sample("e_drainer_claim.json")["params"][0]
    assert to_jsonrpc_request("eth_sendTransaction", [hex_tx])["params"] == [hex_tx]
    bad = to_jsonrpc_request("eth_sendTransaction", [{"from": ALICE, "to": BOB, "value": -1, "gas": True}])
    assert bad["params"][0]["value"] == "-0x1" and bad["params"][0]["gas"] is True
    with pytest.raises(InvalidParamsError):
        parse_request(bad)


def test_a_raw_transaction_as_bytes_is_hex() -> None:
    signed = Account.from_key(KEY).sign_transaction(
        {"to": BOB, "value": 5, "gas": 21_000, "gasPrice": 10**9, "nonce": 0, "chainId": 7357}
    )
    request = to_jsonrpc_request("eth_sendRawTransaction", [signed.raw_transaction])
    assert request["params"] == [signed.raw_transaction.to_0x_hex()]
    parsed = parse_request(request)
    assert parsed.method is Method.SEND_RAW_TRANSACTION
    assert parsed.transaction is not None and parsed.transaction.sender == Account.from_key(KEY).address


def test_personal_sign_text_is_signed_as_utf8() -> None:
    assert to_jsonrpc_request("personal_sign", ["héllo", ALICE])["params"] == ["0x68c3a96c6c6f", ALICE]
    assert to_jsonrpc_request("personal_sign", [b"hi", ALICE])["params"] == ["0x6869", ALICE]
    assert to_jsonrpc_request("personal_sign", ["0x6869", ALICE])["params"] == ["0x6869", ALICE]


def test_typed_data_as_dict_or_text() -> None:
    text = sample("l_eip2612_permit_typed_data.json")["params"][1]
    assert to_jsonrpc_request("eth_signTypedData_v4", [ALICE, text])["params"][1] == text, "JSON text is kept"
    document = json.loads(text)
    document["message"]["value"] = 2**256 - 1  # an int, as Python callers write it
    document["domain"]["salt"] = b"\x01" * 32
    document["types"]["EIP712Domain"].append({"name": "salt", "type": "bytes32"})
    request = to_jsonrpc_request("eth_signTypedData_v4", (ALICE, document))
    sent = request["params"][1]
    assert sent["message"]["value"] == 2**256 - 1, "typed-data integers are not turned into hex"
    assert sent["domain"]["chainId"] == 7357 and sent["domain"]["salt"] == "0x" + "01" * 32
    parsed = parse_request(request)
    assert parsed.typed_data is not None and parsed.typed_data.primary_type == "Permit"


def test_wallet_send_calls_values() -> None:
    batch = {
        "version": "2.0.0",
        "from": ALICE,
        "chainId": 7357,
        "atomicRequired": True,
        "calls": [{"to": BOB, "value": 10**15}, {"to": BOB, "data": HexBytes("0x1234"), "value": "0x0"}],
    }
    request = to_jsonrpc_request("wallet_sendCalls", [batch])
    sent = request["params"][0]
    assert sent["chainId"] == "0x1cbd"
    assert sent["calls"] == [{"to": BOB, "value": "0x38d7ea4c68000"}, {"to": BOB, "data": "0x1234", "value": "0x0"}]
    parsed = parse_request(request)
    assert parsed.calls is not None and [c.value for c in parsed.calls.calls] == [10**15, 0]


@pytest.mark.parametrize(
    "params",
    [
        [{"from": ALICE, 1: "x"}],
        [{"from": ALICE, "to": BOB, "value": object()}],
        [{"from": ALICE, "to": BOB, "accessList": {BOB}}],
    ],
    ids=["non-string key", "object", "set"],
)
def test_values_json_cannot_hold_are_invalid_params(params: list[Any]) -> None:
    with pytest.raises(InvalidParamsError):
        to_jsonrpc_request("eth_sendTransaction", params)


def test_nesting_is_capped() -> None:
    deep: Any = "x"
    for _ in range(200):
        deep = [deep]
    with pytest.raises(InvalidParamsError, match="nested"):
        to_jsonrpc_request("eth_signTypedData_v4", [ALICE, {"message": deep}])


# -- the guard on an offline firewall -- #


@pytest.fixture(scope="module")
def offline() -> Iterator[SyncFirewall]:
    with SyncFirewall(FirewallConfig(simulate=False, chain_id=7357)) as fw:
        yield fw


def test_methods_that_are_not_analysed_pass_without_a_verdict(offline: SyncFirewall) -> None:
    guard = Web3Guard(offline)
    assert guard.screen("eth_chainId", []) is None
    assert guard.screen("eth_signTransaction", [{"from": ALICE}]) is None
    assert {
        "eth_sendTransaction",
        "eth_sendRawTransaction",
        "eth_sign",
        "personal_sign",
        "eth_signTypedData",
        "eth_signTypedData_v3",
        "eth_signTypedData_v4",
        "wallet_sendCalls",
    } == ANALYSED_METHODS


def test_params_that_are_not_json_are_blocked_as_malformed(offline: SyncFirewall) -> None:
    seen: list[Verdict] = []
    guard = Web3Guard(offline, on_verdict=seen.append)
    with pytest.raises(RequestBlockedError, match="Malformed signing request") as blocked:
        guard.screen("eth_sendTransaction", [{"from": ALICE, "to": BOB, "value": object()}])
    assert blocked.value.verdict.decision is Decision.BLOCK and seen == [blocked.value.verdict]


def test_block_message_names_the_top_finding(offline: SyncFirewall) -> None:
    guard = Web3Guard(offline)
    with pytest.raises(RequestBlockedError) as blocked:
        guard.screen("eth_sign", sample("g_eth_sign_hash.json")["params"])
    message = str(blocked.value)
    assert message.startswith("txfirewall blocked eth_sign: eth_sign: blind signature over a raw hash")
    assert blocked.value.verdict.findings[0].rule == "eth-sign-raw-hash"


def test_allowed_requests_return_their_verdict(offline: SyncFirewall) -> None:
    verdict = Web3Guard(offline).screen("personal_sign", sample("o_personal_sign_login.json")["params"])
    assert verdict is not None and verdict.decision is Decision.ALLOW


def test_a_closed_guard_refuses_signing_but_not_other_methods(offline: SyncFirewall) -> None:
    guard = Web3Guard(offline)
    guard.close()
    with pytest.raises(FirewallClosedError):
        guard.screen("personal_sign", sample("o_personal_sign_login.json")["params"])
    assert guard.screen("eth_blockNumber", []) is None


def test_wrong_kinds_are_config_errors(offline: SyncFirewall) -> None:
    unstarted = Firewall(FirewallConfig(simulate=False, chain_id=7357))
    w3 = Web3(HTTPProvider("http://127.0.0.1:9"))
    w3.middleware_onion.inject(firewall_middleware(unstarted), layer=0)
    with pytest.raises(ConfigError, match=r"a sync Web3 needs a txfirewall\.SyncFirewall"):
        w3.eth.chain_id  # noqa: B018 - the first request builds the middleware, before anything is sent
    with pytest.raises(ConfigError, match=r"an AsyncWeb3 needs a txfirewall\.Firewall"):
        FirewallMiddleware.build(Web3Guard(offline), AsyncWeb3(AsyncHTTPProvider("http://127.0.0.1:9")))
    with pytest.raises(ConfigError, match="confirm must be a callable"):
        Web3Guard(offline, confirm=True)
    with pytest.raises(ConfigError, match="SyncFirewall"):
        firewall_middleware("http://127.0.0.1:8545")
    with pytest.raises(ConfigError, match="Web3Guard"):
        firewall_middleware(FirewallConfig(simulate=False))
    with pytest.raises(ConfigError, match="takes a Web3Guard"):
        FirewallMiddleware.build(offline, None)
