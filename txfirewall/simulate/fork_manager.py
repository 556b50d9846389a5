"""One pinned fork per upstream, kept fresh and alive.

* Pinned and never mutated: every simulation is stateless, so concurrency is safe by construction.
* Re-pinned blue/green: when the upstream head moves (checked every ``repin_interval`` seconds),
  a new fork is started at the new head and warmed, traffic switches to it, and the old one is
  closed once its in-flight simulations are done (leases).
* Health: a fork whose process died is replaced before the next lease and by the monitor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.simulate.fork import Fork, read_head

log = logging.getLogger(__name__)


@dataclass
class ForkStats:
    opened: int = 0
    repins: int = 0
    restarts: int = 0


class ForkManager:
    """The pinned fork of one upstream. ``upstream`` is a client the caller owns and keeps open
    (every head check and fork start reuses its connections) or a URL (the manager then owns a
    client of its own and closes it)."""

    def __init__(
        self,
        upstream: RpcClient | str,
        *,
        expected_chain_id: int | None = None,
        repin_interval: float | None = 60.0,
        health_interval: float = 2.0,
        timeout: float = 30.0,
    ) -> None:
        self._owns_upstream = isinstance(upstream, str)
        self.upstream = RpcClient(upstream, timeout=timeout) if isinstance(upstream, str) else upstream
        self.upstream_url = self.upstream.url
        self.expected_chain_id = expected_chain_id
        self.repin_interval = repin_interval
        self.health_interval = health_interval
        self.timeout = timeout
        self.stats = ForkStats()
        self._current: Fork | None = None
        self._leases: dict[int, int] = {}
        self._retired: list[Fork] = []
        self._lock = asyncio.Lock()
        self._repin_lock = asyncio.Lock()
        self._monitor: asyncio.Task[None] | None = None

    @property
    def current(self) -> Fork:
        if self._current is None:
            raise RuntimeError("ForkManager is not started")
        return self._current

    async def _open(self, block_number: int | None = None) -> Fork:
        fork = await Fork.open(
            self.upstream, expected_chain_id=self.expected_chain_id, timeout=self.timeout, block_number=block_number
        )
        self.stats.opened += 1
        return fork

    async def start(self) -> None:
        async with self._lock:
            if self._current is None:
                self._current = await self._open()
        if self._monitor is None and (self.repin_interval or self.health_interval):
            self._monitor = asyncio.create_task(self._watch(), name="txfirewall-fork-monitor")

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None
        async with self._lock:
            forks = [f for f in [self._current, *self._retired] if f is not None]
            self._current, self._retired = None, []
        for fork in forks:
            await fork.close()
        if self._owns_upstream:
            await self.upstream.aclose()

    def abandon(self) -> None:
        """Stop every fork's anvil now, without the event loop they were started in (it has
        closed, or is idle in another thread). Their HTTP clients are dropped unclosed."""
        if self._monitor is not None and not self._monitor.done():
            loop = self._monitor.get_loop()
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._monitor.cancel)
        self._monitor = None
        forks = [f for f in [self._current, *self._retired] if f is not None]
        self._current, self._retired = None, []
        for fork in forks:
            fork.node.stop()

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[Fork]:
        """The fork to use for one analysis; it stays open until the lease ends."""
        async with self._lock:
            if self._current is None:
                raise RuntimeError("ForkManager is not started")
            if not self._current.node.running:
                await self._replace_locked(restart=True)
            fork = self._current
            self._leases[id(fork)] = self._leases.get(id(fork), 0) + 1
        try:
            yield fork
        finally:
            async with self._lock:
                self._leases[id(fork)] -= 1
                await self._reap_locked()

    async def repin(self) -> bool:
        """Move to the upstream's current head if it advanced. True when a new fork took over.
        Concurrent calls open one fork, not one each."""
        async with self._repin_lock:
            asked_at = time.monotonic()
            head = await read_head(self.upstream)
            current = self._current
            if current is not None and head.block_number <= current.head.block_number:
                current.confirmed_at = max(current.confirmed_at, asked_at)
                return False
            return await self._repin_to(head.block_number)

    async def _repin_to(self, block_number: int) -> bool:
        fresh = await self._open(block_number)
        await _warm(fresh)
        async with self._lock:
            self._swap_locked(fresh)
            self.stats.repins += 1
            await self._reap_locked()
        log.info("re-pinned fork of %s to block %d", self.upstream_url, block_number)
        return True

    async def _replace_locked(self, *, restart: bool) -> None:
        old = self._current
        pinned = old.head.block_number if old else None
        fresh = await self._open(pinned)
        if old is not None:
            fresh.confirmed_at = old.confirmed_at  # same block: a restart does not make it fresher
        self._swap_locked(fresh)
        if restart:
            self.stats.restarts += 1
            log.warning("fork of %s died; restarted at block %s", self.upstream_url, pinned)
        await self._reap_locked()

    def _swap_locked(self, fresh: Fork) -> None:
        if self._current is not None:
            self._retired.append(self._current)
        self._current = fresh

    async def _reap_locked(self) -> None:
        keep = []
        for fork in self._retired:
            if self._leases.get(id(fork), 0) > 0:
                keep.append(fork)
            else:
                self._leases.pop(id(fork), None)
                await fork.close()
        self._retired = keep

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        last_repin = loop.time()
        while True:
            await asyncio.sleep(self.health_interval)
            try:
                async with self._lock:
                    if self._current is not None and not self._current.node.running:
                        await self._replace_locked(restart=True)
                if self.repin_interval and loop.time() - last_repin >= self.repin_interval:
                    last_repin = loop.time()
                    await self.repin()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the monitor must outlive a bad upstream moment
                log.warning("fork monitor: %s", exc)


async def _warm(fork: Fork) -> None:
    """One cheap stateless call so the new fork has its block and head account cached."""
    env = fork.head.env
    if env is None:
        return
    await fork.client.call("eth_getBalance", [env.coinbase, "latest"])
