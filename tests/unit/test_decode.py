"""The decode stage: ERC-20 calls, ambiguity, canonical encoding, intent text."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import keccak

from txfirewall.model.facts import TokenInfo
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import MAX_UINT256, Address
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request, describe
from txfirewall.signatures.calldata import decode_calldata

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
TOKEN = Address("0x38A41bE4b4161A4d6bb4Facb9151020420D1b769")
SPENDER = "0x1111111111111111111111111111111111111111"


def call(signature: str, types: list[str], args: list[object]) -> str:
    return "0x" + (keccak(text=signature)[:4] + encode(types, args)).hex()


def intent_for(data: str, value: str = "0x0", to: str = TOKEN):  # type: ignore[no-untyped-def]
    return decode_request(parse_request({"from": ALICE, "to": to, "data": data, "value": value}))


def test_transfer_decodes_with_names() -> None:
    intent = intent_for(call("transfer(address,uint256)", ["address", "uint256"], [SPENDER, 250_000_000]))
    assert intent.kind is IntentKind.TOKEN_TRANSFER
    assert intent.amount == 250_000_000 and intent.counterparty == SPENDER and intent.token == TOKEN
    assert intent.call is not None and [a.name for a in intent.call.arguments] == ["to", "amount"]


def test_unlimited_approve_is_flagged_and_erc721_reading_reported() -> None:
    intent = intent_for(call("approve(address,uint256)", ["address", "uint256"], [SPENDER, MAX_UINT256]))
    assert intent.kind is IntentKind.TOKEN_APPROVAL and intent.unlimited
    assert intent.call is not None and len(intent.call.candidates) == 2
    assert "ERC-721" in intent.call.candidates[1]
    assert "UNLIMITED" in intent.summary


def test_transfer_from_and_operator_approval() -> None:
    intent = intent_for(
        call("transferFrom(address,address,uint256)", ["address", "address", "uint256"], [SPENDER, ALICE, 5])
    )
    assert intent.kind is IntentKind.TOKEN_TRANSFER_FROM and intent.owner == SPENDER
    intent = intent_for(call("setApprovalForAll(address,bool)", ["address", "bool"], [SPENDER, True]))
    assert intent.kind is IntentKind.TOKEN_APPROVAL and intent.unlimited and intent.amount is None


def test_dirty_padding_and_trailing_bytes_are_not_decoded() -> None:
    good = call("transfer(address,uint256)", ["address", "uint256"], [SPENDER, 1])
    dirty = good[:10] + "ff" + good[12:]  # a non-zero byte in the address word's padding
    assert decode_calldata(bytes.fromhex(dirty[2:])).call is None
    trailing = decode_calldata(bytes.fromhex(good[2:] + "00"))
    assert trailing.call is None and "canonically" in trailing.notes[0]


def test_unknown_selector_and_short_calldata() -> None:
    unknown = intent_for("0xdeadbeef")
    assert unknown.kind is IntentKind.CONTRACT_CALL and unknown.selector == "0xdeadbeef"
    assert "unknown function 0xdeadbeef" in unknown.summary
    short = decode_calldata(b"\x01\x02")
    assert short.call is None and short.selector is None and short.notes


def test_scam_payable_name_is_noted() -> None:
    intent = intent_for("0x" + keccak(text="Claim()")[:4].hex(), value="0xde0b6b3a7640000")
    assert intent.call is not None and intent.call.signature == "Claim()"
    assert any("drainer" in n for n in intent.notes)
    assert intent.summary.endswith("sending 1 ETH")


def test_intent_text_uses_token_metadata_and_escapes_symbols() -> None:
    intent = intent_for(call("transfer(address,uint256)", ["address", "uint256"], [SPENDER, 250_500_000]))
    plain = describe(intent, {TOKEN: TokenInfo(TOKEN, "USDX", "Test USD", 6)})
    assert plain == "Send 250.5 USDX to 0x1111…1111"
    lookalike = describe(intent, {TOKEN: TokenInfo(TOKEN, "USD\u0422\u202e", "x", 6)})
    assert "[non-ASCII]" in lookalike and "\u202e" not in lookalike and "\\u202e" in lookalike


@pytest.mark.parametrize(
    ("hostile", "visible"),
    [
        ("\x1b]8;;https://e.example\x1b\\USDC\x1b]8;;\x1b\\", "\\x1b]8;;https://e.ex"),  # OSC 8 link
        ("USDC\x1b[2J\x1b[H", "\\x1b[2J"),  # clear screen
        ("USDC\x9b31m", "\\x9b31m"),  # C1 CSI
        ("US\u200bDC\u2066", "\\u200b"),  # zero-width space, bidi isolate
        ("USDC\x07\r\n\x7f", "\\x07\\x0d\\x0a\\x7f"),  # bell, CR/LF (forged lines), DEL
    ],
)
def test_token_symbols_with_terminal_escapes_are_shown_inert_case_51(hostile: str, visible: str) -> None:
    """Case 51: raw ANSI/OSC escapes in a token symbol never reach the summary unescaped."""
    intent = intent_for(call("transfer(address,uint256)", ["address", "uint256"], [SPENDER, 250_500_000]))
    text = describe(intent, {TOKEN: TokenInfo(TOKEN, hostile, hostile, 6)})
    assert visible in text and "[non-ASCII]" in text
    assert not [c for c in text if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u200b\u2066\u202e"]


def test_messages() -> None:
    text = decode_request(
        parse_request(
            {"jsonrpc": "2.0", "id": 1, "method": "personal_sign", "params": ["0x" + b"Sign in\nnonce 1".hex(), ALICE]}
        )
    )
    assert text.kind is IntentKind.MESSAGE_SIGNATURE and text.message == "Sign in\nnonce 1"
    opaque = decode_request(
        parse_request({"jsonrpc": "2.0", "id": 1, "method": "personal_sign", "params": ["0x" + "ff" * 32, ALICE]})
    )
    assert opaque.message is None and "32-byte hash" in opaque.notes[0]
    raw = decode_request(
        parse_request({"jsonrpc": "2.0", "id": 1, "method": "eth_sign", "params": [ALICE, "0x" + "ab" * 32]})
    )
    assert raw.kind is IntentKind.RAW_HASH_SIGNATURE
