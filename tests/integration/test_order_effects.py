"""A Seaport order is simulated as the marketplace filling it, through the approvals that exist."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.simulation import AssetKind, SimulationStatus
from txfirewall.model.verdict import Decision
from txfirewall.simulate.signature_effects import BUYER

from ..conftest import FIXTURES

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SEAPORT = "0x0000000000000068F116a894984e2DB1123eB395"
ITEM = [
    {"name": n, "type": t}
    for n, t in (
        ("itemType", "uint8"),
        ("token", "address"),
        ("identifierOrCriteria", "uint256"),
        ("startAmount", "uint256"),
        ("endAmount", "uint256"),
    )
]


def free_listing(manifest: dict[str, Any], *, price_wei: int = 0) -> dict[str, Any]:
    alice, nft = manifest["accounts"]["alice"]["address"], manifest["contracts"]["nft"]
    consideration = (
        []
        if not price_wei
        else [
            {
                "itemType": 0,
                "token": "0x" + "00" * 20,
                "identifierOrCriteria": 0,
                "startAmount": price_wei,
                "endAmount": price_wei,
                "recipient": alice,
            }
        ]
    )
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "OrderComponents": [
                {"name": n, "type": t}
                for n, t in (
                    ("offerer", "address"),
                    ("zone", "address"),
                    ("offer", "OfferItem[]"),
                    ("consideration", "ConsiderationItem[]"),
                    ("orderType", "uint8"),
                    ("startTime", "uint256"),
                    ("endTime", "uint256"),
                    ("zoneHash", "bytes32"),
                    ("salt", "uint256"),
                    ("conduitKey", "bytes32"),
                    ("counter", "uint256"),
                )
            ],
            "OfferItem": ITEM,
            "ConsiderationItem": [*ITEM, {"name": "recipient", "type": "address"}],
        },
        "primaryType": "OrderComponents",
        "domain": {"name": "Seaport", "version": "1.6", "chainId": manifest["chain_id"], "verifyingContract": SEAPORT},
        "message": {
            "offerer": alice,
            "zone": "0x" + "00" * 20,
            "offer": [{"itemType": 2, "token": nft, "identifierOrCriteria": 1, "startAmount": 1, "endAmount": 1}],
            "consideration": consideration,
            "orderType": 0,
            "startTime": 0,
            "endTime": 2**40,
            "zoneHash": "0x" + "00" * 32,
            "salt": 7,
            "conduitKey": "0x" + "00" * 32,
            "counter": 0,
        },
    }
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [alice, json.dumps(typed)]}


async def test_free_listing_is_blocked_and_cannot_be_taken_without_approval(
    firewall: Firewall, manifest: dict[str, Any]
) -> None:
    verdict = await firewall.analyze(free_listing(manifest))
    assert verdict.decision is Decision.BLOCK and "order-for-nothing" in {f.rule for f in verdict.findings}
    sim = verdict.simulation
    assert sim.signature_effect and sim.status is SimulationStatus.REVERTED
    assert "cannot take them today" in sim.notes[0]
    assert "simulation-reverted" not in {f.rule for f in verdict.findings}


async def test_a_paid_listing_is_not_a_free_listing(firewall: Firewall, manifest: dict[str, Any]) -> None:
    verdict = await firewall.analyze(free_listing(manifest, price_wei=10**18))
    assert "order-for-nothing" not in {f.rule for f in verdict.findings}


async def test_with_an_approval_the_order_takes_the_nft(manifest: dict[str, Any]) -> None:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as chain:
        alice = Account.from_key(manifest["accounts"]["alice"]["private_key"])
        nonce = int(
            httpx.post(
                chain.url,
                json={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "eth_getTransactionCount",
                    "params": [alice.address, "latest"],
                },
            ).json()["result"],
            16,
        )
        data = keccak(text="setApprovalForAll(address,bool)")[:4] + encode(["address", "bool"], [SEAPORT, True])
        signed = alice.sign_transaction(
            {
                "chainId": manifest["chain_id"],
                "nonce": nonce,
                "to": manifest["contracts"]["nft"],
                "data": data,
                "value": 0,
                "gas": 100_000,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 10**9,
            }
        )
        raw = "0x" + signed.raw_transaction.hex().removeprefix("0x")
        reply = httpx.post(
            chain.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]}
        ).json()
        assert "result" in reply, reply
        async with Firewall(FirewallConfig(rpc_url=chain.url, repin_interval=None)) as fw:
            verdict = await fw.analyze(free_listing(manifest))
    sim = verdict.simulation
    assert sim.status is SimulationStatus.SUCCESS and sim.signature_effect
    (moved,) = [t for t in sim.transfers if t.kind is AssetKind.ERC721]
    assert (moved.sender, moved.recipient, moved.token_id) == (alice.address, BUYER, 1)
    assert verdict.decision is Decision.BLOCK


async def test_address_case_does_not_change_who_gets_paid(firewall: Firewall, manifest: dict[str, Any]) -> None:
    """A site may spell the offerer in lowercase and the recipient checksummed: still a paid listing."""
    request = free_listing(manifest, price_wei=10**18)
    typed = json.loads(request["params"][1])
    typed["message"]["offerer"] = typed["message"]["offerer"].lower()
    request["params"][1] = json.dumps(typed)
    verdict = await firewall.analyze(request)
    assert "order-for-nothing" not in {f.rule for f in verdict.findings}
    assert verdict.intent.owner == manifest["accounts"]["alice"]["address"]
