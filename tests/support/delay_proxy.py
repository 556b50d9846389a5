"""A loopback JSON-RPC proxy that adds a fixed delay to every request and records each one.

It stands in for a remote RPC provider (20 ms away) in tests and benchmarks. ``rounds()`` is the
number of *sequential* round trips: the longest chain of requests where each started only after
the previous one had answered. Plain asyncio streams (HTTP/1.1 with Content-Length bodies and
keep-alive, which is all an RPC client sends) and httpx to the upstream: no extra dependency.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass

import httpx

MAX_BODY = 16 * 1024 * 1024


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
        self._server: asyncio.Server | None = None
        self._client: httpx.AsyncClient | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.url = ""

    async def start(self) -> str:
        self._client = httpx.AsyncClient(timeout=60.0, limits=httpx.Limits(max_connections=256))
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        # End open keep-alive connections by closing them (their reads fail and the handlers return);
        # cancelling the handlers would make asyncio's server log each cancellation.
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> DelayProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._writers.add(writer)
        try:
            while True:
                body = await _read_request(reader)
                if body is None:
                    break
                status, payload = await self._forward(body)
                writer.write(
                    f"HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _forward(self, body: bytes) -> tuple[int, bytes]:
        start = time.monotonic()
        try:
            parsed = json.loads(body)
            items = parsed if isinstance(parsed, list) else [parsed]
            methods = tuple(str(i.get("method")) for i in items if isinstance(i, dict))
        except ValueError:
            methods = ("<invalid>",)
        await asyncio.sleep(self.delay)
        assert self._client is not None
        resp = await self._client.post(self.upstream, content=body, headers={"content-type": "application/json"})
        self.records.append(Record(methods, start, time.monotonic()))
        return resp.status_code, resp.content

    def reset(self) -> None:
        self.records.clear()

    def count(self, *, excluding: tuple[str, ...] = ()) -> int:
        """Requests forwarded, leaving out those that only call the ``excluding`` methods."""
        return sum(1 for r in self.records if not (r.methods and set(r.methods) <= set(excluding)))

    def calls(self, method: str) -> int:
        return sum(r.methods.count(method) for r in self.records)

    def rounds(self) -> int:
        """Longest chain of strictly sequential requests (each after the previous answered)."""
        ordered = sorted(self.records, key=lambda r: r.end)
        chain: list[int] = []
        for i, rec in enumerate(ordered):
            best = max((chain[j] for j in range(i) if ordered[j].end <= rec.start), default=0)
            chain.append(best + 1)
        return max(chain, default=0)


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """The body of the next request on a keep-alive connection; None when the client hung up."""
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length > MAX_BODY:
        raise ConnectionError("request body too large")
    return await reader.readexactly(length)
