"""Nested calls as a tree: an unlimited approval three levels deep is visible; selector ambiguity."""

from __future__ import annotations

import json

from eth_abi import encode
from eth_utils import keccak

from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import MAX_UINT256
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request
from txfirewall.signatures.selector_db import event_signatures, function_signatures

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
SAFE = "0x5aFE3855358E112B5647B952709E6165e1c1eEEe"
TOKEN = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"
THIEF = "0xB38E7814ce3321bD42971365d0e72d5e3Db5a63B"
ROUTER = "0x3fC91A3afd70395Cd496C647d5a6CC9D4B2b7FAD"
MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"


def call(signature: str, types: list[str], args: list[object]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, args)


def send(to: str, data: bytes, value: int = 0):  # type: ignore[no-untyped-def]
    return decode_request(parse_request({"from": ALICE, "to": to, "data": "0x" + data.hex(), "value": hex(value)}))


def _three_deep() -> bytes:
    approve = call("approve(address,uint256)", ["address", "uint256"], [THIEF, MAX_UINT256])
    packed = (
        bytes([0]) + bytes.fromhex(TOKEN[2:]) + (0).to_bytes(32, "big") + len(approve).to_bytes(32, "big") + approve
    )
    multisend = call("multiSend(bytes)", ["bytes"], [packed])
    exec_tx = call(
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
        ["address", "uint256", "bytes", "uint8", "uint256", "uint256", "uint256", "address", "address", "bytes"],
        [SAFE, 0, multisend, 1, 0, 0, 0, "0x" + "00" * 20, "0x" + "00" * 20, b""],
    )
    return call("aggregate3((address,bool,bytes)[])", ["(address,bool,bytes)[]"], [[(SAFE, False, exec_tx)]])


def test_unlimited_approval_three_levels_deep_is_visible() -> None:
    intent = send(MULTICALL3, _three_deep())
    (grant,) = intent.allowances
    assert grant.unlimited and grant.spender == THIEF and grant.token == TOKEN
    assert grant.path == "aggregate3[0] > execTransaction > multiSend[0]"
    exec_node = intent.children[0].children[0]
    assert exec_node.operation == "delegatecall" and exec_node.children[0].children == ()
    assert "UNLIMITED" in intent.summary and "0xB38E" in intent.summary
    json.dumps(intent.to_json())


def test_multicall_variants_with_and_without_deadline() -> None:
    approve = call("approve(address,uint256)", ["address", "uint256"], [THIEF, 5])
    for sig, types, args in (
        ("multicall(bytes[])", ["bytes[]"], [[approve]]),
        ("multicall(uint256,bytes[])", ["uint256", "bytes[]"], [1, [approve, approve]]),
        ("multicall(bytes32,bytes[])", ["bytes32", "bytes[]"], [b"\x00" * 32, [approve]]),
    ):
        intent = send(TOKEN, call(sig, types, args))
        assert intent.children and all(c.call and c.call.name == "approve" for c in intent.children)
        assert intent.allowances and not intent.allowances[0].unlimited


def test_universal_router_permit2_command_grants_allowance() -> None:
    permit = ((TOKEN, 2**160 - 1, 2**48 - 1, 0), THIEF, 1798761600)
    permit_input = encode(["((address,uint160,uint48,uint48),address,uint256)", "bytes"], [permit, b"\x01" * 65])
    swap_input = encode(["address", "uint256", "uint256", "address[]", "bool"], [ALICE, 10, 1, [TOKEN, TOKEN], True])
    data = call(
        "execute(bytes,bytes[],uint256)",
        ["bytes", "bytes[]", "uint256"],
        [bytes([0x0A, 0x08]), [permit_input, swap_input], 1798761600],
    )
    intent = send(ROUTER, data)
    assert [c.label for c in intent.children] == [
        "execute.commands[0] PERMIT2_PERMIT",
        "execute.commands[1] V2_SWAP_EXACT_IN",
    ]
    (grant,) = intent.allowances
    assert grant.spender == THIEF and grant.unlimited and grant.source == "permit2-permit"


def test_wallet_send_calls_batch_tree() -> None:
    approve = call("approve(address,uint256)", ["address", "uint256"], [THIEF, MAX_UINT256])
    req = parse_request(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "wallet_sendCalls",
                "params": [
                    {
                        "from": ALICE,
                        "calls": [{"to": TOKEN, "data": "0x" + approve.hex()}, {"to": THIEF, "value": "0x1"}],
                    }
                ],
            }
        )
    )
    intent = decode_request(req)
    assert intent.kind is IntentKind.CALL_BATCH and len(intent.children) == 2 and intent.unlimited
    assert intent.summary.startswith("Run a batch of 2 calls") and "UNLIMITED" in intent.summary


def test_selector_database_and_ambiguity() -> None:
    assert "swapExactTokensForETH(uint256,uint256,address[],address,uint256)" in function_signatures(
        bytes.fromhex("18cbafe5")
    )
    transfer_topic = keccak(text="Transfer(address,address,uint256)")
    assert "Transfer(address,address,uint256)" in event_signatures(transfer_topic)
    intent = send(ROUTER, bytes(4) + encode(["uint256"], [5]))
    assert len(intent.ambiguous) > 1 and "one of" in intent.summary
    assert intent.call is not None and intent.call.candidates == intent.ambiguous


def test_malformed_multisend_is_noted_not_crashed() -> None:
    intent = send(SAFE, call("multiSend(bytes)", ["bytes"], [b"\x00" * 30]))
    assert intent.children[0].notes == ("multiSend payload is truncated",)


def test_siwe_login_fields() -> None:
    text = (
        f"https://app.example wants you to sign in with your Ethereum account:\n{ALICE}\n\nWelcome.\n\n"
        "URI: https://app.example/login\nVersion: 1\nChain ID: 1\nNonce: abcdef12\n"
        "Issued At: 2026-01-01T00:00:00Z\nExpiration Time: 2026-01-02T00:00:00Z"
    )
    intent = decode_request(
        parse_request(
            {"jsonrpc": "2.0", "id": 1, "method": "personal_sign", "params": ["0x" + text.encode().hex(), ALICE]}
        )
    )
    assert intent.kind is IntentKind.LOGIN and intent.login is not None
    assert (intent.login.domain, intent.login.chain_id, intent.login.nonce) == ("app.example", 1, "abcdef12")
    assert intent.login.statement == "Welcome." and intent.summary == f"Log in to app.example as {ALICE}"
