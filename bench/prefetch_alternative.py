"""The cold-start alternative that lost, kept so `make bench` can keep measuring it.

Cutting the cold-fork cost by fetching what a request will touch in two parallel round trips.

A cold fork fetches every missing account and storage slot from the upstream one after another
(12 sequential round trips for the drainer claim: 280 ms at 20 ms RTT). Instead: one
``eth_createAccessList`` on the upstream says which accounts and slots the call reads, one batch
reads them all at the pinned block, and the simulation runs with them as state overrides, so the
fork needs (almost) nothing from upstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.errors import RpcCallError
from txfirewall.model.primitives import Address, to_address, to_quantity
from txfirewall.model.request import TransactionRequest
from txfirewall.simulate.simulator import call_object

MAX_PREFETCH_SLOTS = 512
"""A hostile contract can name thousands of slots; past this the fork fetches the rest lazily."""


async def access_list(upstream: RpcClient, tx: TransactionRequest, block: int) -> dict[Address, set[str]]:
    call = call_object(tx, data_key="data")
    result = await upstream.call("eth_createAccessList", [call, to_quantity(block)])
    touched: dict[Address, set[str]] = {}
    for entry in (result or {}).get("accessList") or []:
        touched.setdefault(to_address(entry["address"]), set()).update(
            s.lower() for s in entry.get("storageKeys") or []
        )
    return touched


async def read_state(upstream: RpcClient, touched: Mapping[Address, Iterable[str]], block: int) -> dict[str, Any]:
    """Balance, nonce, code and the listed slots of every account, as ``stateOverrides``."""
    tag = to_quantity(block)
    calls: list[tuple[str, list[Any]]] = []
    keys: list[tuple[Address, str, str | None]] = []
    budget = MAX_PREFETCH_SLOTS
    for address, slots in touched.items():
        for method in ("eth_getBalance", "eth_getTransactionCount", "eth_getCode"):
            calls.append((method, [address, tag]))
            keys.append((address, method, None))
        for slot in sorted(slots)[: max(budget, 0)]:
            calls.append(("eth_getStorageAt", [address, slot, tag]))
            keys.append((address, "slot", slot))
        budget -= len(slots)
    replies = await upstream.batch(calls)
    overrides: dict[str, dict[str, Any]] = {}
    for (address, what, slot), reply in zip(keys, replies, strict=True):
        if isinstance(reply, RpcCallError):
            continue
        entry = overrides.setdefault(address, {})
        if what == "eth_getBalance":
            entry["balance"] = reply
        elif what == "eth_getTransactionCount":
            entry["nonce"] = reply
        elif what == "eth_getCode":
            entry["code"] = reply
        elif slot is not None:
            entry.setdefault("stateDiff", {})[_word(slot)] = _word(reply)
    return overrides


def _word(value: str) -> str:
    """State override keys and values must be full 32-byte hex."""
    return "0x" + value[2:].rjust(64, "0")


async def prefetch_overrides(upstream: RpcClient, tx: TransactionRequest, block: int) -> dict[str, Any]:
    touched = await access_list(upstream, tx, block)
    for address in (tx.sender, tx.to):
        if address is not None:
            touched.setdefault(address, set())
    return await read_state(upstream, touched, block)
