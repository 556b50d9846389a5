"""Raw signed transactions (RELIABILITY A8 cases 26-38): decode, recover, and typed errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
import rlp
from eth_account import Account

from txfirewall.errors import InvalidParamsError
from txfirewall.model.primitives import ZERO_ADDRESS, short_address, to_address
from txfirewall.parse.raw_tx import (
    BYTES_PER_BLOB,
    CELLS_PER_EXT_BLOB,
    SECP256K1_N,
    RawTransactionError,
    decode_raw_transaction,
)
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request

ACCT = Account.from_key("0x" + "11" * 32)
OTHER = Account.from_key("0x" + "22" * 32)
BOB = "0x000000000000000000000000000000000000b0b0"
BASE = {"nonce": 3, "gas": 50_000, "to": BOB, "value": 7, "data": b"\x12\x34"}


def sign(**fields: object) -> bytes:
    return bytes(ACCT.sign_transaction({**BASE, **fields}).raw_transaction)


def rpc(raw: bytes) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]})


@pytest.mark.parametrize(
    ("fields", "tx_type", "eip155"),
    [
        ({"gasPrice": 9}, 0, False),
        ({"gasPrice": 9, "chainId": 1}, 0, True),
        (
            {
                "gasPrice": 9,
                "chainId": 1,
                "type": 1,
                "accessList": [{"address": BOB, "storageKeys": ["0x" + "00" * 32]}],
            },
            1,
            True,
        ),
        ({"maxFeePerGas": 9, "maxPriorityFeePerGas": 2, "chainId": 7357, "type": 2, "accessList": []}, 2, True),
    ],
)
def test_types_0_to_2_decode_and_recover(fields: dict[str, object], tx_type: int, eip155: bool) -> None:
    raw = sign(**fields)
    req = parse_request(rpc(raw))
    assert req.raw_tx is not None and req.transaction is not None
    assert req.raw_tx.tx_type == tx_type and req.raw_tx.eip155 is eip155
    assert req.sender == ACCT.address and req.transaction.value == 7 and req.transaction.data == b"\x12\x34"
    assert req.raw_tx.hash == bytes(ACCT.sign_transaction({**BASE, **fields}).hash)


def _blob_tx(hashes: list[bytes], to: bytes = bytes.fromhex(BOB[2:])) -> bytes:
    """Type 3 body; eth-account needs real blobs to sign, so the signature is made over our body."""
    from eth_account._utils.signing import to_standard_v  # noqa: F401 - keeps the import honest
    from eth_keys import keys
    from eth_utils import keccak

    body = [7357, 0, 1, 10, 21000, to, 0, b"", [], 1, hashes]
    unsigned = bytes([3]) + rlp.encode(body)
    sig = keys.PrivateKey(b"\x11" * 32).sign_msg_hash(keccak(unsigned))
    return bytes([3]) + rlp.encode([*body, sig.v, sig.r, sig.s])


def test_type_3_blob_decodes_and_bad_blobs_are_rejected_case_31() -> None:
    good = _blob_tx([b"\x01" + b"\x00" * 31])
    _tx, raw = decode_raw_transaction(good)
    assert raw.tx_type == 3 and raw.sender == ACCT.address and len(raw.blob_hashes) == 1
    with pytest.raises(RawTransactionError, match="recipient"):
        decode_raw_transaction(_blob_tx([b"\x01" + b"\x00" * 31], to=b""))
    with pytest.raises(RawTransactionError, match="no blob"):
        decode_raw_transaction(_blob_tx([]))
    with pytest.raises(RawTransactionError, match="0x01"):
        decode_raw_transaction(_blob_tx([b"\x02" + b"\x00" * 31]))
    body = rlp.decode(good[1:])
    wrapper = bytes([3]) + rlp.encode([body, [b"x"], [b"c"], []])
    with pytest.raises(RawTransactionError, match="counts differ"):
        decode_raw_transaction(wrapper)


COMMITMENTS = [bytes([0xC0 + i]) + bytes(47) for i in range(2)]
BLOBS = [bytes([i]) * BYTES_PER_BLOB for i in range(2)]


def _versioned(commitment: bytes) -> bytes:
    return b"\x01" + hashlib.sha256(commitment).digest()[1:]


def _wrapped(version: int | None, *, blobs: int = 2, proofs_per_blob: int | None = None, commitments: int = 2) -> bytes:
    """A type-3 transaction in its network wrapper: EIP-4844 (``version`` None) or EIP-7594."""
    signed = _blob_tx([_versioned(c) for c in COMMITMENTS])
    body = rlp.decode(signed[1:])
    per_blob = proofs_per_blob if proofs_per_blob is not None else (1 if version is None else CELLS_PER_EXT_BLOB)
    proofs = [bytes([0xA0]) + bytes(47)] * (per_blob * blobs)
    parts = [BLOBS[:blobs], COMMITMENTS[:commitments], proofs]
    return bytes([3]) + rlp.encode([body, *parts] if version is None else [body, version, *parts])


@pytest.mark.parametrize("version", [None, 1])
def test_blob_network_wrappers_eip4844_and_eip7594_decode(version: int | None) -> None:
    """Issue 13: the EIP-7594 wrapper (version byte, 128 cell proofs per blob) was refused as
    malformed; both wrappers decode to the same transaction, hash and sender."""
    plain = _blob_tx([_versioned(c) for c in COMMITMENTS])
    tx, raw = decode_raw_transaction(_wrapped(version))
    _tx, bare = decode_raw_transaction(plain)
    assert raw.blob_sidecar and raw.sender == ACCT.address == bare.sender and raw.hash == bare.hash
    assert raw.blob_hashes == bare.blob_hashes and len(raw.blob_hashes) == 2 and tx == _tx


@pytest.mark.parametrize(
    ("wrapper", "problem"),
    [
        (lambda: _wrapped(1, proofs_per_blob=1), "128 per blob"),  # 4844-style proofs in a 7594 wrapper
        (lambda: _wrapped(None, proofs_per_blob=CELLS_PER_EXT_BLOB), "1 per blob"),
        (lambda: _wrapped(1, proofs_per_blob=CELLS_PER_EXT_BLOB - 1), "counts differ"),
        (lambda: _wrapped(1, commitments=1), "counts differ"),
        (lambda: _wrapped(2), "wrapper version 2"),
        (lambda: _wrapped(0), "wrapper version 0"),
        (lambda: _wrapped(1, blobs=1, commitments=1), "blob count differs"),  # two hashes, one blob
    ],
)
def test_blob_wrapper_counts_and_versions_are_checked(wrapper: Callable[[], bytes], problem: str) -> None:
    with pytest.raises(RawTransactionError, match=problem):
        decode_raw_transaction(wrapper())


def test_blob_wrapper_sizes_and_commitments_are_checked() -> None:
    body = rlp.decode(_blob_tx([_versioned(c) for c in COMMITMENTS])[1:])
    proofs = [bytes(48)] * CELLS_PER_EXT_BLOB * 2
    short_blob = [BLOBS[0], b"x"]
    with pytest.raises(RawTransactionError, match="every blob"):
        decode_raw_transaction(bytes([3]) + rlp.encode([body, 1, short_blob, COMMITMENTS, proofs]))
    swapped = COMMITMENTS[::-1]
    with pytest.raises(RawTransactionError, match="does not match its KZG commitment"):
        decode_raw_transaction(bytes([3]) + rlp.encode([body, 1, BLOBS, swapped, proofs]))
    with pytest.raises(RawTransactionError, match="network wrapper"):
        decode_raw_transaction(bytes([3]) + rlp.encode([body, 1, BLOBS, COMMITMENTS, proofs, []]))


def _set_code(*auths: object, chain: int = 7357) -> bytes:
    return sign(
        type=4, chainId=chain, maxFeePerGas=9, maxPriorityFeePerGas=1, accessList=[], authorizationList=list(auths)
    )


def test_type_4_authorities_and_last_valid_tuple_applies_case_35() -> None:
    # BASE nonce 3: the transaction takes the sender's nonce 3, so its own tuples start at 4.
    first = ACCT.sign_authorization({"chainId": 7357, "address": "0x" + "aa" * 20, "nonce": 4})
    second = ACCT.sign_authorization({"chainId": 0, "address": "0x" + "bb" * 20, "nonce": 5})
    foreign = OTHER.sign_authorization({"chainId": 5, "address": "0x" + "cc" * 20, "nonce": 0})
    req = parse_request(rpc(_set_code(first, second, foreign)))
    raw = req.raw_tx
    assert raw is not None and [a.authority for a in raw.authorizations] == [ACCT.address] * 2 + [OTHER.address]
    applied = raw.applied_authorizations(7357)
    assert [a.index for a in applied] == [1]  # nonces 4 then 5: both apply, the later one is left; chain 5 skipped
    intent = decode_request(req)
    assert intent.delegations == ((ACCT.address, applied[0].address),)
    assert any("chain id 0" in n for n in intent.notes) and any("names chain 5" in n for n in intent.notes)
    assert any("authorization 0 is overridden by a later one" in n for n in intent.notes)
    assert "EIP-7702" in intent.summary


def _auth(acct: object, delegate: str, nonce: int) -> object:
    return acct.sign_authorization({"chainId": 7357, "address": delegate, "nonce": nonce})  # type: ignore[attr-defined]


AA, BB, CC = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20


@pytest.mark.parametrize(
    ("tuples", "applies", "delegate"),
    [
        # two tuples from one authority with the same nonce: only the first can apply
        ([(OTHER, AA, 7), (OTHER, BB, 7)], [True, False], AA),
        # n then n+1: both apply, the last one wins
        ([(OTHER, AA, 7), (OTHER, BB, 8)], [True, True], BB),
        # n+1 then n: the second is stale once the first applied
        ([(OTHER, AA, 8), (OTHER, BB, 7)], [True, False], AA),
        # n, n, n+1: the second is skipped, the third applies
        ([(OTHER, AA, 7), (OTHER, BB, 7), (OTHER, CC, 8)], [True, False, True], CC),
        # the sender's own tuples: the transaction (nonce 3) uses 3, so 4 applies and 3 cannot
        ([(ACCT, AA, 3)], [False], None),
        ([(ACCT, AA, 4), (ACCT, BB, 4)], [True, False], AA),
        ([(ACCT, AA, 4), (ACCT, BB, 5)], [True, True], BB),
    ],
)
def test_eip7702_nonce_rule_case_35(
    tuples: list[tuple[object, str, int]], applies: list[bool], delegate: str | None
) -> None:
    """Tuples are processed in order; one applies only when the authority's current nonce equals
    its nonce, and applying it increments that nonce (EIP-7702). The decoder shows, and the
    simulation installs, only the delegation that is really left."""
    req = parse_request(rpc(_set_code(*(_auth(a, d, n) for a, d, n in tuples))))
    raw = req.raw_tx
    assert raw is not None
    assert [o.applies for o in raw.authorization_outcomes(7357)] == applies
    applied = raw.applied_authorizations(7357)
    assert [a.address for a in applied] == ([to_address(delegate)] if delegate else [])
    intent = decode_request(req)
    assert [d for _, d in intent.delegations] == ([to_address(delegate)] if delegate else [])
    for i, ok in enumerate(applies):
        if not ok:
            assert any(n.startswith(f"authorization {i} does not apply: its nonce") for n in intent.notes), intent.notes
    if delegate is None:
        assert "EIP-7702" not in intent.summary
    else:
        assert f"to code at {short_address(to_address(delegate))}" in intent.summary
        for _, d, _ in tuples:
            if d != delegate:
                assert short_address(to_address(d)) not in intent.summary


def test_eip7702_authorities_known_nonces_decide_the_first_tuple() -> None:
    req = parse_request(rpc(_set_code(_auth(OTHER, AA, 7), _auth(OTHER, BB, 8))))
    raw = req.raw_tx
    assert raw is not None
    assert [a.address for a in raw.applied_authorizations(7357, {OTHER.address: 8})] == [to_address(BB)]
    assert raw.applied_authorizations(7357, {OTHER.address: 9}) == ()


def _tamper_auth(index: int, value: int) -> bytes:
    auth = ACCT.sign_authorization({"chainId": 7357, "address": "0x" + "aa" * 20, "nonce": 1})
    items = rlp.decode(_set_code(auth)[1:])
    fields = list(items[9][0])
    fields[index] = rlp.sedes.big_endian_int.serialize(value)
    items[9] = [fields]
    return bytes([4]) + rlp.encode(items)


@pytest.mark.parametrize(
    ("index", "value", "problem"),
    [(5, SECP256K1_N - 1, "n/2"), (2, 2**64 - 1, "nonce")],
)
def test_invalid_authorization_tuples_are_reported_case_34(index: int, value: int, problem: str) -> None:
    # The outer signature no longer matches the body, so the sender recovered differs: that is fine,
    # the decoder must still report the tuple rather than crash.
    _tx, raw = decode_raw_transaction(_tamper_auth(index, value))
    (auth,) = raw.authorizations
    assert auth.problem is not None and problem in auth.problem and not raw.applied_authorizations(7357)


def test_authorization_y_parity_out_of_range_is_a_typed_error() -> None:
    # eth-account refuses to parse the whole transaction, so the sender cannot be recovered
    with pytest.raises(RawTransactionError):
        decode_raw_transaction(_tamper_auth(3, 2))


@pytest.mark.parametrize("signer_is_authority", [True, False])
def test_delegation_to_zero_clears_code_case_36(signer_is_authority: bool) -> None:
    authority = ACCT if signer_is_authority else OTHER
    auth = authority.sign_authorization({"chainId": 7357, "address": ZERO_ADDRESS, "nonce": 4})
    intent = decode_request(parse_request(rpc(_set_code(auth))))
    assert intent.delegations == ((authority.address, ZERO_ADDRESS),)
    assert any("clears the delegation" in n for n in intent.notes)
    whose = "your account" if signer_is_authority else f"account {short_address(authority.address)}"
    assert f"clears the EIP-7702 delegation of {whose}" in intent.summary
    assert "to code at 0x0000" not in intent.summary and "delegates" not in intent.summary
    if not signer_is_authority:
        assert "your account" not in intent.summary


def test_type_4_empty_list_and_null_destination_are_invalid_case_32() -> None:
    auth = ACCT.sign_authorization({"chainId": 7357, "address": "0x" + "aa" * 20, "nonce": 1})
    items = rlp.decode(_set_code(auth)[1:])
    empty = list(items)
    empty[9] = []
    with pytest.raises(RawTransactionError, match="empty"):
        decode_raw_transaction(bytes([4]) + rlp.encode(empty))
    no_to = list(items)
    no_to[5] = b""
    with pytest.raises(RawTransactionError, match="recipient"):
        decode_raw_transaction(bytes([4]) + rlp.encode(no_to))


# ethereum/tests RLPTests/invalidRLPTest.json, re-created by name (case 26)
INVALID_RLP = {
    "bytesShouldBeSingleByte00": "8100",
    "bytesShouldBeSingleByte01": "8101",
    "bytesShouldBeSingleByte7F": "817f",
    "leadingZerosInLongLengthArray1": "b90040" + "00" * 64,
    "leadingZerosInLongLengthArray2": "b800",
    "leadingZerosInLongLengthList1": "fb00000040" + "00" * 64,
    "leadingZerosInLongLengthList2": "f800",
    "nonOptimalLongLengthArray1": "b81000112233445566778899aabbccddeeff",
    "nonOptimalLongLengthArray2": "b801ff",
    "nonOptimalLongLengthList1": "f810" + "00" * 16,
    "nonOptimalLongLengthList2": "f803112233",
    "wrongSizeList": "f80180",
    "wrongSizeList2": "f80100",
    "int32Overflow": "bf0fffffffffffffff",
    "int32Overflow2": "ff0fffffffffffffff",
    "incorrectLengthInArray": "b9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df0",
    "emptyEncoding": "",
    "lessThanShortLengthArray1": "81",
    "lessThanShortLengthList1": "c5010203",
    "lessThanLongLengthArray1": "ba010000aabbccddeeff",
}


@pytest.mark.parametrize("name", sorted(INVALID_RLP))
def test_invalid_rlp_vectors_end_in_typed_errors(name: str) -> None:
    """Case 26: each vector is refused *by the RLP decoder* (a typed-transaction payload is decoded
    whatever it holds): another error further on would hide a decoder that accepts it. A legacy
    envelope must start with a list prefix, so string vectors are refused by their first byte."""
    vector = bytes.fromhex(INVALID_RLP[name])
    with pytest.raises(InvalidParamsError, match=r"type-2 transaction: not canonical RLP \("):
        parse_request(rpc(b"\x02" + vector))
    if not vector:
        expected = "raw transaction is empty"
    elif vector[0] >= 0xC0:
        expected = r"legacy transaction: not canonical RLP \("
    else:
        expected = "is neither a type nor an RLP list"
    with pytest.raises(InvalidParamsError, match=expected):
        parse_request(rpc(vector))


def test_trailing_bytes_and_leading_zero_integers_case_27() -> None:
    raw = sign(gasPrice=9, chainId=1)
    with pytest.raises(RawTransactionError, match="canonical RLP"):
        decode_raw_transaction(raw + b"\x00")
    items = rlp.decode(raw)
    items[0] = b"\x00\x03"
    with pytest.raises(RawTransactionError, match="leading zero"):
        decode_raw_transaction(rlp.encode(items))


@pytest.mark.parametrize("first", [0x00, 0x05, 0x7F, 0x80, 0xBF])
def test_unknown_type_bytes_case_37(first: int) -> None:
    with pytest.raises(RawTransactionError):
        decode_raw_transaction(bytes([first]) + rlp.encode([b"", b""]))


def test_signature_malleability_and_bad_v() -> None:
    items = rlp.decode(sign(gasPrice=9, chainId=1))
    high_s = list(items)
    high_s[8] = rlp.sedes.big_endian_int.serialize(SECP256K1_N - rlp.sedes.big_endian_int.deserialize(items[8]))
    with pytest.raises(RawTransactionError, match="n/2"):
        decode_raw_transaction(rlp.encode(high_s))
    bad_v = list(items)
    bad_v[6] = b"\x1d"
    with pytest.raises(RawTransactionError, match="EIP-155"):
        decode_raw_transaction(rlp.encode(bad_v))
    short = items[:8]
    with pytest.raises(RawTransactionError, match="fields"):
        decode_raw_transaction(rlp.encode(short))


def test_fee_facts_for_case_38() -> None:
    req = parse_request(rpc(sign(gasPrice=10**12, chainId=1, gas=2_000_000)))
    assert req.transaction is not None and req.transaction.max_fee == 2 * 10**18


@pytest.mark.parametrize("signer_is_authority", [True, False])
def test_delegation_findings_say_your_account_only_for_the_signer(signer_is_authority: bool) -> None:
    """A sponsored set-code transaction can carry another authority's tuple: the finding names
    that account, and "your account" is kept for the signer's own."""
    from txfirewall.decide.evaluate import evaluate
    from txfirewall.decide.policy import Policy
    from txfirewall.heuristics.registry import BUILTIN_RULES
    from txfirewall.model.simulation import CodeChange, CodeChangeKind

    from .rule_fixtures import ALICE, BOB, ctx_for, simulated, tx

    account = ALICE if signer_is_authority else BOB
    change = CodeChange(CodeChangeKind.DELEGATION_SET, account, None, to_address("0x" + "dd" * 20))
    ctx = simulated(ctx_for(tx(BOB, value=0)), code=(change,))
    (finding,) = [f for f in evaluate(ctx, BUILTIN_RULES, Policy()).findings if f.rule == "account-delegation-set"]
    assert "your account" not in finding.title.lower()
    assert finding.message.startswith("Your account" if signer_is_authority else f"Account {BOB}")
