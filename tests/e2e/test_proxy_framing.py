"""RELIABILITY.md A8 cases 11-20 (JSON-RPC framing, geth's rpc/testdata cases of A3) and A7.1-A7.5
and A7.9 (batches re-assembled by id, ids kept exactly, notifications, empty batches, status 200,
chunked forwarding), through a real ProxyServer in front of the fixture chain.

Where the node answers (reads), the proxy's reply is compared with the node's own, byte for byte.
Where the proxy answers itself (refused or intercepted calls), the raw reply bytes are checked:
anvil refuses fractional ids, so that is where ``1.0`` must come back as ``1.0``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from txfirewall.chain.anvil_node import AnvilNode

from ..support.proxy_harness import Harness, call, request, running_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

DRAINER = request("e_drainer_claim.json")


def _ids(raw: bytes) -> list[bytes]:
    """The id tokens of a reply's envelopes exactly as written on the wire."""
    tokens: list[bytes] = re.findall(rb'\{"jsonrpc":"2\.0","id":(-?[0-9.eE+-]+|"[^"]*"|null)', raw)
    return tokens


# --- 11, 12, A7.4, A7.5 -----------------------------------------------------------------------------


async def test_a8_11_an_empty_batch_is_one_invalid_request_object(rel: Harness) -> None:
    before = rel.upstream.count()
    reply = await rel.post(b"[]")
    assert reply.status_code == 200
    body = reply.json()
    assert isinstance(body, dict), "a single object, not an array"
    assert body["id"] is None and body["error"]["code"] == -32600
    assert rel.upstream.count() == before


@pytest.mark.parametrize("raw", [b"[1,2,3]", b"[null]", b'[1,"x",true,[]]'])
async def test_a8_12_non_object_elements_get_one_error_each(rel: Harness, raw: bytes) -> None:
    before = rel.upstream.count()
    reply = await rel.post(raw)
    assert reply.status_code == 200, "A7.5: status 200 even when every element failed"
    body = reply.json()
    assert len(body) == len(json.loads(raw))
    assert all(r == {"jsonrpc": "2.0", "id": None, "error": body[0]["error"]} for r in body)
    assert body[0]["error"]["code"] == -32600
    assert rel.upstream.count() == before


# --- 13 ---------------------------------------------------------------------------------------------


async def test_a8_13_a_mixed_batch_gets_per_element_results_matched_by_id(rel: Harness) -> None:
    batch: list[Any] = [
        call("eth_chainId", id_=1),
        call("foo_bar", id_=2),  # unknown method: denied by default
        1,
        {"foo": "boo"},
        call("eth_blockNumber", id_="x"),
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # a notification: no reply
        {"jsonrpc": "2.0", "id": 7, "method": "eth_getBalance", "params": "not-a-list"},
        DRAINER,
    ]
    before = rel.upstream.calls("eth_sendTransaction")
    reply = await rel.rpc(batch)
    assert len(reply) == 7
    by_id = {json.dumps(r["id"]): r for r in reply if r["id"] is not None}
    assert by_id["1"]["result"] == "0x1cbd"
    assert by_id["2"]["error"]["code"] == 4001
    assert by_id['"x"']["result"].startswith("0x")
    assert by_id["7"]["error"]["code"] == -32600
    assert by_id[json.dumps(DRAINER["id"])]["error"]["code"] == 4001
    junk = [r for r in reply if r["id"] is None]
    assert len(junk) == 2 and all(r["error"]["code"] == -32600 for r in junk)
    assert rel.upstream.calls("eth_sendTransaction") == before


# --- 14, A7.3 ---------------------------------------------------------------------------------------


async def test_a8_14_an_all_notification_batch_gets_an_empty_200(rel: Harness) -> None:
    """Documented behaviour: HTTP 200 with an empty body (geth writes nothing either; not 204)."""
    batch = [{"jsonrpc": "2.0", "method": "eth_chainId"}, {"jsonrpc": "2.0", "method": "net_version", "params": []}]
    reply = await rel.post(batch)
    assert reply.status_code == 200 and reply.content == b""
    single = await rel.post({"jsonrpc": "2.0", "method": "eth_blockNumber"})
    assert single.status_code == 200 and single.content == b""


async def test_a8_14_refused_notifications_get_nothing_and_are_not_forwarded(rel: Harness) -> None:
    notification = {k: v for k, v in DRAINER.items() if k != "id"}
    before = rel.upstream.calls("eth_sendTransaction")
    reply = await rel.post([notification, {"jsonrpc": "2.0", "method": "wallet_newThing", "params": []}])
    assert reply.status_code == 200 and reply.content == b""
    assert rel.upstream.calls("eth_sendTransaction") == before


# --- 15, 16, 17 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"jsonrpc":"2.0","id":[],"method":"eth_chainId"}',
        b'{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}',
        b'{"jsonrpc":"2.0","id":true,"method":"eth_chainId"}',
    ],
)
async def test_a8_15_an_array_or_object_id_is_invalid_with_id_null(rel: Harness, raw: bytes) -> None:
    before = rel.upstream.count()
    body = await rel.rpc(raw)
    assert body["id"] is None and body["error"]["code"] == -32600
    assert rel.upstream.count() == before


@pytest.mark.parametrize("version", ['"2.1"', "1", "2.0", '"2"', "null", None])
async def test_a8_16_a_jsonrpc_version_other_than_the_string_2_0_is_invalid(rel: Harness, version: str | None) -> None:
    field = "" if version is None else f'"jsonrpc":{version},'
    raw = ("{" + field + '"id":"v","method":"eth_chainId","params":[]}').encode()
    before = rel.upstream.count()
    reply = await rel.post(raw)
    assert reply.status_code == 200
    assert reply.json()["error"]["code"] == -32600 and reply.json()["id"] == "v"
    assert rel.upstream.count() == before


@pytest.mark.parametrize("raw", [b"'f", b'{"jsonrpc":"2.0","id":1,"method":', b"\xff\xfe", b"NaN", b'{"id":1,"x":NaN}'])
async def test_a8_17_invalid_json_is_a_parse_error_with_id_null(rel: Harness, raw: bytes) -> None:
    before = rel.upstream.count()
    reply = await rel.post(raw)
    assert reply.status_code == 200
    assert reply.json()["id"] is None and reply.json()["error"]["code"] == -32700
    assert rel.upstream.count() == before


async def test_a3_params_null_is_accepted_like_the_node(rel: Harness) -> None:
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":null}'
    proxied, direct = await rel.post(body), await rel.direct(body)
    assert proxied.content == direct.content and proxied.json()["result"] == "0x1cbd"
    missing = b'{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}'
    assert (await rel.post(missing)).content == (await rel.direct(missing)).content


# --- 18 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (call("eth_chainId", id_="first"), "first"),
        (call("eth_chainId", id_=0), 0),
        ({"jsonrpc": "2.0", "method": "eth_chainId"}, None),
        (5, None),
    ],
)
async def test_a8_18_a_1001_item_batch_is_one_batch_too_large_with_the_first_id(
    rel: Harness, first: Any, expected: Any
) -> None:
    before = rel.upstream.count()
    batch = [first] + [call("eth_chainId", id_=i) for i in range(1, 1001)]
    reply = await rel.rpc(batch)
    assert isinstance(reply, list) and len(reply) == 1, "geth's shape: a one-element array"
    (only,) = reply
    assert only["id"] == expected and only["error"]["code"] == -32600
    assert "batch too large" in only["error"]["message"]
    assert rel.upstream.count() == before


async def test_a8_18_a_batch_at_the_limit_passes(rel: Harness) -> None:
    batch = [call("eth_chainId", id_=i) for i in range(1000)]
    reply = await rel.rpc(batch)
    assert [r["id"] for r in reply] == list(range(1000))
    assert all(r["result"] == "0x1cbd" for r in reply)


# --- 19, A7.2 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ['"abc"', '"1"', "-7", "0", '""', "123456789012345678901234567890", "1.0"])
async def test_a8_19_forwarded_ids_come_back_byte_identical(rel: Harness, token: str) -> None:
    """The node's reply is passed on untouched. anvil itself answers a big-int or fractional id
    with ``null`` (its own limitation, passed on as it is); the ids it keeps come back exact."""
    raw = ('{"jsonrpc":"2.0","id":' + token + ',"method":"eth_chainId","params":[]}').encode()
    proxied, direct = await rel.post(raw), await rel.direct(raw)
    assert proxied.content == direct.content
    if _ids(direct.content) != [b"null"]:
        assert _ids(proxied.content) == [token.encode()]


@pytest.mark.parametrize(
    "token",
    ['"abc"', "123456789012345678901234567890", "1.0", "1.50", "1e2", "1E+2", "-0", "0.0", "-1.5e-7", "1" * 80],
)
async def test_a8_19_ids_the_proxy_answers_itself_are_echoed_byte_identically(rel: Harness, token: str) -> None:
    """Intercepted (an unknown signing-like method), refused (bad params) and in a batch."""
    refused = ('{"jsonrpc":"2.0","id":' + token + ',"method":"wallet_newThing","params":[]}').encode()
    invalid = ('{"jsonrpc":"2.0","id":' + token + ',"method":"eth_chainId","params":7}').encode()
    for raw in (refused, invalid):
        reply = await rel.post(raw)
        assert _ids(reply.content) == [token.encode()], reply.content[:120]
    batch = b"[" + refused + b"," + b'{"jsonrpc":"2.0","id":"r","method":"eth_chainId"}' + b"]"
    reply = await rel.post(batch)
    assert _ids(reply.content) == [token.encode(), b'"r"']


# --- 20, A7.1 ---------------------------------------------------------------------------------------


async def test_a8_20_a_batch_with_intercepted_items_is_reassembled_by_id(rel: Harness) -> None:
    batch = [
        call("eth_chainId", id_="a"),
        {**DRAINER, "id": "b"},
        call("eth_blockNumber", id_=3),
        call("wallet_newThing", id_=4),
        call("net_version", id_="e"),
    ]
    before = rel.upstream.calls("eth_sendTransaction")
    reply = await rel.rpc(batch)
    assert [r["id"] for r in reply] == ["a", "b", 3, 4, "e"], "every client id exactly once, in order"
    assert "result" in reply[0] and "result" in reply[2] and "result" in reply[4]
    assert reply[1]["error"]["code"] == 4001 and reply[3]["error"]["code"] == 4001
    assert rel.upstream.calls("eth_sendTransaction") == before


async def test_a7_1_an_upstream_that_reorders_a_split_batch_is_matched_by_id(rel: Harness) -> None:
    rel.upstream.mode = "reverse"
    batch = [
        call("eth_chainId", id_=1),
        call("wallet_newThing", id_=2),
        call("eth_getBalance", ["0x0000000000000000000000000000000000000000", "latest"], id_=3),
        call("net_version", id_=4),
    ]
    reply = await rel.rpc(batch)
    assert [r["id"] for r in reply] == [1, 2, 3, 4]
    assert reply[0]["result"] == "0x1cbd" and reply[3]["result"] == str(0x1CBD)
    assert reply[1]["error"]["code"] == 4001


async def test_a7_1_an_untouched_batch_keeps_the_upstreams_order(rel: Harness) -> None:
    """Nothing intercepted: the node's reply goes back as it is (the spec lets it reorder)."""
    rel.upstream.mode = "reverse"
    batch = [call("eth_chainId", id_=1), call("net_version", id_=2)]
    reply = await rel.rpc(batch)
    assert [r["id"] for r in reply] == [2, 1]


# --- A7.9 -------------------------------------------------------------------------------------------


async def test_a7_9_a_forwarded_batch_over_the_upstream_limit_is_chunked(
    rel_chain: AnvilNode, control_file: Path
) -> None:
    async with running_proxy(rel_chain.url, control_file, upstream_batch_limit=10) as own:
        own.upstream.bodies.clear()
        batch = [call("eth_chainId", id_=i) for i in range(25)]
        reply = await own.rpc(batch)
        assert [r["id"] for r in reply] == list(range(25))
        sizes = [len(json.loads(b)) for b in own.upstream.bodies]
        assert sizes == [10, 10, 5], "no request to the node is larger than its limit"
        own.upstream.bodies.clear()
        mixed = [call("eth_chainId", id_=i) for i in range(23)]
        mixed.insert(11, {**DRAINER, "id": "drain"})
        reply = await own.rpc(mixed)
        assert [r["id"] for r in reply] == [c["id"] for c in mixed]
        assert all(len(json.loads(b)) <= 10 for b in own.upstream.bodies)
        assert own.upstream.calls("eth_sendTransaction") == 0
