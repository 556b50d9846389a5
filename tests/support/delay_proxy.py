"""A loopback JSON-RPC proxy that adds a fixed delay to every request and records each one.

It stands in for a remote RPC provider (20 ms away) in tests and benchmarks. ``rounds()`` is the
number of *sequential* round trips: the longest chain of requests where each started only after
the previous one had answered.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from aiohttp import ClientSession, web


@dataclass(frozen=True)
class Record:
    methods: tuple[str, ...]
    start: float
    end: float


class DelayProxy:
    def __init__(self, upstream: str, delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.records: list[Record] = []
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = ClientSession()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> DelayProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        start = time.monotonic()
        body = await request.read()
        try:
            parsed = json.loads(body)
            items = parsed if isinstance(parsed, list) else [parsed]
            methods = tuple(str(i.get("method")) for i in items if isinstance(i, dict))
        except ValueError:
            methods = ("<invalid>",)
        await asyncio.sleep(self.delay)
        assert self._session is not None
        async with self._session.post(self.upstream, data=body, headers={"content-type": "application/json"}) as resp:
            payload = await resp.read()
            status = resp.status
        self.records.append(Record(methods, start, time.monotonic()))
        return web.Response(body=payload, status=status, content_type="application/json")

    def reset(self) -> None:
        self.records.clear()

    def count(self) -> int:
        return len(self.records)

    def rounds(self) -> int:
        """Longest chain of strictly sequential requests (each after the previous answered)."""
        ordered = sorted(self.records, key=lambda r: r.end)
        chain: list[int] = []
        for i, rec in enumerate(ordered):
            best = max((chain[j] for j in range(i) if ordered[j].end <= rec.start), default=0)
            chain.append(best + 1)
        return max(chain, default=0)
