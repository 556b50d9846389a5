"""A lean HTTP/1.1 keep-alive client for JSON-RPC POSTs to plain-``http`` nodes (anvil forks, a
local node).

Why not httpx here: against a local node httpx spends ~0.45 ms of Python per request
(eth_blockNumber: 0.55 ms through ``RpcClient`` on httpx, 0.12 ms over a bare keep-alive stream,
measured in one run on the 2-core dev machine); an analysis makes several requests to its fork,
and the head check runs before every analysis. This client does exactly what JSON-RPC over HTTP
needs: POST a JSON body, read a ``Content-Length`` or chunked reply, keep the connection.
Anything else (TLS, a proxy in the environment, an unexpected reply framing) is left to httpx:
``eligible`` says no, or ``post`` raises ``Unsupported`` and the caller falls back (only for a
request that may be sent twice: a send is never re-sent).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import urllib.parse
import urllib.request
import zlib

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 256 * 1024 * 1024
MAX_IDLE = 32


class Unsupported(Exception):
    """The reply is not framed the way this client reads; use httpx for this upstream."""


def eligible(url: str) -> bool:
    """Plain http, no proxy configured for it in the environment."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    proxies = urllib.request.getproxies()
    return not (proxies.get("http") or proxies.get("all")) or bool(urllib.request.proxy_bypass(parts.hostname))


class LeanHttp:
    """``status, body = await LeanHttp(url).post(json_bytes)``; ``await aclose()``. Connections are
    pooled (LIFO) and a request that finds its reused connection closed by the server is retried
    once on a new one."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.hostname is None:
            raise ValueError(f"no host in {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host_header = parts.netloc.rsplit("@", 1)[-1]
        auth = ""
        if parts.username is not None:
            userinfo = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            auth = f"Authorization: Basic {base64.b64encode(userinfo.encode()).decode()}\r\n"
        self._head = f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\n{auth}Content-Type: application/json\r\n"
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._closed = False

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def post(self, body: bytes, *, retry_safe: bool = True) -> tuple[int, bytes]:
        """Send one POST; returns the status and the body. Raises ``OSError`` (connection) or
        ``Unsupported``; the caller's timeout cancels it (the connection is then dropped).

        ``retry_safe=False`` (a send: the node must not get it twice) takes a new connection, so
        there is no idle one the server may have closed, and never retries. Otherwise a request
        whose reused connection turns out closed before any byte of the reply came back is sent
        once more on a new connection (a keep-alive timeout on the server's side)."""
        request = (self._head + f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body
        reused = retry_safe and bool(self._idle)
        conn = self._idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
        try:
            status, reply, keep = await self._exchange(conn, request)
        except _Stale as exc:
            _drop(conn)
            if not reused:
                raise ConnectionError(f"connection to {self.host}:{self.port} failed: {exc.__cause__}") from exc
            conn = await asyncio.open_connection(self.host, self.port)
            try:
                status, reply, keep = await self._exchange(conn, request)
            except _Stale as again:
                _drop(conn)
                raise ConnectionError(f"connection to {self.host}:{self.port} failed: {again.__cause__}") from again
            except BaseException:
                _drop(conn)
                raise
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            _drop(conn)
            raise ConnectionError(f"the connection to {self.host}:{self.port} broke mid-reply: {exc}") from exc
        except BaseException:
            _drop(conn)
            raise
        if keep and not self._closed and len(self._idle) < MAX_IDLE:
            self._idle.append(conn)
        else:
            _drop(conn)
        return status, reply

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
    ) -> tuple[int, bytes, bool]:
        reader, writer = conn
        try:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            raise _Stale() from exc
        except ConnectionError as exc:
            raise _Stale() from exc
        if len(head) > MAX_HEADER_BYTES:
            raise Unsupported("reply headers too large")
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        try:
            status = int(rest[:3])
        except ValueError:
            raise Unsupported(f"not an HTTP status line: {lines[0][:60]!r}") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        encoding = headers.get("content-encoding", "identity").lower()
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise Unsupported(f"reply encoded as {encoding!r}")
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        length = headers.get("content-length")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = await _read_chunked(reader)
        elif length is not None and length.isdigit():
            if int(length) > MAX_BODY_BYTES:
                raise Unsupported("reply too large")
            data = await reader.readexactly(int(length))
        elif length is None:
            keep = False  # the body ends when the server closes the connection
            data = await reader.read(MAX_BODY_BYTES + 1)
            while chunk := await reader.read(MAX_BODY_BYTES + 1 - len(data)):
                data += chunk
            if len(data) > MAX_BODY_BYTES:
                raise Unsupported("reply too large")
        else:
            raise Unsupported(f"bad Content-Length {length!r}")
        return status, _decoded(data, encoding), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise Unsupported("bad chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise Unsupported("reply too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class _Stale(Exception):
    """The connection failed before any byte of the reply: the server may have closed it idle."""


def _decoded(data: bytes, encoding: str) -> bytes:
    """The body without its content coding (geth gzips replies), bounded against zip bombs."""
    if encoding == "identity":
        return data
    wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
    try:
        inflater = zlib.decompressobj(wbits)
        out = inflater.decompress(data, MAX_BODY_BYTES + 1)
    except zlib.error:
        if encoding != "deflate":
            raise Unsupported("a gzip reply that does not decompress") from None
        try:  # "deflate" is sometimes sent raw, without the zlib header
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            out = inflater.decompress(data, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise Unsupported("a deflate reply that does not decompress") from None
    if len(out) > MAX_BODY_BYTES or inflater.unconsumed_tail:
        raise Unsupported("reply too large once decompressed")
    return out


def _drop(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
    conn[1].close()
