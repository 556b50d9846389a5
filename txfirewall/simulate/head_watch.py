"""Keep the fork on the upstream's head: one cheap, shared head check before analyses.

An analysis simulates on a pinned fork. When the upstream's head moves (a block was mined: maybe
the user's own send, which spent the balance the next request wants to move), the fork must follow
or the verdict is computed on a past the user no longer lives in. Before each analysis the
Firewall asks for a check; concurrent analyses share one in-flight ``eth_blockNumber`` (batched
with the receipts of the user's pending sends), and a check is skipped when one finished less
than ``min_interval`` seconds ago, unless a send was noted since.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from txfirewall.errors import InvalidParamsError, RpcCallError, TxFirewallError
from txfirewall.model.chain_state import ChainState
from txfirewall.model.primitives import parse_quantity
from txfirewall.simulate.fork import Fork
from txfirewall.simulate.fork_manager import ForkManager

log = logging.getLogger(__name__)

_TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def check_tx_hash(tx_hash: object) -> str:
    """``tx_hash`` if it is a 0x-prefixed 32-byte hex hash, else ``InvalidParamsError``."""
    if not isinstance(tx_hash, str) or not _TX_HASH.match(tx_hash):
        raise InvalidParamsError(f"note_sent wants a 0x-prefixed 32-byte transaction hash, got {tx_hash!r:.80}")
    return tx_hash


class HeadWatch:
    """Head checks for one ForkManager. ``refresh()`` never raises: a failed check is recorded
    (``check_error``) and the analysis goes on with the state it has, which then ages."""

    def __init__(
        self,
        forks: ForkManager,
        *,
        min_interval: float = 0.0,
        pending_ttl: float = 600.0,
    ) -> None:
        self._forks = forks
        self._min_interval = min_interval
        self._pending_ttl = pending_ttl
        self._pending: dict[str, float] = {}
        self._inflight: tuple[asyncio.Task[None], int] | None = None
        self._wanted = 0
        """Bumped by note_sent: a check started before the bump does not satisfy it."""
        self._done = 0
        self._last_started = time.monotonic()
        """The fork was just pinned at the head: that counts as a check."""
        self.check_error: str | None = None
        self.checks = 0

    def note_sent(self, tx_hash: str) -> None:
        """The user sent ``tx_hash``: check the head before the next analysis (and before every
        analysis until it is mined, or ``pending_ttl`` seconds have passed)."""
        self._pending[check_tx_hash(tx_hash).lower()] = time.monotonic()
        self._wanted += 1

    @property
    def pending_sends(self) -> int:
        return len(self._pending)

    def due(self) -> bool:
        """Would ``refresh()`` talk to the upstream now?"""
        if self._inflight is not None or self._pending or self._done < self._wanted:
            return True
        return time.monotonic() - self._last_started >= self._min_interval

    def begin(self) -> asyncio.Future[None] | None:
        """Start (or join) the check an analysis needs now, to await later; None when none is
        due. The shared check itself is returned when it satisfies the caller (no extra task):
        await it shielded, never cancel it."""
        if self._inflight is not None:
            task, generation = self._inflight
            if generation >= self._wanted:
                return task
            return asyncio.get_running_loop().create_task(self.refresh())
        if not self.due():
            return None
        return self._start()

    async def refresh(self) -> None:
        """Check the head (sharing a check already in flight) and re-pin when it moved."""
        wanted = self._wanted
        while True:
            if self._inflight is None:
                if not self.due():
                    return
                self._start()
            assert self._inflight is not None
            task, generation = self._inflight
            # Shielded: one caller giving up must not cancel the check the others wait for.
            await asyncio.shield(task)
            if generation >= wanted:
                return
            # That check started before a send was noted: it may have missed the send's block.

    def close(self) -> None:
        """Cancel a check in flight (the Firewall is shutting down)."""
        if self._inflight is not None:
            self._inflight[0].cancel()
            self._inflight = None

    def _start(self) -> asyncio.Task[None]:
        self._last_started = time.monotonic()
        generation = self._wanted
        task = asyncio.get_running_loop().create_task(self._check(generation), name="txfirewall-head-check")
        self._inflight = (task, generation)

        def finished(t: asyncio.Task[None]) -> None:
            if self._inflight is not None and self._inflight[0] is t:
                self._inflight = None

        task.add_done_callback(finished)
        return task

    async def _check(self, generation: int) -> None:
        self.checks += 1
        now = time.monotonic()
        for tx_hash, noted in list(self._pending.items()):
            if now - noted > self._pending_ttl:
                del self._pending[tx_hash]  # dropped or replaced: stop checking on every analysis
        hashes = list(self._pending)
        calls: list[tuple[str, list[object]]] = [("eth_blockNumber", [])]
        calls += [("eth_getTransactionReceipt", [h]) for h in hashes]
        try:
            upstream = self._forks.upstream
            replies = await upstream.batch(calls) if hashes else [await upstream.call("eth_blockNumber", [])]
            if isinstance(replies[0], RpcCallError):
                raise replies[0]
            head = parse_quantity(replies[0])
        except (TxFirewallError, ValueError) as exc:
            self.check_error = f"head check failed: {exc}"
            log.warning("%s", self.check_error)
            self._done = max(self._done, generation)
            return
        for tx_hash, receipt in zip(hashes, replies[1:], strict=True):
            if isinstance(receipt, dict):
                self._pending.pop(tx_hash, None)
        current = self._forks.current
        try:
            if head > current.head.block_number:
                await self._forks.repin()
            else:
                current.confirmed_at = time.monotonic()
            self.check_error = None
        except TxFirewallError as exc:
            self.check_error = f"re-pin to block {head} failed: {exc}"
            log.warning("%s", self.check_error)
        self._done = max(self._done, generation)

    def state(self, fork: Fork) -> ChainState:
        """What an analysis on ``fork`` saw."""
        block = fork.head.block or {}
        timestamp = _quantity_or_none(block.get("timestamp"))
        block_hash = block.get("hash")
        return ChainState(
            number=fork.head.block_number,
            hash=block_hash if isinstance(block_hash, str) else None,
            timestamp=timestamp,
            age_s=None if timestamp is None else max(0.0, time.time() - timestamp),
            confirmed_s_ago=max(0.0, time.monotonic() - fork.confirmed_at),
            check_error=self.check_error,
            pending_sends=len(self._pending),
        )


def _quantity_or_none(value: object) -> int | None:
    try:
        return parse_quantity(value) if isinstance(value, str) else None
    except ValueError:
        return None
