"""The whole pipeline on a real Anvil fork of the fixture chain: no mocked chain anywhere."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.decide.policy import policy_from_mapping
from txfirewall.enrich.history_file import load_history
from txfirewall.enrich.labels import parse_labels_csv
from txfirewall.errors import ChainMismatchError, EnvironmentFailure
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.simulation import AssetKind, SimulationStatus
from txfirewall.model.verdict import Decision, Verdict

from ..conftest import FIXTURES, load_request

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

# What this version must conclude for each bundled sample, and the rules that must say why.
EXPECTED: dict[str, tuple[Decision, set[str]]] = {
    "a_eth_to_bob.json": (Decision.ALLOW, set()),
    "b_usdx_transfer_carol.json": (Decision.ALLOW, set()),
    "c_usdx_approve_router.json": (Decision.ALLOW, set()),
    "d_usdx_approve_max_scammer.json": (Decision.BLOCK, {"unlimited-approval-to-eoa"}),
    "e_drainer_claim.json": (Decision.BLOCK, {"value-to-scam-selector", "assets-to-unfamiliar-contract"}),
    "f_drainer_security_update.json": (Decision.BLOCK, {"value-to-scam-selector", "assets-to-unfamiliar-contract"}),
    "g_eth_sign_hash.json": (Decision.BLOCK, {"eth-sign-raw-hash"}),
    "h_usdx_transferfrom_carol.json": (Decision.ALLOW, set()),
    "j_nft_approval_for_all_drainer.json": (Decision.WARN, {"unlimited-approval-to-unfamiliar-contract"}),
    "m_swap_usdx_for_eth.json": (Decision.ALLOW, set()),
    "n_vault_deposit.json": (Decision.ALLOW, set()),
    "o_personal_sign_login.json": (Decision.ALLOW, set()),
}


INDEX: list[dict[str, Any]] = json.loads((FIXTURES / "requests" / "index.json").read_text(encoding="utf-8"))


def _indexed(entry: dict[str, Any]) -> Any:
    """A sample carrying ``xfail`` in index.json has a known, tracked bug: expected to fail for now."""
    if entry.get("xfail"):
        return pytest.param(entry, id=entry["file"], marks=pytest.mark.xfail(reason=entry["xfail"], strict=False))
    return pytest.param(entry, id=entry["file"])


@pytest.mark.parametrize("entry", [_indexed(e) for e in INDEX])
async def test_every_indexed_sample_meets_the_demo_bar(firewall: Firewall, entry: dict[str, Any]) -> None:
    """index.json's expectation: benign samples are allowed, malicious ones at least warned."""
    verdict = await firewall.analyze(load_request(entry["file"]))
    if entry["expect"] == "allow":
        assert verdict.decision is Decision.ALLOW, verdict.to_json_text()
    else:
        assert verdict.decision is not Decision.ALLOW, verdict.to_json_text()


def rpc(method: str, params: list[Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}


def send(tx: dict[str, Any]) -> dict[str, Any]:
    return rpc("eth_sendTransaction", [tx])


def rules_of(verdict: Verdict) -> set[str]:
    return {f.rule for f in verdict.findings}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_sample_verdicts(firewall: Firewall, name: str) -> None:
    decision, rules = EXPECTED[name]
    verdict = await firewall.analyze(load_request(name))
    assert verdict.decision is decision, verdict.to_json_text()
    assert rules <= rules_of(verdict)
    doc = json.loads(verdict.to_json_text())
    assert {"verdict", "score", "findings", "intent", "simulation", "timings_ms"} <= set(doc)
    assert doc["intent"]["summary"] and doc["timings_ms"]["total"] > 0


async def test_eth_transfer_is_simulated_on_the_fork(firewall: Firewall, manifest: dict[str, Any]) -> None:
    alice, bob = manifest["accounts"]["alice"]["address"], manifest["accounts"]["bob"]["address"]
    verdict = await firewall.analyze(send({"from": alice, "to": bob, "value": hex(5 * 10**17)}))
    sim = verdict.simulation
    assert sim.status is SimulationStatus.SUCCESS and sim.block_number == manifest["head"]["number"] + 1
    deltas = {(c.address, c.kind): c.delta for c in sim.changes}
    assert deltas == {(alice, AssetKind.NATIVE): -(5 * 10**17), (bob, AssetKind.NATIVE): 5 * 10**17}
    assert verdict.intent.summary == f"Send 0.5 ETH to {bob[:6]}…{bob[-4:]}"
    facts = {a.address: a for a in verdict.addresses}
    assert facts[bob].is_contract is False and facts[bob].relationship is not None
    assert facts[bob].relationship.sent_count >= 2


async def test_token_metadata_resolved_on_chain(firewall: Firewall, manifest: dict[str, Any]) -> None:
    verdict = await firewall.analyze(load_request("b_usdx_transfer_carol.json"))
    usdx = manifest["contracts"]["usdx"]
    tokens = {t.address: t for t in verdict.tokens}
    assert tokens[usdx].symbol == "USDX" and tokens[usdx].decimals == 6
    assert verdict.intent.summary.startswith("Send 250 USDX to ")
    (change,) = [c for c in verdict.simulation.changes if c.address == verdict.sender]
    assert change.kind is AssetKind.ERC20 and change.delta == -250 * 10**6


async def test_unlimited_approval_evidence(firewall: Firewall, manifest: dict[str, Any]) -> None:
    verdict = await firewall.analyze(load_request("d_usdx_approve_max_scammer.json"))
    finding = verdict.findings[0]
    assert finding.rule == "unlimited-approval-to-eoa" and finding.severity.value == "critical"
    assert finding.evidence["spender"] == manifest["accounts"]["scammer"]["address"]
    assert finding.evidence["spender_is_contract"] is False
    (approval,) = verdict.simulation.approvals
    assert approval.unlimited and approval.amount == 2**256 - 1
    assert "UNLIMITED USDX" in verdict.intent.summary


async def test_drainer_claim_shows_the_internal_forward(firewall: Firewall, manifest: dict[str, Any]) -> None:
    verdict = await firewall.analyze(load_request("e_drainer_claim.json"))
    alice = manifest["accounts"]["alice"]["address"]
    drainer = manifest["contracts"]["drainer"]
    owner = manifest["accounts"]["drainer_owner"]["address"]
    native = [(t.sender, t.recipient, t.amount) for t in verdict.simulation.transfers if t.kind is AssetKind.NATIVE]
    assert (alice, drainer, 10**18) in native
    assert (drainer, owner, 10**18) in native  # the internal CALL to the drainer's owner
    roles = {a.address: a.roles for a in verdict.addresses}
    assert "receives-assets" in roles[owner]


async def test_revert_is_a_warning_with_reason(firewall: Firewall, manifest: dict[str, Any]) -> None:
    alice, usdx = manifest["accounts"]["alice"]["address"], manifest["contracts"]["usdx"]
    too_much = "0xa9059cbb" + "00" * 12 + manifest["accounts"]["bob"]["address"][2:].lower() + f"{10**30:064x}"
    verdict = await firewall.analyze(send({"from": alice, "to": usdx, "data": too_much}))
    assert verdict.simulation.status is SimulationStatus.REVERTED
    assert verdict.simulation.revert_reason
    assert verdict.decision is Decision.WARN and "simulation-reverted" in rules_of(verdict)


async def test_unaffordable_transaction_fails_closed(firewall: Firewall, manifest: dict[str, Any]) -> None:
    alice, bob = manifest["accounts"]["alice"]["address"], manifest["accounts"]["bob"]["address"]
    verdict = await firewall.analyze(send({"from": alice, "to": bob, "value": hex(10**30)}))
    assert verdict.simulation.status is SimulationStatus.FAILED and verdict.simulation.error
    assert verdict.decision is Decision.BLOCK and "simulation-unavailable" in rules_of(verdict)


async def test_invalid_request_is_a_block_value_not_an_exception(firewall: Firewall) -> None:
    verdict = await firewall.analyze('{"jsonrpc":"2.0","id":1,"method":"eth_sign","method":"eth_chainId"}')
    assert verdict.decision is Decision.BLOCK and verdict.findings[0].rule == "invalid-request"


async def test_concurrent_analyses_match_sequential(firewall: Firewall) -> None:
    names = sorted(EXPECTED)
    sequential = [await firewall.analyze(load_request(n)) for n in names]
    concurrent = await asyncio.gather(*(firewall.analyze(load_request(n)) for n in names * 2))
    for i, verdict in enumerate(concurrent):
        reference = sequential[i % len(names)]
        assert verdict.decision is reference.decision
        assert verdict.simulation.changes == reference.simulation.changes


async def test_simulation_never_mutates_the_chain(
    firewall: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    alice = manifest["accounts"]["alice"]["address"]
    fork = firewall.fork
    assert fork is not None

    async def state() -> tuple[str, str, str]:
        async with httpx.AsyncClient() as client:
            out = []
            for url, method in (
                (mainnet.url, "eth_getBalance"),
                (fork.node.url, "eth_getBalance"),
                (fork.node.url, "eth_blockNumber"),
            ):
                params = [alice, "latest"] if method == "eth_getBalance" else []
                out.append((await client.post(url, json=rpc(method, params))).json()["result"])
            return out[0], out[1], out[2]

    before = await state()
    await firewall.analyze(load_request("e_drainer_claim.json"))
    assert await state() == before
    assert int(before[2], 16) == manifest["head"]["number"]


async def test_labels_make_a_counterparty_illicit(mainnet: AnvilNode, manifest: dict[str, Any]) -> None:
    owner = manifest["accounts"]["drainer_owner"]["address"]
    labels = parse_labels_csv(f"address,label,source\n{owner},Inferno Drainer owner,test-intel\n")
    config = FirewallConfig(rpc_url=mainnet.url, history=load_history(FIXTURES / "history.jsonl"), labels=labels)
    async with Firewall(config) as fw:
        verdict = await fw.analyze(load_request("n_vault_deposit.json"))
        assert verdict.decision is Decision.ALLOW
        verdict = await fw.analyze(load_request("e_drainer_claim.json"))
    finding = next(f for f in verdict.findings if f.rule == "illicit-counterparty")
    assert finding.evidence["address"] == owner and "drainer" in finding.message


async def test_unreachable_node_is_an_environment_failure() -> None:
    with pytest.raises(EnvironmentFailure) as info:
        async with Firewall(FirewallConfig(rpc_url="http://127.0.0.1:9", rpc_timeout=2.0)):
            pass
    assert "127.0.0.1:9" in str(info.value)


async def test_chain_id_mismatch_is_refused(mainnet: AnvilNode) -> None:
    with pytest.raises(ChainMismatchError):
        async with Firewall(FirewallConfig(rpc_url=mainnet.url, chain_id=1)):
            pass


async def test_offline_an_unverifiable_spender_is_noted_and_strict_policy_warns(mainnet: AnvilNode) -> None:
    """No node to check the spender: by default a low finding asks to verify it (warning on every
    unknown router offline fired on 2.5 % of real traffic); a strict policy makes it a warning."""
    async with Firewall(FirewallConfig(simulate=False)) as fw:
        verdict = await fw.analyze(load_request("d_usdx_approve_max_scammer.json"))
    (finding,) = [f for f in verdict.findings if f.rule == "unlimited-approval-to-eoa"]
    assert finding.severity.value == "low" and finding.evidence["spender_is_contract"] is None
    assert verdict.simulation.status is SimulationStatus.SKIPPED
    strict = policy_from_mapping(
        {"rules": {"unlimited-approval-to-eoa": {"params": {"unverified_severity": "medium"}}}}
    )
    async with Firewall(FirewallConfig(simulate=False, policy=strict)) as fw:
        verdict = await fw.analyze(load_request("d_usdx_approve_max_scammer.json"))
    assert verdict.decision is Decision.WARN
