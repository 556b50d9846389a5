"""The decide stage's policy: thresholds, per-rule overrides and the allow-list (TOML).

```toml
[thresholds]
warn = "medium"        # lowest severity that makes the verdict at least warn
block = "high"         # lowest severity that blocks

[rules.first-transfer-to-address]
enabled = false

[rules.assets-to-unfamiliar-contract]
severity = "high"
params = { min_past_interactions = 2 }

[allowlist]
addresses = ["0x..."]  # trusted counterparties: their non-unconditional findings are dropped
```
Findings of unconditional rules (``eth-sign-raw-hash``) always block unless the rule is disabled
here, in the policy file, on purpose.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from txfirewall.errors import InputFileError
from txfirewall.model.findings import Severity
from txfirewall.model.primitives import Address, is_address, to_address


@dataclass(frozen=True)
class RuleOverride:
    enabled: bool = True
    severity: Severity | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Policy:
    warn_at: Severity = Severity.MEDIUM
    block_at: Severity = Severity.HIGH
    rules: Mapping[str, RuleOverride] = field(default_factory=lambda: MappingProxyType({}))
    allowlist: frozenset[Address] = frozenset()

    def override(self, rule_id: str) -> RuleOverride:
        return self.rules.get(rule_id, RuleOverride())


def _severity(value: object, where: str) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        raise InputFileError(
            f"{where}: {value!r} is not a severity (info, low, medium, high, critical)"
        ) from None


def policy_from_mapping(data: Mapping[str, Any], *, source: str = "policy") -> Policy:
    unknown = set(data) - {"thresholds", "rules", "allowlist"}
    if unknown:
        raise InputFileError(f"{source}: unknown section(s) {', '.join(sorted(unknown))}")
    thresholds = data.get("thresholds", {})
    warn_at = _severity(thresholds.get("warn", "medium"), f"{source} [thresholds] warn")
    block_at = _severity(thresholds.get("block", "high"), f"{source} [thresholds] block")
    if block_at < warn_at:
        raise InputFileError(f"{source}: [thresholds] block must not be below warn")
    rules: dict[str, RuleOverride] = {}
    for rule_id, cfg in data.get("rules", {}).items():
        if not isinstance(cfg, Mapping) or set(cfg) - {"enabled", "severity", "params"}:
            raise InputFileError(f"{source} [rules.{rule_id}]: allowed keys are enabled, severity, params")
        rules[rule_id] = RuleOverride(
            enabled=bool(cfg.get("enabled", True)),
            severity=_severity(cfg["severity"], f"{source} [rules.{rule_id}]") if "severity" in cfg else None,
            params=MappingProxyType(dict(cfg.get("params", {}))),
        )
    allow = data.get("allowlist", {}).get("addresses", [])
    bad = [a for a in allow if not is_address(a)]
    if bad:
        raise InputFileError(f"{source} [allowlist]: not addresses: {', '.join(map(str, bad))}")
    return Policy(warn_at, block_at, MappingProxyType(rules), frozenset(to_address(a) for a in allow))


def load_policy(path: Path) -> Policy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read policy file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"policy file {path} is not valid TOML: {exc}") from exc
    return policy_from_mapping(data, source=str(path))
