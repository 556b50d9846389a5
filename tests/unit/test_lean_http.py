"""The lean HTTP client reads every reply framing a JSON-RPC node uses, and hands the rest to httpx.

A real socket server on the loopback plays the node, answering in the framing each test names.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from txfirewall.chain import lean_http
from txfirewall.chain.rpc_client import RpcClient
from txfirewall.errors import UpstreamError

pytestmark = pytest.mark.asyncio(loop_scope="session")

Reply = Callable[[bytes], bytes]
RESULT = b'{"jsonrpc":"2.0","id":1,"result":"0x40"}'


def content_length(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def chunked(body: bytes) -> bytes:
    half = len(body) // 2
    parts = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]))
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + parts + b"0\r\n\r\n"


class Node:
    """Answers each request with ``reply(result)``; ``close_after`` requests per connection."""

    def __init__(self, reply: Reply, close_after: int | None = None) -> None:
        self.reply = reply
        self.close_after = close_after
        self.connections = 0
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
                )
                json.loads(await reader.readexactly(length))
                self.requests += 1
                writer.write(self.reply(RESULT))
                await writer.drain()
                served += 1
                if self.close_after is not None and served >= self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


Starter = Callable[..., Awaitable[Node]]


@pytest_asyncio.fixture(loop_scope="session")
async def start() -> AsyncIterator[Starter]:
    servers: list[asyncio.Server] = []

    async def _start(reply: Reply, close_after: int | None = None) -> Node:
        node = Node(reply, close_after)
        node.server = await asyncio.start_server(node.serve, "127.0.0.1", 0)
        servers.append(node.server)
        return node

    yield _start
    for server in servers:
        server.close()


async def test_content_length_replies_share_one_connection(start: Starter) -> None:
    node = await start(content_length)
    async with RpcClient(node.url) as client:
        assert client._lean is not None
        assert [await client.call("eth_blockNumber", []) for _ in range(5)] == ["0x40"] * 5
    assert node.connections == 1 and node.requests == 5


async def test_chunked_replies_are_read(start: Starter) -> None:
    node = await start(chunked)
    async with RpcClient(node.url) as client:
        assert await client.call("eth_blockNumber", []) == "0x40"
        assert await client.call("eth_blockNumber", []) == "0x40"


async def test_a_connection_the_node_closed_is_replaced(start: Starter) -> None:
    node = await start(content_length, close_after=1)
    async with RpcClient(node.url) as client:
        for _ in range(3):
            assert await client.call("eth_blockNumber", []) == "0x40"
            await asyncio.sleep(0.01)  # let the server's close arrive: the next request must retry
    assert node.connections == 3


async def test_a_framing_it_does_not_read_falls_back_to_httpx(start: Starter) -> None:
    def gzip_claimed(body: bytes) -> bytes:
        return content_length(body).replace(b"Content-Type", b"Content-Encoding: gzip\r\nContent-Type")

    node = await start(gzip_claimed)
    async with RpcClient(node.url) as client:
        with pytest.raises(UpstreamError):
            await client.call("eth_blockNumber", [])  # httpx then fails to gunzip it: an upstream error
        assert client._lean is None


async def test_nobody_listening_is_an_upstream_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with RpcClient(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(UpstreamError, match="cannot reach"):
            await client.call("eth_blockNumber", [])


async def test_only_plain_http_without_a_proxy_is_eligible(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    assert lean_http.eligible("http://127.0.0.1:8545")
    assert not lean_http.eligible("https://mainnet.example/v3/key")
    monkeypatch.setenv("http_proxy", "http://proxy.internal:3128")
    assert not lean_http.eligible("http://node.internal:8545")
    monkeypatch.setenv("no_proxy", "node.internal")
    assert lean_http.eligible("http://node.internal:8545")
