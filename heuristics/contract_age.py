"""A freshly created contract on the receiving end of the request.

Drainer kits deploy a new contract per campaign, hours or days before the phishing starts, and drop
it once it is reported; the contracts people use for years are years old. Rabby warns when a spender
was deployed less than 3 days ago (rules 1024, 1045, 1055, 1073, 1079, 1111; GoPlus
``deployed_time``), which is the default threshold here; under a day, for a contract the user never
used, the finding is high.

The age is measured to the pinned block's timestamp, from the contract's creation block (found by
the enrich stage with historical ``eth_getCode``), or else from when the address first appears in
the address graph.

Deliberately not reported: contracts at least ``min_age_days`` old; EOAs and EIP-7702 delegated
accounts (an account's age is another signal); contracts the user already used ``familiar_after``
times or more; addresses the request only names or reads (the token called for an approval, a
verifying contract, an address inside typed data), since nothing of the user's goes to them;
contracts the request itself creates (a deployment is its own intent). A first-seen age from the
graph can only make a contract look younger than it is, so it is never graded high.

Contracts of unknown age (the node serves no history, the lookup ran out of time, no graph knows
them) cannot be judged: when no dated contract is fresh and at least one such contract would have
been judged, the rule is skipped, and the verdict's ``skipped_rules`` names them and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.heuristics.rule import Hit, Skip, rule
from txfirewall.heuristics.wording import spoken_duration
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.facts import AddressFacts
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.json_values import JsonValue

RECEIVING_ROLES = ("receives-your-assets", "spender", "delegate", "recipient")
"""Roles in which something of the user's goes to the address (assets, an allowance, the account)."""


@dataclass(frozen=True)
class FreshContractParams:
    """``min_age_days``: younger contracts are reported (medium); younger than ``very_fresh_hours``
    and never used according to the user's history, high (without a history, medium: a block
    needs more than a guess). ``familiar_after``: past transactions that make a contract known to
    the user (not reported)."""

    min_age_days: int = 3
    very_fresh_hours: int = 24
    familiar_after: int = 3


def _receiving_roles(ctx: AnalysisContext, facts: AddressFacts) -> list[str]:
    roles = [r for r in facts.roles if r in RECEIVING_ROLES]
    tx = ctx.request.transaction
    if tx is not None and tx.to == facts.address and tx.value > 0 and "called" in facts.roles:
        roles.append("called with your ETH")
    return roles


def _datable(f: AddressFacts) -> bool:
    """A contract whose age would be judged: not an EIP-7702 delegated account (an account, which
    the lookup does not date), not one the request itself creates."""
    return (f.code is None or f.code.delegation_to is None) and "created" not in f.roles


def _undated(ctx: AnalysisContext, undated: list[AddressFacts], params: FreshContractParams) -> Skip:
    """The skip when no contract was found fresh but some could not be dated: how many of the
    contracts the rule judges, which, and why."""
    judged = sum(
        1
        for f in ctx.addresses.values()
        if f.is_contract
        and (f.age_seconds is not None or _datable(f))
        and _receiving_roles(ctx, f)
        and (f.relationship.sent_count if f.relationship else 0) < params.familiar_after
    )
    shown = "; ".join(f"{f.address} ({f.age_unknown or 'its age is unknown'})" for f in undated[:3])
    more = f"; and {len(undated) - 3} more" if len(undated) > 3 else ""
    return Skip(
        f"could not date {len(undated)} of the {judged} contract(s) your assets or an approval go to, so "
        f"whether a freshly deployed one is among them is unknown: {shown}{more}"
    )


@rule(
    id="fresh-contract-counterparty",
    title="Your assets or an approval go to a contract created days ago",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    requires=(Fact.ADDRESS_FACTS, Fact.CODE),
    params=FreshContractParams,
)
def fresh_contract_counterparty(ctx: AnalysisContext, params: FreshContractParams) -> Hit | Skip | None:
    """Assets leave the user for, or an approval, permit or delegation goes to, a contract created
    less than ``min_age_days`` before the pinned block: the shape of a drainer deployed for this
    campaign. The youngest such contract is reported. Skipped when none is fresh but some such
    contract's age is unknown."""
    youngest: tuple[int, AddressFacts, list[str], int] | None = None
    undated: list[AddressFacts] = []
    for address in sorted(ctx.addresses):
        f = ctx.addresses[address]
        age = f.age_seconds
        if not f.is_contract or (age is not None and age >= params.min_age_days * 86400):
            continue
        roles = _receiving_roles(ctx, f)
        used = f.relationship.sent_count if f.relationship else 0
        if not roles or used >= params.familiar_after:
            continue
        if age is None:
            if _datable(f):
                undated.append(f)
        elif youngest is None or age < youngest[0]:
            youngest = (age, f, roles, used)
    if youngest is None:
        return _undated(ctx, undated, params) if undated else None
    age, f, roles, used = youngest
    dated = f.age_source == "creation-block"
    past: JsonValue = "not provided" if ctx.history is None else used
    high = dated and age < params.very_fresh_hours * 3600 and ctx.history is not None and used == 0
    when = (
        f"was created {spoken_duration(age)} before this block (block {f.created_at_block})"
        if dated
        else f"first appears in the address graph {spoken_duration(age)} before this block"
    )
    if ctx.history is None:
        never = "no --history says whether you used it"
    else:
        never = "you have never used it" if used == 0 else f"you used it {used} time{'s' if used > 1 else ''}"
    return Hit(
        message=f"{f.address} ({', '.join(roles)}) {when}; {never}. Drainers deploy fresh contracts per campaign.",
        evidence={
            "address": f.address,
            "roles": list(roles),
            "created_at_block": f.created_at_block,
            "created_at": f.created_at,
            "age_seconds": age,
            "age_days": round(age / 86400, 1),
            "age_source": f.age_source,
            "past_interactions": past,
        },
        severity=Severity.HIGH if high else None,
        subject=f.address,
    )
