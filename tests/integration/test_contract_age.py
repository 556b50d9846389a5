"""Contract ages on the fixture chain, through the real pipeline.

``state.json`` keeps blocks and receipts but no historical state, so an anvil loaded from it cannot
answer ``eth_getCode`` below its head. To search history, this module rebuilds the same chain with
``anvil_fixtures/deploy.py`` on a fresh anvil (~2 s; the head hash proves it is the same chain)
and checks the ages against the deployment receipts served by the shared ``mainnet``.
Round trips are counted by the loopback proxy at delay 0; nothing here asserts on time.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.chain.rpc_client import RpcClient
from txfirewall.decide.policy import Policy, RuleOverride
from txfirewall.enrich.contract_age import ContractAgeCache, PinnedBlock, find_contract_ages
from txfirewall.enrich.history_file import load_history
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.findings import Finding, Severity
from txfirewall.model.primitives import to_address
from txfirewall.model.verdict import Verdict
from txfirewall.pipeline import StageTimeouts

from ..conftest import FIXTURES, load_request
from ..support.delay_proxy import DelayProxy

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

RULE = "fresh-contract-counterparty"
DAY = 86400
FIXTURE_POLICY = Policy(rules={RULE: RuleOverride(params={"min_age_days": 30})})
"""The drainer was deployed 27 days before the fixture's head; the rule's default (3 days,
Rabby's threshold) would let it through, so these tests widen the window the way a policy file can."""


def _deploy_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("txfirewall_fixture_deploy", FIXTURES / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def chain_with_history(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    """The fixture chain rebuilt block by block, so that every historical state is kept."""
    deploy = _deploy_module()
    options = AnvilOptions(chain_id=deploy.CHAIN_ID, accounts=0, timestamp=deploy.GENESIS_TIMESTAMP)
    with AnvilNode.start(options) as node:
        rpc = deploy.Rpc(node.url)
        try:
            deploy.build(rpc)
            head = rpc("eth_getBlockByNumber", "latest", False)
        finally:
            rpc.close()
        assert head["hash"] == manifest["head"]["hash"], "the rebuilt chain is the fixture chain"
        yield node


def deployment(mainnet: AnvilNode, address: str) -> tuple[int, int]:
    """Block and timestamp of the transaction that deployed ``address``, from its receipt."""
    state = json.loads((FIXTURES / "state.json").read_text())
    (tx_hash,) = [
        t["info"]["transaction_hash"]
        for t in state["transactions"]
        if (t["info"].get("contract_address") or "").lower() == address.lower()
    ]

    def call(method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        return httpx.post(mainnet.url, json=body).json()["result"]

    receipt = call("eth_getTransactionReceipt", tx_hash)
    block = call("eth_getBlockByNumber", receipt["blockNumber"], False)
    return int(receipt["blockNumber"], 16), int(block["timestamp"], 16)


def finding(verdict: Verdict, rule: str) -> Finding | None:
    return next((f for f in verdict.findings if f.rule == rule), None)


async def test_the_drainer_is_fresh_and_usdx_is_old(
    chain_with_history: AnvilNode, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    drainer, usdx = (to_address(manifest["contracts"][r]) for r in ("drainer", "usdx"))
    pinned = PinnedBlock(manifest["head"]["number"], manifest["head"]["timestamp"])
    async with DelayProxy(chain_with_history.url, delay=0.0) as proxy, RpcClient(proxy.url) as client:
        report = await find_contract_ages(client, [drainer, usdx], cache=ContractAgeCache(), pinned=pinned)
        requests, rounds = proxy.count(), proxy.rounds()

    fresh, old = report.ages[drainer], report.ages[usdx]
    assert (fresh.creation_block, fresh.created_at) == deployment(mainnet, drainer)
    assert (old.creation_block, old.created_at) == deployment(mainnet, usdx)
    assert fresh.source == old.source == "creation-block"
    assert fresh.age_seconds is not None and 26 * DAY < fresh.age_seconds < 30 * DAY  # deployed 2026-10-05
    assert old.age_seconds is not None and old.age_seconds > 2 * 365 * DAY  # deployed 2024-01-02
    # 64 blocks, 16 probes per batch: two rounds find both blocks, one more reads their timestamps;
    # both searches share every batch.
    assert report.round_trips == requests == rounds == 3
    assert report.calls <= 2 * (1 + 17 + 16 + 1)


async def test_the_rule_fires_on_the_drainer_claim_and_not_on_the_router_swap(
    chain_with_history: AnvilNode, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    config = FirewallConfig(
        rpc_url=chain_with_history.url,
        chain_id=manifest["chain_id"],
        repin_interval=None,
        history=load_history(FIXTURES / "history.jsonl"),
        policy=FIXTURE_POLICY,
    )
    async with Firewall(config) as fw:
        claim = await fw.analyze(load_request("e_drainer_claim.json"))
        swap = await fw.analyze(load_request("m_swap_usdx_for_eth.json"))

    hit = finding(claim, RULE)
    assert hit is not None, claim.to_json_text()
    assert hit.severity is Severity.MEDIUM, "27 days old: fresh, not hours-fresh"
    assert hit.evidence["address"] == manifest["contracts"]["drainer"]
    drainer_block, _ = deployment(mainnet, manifest["contracts"]["drainer"])
    assert hit.evidence["created_at_block"] == drainer_block and hit.evidence["age_source"] == "creation-block"
    assert "receives-your-assets" in hit.evidence["roles"] and hit.evidence["past_interactions"] == 0

    assert finding(swap, RULE) is None, swap.to_json_text()
    router = next(a for a in swap.addresses if a.address == manifest["contracts"]["uniswap_v2_router"])
    assert router.created_at_block == deployment(mainnet, router.address)[0] and router.age_source == "creation-block"
    assert router.age_seconds is not None and router.age_seconds > 2 * 365 * DAY
    assert json.loads(swap.to_json_text())["addresses"][0].keys() >= {
        "created_at_block",
        "created_at",
        "age_seconds",
        "age_source",
    }


async def test_the_default_threshold_lets_a_27_day_old_contract_through(
    chain_with_history: AnvilNode, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    config = FirewallConfig(
        rpc_url=chain_with_history.url, repin_interval=None, history=load_history(FIXTURES / "history.jsonl")
    )
    async with Firewall(config) as fw:
        claim = await fw.analyze(load_request("e_drainer_claim.json"))
    drainer = next(a for a in claim.addresses if a.address == manifest["contracts"]["drainer"])
    assert drainer.created_at_block == deployment(mainnet, drainer.address)[0]
    assert finding(claim, RULE) is None


async def test_a_contract_is_dated_once_per_firewall(chain_with_history: AnvilNode) -> None:
    """The search reads the upstream directly, one batch per round (a fork would forward every probe
    as a request of its own); the second analysis of the same contract reads no history at all."""
    async with DelayProxy(chain_with_history.url, delay=0.0) as proxy:
        config = FirewallConfig(rpc_url=proxy.url, repin_interval=None, cold_start="fork", policy=FIXTURE_POLICY)
        async with Firewall(config) as fw:
            proxy.reset()
            first = await fw.analyze(load_request("e_drainer_claim.json"))
            first_batches = [r.methods for r in proxy.records if len(r.methods) > 1]
            proxy.reset()
            second = await fw.analyze(load_request("e_drainer_claim.json"))
            second_code_reads = sum(r.methods.count("eth_getCode") for r in proxy.records)
            assert len(fw.contract_ages) == 1
    # 64 blocks: 17 probes leave gaps of at most 3 blocks, read in the second batch.
    assert [len(b) for b in first_batches] == [1 + 17, 3], "code at the head + 17 probes, then the last gap"
    assert all(set(b) == {"eth_getCode"} for b in first_batches)
    assert second_code_reads == 0
    assert finding(first, RULE) is not None and finding(second, RULE) is not None


def skip_reason(verdict: Verdict, rule: str) -> str | None:
    return next((s.reason for s in verdict.skipped_rules if s.rule == rule), None)


async def test_a_node_without_history_leaves_the_age_unknown_and_says_so(
    firewall: Firewall, manifest: dict[str, Any]
) -> None:
    """The shared firewall forks the state dump, which serves no history: no age, so no finding,
    and the verdict says the freshness check could not be made, for which contract and why."""
    verdict = await firewall.analyze(load_request("e_drainer_claim.json"))
    drainer = next(a for a in verdict.addresses if a.address == manifest["contracts"]["drainer"])
    assert drainer.is_contract and drainer.created_at_block is None and drainer.age_seconds is None
    assert finding(verdict, RULE) is None
    reason = skip_reason(verdict, RULE)
    assert reason is not None, verdict.to_json_text()
    assert reason.startswith("could not date 1 of the 1 contract(s) your assets or an approval go to")
    assert f"{drainer.address} (the node serves no state at" in reason and "pruned history?" in reason
    assert {"rule": RULE, "reason": reason} in json.loads(verdict.to_json_text())["skipped_rules"]
    # the simulation ran, and was repeated in both other block environments and with two other gas
    # limits (the claim has no gas: the wallet's, the bare estimate's, none): divergence was checked
    assert verdict.simulation.variants_compared == 4 and skip_reason(verdict, "simulation-divergence") is None


async def test_an_age_lookup_out_of_time_is_reported_with_the_rule(chain_with_history: AnvilNode) -> None:
    """A node that does serve history, but far away: every round trip takes 1 s and the enrich stage
    may take 6 s, of which contract dating gets half (3 s). The search needs four round trips
    (the pinned block, two narrowing rounds, the creation block's timestamp), so it runs out of
    time: the age is unknown, and the skipped rule says it timed out."""
    timeouts = StageTimeouts(enrich=6.0)
    async with DelayProxy(chain_with_history.url, delay=1.0) as proxy:
        config = FirewallConfig(rpc_url=proxy.url, simulate=False, timeouts=timeouts, policy=FIXTURE_POLICY)
        async with Firewall(config) as fw:
            verdict = await fw.analyze(load_request("e_drainer_claim.json"))
    assert not [f for f in verdict.findings if f.rule == "analysis-stage-failed"], verdict.to_json_text()
    assert finding(verdict, RULE) is None
    reason = skip_reason(verdict, RULE)
    assert reason is not None and "(not found within 3s)" in reason, verdict.to_json_text()
