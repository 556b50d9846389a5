"""Deceptive EIP-712 domains and Permit2 batches (RELIABILITY A8 case 41, issue 13).

A permit whose domain says "Permit2" or "Uniswap" over another ``verifyingContract`` was allowed,
and so was a Permit2 batch for an unfamiliar contract. These run the whole offline pipeline (the
enrich stage names the verifying contract from the curated list and the ERC-7730 registry) and
check the decision, not only the rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.heuristics.typed_data import claimed_brands
from txfirewall.model.primitives import to_address
from txfirewall.model.verdict import Decision, Verdict

from .rule_fixtures import ALICE, DRAINER, PERMIT2, TOKEN, TOKEN2

UNIVERSAL_ROUTER = "0x3fC91A3afd70395Cd496C647d5a6CC9D4B2b7FAD"  # mainnet, in the curated list
POSITION_MANAGER = "0xC36442b4a4522E871399CD717aBDD847Ab11FE88"  # Uniswap V3 positions NFT
UNKNOWN_CONTRACT = "0x00000000000000000000000000000000DeaDBeef"
DETAILS = [
    {"name": "token", "type": "address"},
    {"name": "amount", "type": "uint160"},
    {"name": "expiration", "type": "uint48"},
    {"name": "nonce", "type": "uint48"},
]
DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def permit2(name: str, verifying_contract: str, spender: str, *, batch: bool, chain: int = 1) -> dict[str, Any]:
    detail = {"token": TOKEN, "amount": "1000000", "expiration": "1825027200", "nonce": "0"}
    primary = "PermitBatch" if batch else "PermitSingle"
    doc = {
        "types": {
            "EIP712Domain": DOMAIN_TYPE,
            primary: [
                {"name": "details", "type": "PermitDetails[]" if batch else "PermitDetails"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": DETAILS,
        },
        "primaryType": primary,
        "domain": {"name": name, "chainId": chain, "verifyingContract": verifying_contract},
        "message": {
            "details": [detail, {**detail, "token": TOKEN2}] if batch else detail,
            "spender": spender,
            "sigDeadline": "1825027200",
        },
    }
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, json.dumps(doc)]}


def erc2612(name: str, verifying_contract: str, spender: str, chain: int = 1) -> dict[str, Any]:
    doc = {
        "types": {
            "EIP712Domain": DOMAIN_TYPE,
            "Permit": [
                {"name": n, "type": t}
                for n, t in (
                    ("owner", "address"),
                    ("spender", "address"),
                    ("value", "uint256"),
                    ("nonce", "uint256"),
                    ("deadline", "uint256"),
                )
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": name, "chainId": chain, "verifyingContract": verifying_contract},
        "message": {"owner": ALICE, "spender": spender, "value": "1000", "nonce": "0", "deadline": "1825027200"},
    }
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, json.dumps(doc)]}


async def analyse(request: dict[str, Any]) -> Verdict:
    async with Firewall(FirewallConfig(simulate=False, chain_id=1)) as fw:
        return await fw.analyze(request)


def rules(verdict: Verdict) -> set[str]:
    return {f.rule for f in verdict.findings}


@pytest.mark.parametrize(
    ("name", "brands"),
    [
        ("Permit2", ("permit2",)),
        ("Uniswap", ("uniswap",)),
        ("Uniswap V3 Positions NFT-V1", ("uniswap",)),
        ("UniswapX", ("uniswap",)),
        ("  permit2 ", ("permit2",)),
        ("Test USD", ()),
        ("Reuniswap", ()),
        ("USD Coin", ()),
    ],
)
def test_brands_claimed_by_a_domain_name(name: str, brands: tuple[str, ...]) -> None:
    from txfirewall.heuristics.typed_data import PROTECTED_BRANDS

    assert claimed_brands(name, PROTECTED_BRANDS) == brands


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    "request_",
    [
        permit2("Permit2", DRAINER, UNIVERSAL_ROUTER, batch=False),  # a Permit2 clone
        permit2("Permit2", POSITION_MANAGER, UNIVERSAL_ROUTER, batch=False),  # a real contract, not Permit2
        erc2612("Uniswap", UNKNOWN_CONTRACT, UNIVERSAL_ROUTER),
        erc2612("Uniswap V3 Positions NFT-V1", UNKNOWN_CONTRACT, UNIVERSAL_ROUTER),
    ],
)
async def test_a_domain_borrowing_a_protocol_name_is_blocked_case_41(request_: dict[str, Any]) -> None:
    verdict = await analyse(request_)
    assert "deceptive-typed-data-domain" in rules(verdict)
    assert verdict.decision is Decision.BLOCK


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    "request_",
    [
        permit2("Permit2", PERMIT2, UNIVERSAL_ROUTER, batch=False),
        permit2("Permit2", PERMIT2, UNIVERSAL_ROUTER, batch=True),
        erc2612("Uniswap V3 Positions NFT-V1", POSITION_MANAGER, UNIVERSAL_ROUTER),
        erc2612("Test USD", UNKNOWN_CONTRACT, UNIVERSAL_ROUTER),
    ],
)
async def test_the_genuine_contracts_of_a_brand_are_not_flagged(request_: dict[str, Any]) -> None:
    verdict = await analyse(request_)
    assert "deceptive-typed-data-domain" not in rules(verdict)
    assert "permit2-batch-to-unknown-spender" not in rules(verdict)
    assert verdict.decision is not Decision.BLOCK, [f.rule for f in verdict.findings]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_permit2_batch_for_an_unfamiliar_contract_is_blocked_case_41() -> None:
    verdict = await analyse(permit2("Permit2", PERMIT2, UNKNOWN_CONTRACT, batch=True))
    assert "permit2-batch-to-unknown-spender" in rules(verdict)
    assert "deceptive-typed-data-domain" not in rules(verdict)
    assert verdict.decision is Decision.BLOCK


@pytest.mark.asyncio(loop_scope="session")
async def test_a_permit2_batch_for_a_spender_the_user_uses_is_not_flagged() -> None:
    from txfirewall.model.facts import HistoryEntry

    history = tuple(
        HistoryEntry(sender=ALICE, to=to_address(UNKNOWN_CONTRACT), value=0, timestamp=1_700_000_000 + i)
        for i in range(2)
    )
    async with Firewall(FirewallConfig(simulate=False, chain_id=1, history=history)) as fw:
        verdict = await fw.analyze(permit2("Permit2", PERMIT2, UNKNOWN_CONTRACT, batch=True))
    assert "permit2-batch-to-unknown-spender" not in rules(verdict)
