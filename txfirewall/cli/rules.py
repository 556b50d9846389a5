"""``txfirewall rules``: the rules from the registry (built-ins and plugins) with their parameters.

The README's rules table is this command's ``--markdown`` output (a test keeps them equal).
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = sub.add_parser("rules", help="list the rules: id, family, severity, parameters, what each catches")
    out = rules.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON array with every rule")
    out.add_argument("--markdown", action="store_true", help="the README's rules table")


def describe_rules() -> list[dict[str, Any]]:
    """Every loaded rule as plain data, in registry order."""
    from txfirewall.decide.catalogue import rule_catalogue

    return [info.to_json() for info in rule_catalogue()]


def markdown_table(rules: list[dict[str, Any]]) -> str:
    """id | family | severity | fires when (the title); unconditional rules say so."""
    lines = ["| id | family | severity | fires when |", "|---|---|---|---|"]
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    for r in sorted(rules, key=lambda r: (order[r["severity"]], r["family"], r["id"])):
        severity = r["severity"] + (", unconditional" if r["unconditional"] else "")
        lines.append(f"| `{r['id']}` | {r['family']} | {severity} | {r['title']} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    rules = describe_rules()
    if args.json:
        print(json.dumps(rules, indent=1))
    elif args.markdown:
        print(markdown_table(rules))
    else:
        for r in rules:
            flag = " (unconditional)" if r["unconditional"] else ""
            print(f"{r['id']}  [{r['family']}, {r['severity']}{flag}]  {r['title']}")
            for p in r["params"]:
                print(f"    {p['name']}: {p['type']} = {p['default']}")
    return 0
