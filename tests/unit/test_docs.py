"""The README documents exactly the rules the registry has: its table is `txfirewall rules --markdown`."""

from __future__ import annotations

import re
from pathlib import Path

from txfirewall.cli.rules import describe_rules, markdown_table
from txfirewall.heuristics.registry import BUILTIN_RULES

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table() -> str:
    text = README.read_text()
    return text[text.index("<!-- rules:start -->\n") + len("<!-- rules:start -->\n") : text.index("<!-- rules:end -->")]


def test_readme_rules_table_is_the_generated_one() -> None:
    assert readme_table().strip() == markdown_table(describe_rules()).strip(), (
        "regenerate with: txfirewall rules --markdown"
    )


def test_readme_lists_every_rule_with_its_severity() -> None:
    documented = {
        m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z0-9-]+)` \| [a-z_]+ \| ([a-z]+)", readme_table(), re.M)
    }
    assert documented == {r.id: r.severity.value for r in BUILTIN_RULES}


def test_readme_rule_count_matches() -> None:
    match = re.search(r"\| evaluate \| (\d+) declared rules", README.read_text())
    assert match is not None and int(match.group(1)) == len(BUILTIN_RULES)


def test_rules_json_lists_parameters_with_their_types() -> None:
    by_id = {r["id"]: r for r in describe_rules()}
    assert {"name": "min_value_wei", "type": "int", "default": 2 * 10**15} in by_id["value-to-scam-selector"]["params"]
    assert all(r["catches"] and r["family"] for r in by_id.values())
