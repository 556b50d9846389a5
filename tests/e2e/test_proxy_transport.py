"""RELIABILITY.md A8 cases 1-10 (transport and HTTP), A2's implications for the proxy, and A7.6 and
A7.10 (subscriptions when the upstream drops; compression and HTTP errors from the upstream):
a real ProxyServer in front of the fixture chain, exact bytes on the wire where the case needs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

import pytest
from aiohttp import ClientSession, WSMsgType, WSServerHandshakeError

from txfirewall.chain.anvil_node import AnvilNode

from ..support import raw_http
from ..support.misbehaving_upstream import DroppingWebSocketUpstream
from ..support.proxy_harness import APP_ORIGIN, Harness, call, request, running_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

CHAIN_ID_BODY = json.dumps(call("eth_chainId"))
DRAINER = request("e_drainer_claim.json")
PLAIN_SEND = request("a_eth_to_bob.json")


# --- 1, 2: the Host header (DNS rebinding) -----------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8545", "ATTACKER.example"])
async def test_a8_01_foreign_host_header_is_refused_and_not_forwarded(rel: Harness, host: str) -> None:
    before = rel.upstream.count()
    for body in (CHAIN_ID_BODY, json.dumps(DRAINER)):
        reply = await raw_http.exchange(rel.port, raw_http.request(body, host=host))
        assert reply.status == 403 and b"invalid host" in reply.body
        assert reply.header("access-control-allow-origin") is None
    assert rel.upstream.count() == before, "refused before anything was forwarded"


@pytest.mark.parametrize("host", ["127.0.0.1.nip.io", "localtest.me", "localhost.attacker.example", "10.0.0.1", ""])
async def test_a8_02_names_that_resolve_to_localhost_are_refused(rel: Harness, host: str) -> None:
    """Names that resolve to 127.0.0.1 are still names an attacker's page can use (rebinding);
    unlike geth, IP literals other than loopback are refused too (the proxy owns its port)."""
    before = rel.upstream.count()
    reply = await raw_http.exchange(rel.port, raw_http.request(CHAIN_ID_BODY, host=host))
    assert reply.status == 403
    assert rel.upstream.count() == before


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}"])
async def test_a8_02_loopback_literals_and_localhost_pass(rel: Harness, host: str) -> None:
    reply = await raw_http.exchange(rel.port, raw_http.request(CHAIN_ID_BODY, host=host.format(port=rel.port)))
    assert reply.status == 200 and json.loads(reply.body)["result"] == "0x1cbd"


async def test_a8_02_an_allowlisted_name_passes(rel_chain: AnvilNode, control_file: Path) -> None:
    async with running_proxy(rel_chain.url, control_file, allow_hosts=frozenset({"wallet.test"})) as own:
        ok = await raw_http.exchange(own.port, raw_http.request(CHAIN_ID_BODY, host=f"wallet.test:{own.port}"))
        other = await raw_http.exchange(own.port, raw_http.request(CHAIN_ID_BODY, host="127.0.0.1.nip.io"))
    assert ok.status == 200 and json.loads(ok.body)["result"] == "0x1cbd"
    assert other.status == 403


# --- 3: CORS -------------------------------------------------------------------------------------------


def _preflight(origin: str) -> bytes:
    return (
        "OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Origin: {origin}\r\nAccess-Control-Request-Method: POST\r\n"
        "Access-Control-Request-Headers: content-type\r\n\r\n"
    ).encode()


async def test_a8_03_preflight_from_an_unapproved_origin_gets_no_acao(rel: Harness) -> None:
    refused = await raw_http.exchange(rel.port, _preflight("https://evil.example"))
    assert refused.status == 403 and refused.header("access-control-allow-origin") is None
    approved = await raw_http.exchange(rel.port, _preflight(APP_ORIGIN))
    assert approved.status == 204 and approved.header("access-control-allow-origin") == APP_ORIGIN
    assert "POST" in (approved.header("access-control-allow-methods") or "")


async def test_a8_03_the_post_itself_is_refused_before_classification(rel: Harness) -> None:
    before = rel.upstream.count()
    for body in (CHAIN_ID_BODY, json.dumps(DRAINER), "'f"):
        reply = await raw_http.exchange(rel.port, raw_http.request(body, extra={"Origin": "https://evil.example"}))
        assert reply.status == 403 and reply.header("access-control-allow-origin") is None
        assert b"jsonrpc" not in reply.body, "no JSON-RPC classification happened"
    assert rel.upstream.count() == before
    ok = await rel.post(CHAIN_ID_BODY, origin=APP_ORIGIN)
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == APP_ORIGIN


# --- 4: WebSocket Origin --------------------------------------------------------------------------------


async def test_a8_04_websocket_upgrade_from_a_bad_origin_is_rejected(rel: Harness) -> None:
    ws_url = rel.proxy.url.replace("http://", "ws://")
    async with ClientSession() as session:
        with pytest.raises(WSServerHandshakeError) as refused:
            await session.ws_connect(ws_url, headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403


async def test_a8_04_websocket_without_origin_is_a_cli_and_is_served(
    rel: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """No Origin: not a browser (geth skips its check too); served, logged, and the policy decides."""
    caplog.set_level(logging.INFO, logger="txfirewall.proxy.http_server")
    ws_url = rel.proxy.url.replace("http://", "ws://")
    async with ClientSession() as session, session.ws_connect(ws_url) as ws:
        await ws.send_str(json.dumps(call("eth_chainId", id_="ws")))
        reply = await ws.receive(timeout=10)
        assert json.loads(reply.data) == {"jsonrpc": "2.0", "id": "ws", "result": "0x1cbd"}
        await ws.send_str(json.dumps(DRAINER))
        refused = json.loads((await ws.receive(timeout=60)).data)
        assert refused["error"]["code"] == 4001, "the policy still decides what is signed"
    assert any("without an Origin header" in r.getMessage() for r in caplog.records)


# --- 5, A2: content type and HTTP methods ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data", None],
)
async def test_a8_05_a_non_json_content_type_is_415(rel: Harness, content_type: str | None) -> None:
    before = rel.upstream.count()
    reply = await raw_http.exchange(rel.port, raw_http.request(json.dumps(DRAINER), content_type=content_type))
    assert reply.status == 415
    assert rel.upstream.count() == before


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "GET"])
async def test_a2_put_delete_and_plain_get_are_405(rel: Harness, method: str) -> None:
    before = rel.upstream.count()
    reply = await raw_http.exchange(rel.port, raw_http.request(CHAIN_ID_BODY, method=method))
    assert reply.status == 405
    assert rel.upstream.count() == before


# --- 6, 7: body limits -------------------------------------------------------------------------------


async def test_a8_06_content_length_6000000_is_413_before_reading(rel: Harness) -> None:
    """Only the headers are sent: a 413 that arrives anyway was decided before any body was read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", rel.port)
    try:
        writer.write(raw_http.request(b"", content_length=6_000_000).replace(b"Connection: close\r\n", b""))
        await writer.drain()
        reply = await raw_http.read_reply_head(reader, timeout=10)
    finally:
        writer.close()
    assert reply.status == 413


async def test_a8_07_a_chunked_body_past_the_limit_is_413(rel: Harness) -> None:
    """The body streams past 5 MiB and would never end; the reply is read while sending."""
    before = rel.upstream.count()
    reader, writer = await asyncio.open_connection("127.0.0.1", rel.port)
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    start = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":['
    chunk = b" " * (64 * 1024)

    async def stream() -> int:
        sent = 0
        writer.write(head + f"{len(start):x}\r\n".encode() + start + b"\r\n")
        with contextlib.suppress(ConnectionError):
            while sent < 64 * 1024 * 1024:
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
                sent += len(chunk)
        return sent

    sending = asyncio.create_task(stream())
    try:
        reply = await raw_http.read_reply_head(reader, timeout=20)
        # The read is capped: the proxy hangs up instead of draining the rest, so the sender fails.
        async with asyncio.timeout(5):
            sent = await sending
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        writer.close()
    assert reply.status == 413
    assert sent < 64 * 1024 * 1024
    assert rel.upstream.count() == before


# --- 8: slowloris ----------------------------------------------------------------------------------


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    async with asyncio.timeout(seconds):
        return await reader.read(-1)


async def test_a8_08_slowloris_trickled_headers_are_cut_off(rel: Harness) -> None:
    """idle_timeout is 1 s on this proxy (30 s by default, geth's ReadHeaderTimeout)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", rel.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    await writer.drain()

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for _ in range(40):  # 20 s of headers if nobody stops it
                await asyncio.sleep(0.5)
                writer.write(b"a")
                await writer.drain()

    dripping = asyncio.create_task(trickle())
    try:
        with contextlib.suppress(ConnectionError):
            leftover = await _closed_within(reader, 10)
            assert b"200" not in leftover
    finally:
        dripping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dripping
        writer.close()


async def test_a8_08_a_connection_that_sends_nothing_is_closed(rel: Harness) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", rel.port)
    try:
        assert await _closed_within(reader, 10) == b""
    finally:
        writer.close()


async def test_a8_08_a_trickled_body_is_timed_out(rel: Harness) -> None:
    """Headers in time, then a body that never completes: 408 (body_timeout, 2 s here)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", rel.port)
    try:
        writer.write(raw_http.request(b"{", content_length=100))
        await writer.drain()
        reply = await raw_http.read_reply_head(reader, timeout=10)
    finally:
        writer.close()
    assert reply.status == 408


# --- 9, A7.7: a truncated or invalid upstream body ------------------------------------------------------


@pytest.mark.parametrize("mode", ["truncate", "truncate_chunked", "invalid_json"])
async def test_a8_09_a_truncated_or_invalid_upstream_body_is_an_error(rel: Harness, mode: str) -> None:
    rel.upstream.mode = mode
    single = await rel.rpc(call("eth_getBlockByNumber", ["0x1", True], id_="blk"))
    assert single["id"] == "blk" and "result" not in single
    assert single["error"]["code"] == -32603
    batch = await rel.rpc([call("eth_chainId", id_=1), call("eth_blockNumber", id_=2)])
    assert [r["id"] for r in batch] == [1, 2]
    assert all("result" not in r and r["error"]["code"] == -32603 for r in batch), "never half a success"


async def test_a8_09_a_send_whose_reply_is_cut_off_reaches_the_node_once(rel: Harness) -> None:
    await rel.rpc(call("eth_chainId"))  # the proxy's upstream connection is open and idle (reused next)
    before = rel.upstream.calls("eth_sendTransaction")
    rel.upstream.mode = "truncate"
    reply = await rel.rpc(PLAIN_SEND)
    assert "result" not in reply and reply["error"]["code"] == -32603
    assert rel.upstream.calls("eth_sendTransaction") == before + 1


# --- 10: the upstream unreachable or not answering --------------------------------------------------------


async def test_a8_10_upstream_unreachable_reads_error_and_signing_is_refused(
    rel_chain: AnvilNode, control_file: Path
) -> None:
    async with running_proxy(
        rel_chain.url, control_file, mode="close", firewall_via_upstream=True, wait_for_firewall=False
    ) as own:
        read = await own.rpc(call("eth_blockNumber", id_="r"))
        sends = [await own.rpc(body) for body in (DRAINER, PLAIN_SEND)]
    assert read["id"] == "r" and read["error"]["code"] == -32603 and "upstream" in read["error"]["message"]
    for reply in sends:
        assert reply["error"]["code"] == 4001 and "refused" in reply["error"]["message"]
    assert own.upstream.calls("eth_sendTransaction") == 0


async def test_a8_10_upstream_timing_out_reads_error_and_an_allowed_send_is_no_success(
    rel_chain: AnvilNode, control_file: Path
) -> None:
    """The analysis works (its fork reads the node), the forward hangs: the allowed send is an
    error for the wallet, never a success; the proxy answers within its upstream timeout."""
    async with running_proxy(rel_chain.url, control_file, mode="hang", upstream_timeout=1.0) as own:
        read = await own.rpc(call("eth_blockNumber", id_="r"))
        sent = await own.rpc(PLAIN_SEND)
    assert read["error"]["code"] == -32603 and "did not answer" in read["error"]["message"]
    assert "result" not in sent and sent["error"]["code"] == -32603, sent


# --- A7.10: compression and HTTP errors from the upstream --------------------------------------------


async def test_a7_10_a_gzip_encoded_upstream_reply_is_decoded(rel_chain: AnvilNode, control_file: Path) -> None:
    async with running_proxy(rel_chain.url, control_file, mode="gzip") as own:
        for body in (call("eth_getBlockByNumber", ["0x2", False], id_=9), [call("eth_chainId", id_="c")]):
            proxied = await own.post(body)
            direct = await own.direct(body)
            assert proxied.status_code == 200 and proxied.content == direct.content
            assert "content-encoding" not in proxied.headers


async def test_a7_10_a_gzip_upstream_receives_a_forwarded_send_once(rel_chain: AnvilNode, control_file: Path) -> None:
    """With ``--from`` the proxy asks the node nothing at start, so the first request it forwards
    is the first reply its upstream client sees compressed."""
    alice = request("a_eth_to_bob.json")["params"][0]["from"].lower()
    async with running_proxy(rel_chain.url, control_file, mode="gzip", accounts=frozenset({alice})) as own:
        reply = await own.rpc(PLAIN_SEND)
    assert reply["error"]["message"] == "No Signer available", "the node answered (decompressed)"
    assert own.upstream.calls("eth_sendTransaction") == 1, "a send must reach the node exactly once"


@pytest.mark.parametrize("status", [415, 500, 502, 413, 429])
async def test_a7_10_an_upstream_http_error_is_never_a_success(rel: Harness, status: int) -> None:
    rel.upstream.mode, rel.upstream.status = "status", status
    reply = await rel.rpc(call("eth_chainId", id_=1))
    assert "result" not in reply and reply["error"]["code"] == -32603
    assert str(status) in reply["error"]["message"]


# --- A7.6: subscriptions when the upstream WebSocket drops ---------------------------------------------


async def test_a7_6_when_the_upstream_websocket_drops_the_client_is_closed_with_1001(
    rel_chain: AnvilNode, control_file: Path
) -> None:
    async with (
        DroppingWebSocketUpstream() as node_ws,
        running_proxy(rel_chain.url, control_file, upstream_ws=node_ws.url) as own,
    ):
        ws_url = own.proxy.url.replace("http://", "ws://")
        async with ClientSession() as session, session.ws_connect(ws_url) as ws:
            await ws.send_str(json.dumps(call("eth_subscribe", ["newHeads"], id_="sub-1")))
            subscribed = json.loads((await ws.receive(timeout=10)).data)
            assert subscribed == {"jsonrpc": "2.0", "id": "sub-1", "result": node_ws.SUBSCRIPTION}
            note = json.loads((await ws.receive(timeout=10)).data)
            assert note["params"]["subscription"] == node_ws.SUBSCRIPTION
            closing = await ws.receive(timeout=10)
            assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
            assert ws.close_code == 1001
