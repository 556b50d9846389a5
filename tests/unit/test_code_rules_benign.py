"""What benign traffic looks like to the code rules: routers, Permit2, Safe-style proxies,
self-multicalls, a self-only batch account and an exchange deposit forwarder must not raise the
bytecode findings; their malicious twins must."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import Policy
from txfirewall.enrich.bytecode import scan_code
from txfirewall.heuristics.registry import BUILTIN_RULES
from txfirewall.model.code import CodeFeatures
from txfirewall.model.primitives import MAX_UINT256, to_address

from .rule_fixtures import DRAINER, _approve, _counterparty, _delegated_to, sample_code, tx

REPO = Path(__file__).resolve().parents[2]
CODE_RULES = {
    "delegation-to-known-sweeper",
    "delegate-sweeper-shape",
    "selfdestruct-in-counterparty",
    "delegatecall-to-arbitrary-target",
    "drainer-shape-spender",
    "minimal-proxy-to-flagged-implementation",
}
COUNTERPARTY = to_address("0x000000000000000000000000000000000000c0DE")


def deployed(role: str) -> CodeFeatures:
    manifest = json.loads((REPO / "anvil_fixtures" / "manifest.json").read_text())
    state = json.loads((REPO / "anvil_fixtures" / "state.json").read_text())
    return scan_code(bytes.fromhex(state["accounts"][manifest["contracts"][role].lower()]["code"][2:]))


def code_findings(ctx: object) -> set[str]:
    return {f.rule for f in evaluate(ctx, BUILTIN_RULES, Policy()).findings} & CODE_RULES  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ["uniswap_v2_router", "permit2", "multicall3", "vault_proxy", "weth"])
def test_an_unlimited_approval_to_a_protocol_contract_raises_no_code_finding(role: str) -> None:
    ctx = _counterparty(_approve(COUNTERPARTY, MAX_UINT256), COUNTERPARTY, deployed(role), "spender")
    assert code_findings(ctx) == set()


@pytest.mark.parametrize("name", ["SingletonProxy", "SelfMulticall", "BatchAccount", "DepositForwarder"])
def test_sending_eth_to_benign_shapes_raises_no_code_finding(name: str) -> None:
    ctx = _counterparty(tx(COUNTERPARTY, value=10**18), COUNTERPARTY, sample_code(name), "recipient")
    assert code_findings(ctx) == set()


def test_a_self_only_batch_account_as_delegate_is_unknown_not_a_sweeper() -> None:
    ctx = _delegated_to(DRAINER, sample_code("BatchAccount"))
    found = {f.rule: f.severity.value for f in evaluate(ctx, BUILTIN_RULES, Policy()).findings}
    assert found == {"delegation-to-unknown-code": "medium"}


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("HardcodedSweeper", "delegate-sweeper-shape"),
        ("Killable", "delegation-to-unknown-code"),
        ("ArbitraryDelegator", "delegation-to-unknown-code"),
    ],
)
def test_malicious_or_dangerous_delegates(name: str, rule: str) -> None:
    found = {
        f.rule: f.severity.value
        for f in evaluate(_delegated_to(DRAINER, sample_code(name)), BUILTIN_RULES, Policy()).findings
    }
    assert rule in found and found["delegation-to-unknown-code"] == "high"
