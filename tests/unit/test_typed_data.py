"""EIP-712 (RELIABILITY A8 cases 39-42): validation errors, hashing, permit and order decoding."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from txfirewall.errors import InvalidRequestError, TypedDataError
from txfirewall.model.intent import IntentKind
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
SPENDER = "0xB38E7814ce3321bD42971365d0e72d5e3Db5a63B"
TOKEN = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"
PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"

# The EIP-712 reference example (geth's signer/core/testdata/example_1 shape).
MAIL: dict[str, Any] = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}


def sign_request(doc: object, method: str = "eth_signTypedData_v4") -> str:
    return json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": method,
            "params": [ALICE, doc if isinstance(doc, str) else json.dumps(doc)],
        }
    )


def test_reference_example_hashes_like_the_eip() -> None:
    req = parse_request(sign_request(MAIL))
    assert req.typed_data is not None
    assert req.typed_data.digest.hex() == "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
    assert [p for p, _ in req.typed_data.addresses] == [
        "domain.verifyingContract",
        "message.from.wallet",
        "message.to.wallet",
    ]
    intent = decode_request(req)
    assert intent.kind is IntentKind.TYPED_DATA and intent.summary.startswith("Sign typed data Mail")


# MetaMask's eth-sig-util V4 vector (also MetaMask's test dapp): it defines a ``Group`` type the
# message never uses. MetaMask signs it (only the primary type and what it references are hashed);
# eth-account alone refuses it ("Unable to determine primary type"), and so did txfirewall.
METAMASK_V4 = (
    '{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},'
    '{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],'
    '"Person":[{"name":"name","type":"string"},{"name":"wallets","type":"address[]"}],'
    '"Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person[]"},{"name":"contents","type":"string"}],'
    '"Group":[{"name":"name","type":"string"},{"name":"members","type":"Person[]"}]},'
    '"domain":{"name":"Ether Mail","version":"1","chainId":1,'
    '"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},"primaryType":"Mail",'
    '"message":{"from":{"name":"Cow","wallets":["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826",'
    '"0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"]},"to":[{"name":"Bob","wallets":['
    '"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB","0xB0BdaBea57B0BDABeA57b0bdABEA57b0BDabEa57",'
    '"0xB0B0b0b0b0b0B000000000000000000000000000"]}],"contents":"Hello, Bob!"}}'
)


def test_an_unused_type_is_not_hashed_as_metamask_does() -> None:
    req = parse_request(sign_request(METAMASK_V4))
    assert req.typed_data is not None and "Group" in req.typed_data.types
    assert req.typed_data.digest.hex() == "a85c2e2b118698e88db68a8105b794a8cc7cec074e89ef991cb4f5f533819cc2"
    without = json.loads(METAMASK_V4)
    del without["types"]["Group"]
    again = parse_request(sign_request(without)).typed_data
    assert again is not None and again.digest == req.typed_data.digest


def _mutate(path: list[Any], value: Any, *, delete: bool = False) -> dict[str, Any]:
    doc = copy.deepcopy(MAIL)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


# geth signer/core/testdata expfail_* cases, re-created by name (case 39), plus the apitypes rules
EXPFAIL = {
    "expfail_arraytype_overload": _mutate(["types", "Person[]"], [{"name": "x", "type": "string"}]),
    "expfail_datamismatch_1": _mutate(["message", "from", "wallet"], "Cow"),
    "expfail_extradata": _mutate(["message", "blahonga"], "zonk bonk"),
    "expfail_malformeddomainkeys": _mutate(["domain", "vFerifyingContract"], "0x" + "cc" * 20),
    "expfail_nonexistant_type": _mutate(["types", "Mail", 0, "type"], "Persno"),
    "expfail_nonexistant_type2": _mutate(["primaryType"], "Blahonga"),
    "expfail_toolargeuint": _mutate(
        ["types", "Person"], [{"name": "name", "type": "string"}, {"name": "wallet", "type": "uint8"}]
    ),
    "expfail_toolargeuint2": _mutate(["domain", "chainId"], 2**256),
    "expfail_unconvertiblefloat": _mutate(["domain", "chainId"], 1.5),
    "expfail_unconvertiblefloat2": _mutate(["domain", "chainId"], "0xa.5"),
    "self_reference": _mutate(["types", "Person", 1, "type"], "Person"),
    "cycle": _mutate(["types", "Person", 1, "type"], "Mail"),
    "empty_type_key": _mutate(["types", ""], []),
    "negative_uint": _mutate(["domain", "chainId"], -1),
    "undefined_domain": _mutate(["types", "EIP712Domain"], None, delete=True),
    "empty_domain": _mutate(["domain"], {}),
    "missing_field": _mutate(["message", "contents"], None, delete=True),
    "primitive_shadow": _mutate(["types", "uint256"], [{"name": "x", "type": "string"}]),
    "duplicate_field": _mutate(["types", "Person"], [{"name": "name", "type": "string"}] * 2),
    "domain_nonstandard_field": _mutate(["types", "EIP712Domain", 0, "type"], "uint256"),
    "bytes32_wrong_size": _mutate(["types", "Person", 0, "type"], "bytes32"),
    "unknown_top_key": _mutate(["extra"], 1),
    "bool_as_int": _mutate(["domain", "chainId"], True),
    "bad_array_type": _mutate(["types", "Mail", 2, "type"], "string[2]"),
}


@pytest.mark.parametrize("name", sorted(EXPFAIL))
def test_expfail_cases_are_typed_errors(name: str) -> None:
    with pytest.raises(TypedDataError):
        parse_request(sign_request(EXPFAIL[name]))


@pytest.mark.parametrize("text", ["[]", "not json", '{"types":{}}', "1", '"x"'])
def test_non_object_documents(text: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_request(sign_request(text))


def test_v3_refuses_arrays_and_v1_legacy_format() -> None:
    doc = _mutate(["types", "Mail", 2, "type"], "string[]")
    doc["message"]["contents"] = ["a"]
    assert parse_request(sign_request(doc)).typed_data is not None
    with pytest.raises(TypedDataError, match="v3"):
        parse_request(sign_request(doc, "eth_signTypedData_v3"))
    legacy = [
        {"type": "string", "name": "message", "value": "Hi, Alice!"},
        {"type": "uint32", "name": "value", "value": 42},
    ]
    req = parse_request(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData", "params": [legacy, ALICE]})
    )
    assert req.typed_data is not None and req.typed_data.legacy
    # eth-sig-util's typedSignatureHash, recomputed by hand: keccak(keccak(schema) ++ keccak(packed values))
    from eth_utils import keccak

    expected = keccak(keccak(b"string messageuint32 value") + keccak(b"Hi, Alice!" + (42).to_bytes(4, "big")))
    assert req.typed_data.digest == expected
    with pytest.raises(TypedDataError):
        parse_request(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_signTypedData_v1",
                    "params": [[{"type": "Person", "name": "x", "value": 1}], ALICE],
                }
            )
        )


def _permit2(primary: str, message: dict[str, Any], types: dict[str, Any]) -> dict[str, Any]:
    domain_type = [
        {"name": "name", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ]
    return {
        "types": {"EIP712Domain": domain_type, **types},
        "primaryType": primary,
        "domain": {"name": "Permit2", "chainId": 7357, "verifyingContract": PERMIT2},
        "message": message,
    }


DETAILS = [
    {"name": "token", "type": "address"},
    {"name": "amount", "type": "uint160"},
    {"name": "expiration", "type": "uint48"},
    {"name": "nonce", "type": "uint48"},
]
TOKEN_PERMISSIONS = [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}]


def test_permit2_batch_summary_names_spender_count_and_date() -> None:
    details = [{"token": TOKEN, "amount": str(2**160 - 1), "expiration": "1798761600", "nonce": "0"}] * 3
    doc = _permit2(
        "PermitBatch",
        {"details": details, "spender": SPENDER, "sigDeadline": "1798761600"},
        {
            "PermitBatch": [
                {"name": "details", "type": "PermitDetails[]"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": DETAILS,
        },
    )
    intent = decode_request(parse_request(sign_request(doc)))
    assert intent.kind is IntentKind.PERMIT and len(intent.allowances) == 3 and intent.unlimited
    assert intent.summary == "Sign a Permit2 batch letting 0xB38E…a63B take 3 tokens until 2027-01-01"


def test_permit2_witness_transfer_uniswapx_style() -> None:
    doc = _permit2(
        "PermitWitnessTransferFrom",
        {
            "permitted": {"token": TOKEN, "amount": "1000"},
            "spender": SPENDER,
            "nonce": "1",
            "deadline": "1798761600",
            "witness": {"swapper": ALICE, "inputAmount": "1000"},
        },
        {
            "PermitWitnessTransferFrom": [
                {"name": "permitted", "type": "TokenPermissions"},
                {"name": "spender", "type": "address"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
                {"name": "witness", "type": "LimitOrder"},
            ],
            "TokenPermissions": TOKEN_PERMISSIONS,
            "LimitOrder": [{"name": "swapper", "type": "address"}, {"name": "inputAmount", "type": "uint256"}],
        },
    )
    intent = decode_request(parse_request(sign_request(doc)))
    assert intent.kind is IntentKind.PERMIT and intent.allowances[0].source == "permit2-witness-transfer"
    assert any("LimitOrder witness" in n for n in intent.notes) and "once" in intent.summary


def test_dai_permit_and_permit_with_wrong_shape_falls_back() -> None:
    dai = {
        "types": {
            "EIP712Domain": [{"name": "verifyingContract", "type": "address"}],
            "Permit": [
                {"name": "holder", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "nonce", "type": "uint256"},
                {"name": "expiry", "type": "uint256"},
                {"name": "allowed", "type": "bool"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"verifyingContract": TOKEN},
        "message": {"holder": ALICE, "spender": SPENDER, "nonce": 0, "expiry": 0, "allowed": True},
    }
    intent = decode_request(parse_request(sign_request(dai)))
    assert intent.kind is IntentKind.PERMIT and intent.unlimited and intent.allowances[0].source == "dai-permit"
    odd = _permit2(
        "PermitSingle",
        {"details": "1", "spender": SPENDER, "sigDeadline": "1"},
        {
            "PermitSingle": [
                {"name": "details", "type": "uint256"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ]
        },
    )
    assert decode_request(parse_request(sign_request(odd))).kind is IntentKind.TYPED_DATA


def _seaport_doc() -> dict[str, Any]:
    offer = [
        {"name": n, "type": t}
        for n, t in (
            ("itemType", "uint8"),
            ("token", "address"),
            ("identifierOrCriteria", "uint256"),
            ("startAmount", "uint256"),
            ("endAmount", "uint256"),
        )
    ]
    consideration = [*offer, {"name": "recipient", "type": "address"}]
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "verifyingContract", "type": "address"}],
            "OrderComponents": [
                {"name": "offerer", "type": "address"},
                {"name": "offer", "type": "OfferItem[]"},
                {"name": "consideration", "type": "ConsiderationItem[]"},
                {"name": "endTime", "type": "uint256"},
            ],
            "OfferItem": offer,
            "ConsiderationItem": consideration,
        },
        "primaryType": "OrderComponents",
        "domain": {"name": "Seaport", "verifyingContract": PERMIT2},
        "message": {
            "offerer": ALICE,
            "endTime": "1798761600",
            "offer": [{"itemType": 2, "token": TOKEN, "identifierOrCriteria": 7, "startAmount": 1, "endAmount": 1}],
            "consideration": [
                {
                    "itemType": 0,
                    "token": "0x" + "00" * 20,
                    "identifierOrCriteria": 0,
                    "startAmount": 1,
                    "endAmount": 1,
                    "recipient": SPENDER,
                }
            ],
        },
    }


def test_seaport_order_gives_and_receives() -> None:
    doc = _seaport_doc()
    intent = decode_request(parse_request(sign_request(doc)))
    assert intent.kind is IntentKind.ORDER and intent.gives[0].token_id == 7 and not intent.receives
    assert "receive NOTHING" in intent.summary and intent.notes


def test_fixture_samples_k_and_l_decode_as_permits() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "anvil_fixtures" / "requests"
    for name, source in (
        ("k_permit2_typed_data.json", "permit2-single"),
        ("l_eip2612_permit_typed_data.json", "eip2612-permit"),
    ):
        intent = decode_request(parse_request((root / name).read_bytes()))
        assert intent.kind is IntentKind.PERMIT and intent.unlimited and intent.allowances[0].source == source


def test_digest_matches_eth_account_signing() -> None:
    acct = Account.from_key("0x" + "33" * 32)
    req = parse_request(sign_request(MAIL))
    signed = acct.sign_message(encode_typed_data(full_message=MAIL))
    assert req.typed_data is not None and bytes(signed.message_hash) == req.typed_data.digest


def test_namespaced_type_names_are_accepted_but_punctuation_is_not() -> None:
    """Hyperliquid signs ``HyperliquidTransaction:Withdraw``; wallets and eth-account hash it."""
    import json as _json

    import pytest as _pytest

    from txfirewall.errors import InvalidRequestError
    from txfirewall.parse.request import parse_request

    def request(type_name: str) -> str:
        data = {
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
                type_name: [{"name": "destination", "type": "string"}],
            },
            "primaryType": type_name,
            "domain": {"name": "HyperliquidSignTransaction", "chainId": 42161},
            "message": {"destination": "0xabc"},
        }
        return _json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_signTypedData_v4",
                "params": ["0x" + "11" * 20, _json.dumps(data)],
            }
        )

    parsed = parse_request(request("HyperliquidTransaction:Withdraw"))
    assert parsed.typed_data is not None and parsed.typed_data.digest is not None
    for bad in ("Withdraw[]", "With draw", "Withdraw:", ":Withdraw", "A::B"):
        with _pytest.raises(InvalidRequestError):
            parse_request(request(bad))


_SAMPLES: dict[str, Any] = {
    "address": SPENDER,
    "uint256": 12345,
    "string": "x",
    "bool": True,
    "bytes32": "0x" + "11" * 32,
}


def _known_shapes() -> list[dict[str, Any]]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "anvil_fixtures" / "requests"
    fixtures = [
        json.loads(json.loads((root / name).read_text())["params"][1])
        for name in (
            "k_permit2_typed_data.json",
            "l_eip2612_permit_typed_data.json",
            "t_permit2_universal_router_typed_data.json",
        )
    ]
    return [*fixtures, _seaport_doc()]


def test_a_known_shape_with_a_field_of_another_type_is_never_guessed() -> None:
    """Every top-level field of a permit or an order, declared with each other type (and given a
    value of that type): the decode never raises, and whatever it still calls a permit or an order
    names addresses where addresses belong (found by the fuzzer: a ``uint256 spender`` became an
    integer spender and the summary raised)."""
    from txfirewall.model.primitives import is_address

    tried = 0
    for doc in _known_shapes():
        for i, field in enumerate(doc["types"][doc["primaryType"]]):
            for kind, sample in _SAMPLES.items():
                if kind == field["type"]:
                    continue
                odd = copy.deepcopy(doc)
                odd["types"][odd["primaryType"]][i] = {"name": field["name"], "type": kind}
                odd["message"][field["name"]] = sample
                try:
                    request = parse_request(sign_request(odd))
                except TypedDataError:
                    continue  # refused by the parser with its typed error: nothing to decode
                intent = decode_request(request)
                json.dumps(intent.to_json())
                assert isinstance(intent.summary, str) and intent.summary
                for a in intent.allowances:
                    assert is_address(a.spender) and is_address(a.token), (doc["primaryType"], field, kind)
                for who in (intent.counterparty, intent.owner):
                    assert who is None or is_address(who), (doc["primaryType"], field, kind)
                tried += 1
    assert tried >= 40
