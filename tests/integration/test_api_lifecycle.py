"""The Python API as a wallet developer uses it: event loops, threads, closing, fresh state, limits.

Everything runs against a real anvil serving the fixture chain. Tests that mine blocks or stop
nodes get a private copy of the chain; no test asserts on time.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from eth_account import Account

from txfirewall import (
    AnalysisCancelledError,
    Firewall,
    FirewallBusyError,
    FirewallClosedError,
    FirewallConfig,
    FirewallLoopError,
    InvalidParamsError,
    RequestLimits,
    SyncFirewall,
)
from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.decide.policy import policy_from_mapping
from txfirewall.enrich.history_file import load_history
from txfirewall.model.simulation import SimulationStatus
from txfirewall.model.verdict import Decision, Verdict
from txfirewall.simulate.fork import Fork

from ..conftest import FIXTURES, load_request
from ..support.delay_proxy import DelayProxy

CHAIN_ID = 7357
HISTORY = load_history(FIXTURES / "history.jsonl")
EXPECTED = {
    "a_eth_to_bob.json": Decision.ALLOW,
    "b_usdx_transfer_carol.json": Decision.ALLOW,
    "d_usdx_approve_max_scammer.json": Decision.BLOCK,
    "e_drainer_claim.json": Decision.BLOCK,
    "g_eth_sign_hash.json": Decision.BLOCK,
    "j_nft_approval_for_all_drainer.json": Decision.WARN,
    "m_swap_usdx_for_eth.json": Decision.ALLOW,
    "o_personal_sign_login.json": Decision.ALLOW,
}


def config(url: str, **overrides: Any) -> FirewallConfig:
    return FirewallConfig(rpc_url=url, chain_id=CHAIN_ID, history=HISTORY, repin_interval=None, **overrides)


def rules(verdict: Verdict) -> set[str]:
    return {f.rule for f in verdict.findings}


@pytest.fixture
def private_mainnet() -> Iterator[AnvilNode]:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=CHAIN_ID, accounts=0)
    with AnvilNode.start(options) as node:
        yield node


def rpc(url: str, method: str, params: list[Any]) -> Any:
    reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
    assert "error" not in reply, reply
    return reply["result"]


def send_request(sender: str, to: str, value: int) -> dict[str, Any]:
    tx = {"from": sender, "to": to, "value": hex(value)}
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [tx]}


def send_signed(url: str, key: str, to: str, value: int) -> str:
    """Really send ``value`` wei from ``key``'s account (the fixture chain mines it at once)."""
    account = Account.from_key(key)
    nonce = int(rpc(url, "eth_getTransactionCount", [account.address, "latest"]), 16)
    gas_price = 2 * int(rpc(url, "eth_gasPrice", []), 16)
    signed = account.sign_transaction(
        {"to": to, "value": value, "gas": 21_000, "gasPrice": gas_price, "nonce": nonce, "chainId": CHAIN_ID}
    )
    result: str = rpc(url, "eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
    return result


# --- event loops ---------------------------------------------------------------------------------


def test_two_asyncio_runs_in_a_row(mainnet: AnvilNode) -> None:
    fw = Firewall(config(mainnet.url))

    async def analyze_and_see_the_fork(name: str) -> tuple[Verdict, Fork | None]:
        return await fw.analyze(load_request(name)), fw.fork

    first, first_fork = asyncio.run(analyze_and_see_the_fork("a_eth_to_bob.json"))
    second = asyncio.run(fw.analyze(load_request("e_drainer_claim.json")))
    assert first.decision is Decision.ALLOW, first.findings
    assert second.decision is Decision.BLOCK
    for verdict in (first, second):
        assert verdict.simulation.status is SimulationStatus.SUCCESS, verdict.simulation.error
        assert "analysis-stage-failed" not in rules(verdict)
    assert first_fork is not None and not first_fork.node.running, "the first loop's fork ended with it"
    asyncio.run(fw.close())
    assert fw.fork is None


def test_a_second_running_loop_is_refused_and_close_is_forwarded(mainnet: AnvilNode) -> None:
    owner = asyncio.new_event_loop()
    thread = threading.Thread(target=owner.run_forever, daemon=True)
    thread.start()
    fw = Firewall(config(mainnet.url))
    try:
        asyncio.run_coroutine_threadsafe(fw.start(), owner).result()
        with pytest.raises(FirewallLoopError):
            asyncio.run(fw.analyze(load_request("a_eth_to_bob.json")))
        in_owner = asyncio.run_coroutine_threadsafe(fw.analyze(load_request("a_eth_to_bob.json")), owner).result()
        assert in_owner.decision is Decision.ALLOW
        fork = fw.fork
        asyncio.run(fw.close())  # from another loop: runs in the owner's
        assert fork is not None and not fork.node.running
    finally:
        owner.call_soon_threadsafe(owner.stop)
        thread.join()
        owner.close()


# --- SyncFirewall and threads --------------------------------------------------------------------


def test_eight_threads_share_one_sync_firewall(mainnet: AnvilNode) -> None:
    names = sorted(EXPECTED) * 4
    with SyncFirewall(config(mainnet.url)) as fw:
        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [(name, pool.submit(fw.analyze, load_request(name))) for name in names]
            got = {name: job.result().decision for name, job in jobs}
        assert got == EXPECTED

        async def from_async_code() -> Verdict:
            return fw.analyze(load_request("e_drainer_claim.json"))

        assert asyncio.run(from_async_code()).decision is Decision.BLOCK
        fw.note_sent("0x" + "11" * 32)
        with pytest.raises(InvalidParamsError):
            fw.note_sent("0x1234")
    fw.close()  # again: nothing happens
    with pytest.raises(FirewallClosedError):
        fw.analyze(load_request("a_eth_to_bob.json"))


def test_sync_firewall_closes_while_threads_are_analysing(mainnet: AnvilNode) -> None:
    fw = SyncFirewall(config(mainnet.url))
    outcomes: list[object] = []

    def caller() -> None:
        for _ in range(5):
            try:
                outcomes.append(fw.analyze(load_request("e_drainer_claim.json")).decision)
            except FirewallClosedError as exc:  # closed or cancelled: typed, and no verdict
                outcomes.append(type(exc))
                return

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    fw.close(timeout=30)
    fw.close()
    for t in threads:
        t.join()
    assert outcomes and all(o is Decision.BLOCK or o in (FirewallClosedError, AnalysisCancelledError) for o in outcomes)


# --- lifecycle -----------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_close_waits_for_analyses_in_flight(private_mainnet: AnvilNode) -> None:
    async with DelayProxy(private_mainnet.url, delay=0.0) as proxy:
        fw = Firewall(config(proxy.url))
        await fw.start()
        proxy.delay = 0.05  # every call to the node is slow now: the analyses are in flight for a while
        names = sorted(EXPECTED)
        tasks = [asyncio.create_task(fw.analyze(load_request(n))) for n in names]
        await asyncio.sleep(0)  # one loop turn: each call is admitted (started Firewalls do not suspend first)
        assert fw.in_flight == len(names)
        fork = fw.fork
        await fw.close(timeout=120)
        assert {n: t.result().decision for n, t in zip(names, tasks, strict=True)} == EXPECTED
        assert fork is not None and not fork.node.running
        with pytest.raises(FirewallClosedError):
            await fw.analyze(load_request("a_eth_to_bob.json"))
        assert fw.fork is None, "analyze after close starts nothing"


@pytest.mark.asyncio(loop_scope="session")
async def test_close_cancels_what_does_not_finish_in_time(private_mainnet: AnvilNode) -> None:
    async with DelayProxy(private_mainnet.url, delay=0.0) as proxy:
        fw = Firewall(config(proxy.url))
        await fw.start()
        proxy.delay = 2.0
        tasks = [
            asyncio.create_task(fw.analyze(load_request(n))) for n in ("a_eth_to_bob.json", "e_drainer_claim.json")
        ]
        await asyncio.sleep(0)
        assert fw.in_flight == len(tasks)
        await fw.close(timeout=0.05)
        for task in tasks:
            with pytest.raises(AnalysisCancelledError):
                task.result()
        proxy.delay = 0.0


@pytest.mark.asyncio(loop_scope="session")
async def test_callers_past_the_waiting_room_are_refused() -> None:
    async with Firewall(FirewallConfig(simulate=False, max_concurrency=1, max_waiting=1)) as fw:
        results = await asyncio.gather(
            *(fw.analyze(load_request("a_eth_to_bob.json")) for _ in range(3)), return_exceptions=True
        )
    assert [type(r) for r in results] == [Verdict, Verdict, FirewallBusyError]


# --- fresh state ---------------------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="session")
async def test_a_mined_send_is_seen_by_the_next_analysis(private_mainnet: AnvilNode, manifest: dict[str, Any]) -> None:
    alice, bob = manifest["accounts"]["alice"], manifest["accounts"]["bob"]["address"]
    balance = int(rpc(private_mainnet.url, "eth_getBalance", [alice["address"], "latest"]), 16)
    spend = balance * 6 // 10
    async with Firewall(config(private_mainnet.url)) as fw:
        before = await fw.analyze(send_request(alice["address"], bob, spend))
        assert before.decision is Decision.ALLOW and before.block is not None
        send_signed(private_mainnet.url, alice["private_key"], bob, spend)
        after = await fw.analyze(send_request(alice["address"], bob, spend))
    assert after.block is not None and after.block.number == before.block.number + 1
    assert after.block.confirmed_s_ago < 5 and after.block.check_error is None
    assert after.decision is not Decision.ALLOW
    assert "insufficient funds" in (after.simulation.error or "").lower()


@pytest.mark.asyncio(loop_scope="session")
async def test_note_sent_forces_the_head_check(private_mainnet: AnvilNode, manifest: dict[str, Any]) -> None:
    alice, bob = manifest["accounts"]["alice"], manifest["accounts"]["bob"]["address"]
    balance = int(rpc(private_mainnet.url, "eth_getBalance", [alice["address"], "latest"]), 16)
    spend = balance * 6 // 10
    rpc(private_mainnet.url, "evm_setAutomine", [False])
    async with Firewall(config(private_mainnet.url, head_check_interval=3600)) as fw:
        first = await fw.analyze(send_request(alice["address"], bob, spend))
        assert first.block is not None
        pinned = first.block.number
        tx_hash = send_signed(private_mainnet.url, alice["private_key"], bob, spend)
        fw.note_sent(tx_hash)
        pending = await fw.analyze(send_request(alice["address"], bob, spend))
        assert pending.block is not None and pending.block.pending_sends == 1 and pending.block.number == pinned
        rpc(private_mainnet.url, "evm_mine", [])
        mined = await fw.analyze(send_request(alice["address"], bob, spend))
        assert mined.block is not None and mined.block.number == pinned + 1 and mined.block.pending_sends == 0
        assert mined.decision is not Decision.ALLOW
        send_signed(private_mainnet.url, alice["private_key"], bob, 1)
        rpc(private_mainnet.url, "evm_mine", [])
        quiet = await fw.analyze(send_request(alice["address"], bob, 1))
        assert quiet.block is not None and quiet.block.number == pinned + 1, "no send noted: the interval holds"
        checks = fw.head_checks
    assert checks == 2, "one check per analysis while the send was pending, none otherwise"


@pytest.mark.asyncio(loop_scope="session")
async def test_state_the_node_stopped_confirming_is_a_finding(private_mainnet: AnvilNode) -> None:
    policy = policy_from_mapping({"rules": {"stale-chain-state": {"params": {"max_unconfirmed_s": 1}}}})
    async with DelayProxy(private_mainnet.url, delay=0.0) as proxy:
        fw = Firewall(config(proxy.url, policy=policy))
        try:
            healthy = await fw.analyze(load_request("a_eth_to_bob.json"))
            assert "stale-chain-state" not in rules(healthy)
            await proxy.stop()
            await asyncio.sleep(1.2)
            stale = await fw.analyze(load_request("a_eth_to_bob.json"))
        finally:
            await fw.close()
    assert stale.block is not None and stale.block.check_error and "head check failed" in stale.block.check_error
    finding = next(f for f in stale.findings if f.rule == "stale-chain-state")
    assert finding.evidence["block"] == stale.block.number and stale.decision is not Decision.ALLOW


# --- limits and bad input ------------------------------------------------------------------------


def _with_calldata(size: int) -> dict[str, Any]:
    request: dict[str, Any] = json.loads(load_request("a_eth_to_bob.json"))
    request["params"][0]["data"] = "0x" + "ab" * size
    return request


@pytest.mark.asyncio(loop_scope="session")
async def test_oversized_calldata_is_not_simulated_and_the_finding_names_the_limit(firewall: Firewall) -> None:
    verdict = await firewall.analyze(_with_calldata(256 * 1024))
    assert verdict.simulation.status is SimulationStatus.FAILED
    finding = next(f for f in verdict.findings if f.rule == "simulation-unavailable")
    assert "FirewallConfig.limits.max_calldata_bytes" in finding.message and "131,072" in finding.message
    assert verdict.decision is not Decision.ALLOW


@pytest.mark.asyncio(loop_scope="session")
async def test_a_node_that_refuses_a_large_batch_is_not_called_unreachable(mainnet: AnvilNode) -> None:
    limits = RequestLimits(max_calldata_bytes=4 * 1024 * 1024, max_batch_calldata_bytes=4 * 1024 * 1024)
    async with Firewall(config(mainnet.url, limits=limits, cold_start="fork")) as fw:
        verdict = await fw.analyze(_with_calldata(1_500_000))
    assert verdict.simulation.status is SimulationStatus.FAILED
    error = verdict.simulation.error or ""
    assert "refused" in error or "dropped the connection" in error, error
    assert "reachable Ethereum JSON-RPC node" not in error


@pytest.mark.asyncio(loop_scope="session")
async def test_a_malformed_request_keeps_its_method_and_error_type() -> None:
    async with Firewall(FirewallConfig(simulate=False)) as fw:
        bad_params = await fw.analyze(
            {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{"from": "0xnope"}]}
        )
        not_json = await fw.analyze(b"{not json")
    assert bad_params.decision is Decision.BLOCK and bad_params.method == "eth_sendTransaction"
    assert bad_params.error == "InvalidParamsError" and bad_params.to_json()["error"] == "InvalidParamsError"
    assert not_json.method == "invalid" and not_json.error == "MalformedJsonError"
