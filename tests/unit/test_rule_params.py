"""Policy overrides of rule parameters are checked against each parameter's declared type when the
policy loads, never when a rule runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from txfirewall.decide.evaluate import validate_policy
from txfirewall.decide.policy import policy_from_mapping
from txfirewall.errors import InputFileError
from txfirewall.heuristics.params import ParamError, apply_overrides
from txfirewall.heuristics.registry import load_rules
from txfirewall.model.primitives import ZERO_ADDRESS, Address

ALICE = "0xc1b46502289accf2734bf6168dd2bafec12839f4"


@dataclass(frozen=True)
class Every:
    count: int = 1
    ratio: float = 0.5
    on: bool = False
    name: str = "x"
    who: Address = ZERO_ADDRESS
    many: tuple[Address, ...] = ()
    tags: frozenset[str] = frozenset()
    mode: Literal["fast", "slow"] = "fast"
    maybe: int | None = None


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("count", 3, 3),
        ("ratio", 1, 1.0),
        ("ratio", 0.25, 0.25),
        ("on", True, True),
        ("name", "y", "y"),
        ("who", ALICE, "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"),
        ("many", [ALICE], ("0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4",)),
        ("tags", ["a", "b", "a"], frozenset({"a", "b"})),
        ("mode", "slow", "slow"),
        ("maybe", 7, 7),
    ],
)
def test_overrides_take_their_declared_type(key: str, value: object, expected: object) -> None:
    got = getattr(apply_overrides("r", Every(), {key: value}), key)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("ratio", "abc", "'ratio' must be float, not 'abc'"),
        ("ratio", True, "must be float"),
        ("count", 1.5, "'count' must be int"),
        ("count", True, "'count' must be int"),
        ("count", "3", "'count' must be int"),
        ("on", 1, "'on' must be bool"),
        ("name", 5, "'name' must be str"),
        ("who", "0x1234", "'who' must be address"),
        ("many", ALICE, "'many' must be list of address"),
        ("many", [ALICE, "nope"], "'many[1]' must be address"),
        ("tags", [1], "'tags[0]' must be str"),
        ("mode", "medium", "one of 'fast', 'slow'"),
        ("maybe", "x", "int or nothing"),
        ("nope", 1, "has no parameter 'nope'"),
    ],
)
def test_overrides_of_the_wrong_type_are_refused(key: str, value: object, needle: str) -> None:
    with pytest.raises(ParamError) as info:
        apply_overrides("r", Every(), {key: value})
    assert needle in str(info.value)


def test_a_string_for_a_float_parameter_is_refused_when_the_policy_loads() -> None:
    """The bug: ``high_score = "abc"`` was accepted and crashed the rule on every request."""
    policy = policy_from_mapping({"rules": {"counterparty-near-illicit": {"params": {"high_score": "abc"}}}})
    with pytest.raises(InputFileError, match=r"high_score.*must be float"):
        validate_policy(policy, load_rules())


def test_every_builtin_parameter_accepts_its_own_default() -> None:
    """Each declared type is one a policy can set: its default, written as TOML would, goes through."""
    for rule in load_rules():
        defaults = rule.default_params()
        for name, value in vars(defaults).items():
            as_toml = sorted(value) if isinstance(value, (set, frozenset)) else value
            as_toml = list(as_toml) if isinstance(as_toml, tuple) else as_toml
            assert getattr(rule.params_with({name: as_toml}), name) == value, (rule.id, name)


@pytest.mark.parametrize(
    "call",
    [
        ("approve(address,uint256)", ["address", "uint256"], 2**255 - 1),
        ("increaseAllowance(address,uint256)", ["address", "uint256"], 2**255 - 1),
        ("increaseApproval(address,uint256)", ["address", "uint256"], 2**256 - 1),
    ],
    ids=["approve", "increaseAllowance", "increaseApproval"],
)
def test_every_allowance_call_at_the_sentinel_is_unlimited_offline(call: tuple[str, list[str], int]) -> None:
    """Without a node (no simulation), the decoded call tree decides; every allowance-raising call counts."""
    from txfirewall.heuristics.approvals import unlimited_approval_to_eoa

    from .rule_fixtures import BOB, TOKEN, _calldata, ctx_for, facts, tx, with_facts

    signature, types, amount = call
    ctx = with_facts(ctx_for(tx(TOKEN, _calldata(signature, types, [BOB, amount]))), facts(BOB, contract=False))
    hit = unlimited_approval_to_eoa.check(ctx, unlimited_approval_to_eoa.default_params())
    assert hit is not None and hit.evidence["unlimited_because"] == "the amount is the maximum such a field holds"
