"""The enrich stage's code facts, against a node faked at the RPC client's transport seam: the
sender's own delegation and a minimal proxy's implementation are followed one hop, created code is
scanned from the simulation, scans are cached by code hash, and the delegate lists work offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import Policy
from txfirewall.enrich.bytecode import BytecodeScanner
from txfirewall.enrich.stage import enrich
from txfirewall.heuristics.registry import BUILTIN_RULES
from txfirewall.model.code import DelegateStatus
from txfirewall.model.primitives import Address, to_address
from txfirewall.model.simulation import CodeChange, CodeChangeKind, Simulation, SimulationStatus

from .rule_fixtures import ALICE, BOB, ctx_for, tx

pytestmark = pytest.mark.asyncio(loop_scope="session")

SAMPLES = json.loads((Path(__file__).resolve().parents[1] / "data" / "bytecode" / "samples.json").read_text())
SWEEPER = to_address("0x00000000000000000000000000000000005EE9e2")
CLONE = to_address("0x0000000000000000000000000000000000C10000")
KNOWN_SWEEPER = to_address("0x6B7879a5d747E30a3ADb37A9e41c046928FCE933")


def designator(delegate: str) -> str:
    return "0xef0100" + delegate[2:].lower()


def clone_of(implementation: str) -> str:
    return "0x363d3d373d3d3d363d73" + implementation[2:].lower() + "5af43d82803e903d91602b57fd5bf3"


class FakeNode:
    """Answers ``eth_getCode`` from a dict (``0x`` for anything else) and records each batch."""

    def __init__(self, codes: dict[str, str]) -> None:
        self.codes = {a.lower(): c for a, c in codes.items()}
        self.batches: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls = body if isinstance(body, list) else [body]
        self.batches.append([c["method"] for c in calls])
        replies: list[dict[str, Any]] = []
        for c in calls:
            result = self.codes.get(c["params"][0].lower(), "0x") if c["method"] == "eth_getCode" else "0x"
            replies.append({"jsonrpc": "2.0", "id": c["id"], "result": result})
        return httpx.Response(200, json=replies if isinstance(body, list) else replies[0])

    def code_reads(self) -> list[int]:
        return [b.count("eth_getCode") for b in self.batches if "eth_getCode" in b]


async def _enrich(request: dict[str, Any], node: FakeNode, scanner: BytecodeScanner | None = None, **ctx: Any) -> Any:
    async with RpcClient("http://node.test", transport=httpx.MockTransport(node)) as client:
        return await enrich(ctx_for(request, **ctx), client, {}, bytecode=scanner)


def rules(ctx: Any) -> dict[str, str]:
    return {f.rule: f.severity.value for f in evaluate(ctx, BUILTIN_RULES, Policy()).findings}


async def test_the_senders_current_delegate_is_read_and_judged() -> None:
    node = FakeNode({ALICE: designator(SWEEPER), SWEEPER: SAMPLES["HardcodedSweeper"]})
    ctx = await _enrich(tx(BOB, value=1), node)
    assert ctx.sender_code is not None and ctx.sender_code.delegation_to == SWEEPER
    assert ALICE not in ctx.addresses  # the user is not a counterparty
    assert ctx.addresses[SWEEPER].roles == ("current-delegate",)
    assert ctx.addresses[SWEEPER].code is not None and ctx.addresses[SWEEPER].code.value_forwards_to_fixed
    assert node.code_reads() == [2, 1]  # bob and alice, then the delegate
    found = rules(ctx)
    assert found["delegate-sweeper-shape"] == "critical"
    assert "delegation-to-unknown-code" not in found  # an existing delegation is judged by its code only


async def test_a_current_delegation_to_a_listed_sweeper_blocks_but_its_revocation_passes() -> None:
    from eth_account import Account

    from .rule_fixtures import _raw

    node = FakeNode({BOB: designator(KNOWN_SWEEPER)})
    ctx = await _enrich(tx(BOB, value=10**18), node)
    assert ctx.addresses[KNOWN_SWEEPER].delegate_listing is not None
    assert "delegation-to-known-sweeper" in rules(ctx)  # bob's account forwards what he receives

    me = Account.from_key("0x" + "11" * 32)
    auth = me.sign_authorization({"chainId": 7357, "address": "0x" + "00" * 20, "nonce": 1})
    revoke = _raw(
        type=4, chainId=7357, maxFeePerGas=10, maxPriorityFeePerGas=1, accessList=[], authorizationList=[auth]
    )
    node = FakeNode({me.address: designator(KNOWN_SWEEPER)})
    async with RpcClient("http://node.test", transport=httpx.MockTransport(node)) as client:
        revoked = await enrich(revoke, client, {})
    assert revoked.sender_code is not None and revoked.sender_code.delegation_to == KNOWN_SWEEPER
    found = rules(revoked)
    assert not {"delegation-to-known-sweeper", "delegate-sweeper-shape", "delegation-to-unknown-code"} & set(found)
    assert "clears the EIP-7702 delegation of your account" in (revoked.intent.summary or "")


async def test_a_minimal_proxy_is_followed_to_its_implementation() -> None:
    drainer = to_address("0x00000000000000000000000000000000000D2a1e")
    node = FakeNode({CLONE: clone_of(drainer), drainer: SAMPLES["ApprovalDrainer"]})
    approve = "0x095ea7b3" + CLONE[2:].lower().rjust(64, "0") + "f" * 64
    ctx = await _enrich(tx(to_address("0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"), approve), node)
    clone = ctx.addresses[CLONE]
    assert clone.code is not None and clone.code.minimal_proxy_to == drainer
    assert ctx.addresses[drainer].roles == ("implementation",)
    assert "drainer-shape-spender" in rules(ctx)


async def test_created_code_comes_from_the_simulation_and_scans_are_cached() -> None:
    created = to_address("0x000000000000000000000000000000000000C8ea")
    code = bytes.fromhex(SAMPLES["Killable"][2:])
    sim = Simulation(
        status=SimulationStatus.SUCCESS,
        code_changes=(
            CodeChange(CodeChangeKind.CONTRACT_CREATED, created, None, None, code_size=len(code), code=code),
        ),
    )
    scanner = BytecodeScanner()
    node = FakeNode({})
    ctx = await _enrich(tx(BOB, value=1), node, scanner, simulation=sim)
    facts = ctx.addresses[created]
    assert facts.roles == ("created",) and facts.is_contract and facts.code is not None and facts.code.selfdestruct
    assert scanner.scanned == 1
    again = await _enrich(tx(BOB, value=1), node, scanner, simulation=sim)
    assert again.addresses[created].code == facts.code and scanner.scanned == 1


async def test_offline_the_lists_still_speak() -> None:
    from .rule_fixtures import _delegating

    ctx = await enrich(_delegating(KNOWN_SWEEPER), None, {})
    facts = ctx.addresses[KNOWN_SWEEPER]
    assert facts.code is None and facts.is_contract is None and not ctx.code_known
    assert facts.delegate_listing is not None and facts.delegate_listing.status is DelegateStatus.MALICIOUS
    assert rules(ctx)["delegation-to-known-sweeper"] == "critical"


async def test_a_revocation_is_not_a_counterparty() -> None:
    from .rule_fixtures import _delegating

    ctx = await enrich(_delegating(Address("0x" + "00" * 20)), None, {})
    assert Address("0x" + "00" * 20) not in ctx.addresses
    assert not {"delegation-to-unknown-code", "delegation-to-known-sweeper"} & set(rules(ctx))


async def test_the_intent_says_your_account_only_for_the_sender() -> None:
    from eth_account import Account

    from .rule_fixtures import _raw

    other = Account.from_key("0x" + "22" * 32)
    auth = other.sign_authorization({"chainId": 7357, "address": SWEEPER, "nonce": 0})
    ctx = _raw(type=4, chainId=7357, maxFeePerGas=10, maxPriorityFeePerGas=1, accessList=[], authorizationList=[auth])
    summary = ctx.intent.summary if ctx.intent else ""
    assert f"delegates account {other.address[:6]}" in summary and "your account" not in summary


async def test_a_failing_node_does_not_take_the_lists_down() -> None:
    from .rule_fixtures import _delegating

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, content=b"busy")

    async with RpcClient("http://node.test", transport=httpx.MockTransport(down)) as client:
        ctx = await enrich(_delegating(KNOWN_SWEEPER), client, {})
    assert not ctx.code_known and [f.stage for f in ctx.failures] == ["enrich"]
    found = rules(ctx)
    assert found["delegation-to-known-sweeper"] == "critical" and "analysis-stage-failed" in found
