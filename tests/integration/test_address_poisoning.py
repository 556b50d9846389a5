"""Address poisoning on the fixture chain: 99 % of alice's ETH to an address whose first 4 and last 4
hex digits equal a friend's from her history. Before: allowed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.facts import HistoryEntry
from txfirewall.model.primitives import to_address
from txfirewall.model.verdict import Decision

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def _balance(node: AnvilNode, address: str) -> int:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [address, "latest"]}
    return int(httpx.post(node.url, json=body).json()["result"], 16)


def _lookalike(friend: str) -> str:
    """First 4 and last 4 hex digits of ``friend``, the middle different."""
    body = friend[2:].lower()
    middle = "".join("0" if c != "0" else "1" for c in body[4:-4])
    return to_address("0x" + body[:4] + middle + body[-4:])


def _send(frm: str, to: str, value: int) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_sendTransaction",
        "params": [{"from": frm, "to": to, "value": hex(value)}],
    }


async def test_most_of_the_balance_to_a_lookalike_of_a_friend_is_blocked(
    mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    alice = to_address(manifest["accounts"]["alice"]["address"])
    friend = to_address(manifest["accounts"]["carol"]["address"])
    poison = _lookalike(friend)
    history = (
        HistoryEntry(sender=alice, to=friend, value=2 * 10**18, timestamp=1_700_000_000),
        HistoryEntry(sender=poison, to=alice, value=0, timestamp=1_700_000_100),  # the plant
    )
    config = FirewallConfig(rpc_url=mainnet.url, chain_id=manifest["chain_id"], history=history, repin_interval=None)
    amount = _balance(mainnet, alice) * 99 // 100
    async with Firewall(config) as fw:
        poisoned = await fw.analyze(_send(alice, poison, amount))
        to_friend = await fw.analyze(_send(alice, friend, amount // 10))
    assert poisoned.decision is Decision.BLOCK, [f.rule for f in poisoned.findings]
    (finding,) = [f for f in poisoned.findings if f.rule == "address-poisoning-lookalike"]
    assert finding.severity.value == "critical" and finding.evidence["imitates"] == friend
    assert finding.evidence["planted_transfers_in_history"] == 1 and finding.evidence["share_of_balance"] >= 0.98
    assert "address-poisoning-lookalike" not in {f.rule for f in to_friend.findings}
    assert to_friend.decision is Decision.ALLOW, [f.rule for f in to_friend.findings]
