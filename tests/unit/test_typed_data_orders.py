"""Blur and 0x orders: what the signer gives and receives, and the free-listing rule on them."""

from __future__ import annotations

import json
from typing import Any

from txfirewall.heuristics.orders import order_for_nothing
from txfirewall.model.context import AnalysisContext
from txfirewall.model.intent import IntentKind
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
NFT = "0x32A3d406288923a36e27341775a1a63058355369"
WETH = "0x48e1c3Ca7B4F97438b87e1B49aA6b75C64DCD0E8"
USDX = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"
ZERO = "0x" + "00" * 20
DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def sign_request(types: dict[str, Any], primary: str, domain: dict[str, Any], message: dict[str, Any]) -> Any:
    doc = {
        "types": {"EIP712Domain": DOMAIN_TYPES, **types},
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }
    return parse_request(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, json.dumps(doc)]})
    )


def blur(price: int, side: int = 1) -> Any:
    types = {
        "Order": [
            {"name": n, "type": t}
            for n, t in (
                ("trader", "address"),
                ("side", "uint8"),
                ("matchingPolicy", "address"),
                ("collection", "address"),
                ("tokenId", "uint256"),
                ("amount", "uint256"),
                ("paymentToken", "address"),
                ("price", "uint256"),
                ("listingTime", "uint256"),
                ("expirationTime", "uint256"),
                ("fees", "Fee[]"),
                ("salt", "uint256"),
                ("extraParams", "bytes"),
                ("nonce", "uint256"),
            )
        ],
        "Fee": [{"name": "rate", "type": "uint16"}, {"name": "recipient", "type": "address"}],
    }
    domain = {
        "name": "Blur Exchange",
        "version": "1.0",
        "chainId": 7357,
        "verifyingContract": "0x000000000000Ad05Ccc4F10045630fb830B95127",
    }
    message = {
        "trader": ALICE,
        "side": side,
        "matchingPolicy": ZERO,
        "collection": NFT,
        "tokenId": 2,
        "amount": 1,
        "paymentToken": ZERO,
        "price": price,
        "listingTime": 0,
        "expirationTime": 1893456000,
        "fees": [],
        "salt": 1,
        "extraParams": "0x",
        "nonce": 0,
    }
    return sign_request(types, "Order", domain, message)


def zeroex(taker_amount: int) -> Any:
    types = {
        "LimitOrder": [
            {"name": n, "type": t}
            for n, t in (
                ("makerToken", "address"),
                ("takerToken", "address"),
                ("makerAmount", "uint128"),
                ("takerAmount", "uint128"),
                ("takerTokenFeeAmount", "uint128"),
                ("maker", "address"),
                ("taker", "address"),
                ("sender", "address"),
                ("feeRecipient", "address"),
                ("pool", "bytes32"),
                ("expiry", "uint64"),
                ("salt", "uint256"),
            )
        ]
    }
    domain = {
        "name": "ZeroEx",
        "version": "1.0.0",
        "chainId": 7357,
        "verifyingContract": "0xDef1C0ded9bec7F1a1670819833240f027b25EfF",
    }
    message = {
        "makerToken": USDX,
        "takerToken": WETH,
        "makerAmount": 500 * 10**6,
        "takerAmount": taker_amount,
        "takerTokenFeeAmount": 0,
        "maker": ALICE,
        "taker": ZERO,
        "sender": ZERO,
        "feeRecipient": ZERO,
        "pool": "0x" + "00" * 32,
        "expiry": 1893456000,
        "salt": 9,
    }
    return sign_request(types, "LimitOrder", domain, message)


def fires(request: Any) -> bool:
    ctx = AnalysisContext(request=request, intent=decode_request(request))
    return order_for_nothing.check(ctx, order_for_nothing.default_params()) is not None


def test_blur_listing_gives_the_nft_and_receives_the_price() -> None:
    intent = decode_request(blur(price=10**18))
    assert intent.kind is IntentKind.ORDER and intent.owner == ALICE
    (nft,) = intent.gives
    (pay,) = intent.receives
    assert (nft.kind, nft.token, nft.token_id) == ("erc721", NFT, 2)
    assert (pay.kind, pay.amount) == ("native", 10**18)
    assert intent.deadline == 1893456000


def test_blur_bid_is_the_other_way_round() -> None:
    intent = decode_request(blur(price=10**18, side=0))
    assert [g.kind for g in intent.gives] == ["native"] and [r.kind for r in intent.receives] == ["erc721"]


def test_free_blur_listing_is_caught_and_a_priced_one_is_not() -> None:
    assert fires(blur(price=0)) and not fires(blur(price=10**18))


def test_zeroex_limit_order() -> None:
    intent = decode_request(zeroex(taker_amount=2 * 10**17))
    assert intent.kind is IntentKind.ORDER and intent.owner == ALICE
    assert [(g.token, g.amount) for g in intent.gives] == [(USDX, 500 * 10**6)]
    assert [(r.token, r.amount) for r in intent.receives] == [(WETH, 2 * 10**17)]
    assert fires(zeroex(taker_amount=0)) and not fires(zeroex(taker_amount=1))


def test_order_addresses_are_canonical_whatever_the_site_sends() -> None:
    request = blur(price=10**18)
    lower = parse_request(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_signTypedData_v4",
                "params": [ALICE, json.dumps(_lowercased(request))],
            }
        )
    )
    intent = decode_request(lower)
    assert intent.owner == ALICE and intent.gives[0].token == NFT


def _lowercased(request: Any) -> dict[str, Any]:
    typed = request.typed_data
    message = {
        k: (v.lower() if isinstance(v, str) and v.startswith("0x") and len(v) == 42 else v)
        for k, v in typed.message.items()
    }
    types = {name: [{"name": n, "type": t} for n, t in fields] for name, fields in typed.types.items()}
    return {"types": types, "primaryType": typed.primary_type, "domain": typed.domain, "message": message}
