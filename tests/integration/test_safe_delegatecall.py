"""RELIABILITY.md A6.9, the Bybit / Safe{Wallet} theft (2025-02-21): the signers' page showed a
transfer while they signed ``execTransaction`` with ``operation=1``, a DELEGATECALL from their Safe
into the attacker's contract, which then ran with the Safe's storage and balance. A firewall that
judges the bytes actually signed sees the delegatecall and, simulated, what it does.

Here alice's 1-of-1 Safe on the fixture chain (1.5 ETH) delegatecalls the fixture's sweeper: run as
the Safe, it sends the Safe's ETH to the sweeper's collector.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from tests.support.safe_tx import multisend_entry, safe_tx_request
from txfirewall.firewall import Firewall
from txfirewall.model.verdict import Decision

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
SAFE_ETH = 1_500_000_000_000_000_000


def _call(signature: str, types: list[str], args: list[Any]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, args)


def exec_transaction(
    manifest: dict[str, Any], operation: int, target: str | None = None, inner: bytes | None = None
) -> dict[str, Any]:
    """alice's Safe runs ``sweep([])`` on the sweeper (or ``inner`` on ``target``): a CALL (0) or a
    DELEGATECALL (1). The signature is the owner's pre-validated one (r = owner, v = 1), valid as
    alice sends it."""
    contracts = manifest["contracts"]
    signature = int(ALICE, 16).to_bytes(32, "big") + bytes(32) + b"\x01"
    sweep = _call("sweep(address[])", ["address[]"], [[]]) if inner is None else inner
    to = contracts["sweeper_7702"] if target is None else target
    data = _call(
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
        ["address", "uint256", "bytes", "uint8", "uint256", "uint256", "uint256", "address", "address", "bytes"],
        [to, 0, sweep, operation, 0, 0, 0, "0x" + "00" * 20, "0x" + "00" * 20, signature],
    )
    tx = {"from": ALICE, "to": contracts["alice_safe"], "value": "0x0", "data": "0x" + data.hex()}
    return {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [tx]}


async def test_a6_9_the_delegatecall_and_what_it_does_are_seen(firewall: Firewall, manifest: dict[str, Any]) -> None:
    verdict = await firewall.analyze(exec_transaction(manifest, 1))
    safe = manifest["contracts"]["alice_safe"].lower()
    frames = [(f.call_type, f.caller.lower(), (f.target or "").lower()) for f in verdict.simulation.frames]
    sweeper = manifest["contracts"]["sweeper_7702"].lower()
    assert ("DELEGATECALL", safe, sweeper) in frames, "the Safe runs the sweeper's code as itself"
    lost = [c for c in verdict.simulation.changes if c.address.lower() == safe]
    assert [c.delta for c in lost] == [-SAFE_ETH], "the simulation shows the Safe emptied"
    called = await firewall.analyze(exec_transaction(manifest, 0))
    assert not [c for c in called.simulation.changes if c.address.lower() == safe], "a CALL moves nothing"


async def test_a6_9_a_safe_delegatecall_that_empties_the_safe_is_not_allowed(
    firewall: Firewall, manifest: dict[str, Any]
) -> None:
    verdict = await firewall.analyze(exec_transaction(manifest, 1))
    assert verdict.decision is not Decision.ALLOW, [f.rule for f in verdict.findings]
    rules = {f.rule for f in verdict.findings}
    assert {"safe-delegatecall-unknown-target", "safe-funds-leave-via-delegatecall"} <= rules, rules


async def test_a6_9_a_safe_batch_through_multisend_call_only_is_not_flagged(
    firewall: Firewall, manifest: dict[str, Any]
) -> None:
    """Safe{Wallet}'s own batches DELEGATECALL the canonical MultiSendCallOnly: not the Bybit shape."""
    pay = multisend_entry(0, ALICE, value=10**15)
    batch = _call("multiSend(bytes)", ["bytes"], [pay])
    request = exec_transaction(manifest, 1, manifest["contracts"]["safe_multisend_call_only"], batch)
    verdict = await firewall.analyze(request)
    rules = {f.rule for f in verdict.findings}
    assert not rules & {"safe-delegatecall-unknown-target", "safe-funds-leave-via-delegatecall"}, rules


def safe_tx(manifest: dict[str, Any], to: str, operation: int, data: bytes) -> dict[str, Any]:
    """An owner's SafeTx signature request for alice's Safe (its real chain and address)."""
    contracts = manifest["contracts"]
    return safe_tx_request(ALICE, contracts["alice_safe"], manifest["chain_id"], to, operation, data, nonce=0)


async def test_a6_9_a_signed_safe_batch_hiding_a_delegatecall_is_not_allowed(
    firewall: Firewall, manifest: dict[str, Any]
) -> None:
    """The Bybit signers signed a SafeTx off-chain. Here the SafeTx DELEGATECALLs the real
    MultiSendCallOnly (a library), and the batch's second entry DELEGATECALLs the sweeper: that
    entry runs as the Safe. The same batch with plain CALLs is an ordinary Safe{Wallet} batch."""
    library = manifest["contracts"]["safe_multisend_call_only"]
    sweeper = manifest["contracts"]["sweeper_7702"]
    sweep = _call("sweep(address[])", ["address[]"], [[]])
    hidden = _call("multiSend(bytes)", ["bytes"], [multisend_entry(0, ALICE) + multisend_entry(1, sweeper, sweep)])
    verdict = await firewall.analyze(safe_tx(manifest, library, 1, hidden))
    assert verdict.decision is not Decision.ALLOW, [f.rule for f in verdict.findings]
    (finding,) = [f for f in verdict.findings if f.rule == "safe-delegatecall-unknown-target"]
    assert finding.evidence["path"] == "SafeTx > multiSend[1]"
    assert str(finding.evidence["target"]).lower() == sweeper.lower()
    plain = _call("multiSend(bytes)", ["bytes"], [multisend_entry(0, ALICE) + multisend_entry(0, sweeper, sweep)])
    rules = {f.rule for f in (await firewall.analyze(safe_tx(manifest, library, 1, plain))).findings}
    assert "safe-delegatecall-unknown-target" not in rules, rules


async def test_a6_9_a_module_delegatecall_is_not_allowed(firewall: Firewall, manifest: dict[str, Any]) -> None:
    """A Safe module (a recovery or allowance module) makes the Safe DELEGATECALL through
    ``execTransactionFromModule``: the same Bybit shape without the owners' signatures."""
    safe = manifest["contracts"]["alice_safe"]
    sweeper = manifest["contracts"]["sweeper_7702"]
    sweep = _call("sweep(address[])", ["address[]"], [[]])
    rules_by_operation = {}
    for operation in (1, 0):
        data = _call(
            "execTransactionFromModule(address,uint256,bytes,uint8)",
            ["address", "uint256", "bytes", "uint8"],
            [sweeper, 0, sweep, operation],
        )
        tx = {"from": ALICE, "to": safe, "value": "0x0", "data": "0x" + data.hex()}
        verdict = await firewall.analyze({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [tx]})
        rules_by_operation[operation] = {f.rule for f in verdict.findings}
        if operation == 1:
            assert verdict.decision is not Decision.ALLOW, rules_by_operation
    assert "safe-delegatecall-unknown-target" in rules_by_operation[1], rules_by_operation
    assert "safe-delegatecall-unknown-target" not in rules_by_operation[0], rules_by_operation
