"""Unsigned serialized transactions (types 0-2), what a hardware wallet is handed, as requests.
Before: refused as invalid."""

from __future__ import annotations

import json

import pytest
import rlp
from eth_account import Account

from txfirewall.errors import InvalidParamsError, RawTransactionError
from txfirewall.model.request import Method
from txfirewall.parse.request import parse_request
from txfirewall.parse.unsigned_tx import decode_unsigned_transaction, looks_unsigned

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
BOB = bytes.fromhex("79482941438f16cC093e6Fb410BaA77A9823026F".lower())
BOB_ADDR = "0x79482941438f16cC093e6Fb410BaA77A9823026F"


def legacy(*, eip155: int | None = None) -> bytes:
    fields = [3, 10**9, 21_000, BOB, 7, b""]
    return rlp.encode([*fields, eip155, 0, 0] if eip155 is not None else fields)


def typed(kind: int) -> bytes:
    if kind == 1:
        body = [1, 3, 10**9, 21_000, BOB, 7, b"\x12\x34", []]
    else:
        body = [1, 3, 10**8, 2 * 10**9, 50_000, BOB, 7, b"\x12\x34", []]
    return bytes([kind]) + rlp.encode(body)


@pytest.mark.parametrize(
    ("raw", "tx_type", "chain_id"),
    [(legacy(), 0, None), (legacy(eip155=1), 0, 1), (typed(1), 1, 1), (typed(2), 2, 1)],
    ids=["legacy", "legacy-eip155", "type-1", "type-2"],
)
def test_unsigned_transactions_decode(raw: bytes, tx_type: int, chain_id: int | None) -> None:
    assert looks_unsigned(raw)
    tx = decode_unsigned_transaction(raw, ALICE)  # type: ignore[arg-type]
    assert (tx.sender, tx.to, tx.value, tx.nonce, tx.tx_type, tx.chain_id) == (ALICE, BOB_ADDR, 7, 3, tx_type, chain_id)
    request = parse_request("0x" + raw.hex(), account=ALICE)
    assert request.method is Method.SIGN_TRANSACTION and request.transaction == tx
    rpc = {"jsonrpc": "2.0", "id": 1, "method": "eth_signTransaction", "params": ["0x" + raw.hex(), ALICE]}
    assert parse_request(json.dumps(rpc)).transaction == tx


def test_a_signed_transaction_as_hex_is_still_a_raw_transaction() -> None:
    signed = Account.from_key("0x" + "11" * 32).sign_transaction(
        {"nonce": 0, "gas": 21_000, "gasPrice": 10**9, "chainId": 1, "to": BOB_ADDR, "value": 1}
    )
    raw = bytes(signed.raw_transaction)
    assert not looks_unsigned(raw)
    assert parse_request("0x" + raw.hex()).method is Method.SEND_RAW_TRANSACTION


@pytest.mark.parametrize(
    "bad",
    [
        rlp.encode([3, 10**9, 21_000, BOB, 7, b""]) + b"\x00",  # trailing byte
        rlp.encode([b"\x00\x03", 10**9, 21_000, BOB, 7, b""]),  # non-canonical integer
        rlp.encode([3, 10**9, 21_000, BOB[:19], 7, b""]),  # 19-byte address
        rlp.encode([3, 10**9, 21_000, BOB, 7, b"", 1, 5, 0]),  # EIP-155 placeholders not zero
    ],
    ids=["trailing", "leading-zero", "short-address", "signed-placeholders"],
)
def test_malformed_unsigned_transactions_are_refused(bad: bytes) -> None:
    with pytest.raises((RawTransactionError, InvalidParamsError)):
        parse_request("0x" + bad.hex(), account=ALICE)


def test_an_unsigned_transaction_needs_its_signing_account() -> None:
    with pytest.raises(InvalidParamsError, match="who signs it"):
        parse_request("0x" + legacy().hex())
