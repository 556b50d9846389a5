"""Attribute names equal the JSON keys, or docs/api.md says how they differ: checked on the
verdicts of every bundled sample (with an origin, so origin facts are there too)."""

from __future__ import annotations

import re

import pytest

from txfirewall.firewall import Firewall

from ..conftest import FIXTURES, REPO
from ..support.json_names import name_differences

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def documented() -> dict[str, str]:
    """docs/api.md's table: class -> the text of its row."""
    text = (REPO / "docs" / "api.md").read_text()
    table = text.split("## Attribute names and JSON keys", 1)[1]
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", table, re.M)}


async def test_every_difference_is_documented(firewall: Firewall) -> None:
    found: dict[str, set[str]] = {}
    for path in sorted((FIXTURES / "requests").glob("[a-z]_*.json")):
        verdict = await firewall.analyze(path.read_bytes(), origin="https://app.uniswap.org")
        for cls, diffs in name_differences(verdict).items():
            found.setdefault(cls, set()).update(diffs)
    assert {"Verdict", "Transfer", "Simulation"} <= set(found), "the samples reach the classes that differ"
    rows = documented()
    missing = []
    for cls, diffs in sorted(found.items()):
        row = rows.get(cls, "")
        for diff in sorted(diffs):
            name = diff.split(" ", 1)[0]
            if f"`{name}`" not in row and f'"{name}"' not in row:
                missing.append(f"{cls}: {diff}")
    assert missing == []
