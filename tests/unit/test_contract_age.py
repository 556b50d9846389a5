"""The grading of ``fresh-contract-counterparty`` from contract ages (no node: the ages are given)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from txfirewall.enrich.contract_age import AgeReport, ContractAge, ContractAgeCache, PinnedBlock, apply_ages
from txfirewall.heuristics.contract_age import FreshContractParams, fresh_contract_counterparty
from txfirewall.heuristics.rule import Skip
from txfirewall.model.context import AnalysisContext
from txfirewall.model.facts import AddressFacts
from txfirewall.model.primitives import Address, to_address

from .rule_fixtures import BOB, CLAIM, DRAINER, ETH_OUT, ctx_for, facts, simulated, tx, with_facts

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


# --- why an age is unknown: ``apply_ages`` keeps the lookup's reason for the skipped rule to show ---


async def _applied(report: AgeReport | None, *items: AddressFacts) -> dict[Address, AddressFacts]:
    async def lookup() -> AgeReport:
        assert report is not None
        return report

    task = asyncio.ensure_future(lookup()) if report is not None else None
    return await apply_ages({f.address: f for f in items}, task, ContractAgeCache(), PINNED)


PINNED = PinnedBlock(64, 1_800_000_000)
OTHER = to_address("0x00000000000000000000000000000000000001d1")


@pytest.mark.asyncio(loop_scope="session")
async def test_an_undated_contract_keeps_why_its_age_is_unknown() -> None:
    why = "the node serves no state at block 63 (pruned history?)"
    report = AgeReport({DRAINER: ContractAge(DRAINER, unknown=why)}, PINNED, 2, 3)
    out = await _applied(report, facts(DRAINER, contract=True), facts(OTHER, contract=True), facts(BOB, contract=False))
    assert out[DRAINER].age_seconds is None and out[DRAINER].age_unknown == why
    assert out[OTHER].age_unknown == "not dated: a request dates only its first few counterparties"
    assert out[BOB].age_unknown is None, "an account is no contract to date"
    undated = {**out, DRAINER: replace(out[DRAINER], roles=("receives-your-assets",))}
    ctx = with_facts(simulated(ctx_for(tx(DRAINER, CLAIM, 10**18), history=()), ETH_OUT), *undated.values())
    skipped = fresh_contract_counterparty.check(ctx, FreshContractParams())
    assert isinstance(skipped, Skip) and f"{DRAINER} ({why})" in skipped.reason


@pytest.mark.asyncio(loop_scope="session")
async def test_a_dated_or_graph_aged_contract_has_no_unknown_reason() -> None:
    report = AgeReport(
        {DRAINER: ContractAge(DRAINER, 40, PINNED.timestamp - 3600, 3600, "creation-block")}, PINNED, 3, 4
    )
    seen = replace(facts(OTHER, contract=True), first_seen=PINNED.timestamp - 86400)
    out = await _applied(report, facts(DRAINER, contract=True), seen)
    assert (out[DRAINER].age_seconds, out[DRAINER].age_unknown) == (3600, None)
    assert (out[OTHER].age_seconds, out[OTHER].age_source, out[OTHER].age_unknown) == (86400, "graph-first-seen", None)
    assert (await _applied(None, facts(DRAINER, contract=True)))[DRAINER].age_unknown == (
        "contract ages were not looked up"
    )
