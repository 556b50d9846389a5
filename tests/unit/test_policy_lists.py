"""Deny lists, policy-made unconditional rules, and the per-user policy file found without flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import default_policy_path, load_policy, policy_from_mapping
from txfirewall.errors import InputFileError
from txfirewall.heuristics.registry import load_rules
from txfirewall.model.verdict import Decision

from .rule_fixtures import APPROVE_FINITE, BOB, TOKEN, ctx_for, facts, tx, with_facts

EVE = "0x00000000000000000000000000000000000000E5"


def _rules_of(ctx, policy) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {f.rule: f.unconditional for f in evaluate(ctx, load_rules(), policy).findings}


def test_a_denylisted_recipient_spender_or_site_blocks_unconditionally() -> None:
    policy = policy_from_mapping(
        {
            "denylist": {"addresses": [BOB], "spenders": [EVE], "origins": ["evil.example"]},
            "allowlist": {"addresses": [BOB]},
        }
    )
    to_bob = with_facts(ctx_for(tx(BOB, value=1)), facts(BOB, contract=False, sent=3))
    assert _rules_of(to_bob, policy) == {"policy-denylist": True}, "the allow-list does not override a deny"
    approve = ctx_for(tx(TOKEN, APPROVE_FINITE.replace(BOB[2:].lower(), EVE[2:].lower())))
    assert "policy-denylist" in _rules_of(approve, policy)
    from dataclasses import replace

    from_site = replace(
        ctx_for(tx(TOKEN, value=1)),
        request=replace(ctx_for(tx(TOKEN, value=1)).request, origin="https://app.evil.example:8443"),
    )
    assert "policy-denylist" in _rules_of(from_site, policy)
    clean = ctx_for(tx(TOKEN, value=1))
    assert "policy-denylist" not in _rules_of(clean, policy)


def test_a_policy_can_make_a_rule_unconditional() -> None:
    ctx = with_facts(ctx_for(tx(BOB, value=1), history=()), facts(BOB, contract=False, sent=0))
    plain = policy_from_mapping({"allowlist": {"addresses": [BOB]}})
    assert "first-transfer-to-address" not in _rules_of(ctx, plain), "allow-listed subject"
    strict = policy_from_mapping(
        {"allowlist": {"addresses": [BOB]}, "rules": {"first-transfer-to-address": {"unconditional": True}}}
    )
    assert _rules_of(ctx, strict)["first-transfer-to-address"] is True
    from txfirewall.decide.decision import decide

    assert decide(evaluate(ctx, load_rules(), strict).findings, strict) is Decision.BLOCK


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[denylist]\naddresses = ["0x12"]\n', "not addresses"),
        ('[denylist]\norigins = ["https://"]\n', "not site names"),
        ('[denylist]\nsites = ["x.org"]\n', "unknown key"),
        ("[rules.first-transfer-to-address]\nunconditional = 1\n", "unconditional must be true or false"),
    ],
)
def test_malformed_lists_are_refused_with_the_reason(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(InputFileError, match=needle):
        load_policy(path)


def test_the_user_policy_file_is_found_without_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TXFIREWALL_POLICY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_policy_path() is None
    (tmp_path / "txfirewall").mkdir()
    (tmp_path / "txfirewall" / "policy.toml").write_text('[thresholds]\nwarn = "low"\n')
    assert default_policy_path() == tmp_path / "txfirewall" / "policy.toml"
    monkeypatch.setenv("TXFIREWALL_POLICY", str(tmp_path / "other.toml"))
    assert default_policy_path() == tmp_path / "other.toml"
