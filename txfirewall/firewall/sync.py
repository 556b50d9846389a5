"""``SyncFirewall``: the blocking API, safe from any number of threads.

```python
with SyncFirewall(FirewallConfig(rpc_url="http://127.0.0.1:8545")) as fw:
    verdict = fw.analyze(request)          # from any thread, also from inside async code
```

It owns one event loop in a background thread, where its ``Firewall`` lives; each call hands
its work to that loop and blocks until the verdict is back. Concurrent calls from many threads
are analysed concurrently, up to ``FirewallConfig.max_concurrency`` at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import CancelledError as FutureCancelledError
from types import TracebackType
from typing import Any, TypeVar

from txfirewall.errors import AnalysisCancelledError, FirewallClosedError, FirewallLoopError
from txfirewall.firewall.config import FirewallConfig
from txfirewall.firewall.core import Firewall, RequestInput
from txfirewall.heuristics.rule import Rule
from txfirewall.model.verdict import Verdict

T = TypeVar("T")


class SyncFirewall:
    """A blocking ``Firewall`` with its own event loop thread. Starts at construction (raising
    ``EnvironmentFailure`` when the fork cannot be set up); ``close()`` is idempotent."""

    def __init__(self, config: FirewallConfig, *, rules: tuple[Rule[Any], ...] | None = None) -> None:
        self._firewall = Firewall(config, rules=rules)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="txfirewall-loop", daemon=True)
        self._lock = threading.Lock()
        self._closed = False
        self._thread.start()
        try:
            self._call(self._firewall.start())
        except BaseException:
            self._stop_loop()
            raise

    @property
    def config(self) -> FirewallConfig:
        return self._firewall.config

    @property
    def firewall(self) -> Firewall:
        """The ``Firewall`` inside; it lives in this object's loop thread, so await it only there."""
        return self._firewall

    @property
    def closed(self) -> bool:
        return self._closed

    def analyze(self, request: RequestInput, *, origin: str | None = None) -> Verdict:
        """Analyse one request (see ``Firewall.analyze``); blocks this thread until the verdict."""
        return self._call(self._firewall.analyze(request, origin=origin))

    def note_sent(self, tx_hash: str) -> None:
        """See ``Firewall.note_sent``."""
        self._call(self._note_sent(tx_hash))

    async def _note_sent(self, tx_hash: str) -> None:
        self._firewall.note_sent(tx_hash)

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            work.close()
            raise FirewallLoopError("a SyncFirewall was called from its own loop thread; it would wait for itself")
        with self._lock:
            if self._closed:
                work.close()
                raise FirewallClosedError("this SyncFirewall is closed")
            future = asyncio.run_coroutine_threadsafe(work, self._loop)
        try:
            return future.result()
        except FutureCancelledError:
            raise AnalysisCancelledError("the SyncFirewall closed before this call finished") from None
        except BaseException:
            future.cancel()  # interrupted (KeyboardInterrupt): do not leave the work running
            raise

    def close(self, *, timeout: float | None = None) -> None:
        """Finish the analyses in flight (up to ``timeout``, default ``config.close_timeout``),
        cancel the rest, stop the fork and the loop thread. Idempotent and thread-safe."""
        if threading.current_thread() is self._thread:
            raise FirewallLoopError("close() a SyncFirewall from outside its own loop thread")
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._firewall.close(timeout=timeout), self._loop).result()
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._closed = True
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> SyncFirewall:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
