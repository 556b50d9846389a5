"""Real upstream nodes that misbehave on purpose, for the proxy's reliability tests.

``MisbehavingUpstream`` is a loopback HTTP/1.1 JSON-RPC server (plain asyncio streams) that
records every request body it receives and answers the way ``mode`` says: passing the request
to a real node (``backend``) and returning its reply as is, gzip-compressed or with a batch's
replies in reverse order; or failing the way real nodes and providers fail: a body cut off
mid-stream (Content-Length or chunked), a complete but invalid JSON body, a body that is not
JSON at all (an HTML error page, binary bytes), an HTTP error status with a success-looking body,
a slow answer (``delay`` seconds, then the node's reply), no answer at all, or a dropped
connection. When the node behind it is gone (killed), the connection is dropped, as the node's
own would be.

``DroppingWebSocketUpstream`` is an aiohttp WebSocket node that accepts one ``eth_subscribe``,
sends one notification and then drops the connection (the subscription is gone upstream).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from typing import Any

import httpx
from aiohttp import WSMsgType, web

MODES = (
    "pass",
    "gzip",
    "reverse",
    "truncate",
    "truncate_chunked",
    "invalid_json",
    "garbage",
    "slow",
    "status",
    "hang",
    "close",
)


class MisbehavingUpstream:
    """``async with MisbehavingUpstream(node_url) as up: up.url``; set ``up.mode`` (and
    ``up.status`` for ``"status"``) before a request; ``up.bodies`` holds what was received."""

    def __init__(
        self, backend: str | None = None, *, mode: str = "pass", status: int = 500, delay: float = 5.0
    ) -> None:
        if mode not in MODES:
            raise ValueError(mode)
        self.backend = backend
        self.mode = mode
        self.status = status
        self.delay = delay
        """Seconds a ``"slow"`` answer waits before the node's reply."""
        self.bodies: list[bytes] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._client: httpx.AsyncClient | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self._answering = 0

    async def __aenter__(self) -> MisbehavingUpstream:
        self._client = httpx.AsyncClient(timeout=60.0)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._client is not None
        self._server.close()
        self._closing.set()
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        await self._client.aclose()

    # --- what was received -----------------------------------------------------------------------

    def methods(self) -> list[str]:
        """Every method received, in order (a batch counts each of its calls)."""
        out: list[str] = []
        for body in self.bodies:
            try:
                doc = json.loads(body)
            except ValueError:
                out.append("<invalid>")
                continue
            for item in doc if isinstance(doc, list) else [doc]:
                out.append(str(item.get("method")) if isinstance(item, dict) else "<non-object>")
        return out

    def calls(self, method: str) -> int:
        return self.methods().count(method)

    def count(self) -> int:
        """HTTP requests received."""
        return len(self.bodies)

    async def idle(self, timeout: float) -> None:
        """Until no request is being answered (a ``"slow"`` upstream has sent its late replies)."""
        async with asyncio.timeout(timeout):
            while self._answering:  # noqa: ASYNC110 - a counter, not an event: polled
                await asyncio.sleep(0.05)

    # --- serving -------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                body = await _read_request(reader)
                if body is None:
                    break
                self.bodies.append(body)
                self._answering += 1
                try:
                    if not await self._answer(body, writer):
                        break
                finally:
                    self._answering -= 1
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _backend(self, body: bytes) -> bytes:
        assert self._client is not None and self.backend is not None
        reply = await self._client.post(self.backend, content=body, headers={"content-type": "application/json"})
        return reply.content

    async def _answer(self, body: bytes, writer: asyncio.StreamWriter) -> bool:
        """Write the reply; False when the connection is to be closed."""
        mode = self.mode
        if mode == "close":
            writer.transport.abort()
            return False
        if mode == "hang":
            await self._closing.wait()  # until the test is over
            return False
        if mode == "status":
            # A success-looking JSON body under an error status: must never become a success.
            payload = b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'
            _write(writer, self.status, payload)
            await writer.drain()
            return True
        if mode == "invalid_json":
            _write(writer, 200, b'{"jsonrpc":"2.0","id":1,"result":"0x1"')  # whole HTTP body, broken JSON
            await writer.drain()
            return True
        if mode == "garbage":
            # Not JSON at all: what a captive portal, a misconfigured load balancer or a corrupted
            # stream hands back with a 200.
            _write(writer, 200, GARBAGE, extra="x-garbage: 1\r\n")
            await writer.drain()
            return True
        if mode == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
            if self._closing.is_set():
                return False
        try:
            reply = await self._backend(body)
        except httpx.HTTPError:
            # The node behind is gone (killed, or not back yet): drop the connection as it would.
            writer.transport.abort()
            return False
        if mode in ("pass", "slow"):
            _write(writer, 200, reply)
        elif mode == "gzip":
            _write(writer, 200, gzip.compress(reply), extra="content-encoding: gzip\r\n")
        elif mode == "reverse":
            doc: Any = json.loads(reply)
            if isinstance(doc, list):
                reply = json.dumps(doc[::-1], separators=(",", ":")).encode()
            _write(writer, 200, reply)
        elif mode == "truncate":
            # Announce the whole body, send half of it, hang up (a stream cut mid-way).
            writer.write(_head(200, len(reply)) + reply[: len(reply) // 2])
            await writer.drain()
            writer.transport.abort()
            return False
        elif mode == "truncate_chunked":
            half = reply[: len(reply) // 2]
            head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            writer.write(head.encode() + f"{len(half):x}\r\n".encode() + half + b"\r\n")
            await writer.drain()
            writer.transport.abort()  # no terminating 0-chunk: the stream broke
            return False
        await writer.drain()
        return True


GARBAGE = (
    b'<html><head><title>502 Bad Gateway</title></head><body>\x00\xff\xfe{"jsonrpc":'
    + bytes(range(256))
    + b"</body></html>"
)
"""A 200 body that is not JSON: an HTML page with binary bytes in it."""


def _head(status: int, length: int, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} Status\r\ncontent-type: application/json\r\n{extra}content-length: {length}\r\n\r\n"
    ).encode()


def _write(writer: asyncio.StreamWriter, status: int, payload: bytes, extra: str = "") -> None:
    writer.write(_head(status, len(payload), extra) + payload)


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """The body of the next request on a keep-alive connection; None when the client hung up."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return await reader.readexactly(length)


class DroppingWebSocketUpstream:
    """A WebSocket node: answers ``eth_subscribe`` with ``0xfeed``, sends one notification, then
    drops the connection. ``await up.drop()`` is not needed: it drops by itself."""

    SUBSCRIPTION = "0xfeed"

    def __init__(self) -> None:
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> DroppingWebSocketUpstream:
        app = web.Application()
        app.router.add_get("/", self._ws)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = getattr(server, "sockets", [])[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                break
            call = json.loads(msg.data)
            if call.get("method") == "eth_subscribe":
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": call["id"], "result": self.SUBSCRIPTION}))
                note = {
                    "jsonrpc": "2.0",
                    "method": "eth_subscription",
                    "params": {"subscription": self.SUBSCRIPTION, "result": {"number": "0x41"}},
                }
                await ws.send_str(json.dumps(note))
                await asyncio.sleep(0.2)
                break  # the node goes away: the subscription is lost
            await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": call.get("id"), "result": "0x1cbd"}))
        await ws.close()
        return ws
