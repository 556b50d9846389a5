"""The creation-block search against a real anvil loaded from the fixture chain's state dump.

An anvil loaded from ``state.json`` serves no state below the dumped head (it answers
``BlockOutOfRangeError``), exactly like a pruned node: the shared ``mainnet`` shows that such a
node gives "unknown", never a wrong age. Contracts deployed after the load are dated exactly; those
tests mine blocks, so they use a private node loaded from the same dump (mining on the shared one
would move the head that other tests' forks pin).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from eth_account import Account

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.chain.rpc_client import RpcClient
from txfirewall.enrich.contract_age import (
    AgeSearchOptions,
    ContractAgeCache,
    PinnedBlock,
    age_candidates,
    find_contract_ages,
)
from txfirewall.model.primitives import Address, to_address

from ..conftest import FIXTURES
from ..support.delay_proxy import DelayProxy

pytestmark = pytest.mark.integration
on_loop = pytest.mark.asyncio(loop_scope="session")

RUNTIME_ONE_BYTE = bytes.fromhex("600160005360016000f3")
"""Init code whose runtime code is the single byte 0x01."""


def rpc(url: str, method: str, *params: Any) -> Any:
    reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()
    assert "error" not in reply, reply
    return reply["result"]


def head(url: str) -> PinnedBlock:
    block = rpc(url, "eth_getBlockByNumber", "latest", False)
    return PinnedBlock(int(block["number"], 16), int(block["timestamp"], 16))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mainnet_client(mainnet: AnvilNode) -> AsyncIterator[RpcClient]:
    async with RpcClient(mainnet.url) as client:
        yield client


@on_loop
async def test_a_node_without_history_gives_unknown_not_a_wrong_age(
    mainnet: AnvilNode, mainnet_client: RpcClient, manifest: dict[str, Any]
) -> None:
    drainer, usdx = (to_address(manifest["contracts"][r]) for r in ("drainer", "usdx"))
    cache = ContractAgeCache()
    report = await find_contract_ages(mainnet_client, [drainer, usdx], cache=cache, pinned=head(mainnet.url))
    for address in (drainer, usdx):
        age = report.ages[address]
        assert age.creation_block is None and age.age_seconds is None and age.source is None
        assert age.unknown is not None and "pruned history" in age.unknown
    assert report.round_trips == 1, "the probe just below the head already shows there is no history"
    assert len(cache) == 0 and cache.history_floor() == head(mainnet.url).number - 1

    again = await find_contract_ages(mainnet_client, [drainer], cache=cache, pinned=head(mainnet.url))
    assert again.round_trips == 0, "the node's missing history is remembered"
    assert again.ages[drainer].unknown is not None and "pruned history" in again.ages[drainer].unknown

    forgetful = ContractAgeCache(floor_ttl=0.0)  # a transient error must not hide ages for long
    for _ in range(2):
        report = await find_contract_ages(mainnet_client, [drainer], cache=forgetful, pinned=head(mainnet.url))
        assert report.round_trips == 1


@on_loop
async def test_accounts_without_code_are_not_dated(
    mainnet: AnvilNode, mainnet_client: RpcClient, manifest: dict[str, Any]
) -> None:
    alice = to_address(manifest["accounts"]["alice"]["address"])
    report = await find_contract_ages(mainnet_client, [alice], cache=ContractAgeCache(), pinned=head(mainnet.url))
    assert report.ages[alice].unknown == "no code at the pinned block"
    assert report.round_trips == 1


def test_candidates_are_the_roles_where_age_matters_most_important_first() -> None:
    a, b, c, d, e = (to_address("0x" + f"{i:040x}") for i in range(1, 6))
    roles = {a: ["called"], b: ["token"], c: ["spender"], d: ["receives-your-assets", "called"], e: ["delegate"]}
    assert age_candidates(roles, 4) == [e, c, d, a]
    assert age_candidates(roles, 2) == [e, c]


@dataclass(frozen=True)
class GrownChain:
    """A private fixture chain with blocks mined after the load: some history to search."""

    url: str
    old: Address
    """Deployed mid-way through the new blocks."""
    old_block: int
    newest: Address
    """Deployed in the head block."""
    delegated: Address
    """An account with an EIP-7702 delegation designator as its code."""
    pinned: PinnedBlock


def _deploy(url: str, key: str) -> tuple[Address, int]:
    sender = Account.from_key(key).address
    nonce = int(rpc(url, "eth_getTransactionCount", sender, "latest"), 16)
    signed = Account.sign_transaction(
        {
            "type": 2,
            "chainId": 7357,
            "nonce": nonce,
            "gas": 100_000,
            "maxFeePerGas": 100 * 10**9,
            "maxPriorityFeePerGas": 10**9,
            "value": 0,
            "data": RUNTIME_ONE_BYTE,
        },
        key,
    )
    tx_hash = rpc(url, "eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
    receipt = rpc(url, "eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1"
    return to_address(receipt["contractAddress"]), int(receipt["blockNumber"], 16)


@pytest.fixture(scope="module")
def grown(manifest: dict[str, Any]) -> Iterator[GrownChain]:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    key = manifest["accounts"]["deployer"]["private_key"]
    with AnvilNode.start(options) as node:
        rpc(node.url, "anvil_mine", hex(100), hex(12))
        old, old_block = _deploy(node.url, key)
        delegated = to_address("0x" + "d7" * 20)
        rpc(node.url, "anvil_setCode", delegated, "0xef0100" + old[2:].lower())
        rpc(node.url, "anvil_mine", hex(60), hex(12))
        newest, newest_block = _deploy(node.url, key)
        pinned = head(node.url)
        assert newest_block == pinned.number
        yield GrownChain(node.url, old, old_block, newest, delegated, pinned)


Counted = tuple[RpcClient, DelayProxy]


@pytest_asyncio.fixture(loop_scope="session")
async def counted(grown: GrownChain) -> AsyncIterator[Counted]:
    """A client whose every HTTP request (one JSON-RPC batch each) is recorded by a 0-delay proxy."""
    async with DelayProxy(grown.url, delay=0.0) as proxy, RpcClient(proxy.url) as client:
        yield client, proxy


@on_loop
async def test_a_contract_is_dated_by_its_exact_creation_block(grown: GrownChain, counted: Counted) -> None:
    client, proxy = counted
    cache = ContractAgeCache()
    report = await find_contract_ages(client, [grown.old], cache=cache, pinned=grown.pinned)
    age = report.ages[grown.old]
    block = rpc(grown.url, "eth_getBlockByNumber", hex(grown.old_block), False)
    assert (age.creation_block, age.source, age.unknown) == (grown.old_block, "creation-block", None)
    assert age.created_at == int(block["timestamp"], 16)
    assert age.age_seconds == grown.pinned.timestamp - age.created_at
    # ~213 blocks: 2 rounds of 16 probes narrow it to one block, the third reads its timestamp.
    assert report.round_trips == proxy.count() == proxy.rounds() == 3
    assert report.calls <= 1 + 17 + 16 + 1

    proxy.reset()
    again = await find_contract_ages(client, [grown.old], cache=cache, pinned=grown.pinned)
    assert again.ages[grown.old] == age
    assert again.round_trips == proxy.count() == 0, "a creation block is looked up once"


@on_loop
async def test_a_contract_created_in_the_pinned_block_is_dated_in_one_round(
    grown: GrownChain, counted: Counted
) -> None:
    client, proxy = counted
    report = await find_contract_ages(client, [grown.newest], cache=ContractAgeCache(), pinned=grown.pinned)
    age = report.ages[grown.newest]
    assert age.creation_block == grown.pinned.number
    assert (age.created_at, age.age_seconds) == (grown.pinned.timestamp, 0)
    assert report.round_trips == proxy.count() == 1
    assert all("eth_getBlockByNumber" not in r.methods for r in proxy.records)


@on_loop
async def test_several_addresses_share_each_round_trip(
    grown: GrownChain, counted: Counted, manifest: dict[str, Any]
) -> None:
    client, proxy = counted
    alice = to_address(manifest["accounts"]["alice"]["address"])
    addresses = [grown.old, grown.newest, grown.delegated, alice]
    report = await find_contract_ages(client, addresses, cache=ContractAgeCache(), pinned=grown.pinned)
    assert report.ages[grown.old].creation_block == grown.old_block
    assert report.ages[grown.newest].creation_block == grown.pinned.number
    assert report.ages[grown.delegated].unknown == "an EIP-7702 delegated account, not a contract"
    assert report.ages[alice].unknown == "no code at the pinned block"
    assert report.round_trips == proxy.count() == proxy.rounds() == 3, "four searches, one batch per round"


@on_loop
async def test_fan_out_trades_calls_for_round_trips(grown: GrownChain, counted: Counted) -> None:
    client, _ = counted
    wide = await find_contract_ages(
        client, [grown.old], cache=ContractAgeCache(), pinned=grown.pinned, options=AgeSearchOptions(fan_out=16)
    )
    binary = await find_contract_ages(
        client, [grown.old], cache=ContractAgeCache(), pinned=grown.pinned, options=AgeSearchOptions(fan_out=1)
    )
    assert wide.ages == binary.ages
    assert wide.round_trips == 3 and binary.round_trips >= 8
    assert binary.calls < wide.calls


@on_loop
async def test_the_round_cap_gives_unknown(grown: GrownChain, counted: Counted) -> None:
    client, _ = counted
    cache = ContractAgeCache()
    report = await find_contract_ages(
        client, [grown.old], cache=cache, pinned=grown.pinned, options=AgeSearchOptions(fan_out=1, max_rounds=3)
    )
    assert report.ages[grown.old].unknown == "not found in 3 round trips"
    assert report.round_trips == 3 and len(cache) == 0


@on_loop
async def test_an_unknown_pinned_block_is_read_first(grown: GrownChain, counted: Counted) -> None:
    client, _ = counted
    report = await find_contract_ages(client, [grown.old], cache=ContractAgeCache(), block_tag="latest")
    assert report.pinned == grown.pinned
    assert report.ages[grown.old].creation_block == grown.old_block
    assert report.round_trips == 4


@on_loop
async def test_a_search_past_its_budget_is_unknown(grown: GrownChain) -> None:
    async with DelayProxy(grown.url, delay=1.0) as proxy, RpcClient(proxy.url) as client:
        report = await find_contract_ages(
            client,
            [grown.old],
            cache=ContractAgeCache(),
            pinned=grown.pinned,
            options=AgeSearchOptions(budget_seconds=0.05),
        )
        await asyncio.sleep(0)
    assert report.ages[grown.old].unknown == "not found within 0.05s"
