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

[rules.most-of-balance-to-new-address]
unconditional = true   # its findings block, whatever the thresholds and the allow-list

[allowlist]
addresses = ["0x..."]  # trusted counterparties: their non-unconditional findings are dropped

[denylist]
addresses = ["0x..."]  # never deal with these: any request touching them is blocked
spenders = ["0x..."]   # never approve these (allowances, permits, operator approvals)
origins = ["evil.example"]  # never sign for these sites (and their subdomains)

[confirm]
allow_block_override = false  # true: a block may be approved (app, proxy hold) after two confirmations
```
Findings of unconditional rules (``eth-sign-raw-hash``) always block unless the rule is disabled
here, in the policy file, on purpose. ``[confirm] allow_block_override`` never reaches them: only
blocks without an unconditional finding can be overridden (``decide.decision.overridable``).
Without ``--policy``, the CLI reads ``$TXFIREWALL_POLICY``, else
``$XDG_CONFIG_HOME/txfirewall/policy.toml`` (``~/.config/...``) when it exists.
"""

from __future__ import annotations

import os
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
    unconditional: bool | None = None
    """True: the rule's findings block regardless of thresholds and allow-list (None: as declared)."""


NO_OVERRIDE = RuleOverride()
"""What a rule the policy does not mention gets: one shared value (its params are checked once)."""


@dataclass(frozen=True)
class DenyList:
    """What the user never wants to deal with: any match is an unconditional block."""

    addresses: frozenset[Address] = frozenset()
    spenders: frozenset[Address] = frozenset()
    origins: frozenset[str] = frozenset()
    """Hostnames, lowercase ASCII; a subdomain of one matches too."""

    def origin_match(self, host: str | None) -> str | None:
        if host is None:
            return None
        labels = host.split(".")
        for i in range(len(labels) - 1):
            candidate = ".".join(labels[i:])
            if candidate in self.origins:
                return candidate
        return host if host in self.origins else None


@dataclass(frozen=True)
class Policy:
    """What the user decides: the severities that warn and block, per-rule overrides (enabled,
    severity, parameters, unconditional), allow and deny lists. ``load_policy`` reads one from
    TOML; the default is warn at medium, block at high."""

    warn_at: Severity = Severity.MEDIUM
    block_at: Severity = Severity.HIGH
    rules: Mapping[str, RuleOverride] = field(default_factory=lambda: MappingProxyType({}))
    allowlist: frozenset[Address] = frozenset()
    denylist: DenyList = DenyList()
    allow_block_override: bool = False
    """``[confirm] allow_block_override``: a block that no unconditional finding (rule or deny
    list) caused may be approved by the user, with a second confirmation (the terminal app; the
    proxy holds such a block instead of refusing it). Off by default: a block is final."""

    def override(self, rule_id: str) -> RuleOverride:
        return self.rules.get(rule_id, NO_OVERRIDE)


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
    _only(data, ("thresholds", "rules", "allowlist", "denylist", "confirm"), source, "section")
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
            raise InputFileError(f"{where} must be a table; allowed keys are enabled, severity, params, unconditional")
        cfg = raw
        _only(cfg, ("enabled", "severity", "params", "unconditional"), where)
        enabled = cfg.get("enabled", True)
        if not isinstance(enabled, bool):
            raise InputFileError(f"{where}: enabled must be true or false, not {enabled!r}")
        unconditional = cfg.get("unconditional")
        if unconditional is not None and not isinstance(unconditional, bool):
            raise InputFileError(f"{where}: unconditional must be true or false, not {unconditional!r}")
        rules[rule_id] = RuleOverride(
            enabled=enabled,
            severity=_severity(cfg["severity"], where) if "severity" in cfg else None,
            params=MappingProxyType(dict(_table(cfg.get("params", {}), f"{where} params"))),
            unconditional=unconditional,
        )
    allowlist = _table(data.get("allowlist", {}), f"{source} [allowlist]")
    _only(allowlist, ("addresses",), f"{source} [allowlist]")
    allow = _addresses(allowlist, "addresses", f"{source} [allowlist]")
    deny = _table(data.get("denylist", {}), f"{source} [denylist]")
    _only(deny, ("addresses", "spenders", "origins"), f"{source} [denylist]")
    denylist = DenyList(
        addresses=_addresses(deny, "addresses", f"{source} [denylist]"),
        spenders=_addresses(deny, "spenders", f"{source} [denylist]"),
        origins=_hosts(deny, f"{source} [denylist]"),
    )
    confirm = _table(data.get("confirm", {}), f"{source} [confirm]")
    _only(confirm, ("allow_block_override",), f"{source} [confirm]")
    override = confirm.get("allow_block_override", False)
    if not isinstance(override, bool):
        raise InputFileError(f"{source} [confirm]: allow_block_override must be true or false, not {override!r}")
    return Policy(warn_at, block_at, MappingProxyType(rules), allow, denylist, allow_block_override=override)


def _addresses(table: Mapping[str, Any], key: str, where: str) -> frozenset[Address]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise InputFileError(f"{where} {key} must be a list of addresses")
    bad = [a for a in values if not is_address(a)]
    if bad:
        raise InputFileError(f"{where}: not addresses: {', '.join(map(str, bad))}")
    return frozenset(to_address(a) for a in values)


def _hosts(table: Mapping[str, Any], where: str) -> frozenset[str]:
    from txfirewall.model.hostnames import parse_host

    values = table.get("origins", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InputFileError(f"{where} origins must be a list of site names (example.org)")
    hosts = {v: parse_host(v) for v in values}
    bad = [v for v, h in hosts.items() if h is None]
    if bad:
        raise InputFileError(f"{where}: not site names: {', '.join(bad)}")
    return frozenset(h.name for h in hosts.values() if h is not None)


def default_policy_path() -> Path | None:
    """``$TXFIREWALL_POLICY``, else ``$XDG_CONFIG_HOME/txfirewall/policy.toml`` when that file
    exists (``~/.config`` when XDG_CONFIG_HOME is unset); None: the built-in defaults."""
    if os.environ.get("TXFIREWALL_POLICY"):
        return Path(os.environ["TXFIREWALL_POLICY"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = base / "txfirewall" / "policy.toml"
    return path if path.is_file() else None


def parse_policy_toml(text: str, source: str) -> dict[str, Any]:
    """``text`` read as TOML, every way it can fail an ``InputFileError`` naming ``source``: not
    TOML, nested too deeply (tomllib recurses once per level of nested arrays or inline tables),
    or an integer too long for Python to convert (over 4,300 digits, a plain ``ValueError``)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{source} is not valid TOML: {exc}") from exc
    except RecursionError:
        raise InputFileError(f"{source} nests arrays or tables too deeply") from None
    except ValueError as exc:
        raise InputFileError(f"{source} holds a number too long to read ({exc})") from None


def load_policy(path: Path) -> Policy:
    """Read a policy TOML file (see README: Policy). Raises ``InputFileError`` naming the line of
    trouble: unknown sections, severities or keys are errors, never silently ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read policy file {path}: {exc}") from exc
    return policy_from_mapping(parse_policy_toml(text, f"policy file {path}"), source=str(path))
