"""EIP-712 messages to intents: the signatures that move or unlock assets, recognised by shape.

Recognised by their fields and primary type, not by the domain name (a phishing site picks any
name): EIP-2612 and DAI permits, Permit2 allowance and signature-transfer permits (witness
variants included, which is how UniswapX orders arrive), Seaport, Blur and 0x orders. Anything
else is described by its primary type, domain and the addresses it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from txfirewall.model.intent import Allowance, AssetAmount, Intent, IntentKind
from txfirewall.model.primitives import MAX_UINT256, Address, is_address, is_unlimited_amount, to_address
from txfirewall.model.request import TypedDataRequest

PERMIT2_ADDRESS = Address("0x000000000022D473030F116dDEE9F6B43aC78BA3")
_SEAPORT_ITEM = {0: "native", 1: "erc20", 2: "erc721", 3: "erc1155", 4: "erc721", 5: "erc1155"}


def unlimited_amount(amount: int, bits: int = 256) -> bool:
    """Unlimited in practice (see ``is_unlimited_amount``): drainers dodge exact max checks."""
    return is_unlimited_amount(amount, bits)


def _fields(td: TypedDataRequest, type_name: str) -> set[str]:
    return {name for name, _ in td.types.get(type_name, ())}


def _type_of(td: TypedDataRequest, type_name: str, field: str) -> str | None:
    return next((t for n, t in td.types.get(type_name, ()) if n == field), None)


# The declared type of each field a shape reads ("uint": any uintN; a mapping: a struct, or an
# array of it, whose fields are checked the same way). Fields a document leaves out are not checked.
_Spec = Mapping[str, "str | _Spec"]
_PERMIT2_DETAILS: _Spec = {"token": "address", "amount": "uint", "expiration": "uint", "nonce": "uint"}
_TOKEN_PERMISSIONS: _Spec = {"token": "address", "amount": "uint"}
_SEAPORT_ITEM_SPEC: _Spec = {
    "itemType": "uint",
    "token": "address",
    "identifierOrCriteria": "uint",
    "startAmount": "uint",
    "endAmount": "uint",
    "recipient": "address",
}
_ZEROEX_NFT: _Spec = {
    "direction": "uint",
    "maker": "address",
    "erc20Token": "address",
    "erc20TokenAmount": "uint",
    "erc721Token": "address",
    "erc721TokenId": "uint",
    "erc1155Token": "address",
    "erc1155TokenId": "uint",
    "erc1155TokenAmount": "uint",
    "expiry": "uint",
}


def _declared(td: TypedDataRequest, type_name: str, spec: _Spec, depth: int = 0) -> None:
    """Raise ``ValueError`` when a field the shape reads is declared with another type: a
    ``spender`` declared ``uint256`` is not a permit's spender (and a token would not accept that
    signature, whose type hash differs), so the document is described generically, never guessed."""
    declared = dict(td.types.get(type_name, ()))
    for name, want in spec.items():
        got = declared.get(name)
        if got is None:
            continue
        if isinstance(want, Mapping):
            inner = got[:-2] if got.endswith("[]") else got
            if inner not in td.types or depth > 2:
                raise ValueError(f"{type_name}.{name} is declared {got}, not a struct")
            _declared(td, inner, want, depth + 1)
        elif not (got == want or (want == "uint" and got.startswith("uint") and got[4:].isdigit())):
            raise ValueError(f"{type_name}.{name} is declared {got}, not {want}")


def decode_typed_data(td: TypedDataRequest) -> Intent:
    msg = td.message
    fields = _fields(td, td.primary_type)
    base = Intent(kind=IntentKind.TYPED_DATA, summary="", primary_type=td.primary_type, target=td.verifying_contract)

    def shape(spec: _Spec) -> bool:
        _declared(td, td.primary_type, spec)
        return True

    if {"owner", "spender", "value", "nonce", "deadline"} <= fields and shape(
        {"owner": "address", "spender": "address", "value": "uint", "nonce": "uint", "deadline": "uint"}
    ):
        return _eip2612(td, base)
    if {"holder", "spender", "nonce", "expiry", "allowed"} <= fields and shape(
        {"holder": "address", "spender": "address", "nonce": "uint", "expiry": "uint", "allowed": "bool"}
    ):
        return _dai(td, base)
    if (
        "details" in fields
        and "spender" in fields
        and "sigDeadline" in fields
        and shape({"details": _PERMIT2_DETAILS, "spender": "address", "sigDeadline": "uint"})
    ):
        return _permit2_allowance(td, base)
    if {"permitted", "spender", "nonce", "deadline"} <= fields and shape(
        {"permitted": _TOKEN_PERMISSIONS, "spender": "address", "nonce": "uint", "deadline": "uint"}
    ):
        return _permit2_transfer(td, base)
    if {"offerer", "offer", "consideration"} <= fields and shape(
        {"offerer": "address", "offer": _SEAPORT_ITEM_SPEC, "consideration": _SEAPORT_ITEM_SPEC, "endTime": "uint"}
    ):
        return _seaport(td, base)
    if {"trader", "side", "collection", "price", "paymentToken"} <= fields and shape(
        {
            "trader": "address",
            "side": "uint",
            "collection": "address",
            "tokenId": "uint",
            "amount": "uint",
            "price": "uint",
            "paymentToken": "address",
            "expirationTime": "uint",
        }
    ):
        return _blur(td, base)
    if {"makerToken", "takerToken", "makerAmount", "takerAmount", "maker"} <= fields and shape(
        {
            "makerToken": "address",
            "takerToken": "address",
            "makerAmount": "uint",
            "takerAmount": "uint",
            "maker": "address",
            "expiry": "uint",
        }
    ):
        return _zeroex(td, base)
    if (
        {"direction", "maker", "erc20Token", "erc20TokenAmount"} <= fields
        and (
            {"erc721Token", "erc721TokenId"} <= fields
            or {"erc1155Token", "erc1155TokenId", "erc1155TokenAmount"} <= fields
        )
        and shape(_ZEROEX_NFT)
    ):
        return _zeroex_nft(td, base)
    if isinstance(msg.get("statement"), str) or "Login" in td.primary_type or "SignIn" in td.primary_type:
        return replace(base, notes=("looks like a sign-in message as typed data",))
    return base


def _eip2612(td: TypedDataRequest, base: Intent) -> Intent:
    m = td.message
    amount = int(m["value"])
    grant = Allowance(
        token=td.verifying_contract,
        spender=m["spender"],
        amount=amount,
        unlimited=unlimited_amount(amount),
        source="eip2612-permit",
        deadline=int(m["deadline"]),
    )
    return _permit(base, (grant,), owner=m["owner"], deadline=int(m["deadline"]))


def _dai(td: TypedDataRequest, base: Intent) -> Intent:
    m = td.message
    allowed = bool(m["allowed"])
    expiry = int(m["expiry"])
    grant = Allowance(
        token=td.verifying_contract,
        spender=m["spender"],
        amount=MAX_UINT256 if allowed else 0,
        unlimited=allowed,
        source="dai-permit",
        deadline=expiry or None,
    )
    return _permit(base, (grant,), owner=m["holder"], deadline=expiry or None)


def _permit2_allowance(td: TypedDataRequest, base: Intent) -> Intent:
    m = td.message
    details = m["details"] if isinstance(m["details"], list) else [m["details"]]
    source = "permit2-batch" if isinstance(m["details"], list) else "permit2-single"
    grants = tuple(
        Allowance(
            token=d["token"],
            spender=m["spender"],
            amount=int(d["amount"]),
            unlimited=unlimited_amount(int(d["amount"]), 160),
            source=source,
            expiration=int(d["expiration"]),
            deadline=int(m["sigDeadline"]),
            path=f"details[{i}]",
        )
        for i, d in enumerate(details)
        if isinstance(d, Mapping)
    )
    return _permit(base, grants, owner=td.signer, deadline=int(m["sigDeadline"]))


def _permit2_transfer(td: TypedDataRequest, base: Intent) -> Intent:
    """SignatureTransfer: the spender may pull each amount once before the deadline."""
    m = td.message
    permitted = m["permitted"] if isinstance(m["permitted"], list) else [m["permitted"]]
    witness = [n for n, _ in td.types[td.primary_type] if n not in ("permitted", "spender", "nonce", "deadline")]
    source = "permit2-witness-transfer" if witness else "permit2-transfer"
    grants = tuple(
        Allowance(
            token=p["token"],
            spender=m["spender"],
            amount=int(p["amount"]),
            unlimited=unlimited_amount(int(p["amount"])),
            source=source,
            expiration=int(m["deadline"]),
            deadline=int(m["deadline"]),
            path=f"permitted[{i}]",
        )
        for i, p in enumerate(permitted)
        if isinstance(p, Mapping)
    )
    intent = _permit(base, grants, owner=td.signer, deadline=int(m["deadline"]))
    if witness:
        wtype = _type_of(td, td.primary_type, witness[0]) or "?"
        intent = replace(intent, notes=(*intent.notes, f"carries a {wtype} witness (an order)"))
    return intent


def _permit(base: Intent, grants: tuple[Allowance, ...], *, owner: Any, deadline: int | None) -> Intent:
    if not grants:
        raise ValueError("a permit that grants nothing does not have a known shape")
    first = grants[0]
    return Intent(
        kind=IntentKind.PERMIT,
        summary="",
        primary_type=base.primary_type,
        target=base.target,
        token=first.token if first and len(grants) == 1 else None,
        counterparty=first.spender if first else None,
        owner=owner,
        amount=first.amount if first and len(grants) == 1 else None,
        unlimited=any(g.unlimited for g in grants),
        allowances=grants,
        deadline=deadline,
    )


def _canonical(value: Any) -> Any:
    """Addresses in the model are checksummed; a site may send them in any case."""
    return to_address(value) if is_address(value) else value


def _seaport(td: TypedDataRequest, base: Intent) -> Intent:
    m = td.message
    offerer = m["offerer"]
    gives = tuple(_seaport_item(o, None) for o in m["offer"] if isinstance(o, Mapping))
    items = [c for c in m["consideration"] if isinstance(c, Mapping)]
    receives = tuple(
        _seaport_item(c, c.get("recipient")) for c in items if _canonical(c.get("recipient")) == _canonical(offerer)
    )
    others = len(items) - len(receives)
    notes = (f"{others} consideration item(s) go to other addresses (fees, royalties or a thief)",) if others else ()
    return Intent(
        kind=IntentKind.ORDER,
        summary="",
        primary_type=td.primary_type,
        target=td.verifying_contract,
        owner=_canonical(offerer),
        gives=gives,
        receives=receives,
        deadline=int(m.get("endTime", 0)) or None,
        notes=notes,
    )


def _seaport_item(item: Mapping[str, Any], recipient: Any) -> AssetAmount:
    kind = _SEAPORT_ITEM.get(int(item.get("itemType", -1)), "unknown")
    amount = int(item.get("startAmount", item.get("endAmount", 0)))
    token_id = int(item.get("identifierOrCriteria", 0)) if kind in ("erc721", "erc1155") else None
    return AssetAmount(
        kind=kind,
        token=_canonical(item.get("token")),
        amount=amount,
        token_id=token_id,
        recipient=_canonical(recipient),
    )


def _blur(td: TypedDataRequest, base: Intent) -> Intent:
    m = td.message
    nft = AssetAmount(
        "erc721",
        _canonical(m["collection"]),
        int(m.get("amount", 1)),
        token_id=int(m["tokenId"]) if "tokenId" in m else None,
    )
    pay = AssetAmount(
        "erc20" if int(m["paymentToken"], 16) else "native", _canonical(m["paymentToken"]), int(m["price"])
    )
    selling = int(m["side"]) == 1
    gives, receives = ((nft,), (pay,)) if selling else ((pay,), (nft,))
    return Intent(
        kind=IntentKind.ORDER,
        summary="",
        primary_type=td.primary_type,
        target=td.verifying_contract,
        owner=_canonical(m["trader"]),
        gives=gives,
        receives=receives,
        deadline=int(m.get("expirationTime", 0)) or None,
    )


def _zeroex(td: TypedDataRequest, base: Intent) -> Intent:
    m = td.message
    gives = (AssetAmount("erc20", _canonical(m["makerToken"]), int(m["makerAmount"])),)
    receives = (AssetAmount("erc20", _canonical(m["takerToken"]), int(m["takerAmount"])),)
    return Intent(
        kind=IntentKind.ORDER,
        summary="",
        primary_type=td.primary_type,
        target=td.verifying_contract,
        owner=_canonical(m["maker"]),
        gives=gives,
        receives=receives,
        deadline=int(m.get("expiry", 0)) or None,
    )


_ZEROEX_NATIVE = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"


def _zeroex_nft(td: TypedDataRequest, base: Intent) -> Intent:
    """0x v4 ``ERC721Order`` / ``ERC1155Order``: direction 0 sells the NFT for the ERC-20 amount
    (fees to third parties come out of what the buyer pays), direction 1 buys it."""
    m = td.message
    if "erc721Token" in m:
        nft = AssetAmount("erc721", _canonical(m["erc721Token"]), 1, token_id=int(m["erc721TokenId"]))
    else:
        nft = AssetAmount(
            "erc1155", _canonical(m["erc1155Token"]), int(m["erc1155TokenAmount"]), token_id=int(m["erc1155TokenId"])
        )
    native = str(m["erc20Token"]).lower() == _ZEROEX_NATIVE
    pay = AssetAmount(
        "native" if native else "erc20", None if native else _canonical(m["erc20Token"]), int(m["erc20TokenAmount"])
    )
    selling = int(m["direction"]) == 0
    gives, receives = ((nft,), (pay,)) if selling else ((pay,), (nft,))
    return Intent(
        kind=IntentKind.ORDER,
        summary="",
        primary_type=td.primary_type,
        target=td.verifying_contract,
        owner=_canonical(m["maker"]),
        gives=gives,
        receives=receives,
        deadline=int(m.get("expiry", 0)) or None,
    )
