"""The rules: declared units (id, title, severity, confidence, required facts, typed params)."""

from __future__ import annotations

from txfirewall.heuristics.registry import BUILTIN_RULES, load_rules
from txfirewall.heuristics.rule import Hit, NoParams, Rule, rule

__all__ = ["BUILTIN_RULES", "Hit", "NoParams", "Rule", "load_rules", "rule"]
