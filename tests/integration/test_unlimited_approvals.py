""" "Unlimited" means what it does to the user: the maximum of the field's width (ERC-20 uint256,
Permit2 uint160), more than the token's whole supply, or everything the user holds.

Before: the unlimited check compared with 2**255, which Permit2's uint160 can never reach, so
``Permit2.approve(token, EOA, 2**160-1, 2**48-1)`` sent as a transaction was allowed with no
finding; ``approve(EOA, 2**255-1)`` and ``approve(EOA, 10**30)`` were allowed too.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.abi import abi_encode
from txfirewall.model.hashing import selector_of
from txfirewall.model.verdict import Decision, Verdict

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def _call(manifest: dict[str, Any], to: str, signature: str, types: list[str], args: list[Any]) -> dict[str, Any]:
    data = "0x" + (selector_of(signature) + abi_encode(types, args)).hex()
    alice = manifest["accounts"]["alice"]["address"]
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_sendTransaction",
        "params": [{"from": alice, "to": to, "data": data}],
    }


def _approve(manifest: dict[str, Any], amount: int, fn: str = "approve") -> dict[str, Any]:
    scammer = manifest["accounts"]["scammer"]["address"]
    return _call(
        manifest, manifest["contracts"]["usdx"], f"{fn}(address,uint256)", ["address", "uint256"], [scammer, amount]
    )


def _permit2_approve(manifest: dict[str, Any], amount: int, expiration: int) -> dict[str, Any]:
    c, scammer = manifest["contracts"], manifest["accounts"]["scammer"]["address"]
    return _call(
        manifest,
        c["permit2"],
        "approve(address,address,uint160,uint48)",
        ["address", "address", "uint160", "uint48"],
        [c["usdx"], scammer, amount, expiration],
    )


def _finding(verdict: Verdict, rule: str) -> dict[str, Any]:
    (found,) = [f for f in verdict.findings if f.rule == rule]
    return dict(found.evidence)


async def test_permit2_approve_at_uint160_max_to_an_eoa_is_blocked(
    firewall: Firewall, manifest: dict[str, Any]
) -> None:
    verdict = await firewall.analyze(_permit2_approve(manifest, 2**160 - 1, 2**48 - 1))
    assert verdict.decision is Decision.BLOCK, [f.rule for f in verdict.findings]
    evidence = _finding(verdict, "unlimited-approval-to-eoa")
    assert evidence["source"] == "permit2-approve" and evidence["spender_is_contract"] is False


@pytest.mark.parametrize(
    ("amount", "because"),
    [(2**255 - 1, "maximum"), (10**30, "entire supply"), (2**256 - 1, "maximum")],
    ids=["2^255-1", "1e30-over-supply", "2^256-1"],
)
async def test_approvals_that_cover_everything_to_an_eoa_are_blocked(
    firewall: Firewall, manifest: dict[str, Any], amount: int, because: str
) -> None:
    verdict = await firewall.analyze(_approve(manifest, amount))
    assert verdict.decision is Decision.BLOCK, [f.rule for f in verdict.findings]
    assert because in str(_finding(verdict, "unlimited-approval-to-eoa")["unlimited_because"])


async def test_an_approval_of_everything_alice_holds_is_unlimited_for_her(
    firewall: Firewall, mainnet: AnvilNode, manifest: dict[str, Any]
) -> None:
    alice, usdx = manifest["accounts"]["alice"]["address"], manifest["contracts"]["usdx"]
    data = "0x" + (selector_of("balanceOf(address)") + abi_encode(["address"], [alice])).hex()
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": usdx, "data": data}, "latest"]}
    balance = int(httpx.post(mainnet.url, json=body).json()["result"], 16)
    assert balance > 10**6
    everything = await firewall.analyze(_approve(manifest, balance))
    assert "all of your balance" in str(_finding(everything, "unlimited-approval-to-eoa")["unlimited_because"])
    part = await firewall.analyze(_approve(manifest, balance // 10))
    rules = {f.rule for f in part.findings}
    assert "approval-to-eoa" in rules and "unlimited-approval-to-eoa" not in rules
    assert part.decision is Decision.BLOCK, "any allowance to a plain account is high"


async def test_offline_a_permit2_approval_at_the_sentinel_is_noted_for_checking() -> None:
    """Offline nothing says whether the spender is a plain account: a low finding asks to verify it
    (a warning on every unknown router would fire on 2.5 % of real traffic)."""
    manifest_like = {
        "accounts": {
            "alice": {"address": "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"},
            "scammer": {"address": "0x00000000000000000000000000000000DeaDBeef"},
        },
        "contracts": {
            "permit2": "0x000000000022D473030F116dDEE9F6B43aC78BA3",
            "usdx": "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769",
        },
    }
    async with Firewall(FirewallConfig(simulate=False, chain_id=7357)) as fw:
        verdict = await fw.analyze(_permit2_approve(manifest_like, 2**160 - 1, 2**48 - 1))
    (finding,) = [f for f in verdict.findings if f.rule == "unlimited-approval-to-eoa"]
    assert finding.severity.value == "low" and finding.evidence["spender_is_contract"] is None
    assert finding.evidence["unlimited_because"] == "the amount is the maximum such a field holds"
