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
        raise InputFileError(f"{where}: {value!r} is not a severity (info, low, medium, high, critical)") from None


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputFileError(f"{where} must be a table")
    return value


def _only(table: Mapping[str, Any], allowed: tuple[str, ...], where: str, what: str = "key") -> None:
    unknown = set(table) - set(allowed)
    if unknown:
        raise InputFileError(
            f"{where}: unknown {what}(s) {', '.join(sorted(unknown))}; allowed {what}s are {', '.join(allowed)}"
        )


def policy_from_mapping(data: Mapping[str, Any], *, source: str = "policy") -> Policy:
    _only(data, ("thresholds", "rules", "allowlist"), source, "section")
    thresholds = _table(data.get("thresholds", {}), f"{source} [thresholds]")
    _only(thresholds, ("warn", "block"), f"{source} [thresholds]")
    warn_at = _severity(thresholds.get("warn", "medium"), f"{source} [thresholds] warn")
    block_at = _severity(thresholds.get("block", "high"), f"{source} [thresholds] block")
    if block_at < warn_at:
        raise InputFileError(f"{source}: [thresholds] block must not be below warn")
    rules: dict[str, RuleOverride] = {}
    for rule_id, raw in _table(data.get("rules", {}), f"{source} [rules]").items():
        where = f"{source} [rules.{rule_id}]"
        if not isinstance(raw, Mapping):
            raise InputFileError(f"{where} must be a table; allowed keys are enabled, severity, params")
        cfg = raw
        _only(cfg, ("enabled", "severity", "params"), where)
        enabled = cfg.get("enabled", True)
        if not isinstance(enabled, bool):
            raise InputFileError(f"{where}: enabled must be true or false, not {enabled!r}")
        rules[rule_id] = RuleOverride(
            enabled=enabled,
            severity=_severity(cfg["severity"], where) if "severity" in cfg else None,
            params=MappingProxyType(dict(_table(cfg.get("params", {}), f"{where} params"))),
        )
    allowlist = _table(data.get("allowlist", {}), f"{source} [allowlist]")
    _only(allowlist, ("addresses",), f"{source} [allowlist]")
    allow = allowlist.get("addresses", [])
    if not isinstance(allow, list):
        raise InputFileError(f"{source} [allowlist] addresses must be a list of addresses")
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
