"""Exact bytes on the wire: HTTP/1.1 requests written by hand over ``asyncio.open_connection``,
for the cases a client library would correct or refuse to send (Host headers, a Content-Length
with no body, chunked bodies, trickled headers)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


@dataclass(frozen=True)
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def request(
    body: bytes | str,
    *,
    host: str = "127.0.0.1",
    method: str = "POST",
    content_type: str | None = "application/json",
    extra: dict[str, str] | None = None,
    content_length: int | None = None,
) -> bytes:
    """One complete request (``Connection: close``): the server answers and hangs up."""
    data = body.encode() if isinstance(body, str) else body
    lines = [f"{method} / HTTP/1.1", f"Host: {host}", "Connection: close"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(data) if content_length is None else content_length}")
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def parse_reply(data: bytes) -> RawReply:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    if length is not None:
        body = body[: int(length)]
    return RawReply(status, headers, body)


async def exchange(port: int, data: bytes, *, timeout: float = 30.0) -> RawReply:
    """Send ``data`` as it is and read the reply until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(timeout):
            reply = await reader.read(-1)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return parse_reply(reply)


async def read_reply_head(reader: asyncio.StreamReader, *, timeout: float) -> RawReply:
    """The status and headers of a reply (and as much body as its Content-Length says)."""
    async with asyncio.timeout(timeout):
        head = await reader.readuntil(b"\r\n\r\n")
        reply = parse_reply(head)
        length = int(reply.headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
    return RawReply(reply.status, reply.headers, body)
