"""What the simulator reads from a real fork of the fixture chain: every kind of effect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from eth_abi import encode
from eth_utils import keccak

from txfirewall.firewall import Firewall
from txfirewall.model.primitives import MAX_UINT256, Address, to_address
from txfirewall.model.request import TransactionRequest
from txfirewall.model.simulation import AssetKind, CodeChangeKind, Simulation, SimulationStatus
from txfirewall.model.verdict import Decision
from txfirewall.parse.request import parse_request
from txfirewall.simulate.fork import Fork
from txfirewall.simulate.simulator import simulate_calls
from txfirewall.simulate.variants import block_variants

from ..conftest import load_request

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def calldata(signature: str, types: list[str], args: list[Any]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, args)


def tx(sender: str, to: str, data: bytes = b"", value: int = 0) -> TransactionRequest:
    return TransactionRequest(sender=to_address(sender), to=to_address(to), value=value, data=data)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fork(mainnet: Any) -> AsyncIterator[Fork]:
    fork = await Fork.open(mainnet.url)
    yield fork
    await fork.close()


async def run(fork: Fork, *calls: TransactionRequest, **kwargs: Any) -> Simulation:
    env = fork.head.env
    assert env is not None
    return await simulate_calls(fork.client, list(calls), env=env, variants=block_variants(env), **kwargs)


def acct(manifest: dict[str, Any], role: str) -> Address:
    return to_address(manifest["accounts"][role]["address"])


def contract(manifest: dict[str, Any], role: str) -> Address:
    return to_address(manifest["contracts"][role])


async def test_operator_approval_is_read(fork: Fork, manifest: dict[str, Any]) -> None:
    alice, nft, drainer = acct(manifest, "alice"), contract(manifest, "nft"), contract(manifest, "drainer")
    sim = await run(
        fork, tx(alice, nft, calldata("setApprovalForAll(address,bool)", ["address", "bool"], [drainer, True]))
    )
    (approval,) = sim.approvals
    assert approval.kind is AssetKind.ERC721 and approval.approved and approval.unlimited
    assert (approval.owner, approval.spender, approval.token) == (alice, drainer, nft)


async def test_erc1155_batch_transfer(fork: Fork, manifest: dict[str, Any]) -> None:
    alice, bob, items = acct(manifest, "alice"), acct(manifest, "bob"), contract(manifest, "items")
    data = calldata(
        "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
        ["address", "address", "uint256[]", "uint256[]", "bytes"],
        [alice, bob, [1, 2], [2, 1], b""],
    )
    sim = await run(fork, tx(alice, items, data))
    assert sim.status is SimulationStatus.SUCCESS
    moved = sorted((t.token_id, t.amount) for t in sim.transfers if t.kind is AssetKind.ERC1155)
    assert moved == [(1, 2), (2, 1)]
    deltas = {(c.address, c.token_id): c.delta for c in sim.changes}
    assert deltas[(alice, 1)] == -2 and deltas[(bob, 2)] == 1


async def test_permit2_allowance(fork: Fork, manifest: dict[str, Any]) -> None:
    alice, bob = acct(manifest, "alice"), acct(manifest, "bob")
    permit2, usdx = contract(manifest, "permit2"), contract(manifest, "usdx")
    data = calldata(
        "approve(address,address,uint160,uint48)",
        ["address", "address", "uint160", "uint48"],
        [usdx, bob, 2**160 - 1, 2**48 - 1],
    )
    sim = await run(fork, tx(alice, permit2, data))
    (approval,) = sim.approvals
    assert approval.via == permit2 and approval.token == usdx and approval.spender == bob
    assert approval.unlimited and approval.expiration == 2**48 - 1


async def test_proxy_upgrade_is_a_code_change(fork: Fork, manifest: dict[str, Any], firewall: Firewall) -> None:
    admin, proxy, v1, v2 = (
        acct(manifest, "deployer"),
        contract(manifest, "vault_proxy"),
        contract(manifest, "vault_v1"),
        contract(manifest, "vault_v2"),
    )
    sim = await run(fork, tx(admin, proxy, calldata("upgradeTo(address)", ["address"], [v2])))
    (change,) = [c for c in sim.code_changes if c.kind is CodeChangeKind.IMPLEMENTATION_CHANGED]
    assert (change.address, change.before, change.after) == (proxy, v1, v2)
    verdict = await firewall.analyze(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendTransaction",
            "params": [
                {"from": admin, "to": proxy, "data": "0x" + calldata("upgradeTo(address)", ["address"], [v2]).hex()}
            ],
        }
    )
    assert "proxy-upgraded" in {f.rule for f in verdict.findings}


async def test_7702_delegation_runs_the_delegate(fork: Fork, manifest: dict[str, Any]) -> None:
    alice, sweeper, usdx = acct(manifest, "alice"), contract(manifest, "sweeper_7702"), contract(manifest, "usdx")
    attacker = acct(manifest, "attacker")
    sweep = tx(alice, alice, calldata("sweep(address[])", ["address[]"], [[usdx]]))
    sim = await run(fork, sweep, delegations={alice: sweeper})
    assert sim.status is SimulationStatus.SUCCESS
    (delegation,) = [c for c in sim.code_changes if c.kind is CodeChangeKind.DELEGATION_SET]
    assert (delegation.address, delegation.after) == (alice, sweeper)
    lost = {c.kind: c.delta for c in sim.changes_for(alice)}
    assert lost[AssetKind.ERC20] == -int(manifest["story"]["alice"]["usdx_balance"])
    assert lost[AssetKind.NATIVE] < 0
    assert {t.recipient for t in sim.transfers} == {attacker}


async def test_bundle_runs_in_order(fork: Fork, manifest: dict[str, Any]) -> None:
    """approve -> Claim(): the second call sees the first call's allowance and sweeps the tokens."""
    alice, usdx, drainer, owner = (
        acct(manifest, "alice"),
        contract(manifest, "usdx"),
        contract(manifest, "drainer"),
        acct(manifest, "drainer_owner"),
    )
    approve = tx(alice, usdx, calldata("approve(address,uint256)", ["address", "uint256"], [drainer, MAX_UINT256]))
    claim = tx(alice, drainer, keccak(text="Claim()")[:4], value=10**17)
    sim = await run(fork, approve, claim)
    assert sim.status is SimulationStatus.SUCCESS
    swept = [t for t in sim.transfers if t.kind is AssetKind.ERC20 and t.token == usdx]
    assert [(t.sender, t.recipient, t.amount) for t in swept] == [
        (alice, owner, int(manifest["story"]["alice"]["usdx_balance"]))
    ]
    alone = await run(fork, claim)
    assert not [t for t in alone.transfers if t.kind is AssetKind.ERC20], "without the approval nothing is swept"


async def test_the_contract_that_pulled_the_funds(fork: Fork, manifest: dict[str, Any]) -> None:
    request = parse_request(load_request("m_swap_usdx_for_eth.json"))
    assert request.transaction is not None
    sim = await run(fork, request.transaction)
    router, alice = contract(manifest, "uniswap_v2_router"), acct(manifest, "alice")
    pulls = [(p.transfer.sender, p.pulled_by) for p in sim.pulls if p.transfer.token == contract(manifest, "usdx")]
    assert (alice, router) in pulls
    assert sim.frames[0].caller == alice and sim.frames[0].target == router
    assert any(f.depth >= 1 for f in sim.frames)


async def test_coinbase_check_is_caught_by_the_differential(fork: Fork, manifest: dict[str, Any]) -> None:
    request = parse_request(load_request("i_coinbase_gated_claim.json"))
    assert request.transaction is not None
    sim = await run(fork, request.transaction)
    assert sim.divergence is not None and "coinbase 0" in sim.divergence.description
    owner = acct(manifest, "drainer_owner")
    assert owner in {t.recipient for t in sim.transfers}, "the realistic run shows where the ETH really goes"
    plain = await simulate_calls(fork.client, [request.transaction])  # what a naive simulator reports
    assert owner not in {t.recipient for t in plain.transfers}


async def test_benign_requests_do_not_diverge(fork: Fork) -> None:
    for name in ("a_eth_to_bob.json", "b_usdx_transfer_carol.json", "m_swap_usdx_for_eth.json", "n_vault_deposit.json"):
        request = parse_request(load_request(name))
        assert request.transaction is not None
        sim = await run(fork, request.transaction)
        assert sim.status is SimulationStatus.SUCCESS and sim.divergence is None, name


async def test_divergence_blocks_in_the_pipeline(firewall: Firewall) -> None:
    verdict = await firewall.analyze(load_request("i_coinbase_gated_claim.json"))
    assert verdict.decision is Decision.BLOCK
    assert "simulation-divergence" in {f.rule for f in verdict.findings}


async def test_lookalike_token_is_flagged_on_chain(firewall: Firewall, manifest: dict[str, Any]) -> None:
    alice, token, bob = acct(manifest, "alice"), contract(manifest, "lookalike_token"), acct(manifest, "bob")
    data = "0x" + calldata("transfer(address,uint256)", ["address", "uint256"], [bob, 10**6]).hex()
    verdict = await firewall.analyze(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendTransaction",
            "params": [{"from": alice, "to": token, "data": data}],
        }
    )
    (finding,) = [f for f in verdict.findings if f.rule == "lookalike-token-symbol"]
    assert "U+0422" in finding.evidence["symbol_codepoints"]
    assert "mixed-script-lookalike" in finding.evidence["flags"]
    assert verdict.decision is Decision.WARN
    assert "[non-ASCII]" in verdict.intent.summary
