"""The sender's balances (native and of the tokens a request grants or moves) and those tokens'
total supplies, read in one batch at the pinned block."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from txfirewall.errors import RpcCallError
from txfirewall.model.hashing import selector_of
from txfirewall.model.holdings import Holdings, TokenHolding
from txfirewall.model.primitives import parse_data, parse_quantity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.model.primitives import Address

_BALANCE_OF = selector_of("balanceOf(address)")
_TOTAL_SUPPLY = "0x" + selector_of("totalSupply()").hex()
MAX_TOKENS = 16
"""Tokens read per request: more than any everyday request touches; a batch cannot grow unbounded."""


def _uint(reply: object) -> int | None:
    if isinstance(reply, RpcCallError) or not isinstance(reply, str):
        return None
    try:
        raw = parse_data(reply)
    except ValueError:
        return None
    return int.from_bytes(raw, "big") if len(raw) == 32 else None


def _native(reply: object) -> int | None:
    if isinstance(reply, RpcCallError) or not isinstance(reply, str):
        return None
    try:
        return parse_quantity(reply)
    except ValueError:
        return None


async def fetch_holdings(
    client: RpcClient, owner: Address, tokens: Sequence[Address], granted: Sequence[Address], block: str
) -> Holdings:
    """The owner's balance of each of ``tokens``, and the total supply of those it ``granted`` an
    allowance over (what an allowance is measured against). Never raises for what a token answers:
    a reply that is not one uint256 is None."""
    wanted = list(dict.fromkeys(tokens))[:MAX_TOKENS]
    supplies = [t for t in wanted if t in set(granted)]
    balance_data = "0x" + _BALANCE_OF.hex() + "00" * 12 + owner[2:].lower()  # one address word: no ABI codec
    calls: list[tuple[str, list[Any]]] = [("eth_getBalance", [owner, block])]
    calls += [("eth_call", [{"to": token, "data": balance_data}, block]) for token in wanted]
    calls += [("eth_call", [{"to": token, "data": _TOTAL_SUPPLY}, block]) for token in supplies]
    replies = await client.batch(calls)
    balances = dict(zip(wanted, replies[1 : 1 + len(wanted)], strict=True))
    supply = dict(zip(supplies, replies[1 + len(wanted) :], strict=True))
    holdings = {t: TokenHolding(t, _uint(balances[t]), _uint(supply[t]) if t in supply else None) for t in wanted}
    return Holdings(owner=owner, native=_native(replies[0]), tokens=MappingProxyType(holdings))
