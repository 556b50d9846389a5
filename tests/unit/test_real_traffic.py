"""Everyday mainnet traffic, offline: 5,561 real transactions from whole blocks.

A firewall that warns on ordinary swaps, approvals to routers and transfers gets uninstalled. With
``--no-simulate`` (no node at all) and the shipped address lists, at most 1 % of these may be
warned, and nothing blocked but a payment to an address the lists name (one 2021 transfer went to
an address OFAC sanctioned later: a true positive today).
"""

from __future__ import annotations

import collections
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.intel.store import IntelStore
from txfirewall.model.verdict import Decision

DATA = Path(__file__).resolve().parents[1] / "data" / "real_mainnet_dev" / "benign_2020_2022.jsonl.gz"
MAX_WARN_SHARE = 0.01


def _rows() -> list[dict[str, Any]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.asyncio(loop_scope="session")
async def test_offline_real_traffic_is_almost_never_warned_and_never_blocked() -> None:
    rows = _rows()
    assert len(rows) == 5561
    decisions: collections.Counter[str] = collections.Counter()
    why: collections.Counter[str] = collections.Counter()
    blocked_by: collections.Counter[str] = collections.Counter()
    async with Firewall(FirewallConfig(simulate=False, chain_id=1, intel=IntelStore(None, shipped=True))) as fw:
        for row in rows:
            verdict = await fw.analyze(row["request"])
            decisions[verdict.decision.value] += 1
            if verdict.decision is Decision.BLOCK:
                blocked_by.update(f.rule for f in verdict.findings if f.severity.rank >= 3)
            if verdict.decision is not Decision.ALLOW:
                why.update(f.rule for f in verdict.findings if f.severity.rank >= 2)
    assert set(blocked_by) <= {"illicit-counterparty"}, blocked_by
    assert decisions["block"] <= 2, why.most_common(5)
    assert decisions["warn"] <= MAX_WARN_SHARE * len(rows), why.most_common(5)
