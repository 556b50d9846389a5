"""Everyday swaps with the deadlines wallets set (1, 5 and 20 minutes after now) are not evasion.

Before: the evasion differential re-ran every request "an hour later"; the router's deadline had
passed there, the swap reverted, and the revert was read as simulation evasion: every real swap
was blocked as ``simulation-divergence``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.firewall import Firewall
from txfirewall.model.abi import abi_encode
from txfirewall.model.hashing import selector_of
from txfirewall.model.simulation import SimulationStatus
from txfirewall.model.verdict import Decision

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def _head_timestamp(node: AnvilNode) -> int:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest", False]}
    return int(httpx.post(node.url, json=body).json()["result"]["timestamp"], 16)


def _swap_tokens_for_eth(manifest: dict[str, Any], deadline: int, router: str = "uniswap_v2_router") -> dict[str, Any]:
    alice = manifest["accounts"]["alice"]["address"]
    c = manifest["contracts"]
    signature = "swapExactTokensForETH(uint256,uint256,address[],address,uint256)"
    args = abi_encode(
        ["uint256", "uint256", "address[]", "address", "uint256"],
        [100 * 10**6, 0, [c["usdx"], c["weth"]], alice, deadline],
    )
    data = "0x" + (selector_of(signature) + args).hex()
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_sendTransaction",
        "params": [{"from": alice, "to": c[router], "value": "0x0", "data": data}],
    }


@pytest.mark.parametrize(
    "router", ["uniswap_v2_router", "uniswap_v2_router02"], ids=["fixture-router", "real-router02"]
)
@pytest.mark.parametrize("minutes", [1, 5, 20])
async def test_a_swap_with_a_wallet_deadline_is_not_evasion(
    firewall: Firewall, mainnet: AnvilNode, manifest: dict[str, Any], minutes: int, router: str
) -> None:
    """On the hand-written router and on Uniswap's own Router02 bytecode (from npm)."""
    verdict = await firewall.analyze(_swap_tokens_for_eth(manifest, _head_timestamp(mainnet) + 60 * minutes, router))
    assert verdict.simulation.status is SimulationStatus.SUCCESS
    assert verdict.simulation.divergence is None
    assert "simulation-divergence" not in {f.rule for f in verdict.findings}
    assert verdict.decision is Decision.ALLOW, [f.rule for f in verdict.findings]


async def test_a_swap_whose_deadline_already_passed_reverts_and_is_not_called_evasion(
    firewall: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    verdict = await firewall.analyze(_swap_tokens_for_eth(manifest, _head_timestamp(mainnet) - 60))
    assert verdict.simulation.status is SimulationStatus.REVERTED
    assert "EXPIRED" in (verdict.simulation.revert_reason or "")
    assert "simulation-divergence" not in {f.rule for f in verdict.findings}
    assert verdict.decision is not Decision.ALLOW, "a transaction that would fail is still reported"
