"""Every registered rule is well declared and has a fixture that fires and one that must not."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import Policy, RuleOverride
from txfirewall.heuristics.registry import BUILTIN_RULES, load_rules
from txfirewall.heuristics.rule import Hit, Rule
from txfirewall.model.context import Fact
from txfirewall.model.findings import Severity
from txfirewall.model.json_values import to_json_value

from .rule_fixtures import BOB, RULE_FIXTURES, ctx_for, tx

RULE_IDS = [r.id for r in BUILTIN_RULES]


def test_every_rule_has_fixtures() -> None:
    assert sorted(RULE_FIXTURES) == sorted(RULE_IDS)


def test_rule_ids_unique_and_load_rules_includes_builtins() -> None:
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    assert [r.id for r in load_rules(plugins=False)] == RULE_IDS


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=RULE_IDS)
def test_rule_metadata(rule: Rule[Any]) -> None:
    assert rule.title and rule.description, "every rule explains itself"
    assert Fact.REQUEST in rule.requires
    assert dataclasses.is_dataclass(rule.params_type)
    assert rule.check.__module__.startswith("txfirewall.heuristics.")


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=RULE_IDS)
def test_rule_fires_on_its_hit_fixture(rule: Rule[Any]) -> None:
    ctx = RULE_FIXTURES[rule.id][0]()
    assert rule.requires <= ctx.available(), "the hit fixture must provide the rule's facts"
    hit = rule.check(ctx, rule.default_params())
    assert isinstance(hit, Hit) and hit.message
    assert hit.evidence, "a finding carries its evidence"
    # Evidence is already JSON (big ints as decimal strings): it survives a strict round trip.
    assert json.loads(json.dumps(dict(hit.evidence), allow_nan=False)) == to_json_value(dict(hit.evidence))


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=RULE_IDS)
def test_rule_stays_quiet_on_its_miss_fixture(rule: Rule[Any]) -> None:
    ctx = RULE_FIXTURES[rule.id][1]()
    assert rule.check(ctx, rule.default_params()) is None


def test_missing_facts_skip_a_rule_and_say_why() -> None:
    evaluation = evaluate(ctx_for(tx(BOB, value=1)), BUILTIN_RULES, Policy())
    reasons = {s.rule: s.reason for s in evaluation.skipped}
    assert reasons["assets-to-unfamiliar-contract"] == "missing facts: code, simulation"


def test_policy_disables_overrides_and_types_params() -> None:
    ctx = RULE_FIXTURES["value-to-scam-selector"][0]()
    policy = Policy(rules={"value-to-scam-selector": RuleOverride(severity=Severity.LOW)})
    (finding,) = [f for f in evaluate(ctx, BUILTIN_RULES, policy).findings if f.rule == "value-to-scam-selector"]
    assert finding.severity is Severity.LOW
    raised = Policy(rules={"value-to-scam-selector": RuleOverride(params={"min_value_wei": 10**19})})
    assert not [f for f in evaluate(ctx, BUILTIN_RULES, raised).findings if f.rule == "value-to-scam-selector"]
    bad = Policy(rules={"value-to-scam-selector": RuleOverride(params={"min_value_wei": "lots"})})
    evaluation = evaluate(ctx, BUILTIN_RULES, bad)
    assert any(f.rule == "rule-crashed" for f in evaluation.findings)


def test_a_crashing_rule_is_reported_and_fails_closed() -> None:
    from txfirewall.heuristics.rule import NoParams, rule
    from txfirewall.model.findings import Confidence

    @rule(id="always-crashes", title="t", severity=Severity.LOW, confidence=Confidence.LOW)
    def broken(ctx: Any, params: NoParams) -> Hit | None:
        """Crashes."""
        raise ZeroDivisionError("boom")

    evaluation = evaluate(ctx_for(tx(BOB, value=1)), (broken,), Policy())
    assert [f.rule for f in evaluation.findings] == ["rule-crashed"]
    assert evaluation.findings[0].severity is Severity.MEDIUM
    assert "crashed" in evaluation.skipped[0].reason


def test_allowlisted_subject_silences_conditional_rules_only() -> None:
    ctx = RULE_FIXTURES["unlimited-approval-to-eoa"][0]()
    policy = Policy(allowlist=frozenset({BOB}))
    assert not evaluate(ctx, BUILTIN_RULES, policy).findings
    sign_ctx = RULE_FIXTURES["eth-sign-raw-hash"][0]()
    assert evaluate(sign_ctx, BUILTIN_RULES, policy).findings[0].rule == "eth-sign-raw-hash"
