"""The fork's life: cold start through a slow upstream, re-pinning, crashes, and failures.

Each test gets a private "mainnet" so mining blocks or killing nodes cannot disturb other tests.
Round trips are counted by the delaying loopback proxy; no test asserts on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.chain.rpc_client import RpcClient
from txfirewall.enrich.history_file import load_history
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.simulation import SimulationStatus
from txfirewall.model.verdict import Decision
from txfirewall.pipeline import StageTimeouts
from txfirewall.simulate.fork import Fork

from ..conftest import FIXTURES, load_request
from ..support.delay_proxy import DelayProxy

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def private_mainnet(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        yield node


def rules(verdict: Any) -> set[str]:
    return {f.rule for f in verdict.findings}


async def test_cold_start_prefers_one_upstream_round_trip(private_mainnet: AnvilNode) -> None:
    claim = load_request("e_drainer_claim.json")
    async with DelayProxy(private_mainnet.url, delay=0.02) as proxy:
        async with Firewall(FirewallConfig(rpc_url=proxy.url, cold_start="fork", repin_interval=None)) as fw:
            proxy.reset()
            slow = await fw.analyze(claim)
            fork_rounds = proxy.rounds()
        async with Firewall(FirewallConfig(rpc_url=proxy.url, cold_start="upstream", repin_interval=None)) as fw:
            proxy.reset()
            fast = await fw.analyze(claim)
            upstream_rounds = proxy.rounds()
            assert "upstream" in fast.simulation.engine
            await asyncio.sleep(0.5)  # let the background warm-up finish
            proxy.reset()
            again = await fw.analyze(load_request("f_drainer_security_update.json"))
            warm_requests = proxy.count(excluding=("eth_blockNumber",))
            assert proxy.calls("eth_blockNumber") == 1, "one head check per analysis"
            assert "on the fork" in again.simulation.engine
    assert fork_rounds >= 8, "a cold fork fetches state one slot after another"
    assert upstream_rounds <= 2, "simulation and facts: one round trip each"
    assert warm_requests == 0, "the warmed fork answers the same sender without the upstream"
    assert slow.decision is fast.decision is Decision.BLOCK
    assert [t.to_json() for t in slow.simulation.transfers] == [t.to_json() for t in fast.simulation.transfers]


async def test_repin_moves_to_the_new_head(private_mainnet: AnvilNode) -> None:
    config = FirewallConfig(rpc_url=private_mainnet.url, repin_interval=None)
    async with Firewall(config) as fw:
        forks = fw.forks
        assert forks is not None
        first = forks.current
        assert await forks.repin() is False, "head did not move"
        httpx.post(private_mainnet.url, json={"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
        async with forks.lease() as leased:
            assert await forks.repin() is True
            assert leased is first and leased.node.running, "a leased fork survives the switch"
        second = forks.current
        assert second.head.block_number == first.head.block_number + 1
        assert not first.node.running, "the old fork closes once its lease ends"
        verdict = await fw.analyze(load_request("a_eth_to_bob.json"))
        assert verdict.simulation.block_number == second.head.block_number + 1
        assert forks.stats.repins == 1


async def test_a_dead_fork_is_restarted(private_mainnet: AnvilNode) -> None:
    async with Firewall(FirewallConfig(rpc_url=private_mainnet.url, repin_interval=None)) as fw:
        forks = fw.forks
        assert forks is not None
        dead = forks.current
        os.kill(dead.node.pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        verdict = await fw.analyze(load_request("a_eth_to_bob.json"))
        assert verdict.decision is Decision.ALLOW
        assert forks.stats.restarts == 1 and forks.current is not dead
        assert forks.current.head.block_number == dead.head.block_number, "restarted at the same pin"


async def test_upstream_gone_is_a_warning_not_an_allow(private_mainnet: AnvilNode) -> None:
    config = FirewallConfig(
        rpc_url=private_mainnet.url,
        repin_interval=None,
        rpc_timeout=2.0,
        history=load_history(FIXTURES / "history.jsonl"),
    )
    async with Firewall(config) as fw:
        private_mainnet.stop()
        verdict = await fw.analyze(load_request("a_eth_to_bob.json"))
    assert verdict.decision is not Decision.ALLOW
    assert verdict.simulation.status is SimulationStatus.FAILED
    assert rules(verdict) & {"simulation-unavailable", "analysis-stage-failed"}


async def test_simulation_timeout_is_a_warning(private_mainnet: AnvilNode) -> None:
    async with DelayProxy(private_mainnet.url, delay=0.0) as proxy:
        config = FirewallConfig(
            rpc_url=proxy.url,
            repin_interval=None,
            cold_start="upstream",
            timeouts=StageTimeouts(simulate=0.3, enrich=0.3),
        )
        async with Firewall(config) as fw:
            proxy.delay = 1.0
            verdict = await fw.analyze(load_request("a_eth_to_bob.json"))
    assert verdict.decision is Decision.WARN
    assert verdict.simulation.status is SimulationStatus.FAILED
    assert "timed out" in (verdict.simulation.error or "")


async def test_the_monitor_repins_and_restarts_on_its_own(private_mainnet: AnvilNode) -> None:
    from txfirewall.simulate.fork_manager import ForkManager

    upstream = RpcClient(private_mainnet.url)
    forks = ForkManager(upstream, repin_interval=0.3, health_interval=0.1)
    await forks.start()
    try:
        first = forks.current
        httpx.post(private_mainnet.url, json={"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
        for _ in range(100):
            if forks.stats.repins:
                break
            await asyncio.sleep(0.1)
        assert forks.stats.repins == 1 and forks.current.head.block_number == first.head.block_number + 1
        second = forks.current
        os.kill(second.node.pid, signal.SIGKILL)
        for _ in range(100):
            if forks.stats.restarts:
                break
            await asyncio.sleep(0.1)
        assert forks.stats.restarts == 1 and forks.current is not second and forks.current.node.running
        # One upstream client for the manager's whole life: re-pins and restarts reuse the caller's.
        assert forks.upstream is upstream and forks.current.upstream_url == private_mainnet.url
    finally:
        await forks.close()
    assert await upstream.call("eth_chainId", []), "the caller's client stays open after close"
    await upstream.aclose()


async def test_token_metadata_is_read_once(private_mainnet: AnvilNode, manifest: dict[str, Any]) -> None:
    usdx = manifest["contracts"]["usdx"]

    def transfer(sender: str) -> dict[str, Any]:
        data = "0xa9059cbb" + "00" * 12 + manifest["accounts"]["dave"]["address"][2:].lower() + f"{10**6:064x}"
        return {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendTransaction",
            "params": [{"from": sender, "to": usdx, "data": data}],
        }

    async with (
        DelayProxy(private_mainnet.url, delay=0.0) as proxy,
        Firewall(FirewallConfig(rpc_url=proxy.url, repin_interval=None, cold_start="upstream")) as fw,
    ):
        proxy.reset()
        first = await fw.analyze(transfer(manifest["accounts"]["alice"]["address"]))
        first_calls = sum(r.methods.count("eth_call") for r in proxy.records)
        proxy.reset()
        second = await fw.analyze(transfer(manifest["accounts"]["bob"]["address"]))  # cold again: upstream
        second_calls = sum(r.methods.count("eth_call") for r in proxy.records)
    # symbol, name and decimals once; the sender's balance of the token (holdings) every time
    assert first_calls == 3 + 1, "symbol, name and decimals, once, and the balance"
    assert second_calls == 1, "metadata served from the cache; only the balance is read"
    assert {t.symbol for t in second.tokens} == {"USDX"} and first.intent.summary.startswith("Send 1 USDX")


def _anvil_children() -> set[int]:
    """Anvil processes this test process started and that still run."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split()
        except OSError:
            continue
        if fields[1] == "(anvil)" and int(fields[3]) == os.getpid() and fields[2] != "Z":
            found.add(int(fields[0]))
    return found


async def test_a_fork_start_cancelled_midway_leaves_no_anvil_running(private_mainnet: AnvilNode) -> None:
    before = _anvil_children()
    for delay in (0.005, 0.02, 0.05, 0.1):
        task = asyncio.create_task(Fork.open(private_mainnet.url))
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            fork = await task
            await fork.close()  # it finished before the cancel arrived
    for _ in range(100):
        if _anvil_children() == before:
            break
        await asyncio.sleep(0.1)
    assert _anvil_children() == before
