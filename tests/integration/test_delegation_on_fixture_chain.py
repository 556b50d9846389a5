"""EIP-7702 delegations on the fixture chain: to the fixture sweeper (blocked with simulation, by
its bytecode with only a node, at least warned offline), to a listed wallet delegate (allowed:
its code is absent here, the list decides) and to 0x0 (a revocation, allowed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from eth_account import Account

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.primitives import ZERO_ADDRESS
from txfirewall.model.verdict import Decision, Verdict

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

METAMASK_DELEGATOR = "0x63c0c19a282a1B52b07dD5a65b58948A07DAE32B"


def _nonce(url: str, address: str) -> int:
    reply = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [address, "latest"]}
    ).json()
    return int(reply["result"], 16)


def set_code_request(manifest: dict[str, Any], url: str, delegate: str) -> dict[str, Any]:
    """Alice delegates her own account to ``delegate`` (self-sponsored: the tuple's nonce is the
    transaction's plus one) in a type-4 transaction that calls nothing."""
    alice = Account.from_key(manifest["accounts"]["alice"]["private_key"])
    nonce = _nonce(url, alice.address)
    auth = alice.sign_authorization({"chainId": manifest["chain_id"], "address": delegate, "nonce": nonce + 1})
    signed = alice.sign_transaction(
        {
            "type": 4,
            "chainId": manifest["chain_id"],
            "nonce": nonce,
            "to": alice.address,
            "value": 0,
            "data": b"",
            "gas": 100_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "authorizationList": [auth],
        }
    )
    raw = "0x" + signed.raw_transaction.hex().removeprefix("0x")
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}


def rules(verdict: Verdict) -> dict[str, str]:
    return {f.rule: f.severity.value for f in verdict.findings}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def offline(manifest: dict[str, Any]) -> AsyncIterator[Firewall]:
    """No node at all: the request and the shipped lists only."""
    async with Firewall(FirewallConfig(simulate=False, chain_id=manifest["chain_id"])) as fw:
        yield fw


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def facts_only(mainnet: AnvilNode, manifest: dict[str, Any]) -> AsyncIterator[Firewall]:
    """A node for facts (code), no simulation."""
    async with Firewall(FirewallConfig(rpc_url=mainnet.url, simulate=False, chain_id=manifest["chain_id"])) as fw:
        yield fw


async def test_delegating_to_the_fixture_sweeper_is_blocked_with_simulation(
    firewall: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    sweeper = manifest["contracts"]["sweeper_7702"]
    verdict = await firewall.analyze(set_code_request(manifest, mainnet.url, sweeper))
    found = rules(verdict)
    assert verdict.decision is Decision.BLOCK
    assert found["delegate-sweeper-shape"] == "critical" and "account-delegation-set" in found
    shape = next(f for f in verdict.findings if f.rule == "delegate-sweeper-shape")
    assert "hard-coded address" in shape.message and "your account" in shape.message
    scanned = next(a for a in verdict.addresses if a.address == sweeper)
    assert scanned.code is not None and scanned.code.addresses == (manifest["accounts"]["attacker"]["address"],)


async def test_without_simulation_a_node_still_reads_the_sweepers_code(
    facts_only: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    verdict = await facts_only.analyze(set_code_request(manifest, mainnet.url, manifest["contracts"]["sweeper_7702"]))
    assert verdict.decision is Decision.BLOCK and "delegate-sweeper-shape" in rules(verdict)


async def test_offline_an_unknown_delegate_is_at_least_a_warning(
    offline: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    verdict = await offline.analyze(set_code_request(manifest, mainnet.url, manifest["contracts"]["sweeper_7702"]))
    assert verdict.decision is not Decision.ALLOW
    assert rules(verdict)["delegation-to-unknown-code"] == "medium"
    finding = next(f for f in verdict.findings if f.rule == "delegation-to-unknown-code")
    assert "not checked (no node)" in finding.message


@pytest.mark.parametrize("where", ["simulated", "facts only", "offline"])
async def test_a_listed_wallet_delegate_is_allowed(
    where: str,
    firewall: Firewall,
    facts_only: Firewall,
    offline: Firewall,
    mainnet: AnvilNode,
    manifest: dict[str, Any],
) -> None:
    fw = {"simulated": firewall, "facts only": facts_only, "offline": offline}[where]
    verdict = await fw.analyze(set_code_request(manifest, mainnet.url, METAMASK_DELEGATOR))
    assert verdict.decision is Decision.ALLOW, rules(verdict)
    assert not {"delegation-to-unknown-code", "delegate-sweeper-shape", "delegation-to-known-sweeper"} & set(
        rules(verdict)
    )
    if where == "simulated":
        assert rules(verdict)["account-delegation-set"] == "info"


@pytest.mark.parametrize("where", ["simulated", "offline"])
async def test_a_revocation_is_allowed(
    where: str, firewall: Firewall, offline: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    fw = firewall if where == "simulated" else offline
    verdict = await fw.analyze(set_code_request(manifest, mainnet.url, ZERO_ADDRESS))
    assert verdict.decision is Decision.ALLOW, rules(verdict)
    assert "clears the EIP-7702 delegation of your account" in verdict.intent.summary
    assert "code at 0x0000" not in verdict.intent.summary
