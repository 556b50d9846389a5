"""What a permit signature lets its spender do, simulated before the user signs.

The signature itself cannot be replayed before it exists, so its *effect* is: the allowance the
permit would grant (set here by the owner's own ``approve``, on the token for EIP-2612 or on
Permit2 for Permit2 permits), followed by the spender taking everything that allowance covers
(``transferFrom`` as the spender, up to the owner's balance). Both run as one ordered bundle on
the pinned fork; the owner's losses in it are "if you sign, the spender can take ...".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from txfirewall.errors import RpcCallError
from txfirewall.model.abi import abi_encode as encode
from txfirewall.model.hashing import keccak256
from txfirewall.model.primitives import Address, parse_data, to_address
from txfirewall.model.request import Request, TransactionRequest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.model.intent import Allowance, Intent

PERMIT2 = to_address("0x000000000022D473030F116dDEE9F6B43aC78BA3")
_UINT160_MAX = 2**160 - 1
_UINT48_MAX = 2**48 - 1


def _selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def _via_permit2(request: Request, allowance: Allowance) -> bool:
    typed = request.typed_data
    verifying = typed.verifying_contract if typed is not None else None
    return verifying == PERMIT2 or allowance.source.lower().startswith("permit2")


def signature_grants(request: Request, intent: Intent) -> list[Allowance]:
    """The token allowances a signature request grants (nothing for transactions)."""
    if request.typed_data is None or request.sender is None:
        return []
    return [a for a in intent.allowances if a.token is not None]


async def balances(client: RpcClient, owner: Address, tokens: Sequence[Address], block: str) -> dict[Address, int]:
    data = "0x" + (_selector("balanceOf(address)") + encode(["address"], [owner])).hex()
    replies = await client.batch([("eth_call", [{"to": t, "data": data}, block]) for t in tokens])
    out: dict[Address, int] = {}
    for token, reply in zip(tokens, replies, strict=True):
        if not isinstance(reply, RpcCallError):
            try:
                raw = parse_data(reply)
                out[token] = int.from_bytes(raw[:32], "big") if len(raw) >= 32 else 0
            except ValueError:
                out[token] = 0
    return out


def effect_calls(request: Request, grants: Sequence[Allowance], held: dict[Address, int]) -> list[TransactionRequest]:
    """The bundle: grant each allowance as the owner, then take as the spender."""
    owner = request.sender
    assert owner is not None
    grant_calls: list[TransactionRequest] = []
    take_calls: list[TransactionRequest] = []
    for a in grants:
        assert a.token is not None
        balance = held.get(a.token, 0)
        amount = balance if a.unlimited or a.amount is None else min(a.amount, balance)
        if _via_permit2(request, a):
            granted = _UINT160_MAX if a.unlimited or a.amount is None else min(a.amount, _UINT160_MAX)
            expiration = min(a.expiration or _UINT48_MAX, _UINT48_MAX)
            grant_calls.append(
                TransactionRequest(
                    sender=owner,
                    to=PERMIT2,
                    data=_selector("approve(address,address,uint160,uint48)")
                    + encode(["address", "address", "uint160", "uint48"], [a.token, a.spender, granted, expiration]),
                )
            )
            take_calls.append(
                TransactionRequest(
                    sender=a.spender,
                    to=PERMIT2,
                    data=_selector("transferFrom(address,address,uint160,address)")
                    + encode(
                        ["address", "address", "uint160", "address"],
                        [owner, a.spender, min(amount, _UINT160_MAX), a.token],
                    ),
                )
            )
        else:
            granted = 2**256 - 1 if a.unlimited or a.amount is None else a.amount
            grant_calls.append(
                TransactionRequest(
                    sender=owner,
                    to=a.token,
                    data=_selector("approve(address,uint256)") + encode(["address", "uint256"], [a.spender, granted]),
                )
            )
            take_calls.append(
                TransactionRequest(
                    sender=a.spender,
                    to=a.token,
                    data=_selector("transferFrom(address,address,uint256)")
                    + encode(["address", "address", "uint256"], [owner, a.spender, amount]),
                )
            )
    return grant_calls + take_calls


# Seaport: offer items are moved by Seaport itself (conduit key 0) or by the conduit the key
# names, a CREATE2 child of the ConduitController (e.g. OpenSea's 0x1E00...3c71).
CONDUIT_CONTROLLER = bytes.fromhex("00000000F9490004C11Cef243f5400493c00Ad63")
CONDUIT_CODE_HASH = bytes.fromhex("023d904f2503c37127200ca07b976c3a53cc562623f67023115bf311f5805059")
BUYER = to_address("0x00000000000000000000000000000000000b0e0e")
"""Stands in for whoever fills the order."""


def conduit_for(key: bytes, seaport: Address) -> Address:
    if not any(key):
        return seaport
    return to_address("0x" + keccak256(b"\xff" + CONDUIT_CONTROLLER + key + CONDUIT_CODE_HASH)[12:].hex())


def order_effect_calls(request: Request, intent: Intent) -> list[TransactionRequest]:
    """A Seaport order being filled: the marketplace's operator moving each offer item from the
    signer to a buyer, through the approvals the signer really has on chain today."""
    typed = request.typed_data
    owner = request.sender
    if typed is None or owner is None or typed.verifying_contract is None or not intent.gives:
        return []
    raw_key = str(typed.message.get("conduitKey") or "0x").removeprefix("0x")
    try:
        key = bytes.fromhex(raw_key.rjust(64, "0"))[-32:]
    except ValueError:
        return []
    operator = conduit_for(key, typed.verifying_contract)
    calls: list[TransactionRequest] = []
    for item in intent.gives:
        if item.token is None or item.amount is None:
            continue
        token = to_address(item.token)
        if item.kind == "erc20":
            data = _selector("transferFrom(address,address,uint256)") + encode(
                ["address", "address", "uint256"], [owner, BUYER, item.amount]
            )
        elif item.kind == "erc721" and item.token_id is not None:
            data = _selector("transferFrom(address,address,uint256)") + encode(
                ["address", "address", "uint256"], [owner, BUYER, item.token_id]
            )
        elif item.kind == "erc1155" and item.token_id is not None:
            data = _selector("safeTransferFrom(address,address,uint256,uint256,bytes)") + encode(
                ["address", "address", "uint256", "uint256", "bytes"], [owner, BUYER, item.token_id, item.amount, b""]
            )
        else:
            continue
        calls.append(TransactionRequest(sender=operator, to=token, data=data))
    return calls
