"""The pipeline's own contracts: the summary is written once, the evaluate stage keeps to its
budget and fails closed past it, and timings are reported, not mutated in the caller's dict."""

from __future__ import annotations

import time
from typing import Any

import pytest

import txfirewall.pipeline as pipeline_module
import txfirewall.signatures.decode as decode_module
from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import Policy
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.heuristics.registry import load_rules
from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.verdict import Decision

from .rule_fixtures import ctx_for, tx

BOB = "0x79482941438f16cC093e6Fb410BaA77A9823026F"
ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
REQUEST = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "eth_sendTransaction",
    "params": [{"from": ALICE, "to": BOB, "value": "0x1"}],
}


@rule(id="slow-rule", title="sleeps", severity=Severity.LOW, confidence=Confidence.LOW)
def _slow(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    time.sleep(0.05)
    return None


def test_past_its_budget_evaluate_skips_the_rest_and_fails_closed() -> None:
    ctx = ctx_for(tx(BOB, value=1))
    rules = (_slow, _slow, *load_rules())
    done = evaluate(ctx, rules, Policy(), budget_seconds=0.01)
    assert [f.rule for f in done.findings] == ["evaluate-timeout"]
    not_run = [s for s in done.skipped if "budget" in s.reason]
    assert len(not_run) == len(rules) - 1, "the first slow rule ran; every later one is reported"
    assert done.findings[0].severity is Severity.MEDIUM


def test_within_its_budget_every_rule_runs() -> None:
    ctx = ctx_for(tx(BOB, value=1))
    done = evaluate(ctx, load_rules(), Policy(), budget_seconds=5.0)
    assert not [s for s in done.skipped if "budget" in s.reason]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_summary_is_written_once_per_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    original = pipeline_module.describe

    def counting(*args: Any, **kwargs: Any) -> str:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "describe", counting)
    monkeypatch.setattr(decode_module, "describe", counting)
    async with Firewall(FirewallConfig(simulate=False)) as fw:
        verdict = await fw.analyze(REQUEST)
    assert len(calls) == 1
    assert verdict.intent.summary.startswith("Send")
    assert verdict.decision is not Decision.BLOCK


@pytest.mark.asyncio(loop_scope="session")
async def test_timings_cover_every_stage_and_are_read_only() -> None:
    async with Firewall(FirewallConfig(simulate=False)) as fw:
        verdict = await fw.analyze(REQUEST)
    assert list(verdict.timings_ms) == ["parse", "decode", "simulate", "enrich", "evaluate", "decide", "total"]
    assert verdict.timings_ms["total"] >= verdict.timings_ms["decode"]
    with pytest.raises(TypeError):
        verdict.timings_ms["total"] = 0.0  # type: ignore[index]


@pytest.mark.asyncio(loop_scope="session")
async def test_an_approval_nested_past_the_decoder_limit_fails_closed() -> None:
    """Nine levels of aggregate3 around approve(BOB, max): the decoder stops at eight; before, the
    verdict was allow with only a note."""
    from .rule_fixtures import ALICE as FIXTURE_ALICE
    from .rule_fixtures import MULTICALL3, nested_aggregate3

    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_sendTransaction",
        "params": [{"from": FIXTURE_ALICE, "to": MULTICALL3, "data": nested_aggregate3(9)}],
    }
    async with Firewall(FirewallConfig(simulate=False)) as fw:
        deep = await fw.analyze(request)
        request["params"][0]["data"] = nested_aggregate3(3)  # type: ignore[index]
        shallow = await fw.analyze(request)
    assert deep.decision is Decision.WARN and "call-tree-truncated" in {f.rule for f in deep.findings}
    assert deep.intent.truncated
    assert "call-tree-truncated" not in {f.rule for f in shallow.findings}
    assert [a.path for a in shallow.intent.allowances] == ["aggregate3[0] > aggregate3[0] > aggregate3[0]"]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_hash_written_out_as_text_is_as_opaque_as_the_raw_hash() -> None:
    """personal_sign of the text "0x" + 64 hex digits was allowed; the same 32 bytes raw warned."""
    digest = bytes(range(32))

    def personal_sign(payload: bytes) -> dict[str, object]:
        return {"jsonrpc": "2.0", "id": 1, "method": "personal_sign", "params": ["0x" + payload.hex(), ALICE]}

    async with Firewall(FirewallConfig(simulate=False)) as fw:
        raw = await fw.analyze(personal_sign(digest))
        as_text = await fw.analyze(personal_sign(("0x" + digest.hex()).encode()))
        readable = await fw.analyze(personal_sign(b"Sign in to example.org: nonce 0x1234"))
    for verdict in (raw, as_text):
        assert verdict.decision is Decision.WARN and "opaque-message-signature" in {f.rule for f in verdict.findings}
    assert "32-byte hash" in " ".join(as_text.intent.notes)
    assert readable.decision is Decision.ALLOW
