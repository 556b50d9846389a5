"""A contract creation (no ``to``) is simulated, not failed: before, anvil refused the call and
every deployment was warned as 'simulation unavailable'."""

from __future__ import annotations

import json
from typing import Any

import pytest

from txfirewall.firewall import Firewall
from txfirewall.model.simulation import CodeChangeKind, SimulationStatus
from txfirewall.model.verdict import Decision

from ..conftest import FIXTURES

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def _deploy(manifest: dict[str, Any], init_code: str, value: int = 0) -> dict[str, Any]:
    alice = manifest["accounts"]["alice"]["address"]
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_sendTransaction",
        "params": [{"from": alice, "data": init_code, "value": hex(value)}],
    }


async def test_a_deployment_is_simulated_and_its_code_reported(firewall: Firewall, manifest: dict[str, Any]) -> None:
    init = json.loads((FIXTURES / "artifacts" / "TestNFT.json").read_text())["bytecode"]
    verdict = await firewall.analyze(_deploy(manifest, init if init.startswith("0x") else "0x" + init))
    assert verdict.simulation.status is SimulationStatus.SUCCESS, verdict.simulation.error
    created = [c for c in verdict.simulation.code_changes if c.kind is CodeChangeKind.CONTRACT_CREATED]
    assert created and (created[0].code_size or 0) > 1000
    assert "simulation-unavailable" not in {f.rule for f in verdict.findings}
    assert verdict.decision is Decision.ALLOW, [f.rule for f in verdict.findings]


async def test_a_reverting_constructor_is_reported_as_a_revert(firewall: Firewall, manifest: dict[str, Any]) -> None:
    reverts = "0x60006000fd" + "00" * 40  # PUSH1 0 PUSH1 0 REVERT, padded past 40 bytes
    verdict = await firewall.analyze(_deploy(manifest, reverts))
    assert verdict.simulation.status is SimulationStatus.REVERTED
    assert verdict.decision is not Decision.ALLOW
