"""The k-ary search for creation blocks over historical ``eth_getCode``, batched across addresses."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from txfirewall.enrich.contract_age.values import (
    AgeReport,
    AgeSearchOptions,
    ContractAge,
    CreationBlock,
    PinnedBlock,
    dated,
)
from txfirewall.errors import RpcCallError, TxFirewallError
from txfirewall.model.hashing import keccak256
from txfirewall.model.primitives import Address, parse_data, parse_quantity, to_quantity
from txfirewall.simulate.code_changes import delegate_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.enrich.contract_age.cache import ContractAgeCache


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

    def __init__(
        self, address: Address, pinned: PinnedBlock, options: AgeSearchOptions, cache: ContractAgeCache
    ) -> None:
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

    def converged(self) -> bool:
        """A method, not a property: it changes as replies are fed in."""
        return self.code_hash is not None and self.hi == self.lo + 1

    def calls(self) -> list[tuple[str, list[Any]]]:
        if self.converged():  # only the creation block's timestamp is missing
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
        if self.converged():
            self._take_timestamp(replies[0])
            return
        if self.code_hash is None and not self._check_pinned_code(replies[0]):
            return
        self._narrow(replies[-len(self._pending) :] if self._pending else [])
        if self.result is None and self.converged() and self.hi == self.pinned.number:
            self._finish(self.pinned.timestamp)  # created in the pinned block itself
        if self.result is None and not self.converged():
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
            self.code_hash = "0x" + keccak256(code).hex()
        return self.code_hash is not None

    def _narrow(self, replies: list[Any]) -> None:
        hi = self.hi
        for block, reply in reversed(list(zip(self._pending, replies, strict=True))):
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
            for search, calls in zip(active, per_search, strict=True):
                search.feed(replies[at : at + len(calls)])
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
