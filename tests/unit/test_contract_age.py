"""The grading of ``fresh-contract-counterparty`` from contract ages (no node: the ages are given)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from txfirewall.heuristics.contract_age import FreshContractParams, fresh_contract_counterparty
from txfirewall.model.context import AnalysisContext

from .rule_fixtures import CLAIM, DRAINER, ETH_OUT, ctx_for, facts, simulated, tx, with_facts

RECEIVES = ("receives-your-assets",)


def _rule_ctx(
    age: int,
    *,
    history: bool = True,
    sent: int = 0,
    contract: bool = True,
    source: str = "creation-block",
    roles: tuple[str, ...] = RECEIVES,
) -> AnalysisContext:
    f = replace(
        facts(DRAINER, contract=contract, sent=sent if history else None),
        roles=roles,
        created_at_block=40 if source == "creation-block" else None,
        age_seconds=age,
        age_source=source,
    )
    base = ctx_for(tx(DRAINER, CLAIM, 10**18), history=() if history else None)
    return with_facts(simulated(base, ETH_OUT), f)


@pytest.mark.parametrize(
    ("ctx_args", "expected"),
    [
        ({"age": 3600}, "high"),
        ({"age": 3600, "history": False}, "medium"),  # "never used" needs a history to say so
        ({"age": 3600, "sent": 1}, "medium"),
        ({"age": 3600, "source": "graph-first-seen"}, "medium"),  # first seen only bounds the age
        ({"age": 2 * 86400}, "medium"),
        ({"age": 3 * 86400}, None),
        ({"age": 3600, "sent": 3}, None),  # a contract the user knows
        ({"age": 3600, "contract": False}, None),
        ({"age": 3600, "roles": ("token", "verifying-contract")}, None),
        ({"age": 3600, "roles": ("called",)}, "high"),  # called with 1 ETH
    ],
)
def test_fresh_contract_rule_grades_by_age_use_and_role(ctx_args: dict[str, Any], expected: str | None) -> None:
    hit = fresh_contract_counterparty.check(_rule_ctx(**ctx_args), FreshContractParams())
    if expected is None:
        assert hit is None
    else:
        assert hit is not None
        assert (hit.severity or fresh_contract_counterparty.severity).value == expected
