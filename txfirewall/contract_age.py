"""How old a contract is: its creation block, found by a k-ary search over historical ``eth_getCode``.

An address has no code before the block that created it and has code from then on, so its
creation block is where a monotone predicate over block numbers turns true. Each round trip asks
for the code at ``fan_out`` evenly spaced blocks inside the open interval (lo, hi) in one JSON-RPC
batch and keeps the gap where "empty" turns into "code": the interval shrinks (fan_out + 1)-fold
per round, so mainnet's 2.4e7-3e7 blocks take 6-7 rounds at fan_out 16, plus one round for the
creation block's timestamp. The searches of all the addresses a request touches share each batch.

The node must serve historical state. Nodes that cannot (pruned Geth, Reth or Erigon; an anvil
loaded from a state dump) answer with an error or null; a search whose boundary falls on such a
block reports the age as unknown, never as younger than it is. Errors *below* an empty probe are
fine: a contract created inside the node's history window is still dated exactly.

Known limits: a node that silently answers ``0x`` for state it pruned looks exactly like an
address without code, so it would make old contracts look created at its pruning horizon. The
nodes we know answer with an error instead: anvil (checked in the tests), Geth ("missing trie
node", go-ethereum#20874) and Reth ("header not found", reth#22874). A contract that
self-destructed and was created again is dated by the start of its current run of code as far as
the probes can see it. EIP-7702 delegated accounts (code ``0xef0100 || delegate``) are accounts,
not contracts: they are not searched.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from eth_utils import keccak

from txfirewall.block_env import BlockEnv
from txfirewall.code_changes import delegate_of
from txfirewall.errors import TxFirewallError
from txfirewall.model.facts import AddressFacts
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address, parse_data, parse_quantity, to_quantity
from txfirewall.rpc_client import RpcCallError, RpcClient

AgeSource = Literal["creation-block", "graph-first-seen"]

AGE_ROLES: tuple[str, ...] = ("delegate", "spender", "receives-your-assets", "recipient", "called")
"""Roles whose age matters, most important first (the order picks who is dated under the cap)."""


@dataclass(frozen=True)
class PinnedBlock:
    """The block the analysis reads state at; ages are measured to its timestamp."""

    number: int
    timestamp: int


def pinned_from_env(env: BlockEnv | None) -> PinnedBlock | None:
    """The pinned block from the simulation environment, which describes the block after it."""
    return None if env is None else PinnedBlock(env.number - 1, env.timestamp - 12)


@dataclass(frozen=True)
class CreationBlock:
    """What the search found; cached, since a creation block never changes."""

    number: int
    timestamp: int
    code_hash: str
    """Hash of the code the search saw at the pinned block: new code means a new search."""


@dataclass(frozen=True)
class ContractAge:
    """How old an address is at the pinned block. ``unknown`` says why nothing was found."""

    address: Address
    creation_block: int | None = None
    created_at: int | None = None
    age_seconds: int | None = None
    source: AgeSource | None = None
    unknown: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        return {"address": self.address, "creation_block": self.creation_block, "created_at": self.created_at,
                "age_seconds": self.age_seconds, "source": self.source, "unknown": self.unknown}


@dataclass(frozen=True)
class AgeSearchOptions:
    """How hard to look: probes per round trip, round and address caps, a time budget."""

    fan_out: int = 16
    """Probe blocks per round trip (one JSON-RPC batch)."""
    max_rounds: int = 10
    """Give up (unknown) after this many round trips for one address."""
    max_addresses: int = 4
    """Addresses dated per request; the others keep only the graph's first-seen time."""
    budget_seconds: float = 4.0
    """Wall-clock budget; addresses not dated by then are unknown (and not cached)."""

    def __post_init__(self) -> None:
        if self.fan_out < 1 or self.max_rounds < 1 or self.max_addresses < 0 or self.budget_seconds <= 0:
            raise ValueError("age search options must be positive")


class ContractAgeCache:
    """What the searches learnt, per Firewall (one upstream): creation blocks found (bounded, least
    recently used out), and the highest block the node failed to serve state for.

    Pruning only ever removes the oldest state, so no later search probes at or below that block:
    on a node without history, searches stop costing round trips after the first one. An error
    may also be transient (a rate limit), so that memory lasts ``floor_ttl`` seconds."""

    def __init__(self, max_entries: int = 4096, *, floor_ttl: float = 600.0) -> None:
        self._entries: OrderedDict[Address, CreationBlock] = OrderedDict()
        self.max_entries = max_entries
        self.floor_ttl = floor_ttl
        self._floor: int | None = None
        self._floor_at = 0.0

    def history_floor(self) -> int | None:
        """The highest block recently found without state; None when none is known."""
        if self._floor is not None and time.monotonic() - self._floor_at > self.floor_ttl:
            self._floor = None
        return self._floor

    def no_state_at(self, block: int) -> None:
        floor = self.history_floor()
        if floor is None or block >= floor:
            self._floor, self._floor_at = block, time.monotonic()

    def get(self, address: Address) -> CreationBlock | None:
        found = self._entries.get(address)
        if found is not None:
            self._entries.move_to_end(address)
        return found

    def put(self, address: Address, found: CreationBlock) -> None:
        self._entries[address] = found
        self._entries.move_to_end(address)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def discard(self, address: Address) -> None:
        self._entries.pop(address, None)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class AgeLookup:
    """What the enrich stage needs to date contracts. ``pinned`` None: read it from the node."""

    cache: ContractAgeCache
    pinned: PinnedBlock | None = None
    options: AgeSearchOptions = AgeSearchOptions()
    client: RpcClient | None = None
    """Where to read history; None: the enrich stage's client. The upstream itself is best: a
    fork forwards each probe below its pinned block as a request of its own."""


@dataclass(frozen=True)
class AgeReport:
    """The answer for one batch of addresses, with what it cost."""

    ages: Mapping[Address, ContractAge]
    pinned: PinnedBlock | None
    round_trips: int
    calls: int


def _probes(lo: int, hi: int, fan_out: int) -> list[int]:
    """Up to ``fan_out`` distinct blocks strictly between lo and hi, evenly spaced."""
    inside = hi - lo - 1
    if inside <= fan_out:
        return list(range(lo + 1, hi))
    return [lo + (i * (hi - lo)) // (fan_out + 1) for i in range(1, fan_out + 1)]


def _code(reply: Any) -> bytes | None:
    """Code bytes, or None when the node could not say (error, null, garbage)."""
    if isinstance(reply, RpcCallError) or not isinstance(reply, str):
        return None
    try:
        return parse_data(reply)
    except ValueError:
        return None


class _Search:
    """One address's search: hand out the calls of the next round, take their replies.

    Invariant: no code at ``lo`` (-1 stands for "before genesis"), code at ``hi``."""

    def __init__(self, address: Address, pinned: PinnedBlock, options: AgeSearchOptions,
                 cache: ContractAgeCache) -> None:
        self.address = address
        self.pinned = pinned
        self.options = options
        self.cache = cache
        self.lo, self.hi = -1, pinned.number
        self.code_hash: str | None = None
        self.rounds = 0
        self.result: ContractAge | None = None
        self.found: CreationBlock | None = None
        self._pending: list[int] = []
        self._check_floor()

    def _check_floor(self) -> None:
        """Give up when every block left to probe is one the node has no state for."""
        floor = self.cache.history_floor()
        if self.result is None and floor is not None and self.lo < floor and self.hi - 1 <= floor:
            self._give_up(f"the node serves no state at or below block {floor} (pruned history?)")

    @property
    def converged(self) -> bool:
        return self.code_hash is not None and self.hi == self.lo + 1

    def calls(self) -> list[tuple[str, list[Any]]]:
        if self.converged:  # only the creation block's timestamp is missing
            return [("eth_getBlockByNumber", [to_quantity(self.hi), False])]
        floor = self.cache.history_floor()
        lo = self.lo if floor is None else max(self.lo, floor)
        self._pending = _probes(lo, self.hi, self.options.fan_out)
        if self.code_hash is None and self.hi - 1 > lo and self.hi - 1 not in self._pending:
            # The block below the pinned one: one call that tells a node keeping no history (and a
            # contract created in the pinned block) apart at once.
            self._pending.append(self.hi - 1)
        head = [self.pinned.number] if self.code_hash is None else []
        return [("eth_getCode", [self.address, to_quantity(b)]) for b in head + self._pending]

    def feed(self, replies: list[Any]) -> None:
        self.rounds += 1
        if self.converged:
            self._take_timestamp(replies[0])
            return
        if self.code_hash is None and not self._check_pinned_code(replies[0]):
            return
        self._narrow(replies[-len(self._pending):] if self._pending else [])
        if self.result is None and self.converged and self.hi == self.pinned.number:
            self._finish(self.pinned.timestamp)  # created in the pinned block itself
        if self.result is None and not self.converged:
            self._check_floor()
        if self.result is None and self.rounds >= self.options.max_rounds:
            self._give_up(f"not found in {self.rounds} round trips")

    def _check_pinned_code(self, reply: Any) -> bool:
        code = _code(reply)
        if code is None:
            self._give_up("the node did not return the code at the pinned block")
        elif not code:
            self._give_up("no code at the pinned block")
        elif delegate_of(code) is not None:
            self._give_up("an EIP-7702 delegated account, not a contract")
        else:
            self.code_hash = "0x" + keccak(code).hex()
        return self.code_hash is not None

    def _narrow(self, replies: list[Any]) -> None:
        hi = self.hi
        for block, reply in reversed(list(zip(self._pending, replies))):
            code = _code(reply)
            if code is None:
                self.cache.no_state_at(block)
                self._give_up(f"the node serves no state at block {block} (pruned history?)")
                return
            if not code:
                self.lo = block
                break
            hi = block
        self.hi = hi

    def _take_timestamp(self, reply: Any) -> None:
        try:
            timestamp = parse_quantity(reply["timestamp"])
        except (TypeError, KeyError, ValueError):
            self._give_up(f"the node did not return block {self.hi}")
            return
        self._finish(timestamp)

    def _finish(self, timestamp: int) -> None:
        assert self.code_hash is not None
        self.found = CreationBlock(self.hi, timestamp, self.code_hash)
        self.result = dated(self.address, self.found, self.pinned)

    def _give_up(self, why: str) -> None:
        self.result = ContractAge(self.address, unknown=why)


def dated(address: Address, found: CreationBlock, pinned: PinnedBlock) -> ContractAge:
    return ContractAge(address, found.number, found.timestamp, max(0, pinned.timestamp - found.timestamp),
                       "creation-block")


async def _read_pinned(client: RpcClient, block_tag: str) -> PinnedBlock:
    header = await client.call("eth_getBlockByNumber", [block_tag, False])
    try:
        return PinnedBlock(parse_quantity(header["number"]), parse_quantity(header["timestamp"]))
    except (TypeError, KeyError, ValueError) as exc:
        raise TxFirewallError(f"eth_getBlockByNumber({block_tag}) returned no block") from exc


async def find_contract_ages(
    client: RpcClient,
    addresses: Sequence[Address],
    *,
    cache: ContractAgeCache,
    pinned: PinnedBlock | None = None,
    block_tag: str = "latest",
    options: AgeSearchOptions = AgeSearchOptions(),
) -> AgeReport:
    """Date each address (creation block, timestamp, age at the pinned block). Never raises for
    anything the node does: failures come back as ``ContractAge.unknown``."""
    ages: dict[Address, ContractAge] = {}
    searches: list[_Search] = []
    counts = [0, 0]  # round trips, calls

    async def run() -> PinnedBlock | None:
        nonlocal pinned
        todo = [a for a in dict.fromkeys(addresses) if cache.get(a) is None]
        if pinned is None and addresses:
            counts[0] += 1
            counts[1] += 1
            pinned = await _read_pinned(client, block_tag)
        if pinned is None:
            return None
        searches.extend(_Search(a, pinned, options, cache) for a in todo)
        while active := [s for s in searches if s.result is None]:
            per_search = [s.calls() for s in active]
            replies = await client.batch([c for calls in per_search for c in calls])
            counts[0] += 1
            counts[1] += len(replies)
            at = 0
            for search, calls in zip(active, per_search):
                search.feed(replies[at:at + len(calls)])
                at += len(calls)
        return pinned

    unknown_why = None
    try:
        async with asyncio.timeout(options.budget_seconds):
            pinned = await run()
    except TimeoutError:
        unknown_why = f"not found within {options.budget_seconds:g}s"
    except TxFirewallError as exc:
        unknown_why = f"the node failed: {exc}"
    for search in searches:
        if search.found is not None:
            cache.put(search.address, search.found)
        ages[search.address] = search.result or ContractAge(search.address, unknown=unknown_why)
    for address in addresses:
        hit = cache.get(address)
        if address not in ages and hit is not None and pinned is not None:
            ages[address] = dated(address, hit, pinned)
        elif address not in ages:
            ages[address] = ContractAge(address, unknown=unknown_why or "the pinned block is unknown")
    return AgeReport(ages, pinned, counts[0], counts[1])


def age_candidates(roles: Mapping[Address, Sequence[str]], limit: int) -> list[Address]:
    """The addresses worth dating, most important role first, at most ``limit``."""
    rank = {role: i for i, role in enumerate(AGE_ROLES)}
    picked = [(min(rank[r] for r in rs if r in rank), a) for a, rs in roles.items() if any(r in rank for r in rs)]
    return [a for _, a in sorted(picked)][:limit]


def start_age_lookup(client: RpcClient, roles: Mapping[Address, Sequence[str]], lookup: AgeLookup,
                     block_tag: str) -> asyncio.Task[AgeReport]:
    """Start dating the request's counterparties in the background; its first round runs beside the
    enrich stage's own code batch, and it checks the code itself."""
    candidates = age_candidates(roles, lookup.options.max_addresses)
    return asyncio.ensure_future(find_contract_ages(lookup.client or client, candidates, cache=lookup.cache,
                                                    pinned=lookup.pinned, block_tag=block_tag,
                                                    options=lookup.options))


async def apply_ages(facts: Mapping[Address, AddressFacts], task: asyncio.Task[AgeReport] | None,
                     cache: ContractAgeCache, pinned: PinnedBlock | None) -> dict[Address, AddressFacts]:
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
                out[address] = replace(f, created_at_block=age.creation_block, created_at=age.created_at,
                                       age_seconds=age.age_seconds, age_source="creation-block")
                continue
        if f.first_seen is not None and pinned is not None:
            out[address] = replace(f, age_seconds=max(0, pinned.timestamp - f.first_seen),
                                   age_source="graph-first-seen")
        else:
            out[address] = f
    return out


def age_lookup(cache: ContractAgeCache | None, env: BlockEnv | None, stage_timeout: float,
               client: RpcClient | None = None) -> AgeLookup | None:
    """The enrich stage's lookup: half the stage's time at most, so the other facts always land."""
    if cache is None:
        return None
    options = AgeSearchOptions()
    return AgeLookup(cache, pinned_from_env(env),
                     replace(options, budget_seconds=min(options.budget_seconds, stage_timeout / 2)), client)
