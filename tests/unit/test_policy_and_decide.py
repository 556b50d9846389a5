"""Policy TOML parsing, and the decide stage (``decide``, ``score``, and which blocks the user may
override: ``overridable``, ``blocking_rules``)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from txfirewall.decide.decision import blocking_rules, decide, overridable, score
from txfirewall.decide.policy import Policy, RuleOverride, load_policy, policy_from_mapping
from txfirewall.errors import InputFileError
from txfirewall.model.findings import Confidence, Finding, Severity
from txfirewall.model.intent import Intent, IntentKind
from txfirewall.model.simulation import Simulation, SimulationStatus
from txfirewall.model.verdict import Decision, Verdict

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
BOB = "0x79482941438f16cC093e6Fb410BaA77A9823026F"
SEVERITIES = list(Severity)


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def finding(severity: Severity, *, rule: str = "some-rule", unconditional: bool = False) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        confidence=Confidence.HIGH,
        title="t",
        message=f"{rule} {severity}",
        unconditional=unconditional,
    )


# --------------------------------------------------------------------------------------------
# policy parsing


def test_defaults() -> None:
    policy = Policy()
    assert (policy.warn_at, policy.block_at) == (Severity.MEDIUM, Severity.HIGH)
    assert policy.allowlist == frozenset()
    assert policy.override("anything") == RuleOverride()
    assert policy_from_mapping({}) == policy


def test_empty_file_is_the_default_policy(tmp_path: Path) -> None:
    assert load_policy(write_policy(tmp_path, "")) == Policy()


def test_full_policy(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path,
        f"""
[thresholds]
warn = "low"
block = "critical"

[rules.first-transfer-to-address]
enabled = false

[rules.assets-to-unfamiliar-contract]
severity = "high"
params = {{ min_past_interactions = 2 }}

[allowlist]
addresses = ["{ALICE.lower()}", "{BOB}"]
""",
    )
    policy = load_policy(path)
    assert policy.warn_at is Severity.LOW
    assert policy.block_at is Severity.CRITICAL
    assert policy.override("first-transfer-to-address").enabled is False
    assets = policy.override("assets-to-unfamiliar-contract")
    assert assets.enabled is True
    assert assets.severity is Severity.HIGH
    assert dict(assets.params) == {"min_past_interactions": 2}
    with pytest.raises(TypeError):
        assets.params["min_past_interactions"] = 3  # type: ignore[index]
    # rules not mentioned keep their defaults
    assert policy.override("eth-sign-raw-hash") == RuleOverride()
    # addresses are normalised to their checksum form
    assert policy.allowlist == frozenset({ALICE, BOB})


def test_only_one_threshold_keeps_the_other_default() -> None:
    policy = policy_from_mapping({"thresholds": {"block": "critical"}})
    assert (policy.warn_at, policy.block_at) == (Severity.MEDIUM, Severity.CRITICAL)


def test_warn_equal_to_block_is_allowed() -> None:
    policy = policy_from_mapping({"thresholds": {"warn": "high", "block": "high"}})
    assert policy.warn_at is policy.block_at is Severity.HIGH


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('[threshold]\nwarn = "low"\n', ["unknown section", "threshold"]),
        ('[thresholds]\nwarn = "severe"\n', ["[thresholds] warn", "'severe' is not a severity", "critical"]),
        ('[thresholds]\nblock = "HIGH"\n', ["[thresholds] block", "'HIGH'"]),
        ("[thresholds]\nwarn = 3\n", ["[thresholds] warn", "3 is not a severity"]),
        ('[thresholds]\nwarn = "high"\nblock = "medium"\n', ["block must not be below warn"]),
        ('[thresholds]\nblock = "low"\n', ["block must not be below warn"]),
        ('[rules.first-transfer-to-address]\nseverity = "urgent"\n', ["rules.first-transfer-to-address", "'urgent'"]),
        (
            "[rules.first-transfer-to-address]\nenable = false\n",
            ["rules.first-transfer-to-address", "allowed keys are enabled, severity, params"],
        ),
        ("[rules]\nfirst-transfer-to-address = false\n", ["rules.first-transfer-to-address", "allowed keys"]),
        (f'[allowlist]\naddresses = ["0x1234", "{ALICE}"]\n', ["[allowlist]", "not addresses: 0x1234"]),
        ("[allowlist]\naddresses = [5]\n", ["[allowlist]", "not addresses: 5"]),
        ("[thresholds\n", ["not valid TOML"]),
        ('[thresholds]\nwarn = "low"\nwarn = "high"\n', ["not valid TOML"]),
        ("warn = low\n", ["not valid TOML"]),
    ],
    ids=[
        "unknown-section",
        "bad-severity",
        "uppercase-severity",
        "severity-not-string",
        "block-below-warn",
        "block-below-default-warn",
        "bad-rule-severity",
        "unknown-rule-key",
        "rule-not-a-table",
        "bad-allowlist-address",
        "allowlist-not-string",
        "invalid-toml",
        "duplicate-toml-key",
        "bare-word",
    ],
)
def test_malformed_policy_raises_input_file_error(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = write_policy(tmp_path, text)
    with pytest.raises(InputFileError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message
    assert "README" in message  # the hint says where the format is described


def test_unreadable_policy_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes(b'[thresholds]\nwarn = "\xe9"\n')
    with pytest.raises(InputFileError, match="cannot read policy file"):
        load_policy(tmp_path / "latin1.toml")


# Structural mistakes. At f1ba5e1 each of these was a bug: non-table sections and params crashed with
# AttributeError/TypeError/ValueError (CLI exit 1), unknown keys in [thresholds]/[allowlist] were
# silently ignored, and enabled = "false" (a string) was read as True.
@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('thresholds = "high"\n', ["[thresholds] must be a table"]),
        ("rules = 5\n", ["[rules] must be a table"]),
        (f'allowlist = ["{ALICE}"]\n', ["[allowlist] must be a table"]),
        (
            "[rules.first-transfer-to-address]\nparams = 5\n",
            ["[rules.first-transfer-to-address] params must be a table"],
        ),
        ('[rules.first-transfer-to-address]\nparams = "abc"\n', ["params must be a table"]),
        ('[thresholds]\nwarm = "low"\n', ["[thresholds]", "warm", "warn, block"]),
        (f'[allowlist]\nadresses = ["{ALICE}"]\n', ["[allowlist]", "adresses"]),
        ('[rules.first-transfer-to-address]\nenabled = "false"\n', ["enabled must be true or false", "'false'"]),
        ("[rules.first-transfer-to-address]\nenabled = 0\n", ["enabled must be true or false"]),
        (f'[allowlist]\naddresses = "{ALICE}"\n', ["[allowlist] addresses must be a list"]),
    ],
    ids=[
        "thresholds-not-table",
        "rules-not-table",
        "allowlist-not-table",
        "params-int",
        "params-string",
        "thresholds-typo",
        "allowlist-typo",
        "enabled-string",
        "enabled-int",
        "addresses-not-list",
    ],
)
def test_structurally_malformed_policy_raises_input_file_error(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = write_policy(tmp_path, text)
    with pytest.raises(InputFileError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message


# --------------------------------------------------------------------------------------------
# decide


def test_no_findings_allow() -> None:
    assert decide([], Policy()) is Decision.ALLOW


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.INFO, Decision.ALLOW),
        (Severity.LOW, Decision.ALLOW),
        (Severity.MEDIUM, Decision.WARN),
        (Severity.HIGH, Decision.BLOCK),
        (Severity.CRITICAL, Decision.BLOCK),
    ],
)
def test_default_thresholds(severity: Severity, expected: Decision) -> None:
    assert decide([finding(severity)], Policy()) is expected


def test_worst_finding_decides_regardless_of_order() -> None:
    findings = [finding(Severity.LOW), finding(Severity.HIGH), finding(Severity.MEDIUM)]
    for perm in itertools.permutations(findings):
        assert decide(list(perm), Policy()) is Decision.BLOCK
    assert decide([finding(Severity.LOW), finding(Severity.MEDIUM), finding(Severity.INFO)], Policy()) is Decision.WARN


@pytest.mark.parametrize(("warn", "block"), [(w, b) for w in SEVERITIES for b in SEVERITIES if b >= w])
def test_custom_thresholds(warn: Severity, block: Severity) -> None:
    policy = policy_from_mapping({"thresholds": {"warn": warn.value, "block": block.value}})
    for severity in SEVERITIES:
        expected = (
            Decision.BLOCK
            if severity.rank >= block.rank
            else Decision.WARN
            if severity.rank >= warn.rank
            else Decision.ALLOW
        )
        assert decide([finding(severity)], policy) is expected, (warn, block, severity)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_unconditional_findings_always_block(severity: Severity) -> None:
    lenient = policy_from_mapping({"thresholds": {"warn": "critical", "block": "critical"}})
    assert decide([finding(severity, unconditional=True)], lenient) is Decision.BLOCK
    assert decide([finding(Severity.INFO), finding(severity, unconditional=True)], lenient) is Decision.BLOCK
    # the same finding without the flag follows the thresholds
    if severity is not Severity.CRITICAL:
        assert decide([finding(severity)], lenient) is Decision.ALLOW


# --------------------------------------------------------------------------------------------
# score


def test_score_is_zero_without_findings() -> None:
    assert score([]) == 0


def test_score_of_info_only_is_zero() -> None:
    assert score([finding(Severity.INFO)] * 5) == 0


def test_score_single_findings_rise_with_severity() -> None:
    singles = [score([finding(s)]) for s in SEVERITIES]
    assert singles[0] == 0
    assert singles == sorted(singles)
    assert len(set(singles)) == len(singles)  # strictly increasing
    assert all(0 <= s <= 100 for s in singles)


def test_more_findings_add_to_the_score() -> None:
    one = score([finding(Severity.MEDIUM)])
    two = score([finding(Severity.MEDIUM), finding(Severity.LOW)])
    assert two > one
    # an info finding does not count
    assert score([finding(Severity.MEDIUM), finding(Severity.INFO)]) == one


def test_score_is_capped_at_100() -> None:
    many = [finding(Severity.CRITICAL)] * 20
    assert score(many) == 100
    assert score([finding(Severity.CRITICAL), finding(Severity.HIGH)] * 3) == 100


def test_score_does_not_depend_on_order() -> None:
    findings = [finding(Severity.LOW), finding(Severity.HIGH), finding(Severity.MEDIUM), finding(Severity.INFO)]
    assert len({score(list(p)) for p in itertools.permutations(findings)}) == 1


@pytest.mark.parametrize("n", [1, 2, 3])
def test_score_is_monotone_in_severity(n: int) -> None:
    """Raising the severity of any one finding never lowers the score; adding a finding never lowers it."""
    for combo in itertools.product(SEVERITIES, repeat=n):
        base = score([finding(s) for s in combo])
        assert 0 <= base <= 100
        for i, severity in enumerate(combo):
            for higher in SEVERITIES[severity.rank + 1 :]:
                raised = list(combo)
                raised[i] = higher
                assert score([finding(s) for s in raised]) >= base, (combo, i, higher)
        for extra in SEVERITIES:
            assert score([finding(s) for s in (*combo, extra)]) >= base


# --------------------------------------------------------------------------------------------
# block overrides


def verdict_of(*findings: Finding, policy: Policy, error: str | None = None) -> Verdict:
    return Verdict(
        decision=decide(findings, policy),
        score=score(findings),
        findings=findings,
        intent=Intent(kind=IntentKind.CONTRACT_CALL, summary="a call"),
        simulation=Simulation(status=SimulationStatus.SKIPPED),
        method="eth_sendTransaction",
        error=error,
    )


def test_a_block_is_overridable_only_when_the_policy_allows_and_nothing_unconditional_caused_it() -> None:
    on, off = Policy(allow_block_override=True), Policy()
    high = finding(Severity.HIGH, rule="value-to-scam-selector")
    assert overridable(verdict_of(high, policy=on), on)
    assert not overridable(verdict_of(high, policy=off), off), "off by default"
    final = finding(Severity.LOW, rule="eth-sign-raw-hash", unconditional=True)
    assert not overridable(verdict_of(high, final, policy=on), on), "an unconditional finding is final"
    assert not overridable(verdict_of(high, policy=on, error="InvalidJsonError"), on), "an unreadable request"
    warn = verdict_of(finding(Severity.MEDIUM), policy=on)
    assert warn.decision is Decision.WARN and not overridable(warn, on), "only a block is overridden"


def test_blocking_rules_are_the_unconditional_ones_and_those_at_the_block_threshold() -> None:
    findings = [
        finding(Severity.CRITICAL, rule="a"),
        finding(Severity.HIGH, rule="b"),
        finding(Severity.MEDIUM, rule="c"),
        finding(Severity.INFO, rule="d", unconditional=True),
    ]
    assert blocking_rules(findings, Policy()) == {"a", "b", "d"}
    assert blocking_rules(findings, Policy(block_at=Severity.CRITICAL)) == {"a", "d"}
    assert blocking_rules([finding(Severity.MEDIUM)], Policy()) == frozenset()
