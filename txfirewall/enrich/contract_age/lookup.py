"""The enrich stage's use of dating: which counterparties, in the background, merged into the facts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from txfirewall.enrich.contract_age.search import find_contract_ages
from txfirewall.enrich.contract_age.values import AGE_ROLES, AgeReport, AgeSearchOptions, PinnedBlock, pinned_from_env

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.enrich.contract_age.cache import ContractAgeCache
    from txfirewall.enrich.contract_age.values import ContractAge
    from txfirewall.model.facts import AddressFacts
    from txfirewall.model.primitives import Address
    from txfirewall.simulate.block_env import BlockEnv


@dataclass(frozen=True)
class AgeLookup:
    """What the enrich stage needs to date contracts. ``pinned`` None: read it from the node."""

    cache: ContractAgeCache
    pinned: PinnedBlock | None = None
    options: AgeSearchOptions = AgeSearchOptions()
    client: RpcClient | None = None
    """Where to read history; None: the enrich stage's client. The upstream itself is best: a
    fork forwards each probe below its pinned block as a request of its own."""


def age_candidates(roles: Mapping[Address, Sequence[str]], limit: int) -> list[Address]:
    """The addresses worth dating, most important role first, at most ``limit``."""
    rank = {role: i for i, role in enumerate(AGE_ROLES)}
    picked = [(min(rank[r] for r in rs if r in rank), a) for a, rs in roles.items() if any(r in rank for r in rs)]
    return [a for _, a in sorted(picked)][:limit]


def start_age_lookup(
    client: RpcClient, roles: Mapping[Address, Sequence[str]], lookup: AgeLookup, block_tag: str
) -> asyncio.Task[AgeReport]:
    """Start dating the request's counterparties in the background; its first round runs beside the
    enrich stage's own code batch, and it checks the code itself."""
    candidates = age_candidates(roles, lookup.options.max_addresses)
    return asyncio.ensure_future(
        find_contract_ages(
            lookup.client or client,
            candidates,
            cache=lookup.cache,
            pinned=lookup.pinned,
            block_tag=block_tag,
            options=lookup.options,
        )
    )


async def apply_ages(
    facts: Mapping[Address, AddressFacts],
    task: asyncio.Task[AgeReport] | None,
    cache: ContractAgeCache,
    pinned: PinnedBlock | None,
) -> dict[Address, AddressFacts]:
    """Merge the lookup into the address facts; the graph's first-seen time is the fallback."""
    report = await task if task is not None else None
    if report is not None and report.pinned is not None:
        pinned = report.pinned
    out: dict[Address, AddressFacts] = {}
    for address, f in facts.items():
        age = report.ages.get(address) if report is not None else None
        if age is not None and age.source == "creation-block" and f.is_contract is not False:
            hit = cache.get(address)
            if f.code_hash is not None and hit is not None and hit.code_hash != f.code_hash:
                cache.discard(address)  # the code changed since it was dated: date it again next time
            else:
                out[address] = replace(
                    f,
                    created_at_block=age.creation_block,
                    created_at=age.created_at,
                    age_seconds=age.age_seconds,
                    age_source="creation-block",
                )
                continue
        if f.first_seen is not None and pinned is not None:
            out[address] = replace(
                f, age_seconds=max(0, pinned.timestamp - f.first_seen), age_source="graph-first-seen"
            )
        elif f.is_contract:
            out[address] = replace(f, age_unknown=_why_undated(report, age))
        else:
            out[address] = f
    return out


def _why_undated(report: AgeReport | None, age: ContractAge | None) -> str:
    """Why ``address`` has no age, in words a skipped rule can show."""
    if age is not None and age.source == "creation-block":
        return "its code changed since it was dated; it is dated again next time"
    if age is not None and age.unknown:
        return age.unknown
    if report is None:
        return "contract ages were not looked up"
    return "not dated: a request dates only its first few counterparties"


def age_lookup(
    cache: ContractAgeCache | None, env: BlockEnv | None, stage_timeout: float, client: RpcClient | None = None
) -> AgeLookup | None:
    """The enrich stage's lookup: half the stage's time at most, so the other facts always land."""
    if cache is None:
        return None
    options = AgeSearchOptions()
    return AgeLookup(
        cache,
        pinned_from_env(env),
        replace(options, budget_seconds=min(options.budget_seconds, stage_timeout / 2)),
        client,
    )
