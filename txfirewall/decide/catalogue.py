"""The rules as plain data (id, family, severity, typed parameters and their defaults), and a
policy checked against them: what ``txfirewall rules`` prints and the terminal app's Rules screen
edits, without either reaching into the rules' modules."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from txfirewall.decide.evaluate import validate_policy
from txfirewall.decide.policy import Policy, policy_from_mapping
from txfirewall.heuristics.params import declared_types, describe_type
from txfirewall.heuristics.registry import load_rules
from txfirewall.heuristics.rule import Rule
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.json_values import JsonValue, to_json_value


@dataclass(frozen=True)
class ParamInfo:
    """One typed parameter of a rule: its name, its type as a policy author reads it, its default."""

    name: str
    type: str
    default: JsonValue


@dataclass(frozen=True)
class RuleInfo:
    """A rule's declaration, without its body."""

    id: str
    family: str
    title: str
    severity: Severity
    confidence: Confidence
    unconditional: bool
    requires: tuple[str, ...]
    params: tuple[ParamInfo, ...]
    description: str

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "family": self.family,
            "title": self.title,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "unconditional": self.unconditional,
            "requires": list(self.requires),
            "params": [{"name": p.name, "type": p.type, "default": p.default} for p in self.params],
            "catches": self.description,
        }


def describe_rule(rule: Rule[Any]) -> RuleInfo:
    defaults = rule.default_params()
    types = declared_types(rule.params_type)
    return RuleInfo(
        id=rule.id,
        family=rule.check.__module__.rsplit(".", 1)[-1],
        title=rule.title,
        severity=rule.severity,
        confidence=rule.confidence,
        unconditional=rule.unconditional,
        requires=tuple(sorted(f.value for f in rule.requires)),
        params=tuple(
            ParamInfo(f.name, describe_type(types[f.name]), to_json_value(getattr(defaults, f.name)))
            for f in dataclasses.fields(rule.params_type)
        ),
        description=rule.description,
    )


def rule_catalogue(rules: Sequence[Rule[Any]] | None = None) -> tuple[RuleInfo, ...]:
    """Every loaded rule (built-ins, then plugins), in registry order."""
    return tuple(describe_rule(r) for r in (rules if rules is not None else load_rules()))


def checked_policy(data: Mapping[str, Any], *, source: str = "policy") -> Policy:
    """A policy from its TOML table, checked as ``load_policy`` and the Firewall check it: known
    sections and keys, severities, rule ids, and every parameter against its declared type.
    Raises ``InputFileError`` naming what is wrong."""
    policy = policy_from_mapping(data, source=source)
    validate_policy(policy, load_rules(), source=source)
    return policy
