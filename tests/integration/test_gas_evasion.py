"""Gas-dependent drains (RELIABILITY A8 case 46; issue 13).

A contract that refunds when ``gasleft()`` is large and forwards the ETH to an attacker otherwise
looks harmless to a simulator that runs it with a generous gas limit, and drains with the gas a
wallet really sends. The simulation runs with that gas (the request's own, else the node's
estimate plus a wallet's margin), and again with no gas limit and with the bare estimate; a
change in who gets the assets is a divergence (block). The contract is hand-assembled
(tests/support/evasion_contracts.py) and installed with ``anvil_setCode`` on a chain of its own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.enrich.history_file import load_history
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.simulation import AssetKind
from txfirewall.model.verdict import Decision, Verdict

from ..conftest import FIXTURES, load_request
from ..support.evasion_contracts import gas_gated_drainer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

GATED = "0x4646464646464646464646464646464646464646"


@pytest.fixture(scope="module")
def gated_chain(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        code = "0x" + gas_gated_drainer(manifest["accounts"]["drainer_owner"]["address"]).hex()
        for method, params in (("anvil_setCode", [GATED, code]), ("evm_mine", [])):
            reply = httpx.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
            assert "error" not in reply, reply
        yield node


@pytest_asyncio.fixture(loop_scope="session", params=["upstream", "fork"])
async def fw(
    request: pytest.FixtureRequest, gated_chain: AnvilNode, manifest: dict[str, Any]
) -> AsyncIterator[Firewall]:
    """The first analysis of a sender runs on the upstream (cold start) or on the fork."""
    config = FirewallConfig(
        rpc_url=gated_chain.url,
        chain_id=manifest["chain_id"],
        history=load_history(FIXTURES / "history.jsonl"),
        repin_interval=None,
        cold_start=request.param,
    )
    async with Firewall(config) as firewall:
        yield firewall


def send(manifest: dict[str, Any], **fields: Any) -> dict[str, Any]:
    tx = {"from": manifest["accounts"]["alice"]["address"], "to": GATED, "value": hex(10**17), **fields}
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [tx]}


def eth_to(verdict: Verdict, recipient: str) -> bool:
    return any(
        t.kind is AssetKind.NATIVE and t.recipient.lower() == recipient.lower() and t.amount == 10**17
        for t in verdict.simulation.transfers
    )


def divergence(verdict: Verdict) -> dict[str, Any]:
    finding = next(f for f in verdict.findings if f.rule == "simulation-divergence")
    assert "gas limit it is sent with" in finding.message
    evidence: dict[str, Any] = json.loads(json.dumps(finding.evidence))
    assert evidence["varied"] == "gas"
    return evidence


async def test_without_gas_it_is_simulated_with_a_wallets_gas_and_the_drain_is_a_divergence(
    fw: Firewall, manifest: dict[str, Any]
) -> None:
    verdict = await fw.analyze(send(manifest))
    attacker = manifest["accounts"]["drainer_owner"]["address"]
    assert verdict.decision is Decision.BLOCK
    assert eth_to(verdict, attacker), "the primary run is the wallet's: the drain path"
    assert any("as a wallet sends it" in n and "estimate" in n for n in verdict.simulation.notes)
    evidence = divergence(verdict)
    assert "no gas limit" in evidence["description"]
    assert any(attacker[2:6].lower() in line.lower() for line in evidence["realistic_block_only"])


async def test_with_a_low_gas_limit_the_generous_run_is_the_divergent_one(
    fw: Firewall, manifest: dict[str, Any]
) -> None:
    verdict = await fw.analyze(send(manifest, gas=hex(100_000)))
    assert verdict.decision is Decision.BLOCK
    assert eth_to(verdict, manifest["accounts"]["drainer_owner"]["address"])
    assert "100,000 gas the request sets" in divergence(verdict)["description"]


async def test_with_gas_past_the_threshold_it_refunds_and_nothing_diverges(
    fw: Firewall, manifest: dict[str, Any]
) -> None:
    """Sent with 2M gas the contract really refunds: the simulation shows that, and a run with
    more gas does the same."""
    verdict = await fw.analyze(send(manifest, gas=hex(2_000_000)))
    assert eth_to(verdict, manifest["accounts"]["alice"]["address"])
    assert verdict.simulation.divergence is None and verdict.simulation.variants_compared == 3


async def test_an_ordinary_send_without_gas_does_not_diverge(fw: Firewall) -> None:
    verdict = await fw.analyze(load_request("a_eth_to_bob.json"))
    assert verdict.decision is Decision.ALLOW
    assert verdict.simulation.divergence is None
    assert verdict.simulation.variants_compared == 4, "two block variants and two gas variants"
    assert any("21,000" in n for n in verdict.simulation.notes), verdict.simulation.notes
