"""The README documents exactly the rules the registry has, with their default severities."""

from __future__ import annotations

import re
from pathlib import Path

from txfirewall.heuristics.registry import BUILTIN_RULES

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rules() -> dict[str, str]:
    text = README.read_text()
    table = text[text.index("## Rules") : text.index("A rule is a declared unit")]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z0-9-]+)` \| ([a-z]+)", table, re.M)}


def test_readme_lists_every_rule_and_no_other() -> None:
    assert sorted(readme_rules()) == sorted(r.id for r in BUILTIN_RULES)


def test_readme_states_each_default_severity() -> None:
    documented = readme_rules()
    assert {r.id: r.severity.value for r in BUILTIN_RULES} == documented


def test_readme_rule_count_matches() -> None:
    match = re.search(r"\| evaluate \| (\d+) declared rules", README.read_text())
    assert match is not None and int(match.group(1)) == len(BUILTIN_RULES)
