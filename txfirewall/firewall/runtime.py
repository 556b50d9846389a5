"""What a Firewall holds in one event loop: the fork, the connections, the slots, the work in flight.

Everything here belongs to the loop it was created in (httpx connections, asyncio locks and
tasks). When that loop ends under ``asyncio.run``, a guard task is cancelled with the others and
closes the fork and the connections while the loop can still run them; a loop closed without that
leaves the runtime to be *abandoned*: its anvil processes are stopped synchronously and its
connections dropped.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from txfirewall.errors import TxFirewallError
from txfirewall.firewall.config import FirewallConfig
from txfirewall.model.primitives import ChainId

if TYPE_CHECKING:
    from txfirewall.chain.rpc_client import RpcClient
    from txfirewall.model.verdict import Verdict
    from txfirewall.simulate.fork_manager import ForkManager
    from txfirewall.simulate.head_watch import HeadWatch


class Runtime:
    """The loop-bound half of a Firewall (the other half, caches and knowledge, outlives loops)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, config: FirewallConfig) -> None:
        self.loop = loop
        self.config = config
        self.upstream: RpcClient | None = None
        self.forks: ForkManager | None = None
        self.heads: HeadWatch | None = None
        self.chain_id: ChainId | None = ChainId(config.chain_id) if config.chain_id is not None else None
        self.upstream_simulates = False
        self.slots = asyncio.Semaphore(config.max_concurrency)
        self.admitted = 0
        """Analyses running or waiting for a slot."""
        self.inflight: set[asyncio.Task[Verdict]] = set()
        self.cancelled_by_close: weakref.WeakSet[asyncio.Task[Verdict]] = weakref.WeakSet()
        self.ready: asyncio.Task[None] | None = None
        self.shut = False
        self._background: set[asyncio.Task[Any]] = set()
        self._guard: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Open the pinned fork (simulation) or the upstream client (facts only)."""
        cfg = self.config
        if cfg.rpc_url:
            from txfirewall.chain.rpc_client import RpcClient
            from txfirewall.simulate.fork import read_head
            from txfirewall.simulate.fork_manager import ForkManager
            from txfirewall.simulate.head_watch import HeadWatch

            upstream = RpcClient(cfg.rpc_url, timeout=cfg.rpc_timeout)
            try:
                if cfg.simulate:
                    forks = ForkManager(upstream, expected_chain_id=cfg.chain_id, repin_interval=cfg.repin_interval)
                    try:
                        await forks.start()
                        if cfg.cold_start == "upstream":
                            self.upstream_simulates = await upstream_simulates(upstream, forks.current.pinned_tag)
                    except BaseException:
                        await forks.close()
                        raise
                    self.forks = forks
                    self.heads = HeadWatch(forks, min_interval=cfg.head_check_interval)
                    self.chain_id = forks.current.head.chain_id
                elif self.chain_id is None:
                    self.chain_id = (await read_head(upstream)).chain_id
            except BaseException:
                await upstream.aclose()
                raise
            self.upstream = upstream
        self._guard = self.loop.create_task(self._close_with_the_loop(), name="txfirewall-loop-guard")

    def track(self, task: asyncio.Task[Verdict]) -> None:
        self.admitted += 1
        self.inflight.add(task)
        task.add_done_callback(self._untrack)

    def _untrack(self, task: asyncio.Task[Verdict]) -> None:
        self.admitted -= 1
        self.inflight.discard(task)

    def background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` unawaited; it is cancelled when the Firewall closes."""
        task = self.loop.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def background_thread(self, work: Callable[[], None]) -> None:
        self.background(asyncio.to_thread(work))

    async def close(self, timeout: float) -> None:
        """Let the analyses in flight finish (``timeout`` seconds), cancel the rest, shut down.
        Concurrent and repeated calls wait for the same close."""
        if self._closing is None:
            self._closing = self.loop.create_task(self._drain_and_shut(timeout), name="txfirewall-close")
        await asyncio.shield(self._closing)

    async def _drain_and_shut(self, timeout: float) -> None:
        if self.ready is not None and not self.ready.done():
            self.ready.cancel()
            await asyncio.gather(self.ready, return_exceptions=True)
        pending = set(self.inflight)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                self.cancelled_by_close.add(task)
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        await self._shut()

    async def _shut(self) -> None:
        if self.shut:
            return
        self.shut = True
        background = list(self._background)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if self.forks is not None:
            await self.forks.close()
        if self.upstream is not None:
            await self.upstream.aclose()
        guard = self._guard
        if guard is not None and guard is not asyncio.current_task():
            guard.cancel()

    async def _close_with_the_loop(self) -> None:
        """Wait forever; when the loop ends (``asyncio.run`` cancels every task), shut down while
        the loop can still run the shutdown."""
        try:
            await self.loop.create_future()
        finally:
            if not self.shut:
                await self._shut()

    def abandon(self) -> None:
        """Drop this runtime without its loop (closed, or idle in another thread): stop the forks'
        anvil processes now; the connections go with the loop."""
        if self.shut:
            return
        self.shut = True
        if self.forks is not None:
            self.forks.abandon()


async def upstream_simulates(upstream: RpcClient, block_tag: str) -> bool:
    """Does the upstream answer ``eth_simulateV1`` (at a historical block)? Probed once."""
    payload = {"blockStateCalls": [{"calls": []}], "validation": False}
    try:
        result = await upstream.call("eth_simulateV1", [payload, block_tag])
    except TxFirewallError:
        return False
    return isinstance(result, list)
