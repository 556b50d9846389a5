"""Every kind of request gets the simulation that fits it: raw EIP-7702 transactions with their
delegations, wallet_sendCalls as one ordered bundle, permits through what they let the spender do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.firewall import Firewall
from txfirewall.model.simulation import AssetKind, CodeChangeKind, SimulationStatus
from txfirewall.model.verdict import Decision

from ..conftest import load_request

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def rules(verdict: Any) -> set[str]:
    return {f.rule for f in verdict.findings}


def skipped(verdict: Any) -> dict[str, str]:
    return {s.rule: s.reason for s in verdict.skipped_rules}


def nonce_of(url: str, address: str) -> int:
    reply = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [address, "latest"]}
    ).json()
    return int(reply["result"], 16)


async def test_signed_7702_transaction_runs_the_sweeper(
    firewall: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    key = manifest["accounts"]["alice"]["private_key"]
    alice = Account.from_key(key)
    sweeper, usdx = manifest["contracts"]["sweeper_7702"], manifest["contracts"]["usdx"]
    nonce = nonce_of(mainnet.url, alice.address)
    auth = alice.sign_authorization({"chainId": manifest["chain_id"], "address": sweeper, "nonce": nonce + 1})
    data = keccak(text="sweep(address[])")[:4] + encode(["address[]"], [[usdx]])
    signed = alice.sign_transaction(
        {
            "type": 4,
            "chainId": manifest["chain_id"],
            "nonce": nonce,
            "to": alice.address,
            "value": 0,
            "data": data,
            "gas": 300_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "authorizationList": [auth],
        }
    )
    raw = "0x" + signed.raw_transaction.hex().removeprefix("0x")
    verdict = await firewall.analyze({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]})
    sim = verdict.simulation
    assert sim.status is SimulationStatus.SUCCESS, sim.error
    (delegation,) = [c for c in sim.code_changes if c.kind is CodeChangeKind.DELEGATION_SET]
    assert (delegation.address, delegation.after) == (alice.address, sweeper)
    lost = {c.kind: c.delta for c in sim.changes_for(alice.address)}
    assert lost[AssetKind.ERC20] == -int(manifest["story"]["alice"]["usdx_balance"])
    assert verdict.decision is Decision.BLOCK and "account-delegation-set" in rules(verdict)
    # one traced transaction: its state diff was read, so proxy slots were checked
    assert sim.state_diff_unread is None and "proxy-upgraded" not in skipped(verdict)


async def test_wallet_send_calls_is_one_ordered_bundle(firewall: Firewall, manifest: dict[str, Any]) -> None:
    alice, usdx = manifest["accounts"]["alice"]["address"], manifest["contracts"]["usdx"]
    drainer, owner = manifest["contracts"]["drainer"], manifest["accounts"]["drainer_owner"]["address"]
    approve = (
        "0x"
        + (keccak(text="approve(address,uint256)")[:4] + encode(["address", "uint256"], [drainer, 2**256 - 1])).hex()
    )
    claim = "0x" + keccak(text="Claim()")[:4].hex()
    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "wallet_sendCalls",
        "params": [
            {
                "version": "2.0.0",
                "from": alice,
                "chainId": hex(manifest["chain_id"]),
                "atomicRequired": True,
                "calls": [{"to": usdx, "data": approve}, {"to": drainer, "data": claim, "value": hex(10**16)}],
            }
        ],
    }
    verdict = await firewall.analyze(request)
    sim = verdict.simulation
    assert sim.status is SimulationStatus.SUCCESS
    swept = [t for t in sim.transfers if t.kind is AssetKind.ERC20 and t.recipient == owner]
    assert swept and swept[0].amount == int(manifest["story"]["alice"]["usdx_balance"])
    assert verdict.decision is Decision.BLOCK
    assert {"unlimited-approval-to-unfamiliar-contract", "value-to-scam-selector"} & rules(verdict)
    # a bundle is compared across block environments, but not traced: no state diff, so a proxy
    # upgraded inside it could not be seen, and the verdict says so
    assert sim.variants_compared == 2 and "simulation-divergence" not in skipped(verdict)
    assert skipped(verdict)["proxy-upgraded"] == (
        "the simulation's state diff was not read (a run of several calls is not traced), so a change of a "
        "proxy's implementation, admin or beacon could not be seen"
    )


@pytest.mark.parametrize(
    ("name", "spender_role"),
    [("k_permit2_typed_data.json", "drainer_owner"), ("l_eip2612_permit_typed_data.json", "scammer")],
)
async def test_permit_shows_what_the_spender_can_take(
    firewall: Firewall, manifest: dict[str, Any], name: str, spender_role: str
) -> None:
    verdict = await firewall.analyze(load_request(name))
    sim = verdict.simulation
    assert sim.status is SimulationStatus.SUCCESS and "signature lets its spender" in sim.notes[0]
    alice, spender = manifest["accounts"]["alice"]["address"], manifest["accounts"][spender_role]["address"]
    deltas = {(c.address, c.kind): c.delta for c in sim.changes}
    balance = int(manifest["story"]["alice"]["usdx_balance"])
    assert deltas[(alice, AssetKind.ERC20)] == -balance and deltas[(spender, AssetKind.ERC20)] == balance
    assert verdict.decision is Decision.BLOCK
    # what a signature allows is simulated once and untraced, by design: not a skipped check
    assert not {"proxy-upgraded", "simulation-divergence"} & set(skipped(verdict))


async def test_a_login_message_is_not_simulated(firewall: Firewall) -> None:
    verdict = await firewall.analyze(load_request("o_personal_sign_login.json"))
    assert verdict.simulation.status is SimulationStatus.SKIPPED and verdict.decision is Decision.ALLOW
