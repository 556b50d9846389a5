"""The proxy in front of the fixture chain: reads pass untouched, signing requests are decided.

A delaying loopback proxy (delay 0) sits between txfirewall's proxy and the node, so each test
can see exactly what was forwarded: a refused request must never reach the node.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import ClientSession, WSMsgType

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.enrich.history_file import load_history
from txfirewall.firewall import FirewallConfig
from txfirewall.proxy.config import ProxyConfig
from txfirewall.proxy.control import read_control_file
from txfirewall.proxy.service import ProxyServer

from ..conftest import FIXTURES, load_request
from ..support.delay_proxy import DelayProxy

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CHAIN_ID = 7357
JSON = {"content-type": "application/json"}


def call(method: str, params: list[Any] | None = None, id_: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params or []}


class Running:
    def __init__(self, proxy: ProxyServer, tap: DelayProxy, node_url: str) -> None:
        self.proxy = proxy
        self.tap = tap
        self.node_url = node_url
        self.http = httpx.AsyncClient(timeout=60)

    async def post(self, body: bytes | Any, url: str | None = None, **headers: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.http.post(url or self.proxy.url, content=content, headers={**JSON, **headers})

    def forwarded(self, method: str) -> int:
        return self.tap.calls(method)

    def control(self) -> tuple[str, dict[str, str]]:
        url, token = read_control_file(self.proxy.control_file)
        return url, {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture(loop_scope="session")
async def running(mainnet: AnvilNode, tmp_path: Path) -> AsyncIterator[Running]:
    async with DelayProxy(mainnet.url, delay=0.0) as tap:
        config = ProxyConfig(
            upstream=tap.url, listen_port=0, control_file=tmp_path / "control.json", hold_timeout=20, rate_burst=1000
        )
        firewall = FirewallConfig(rpc_url=tap.url, chain_id=CHAIN_ID, history=load_history(FIXTURES / "history.jsonl"))
        async with ProxyServer(config, firewall) as proxy:
            await proxy.firewall.start()
            run = Running(proxy, tap, mainnet.url)
            yield run
            await run.http.aclose()


# --- reads --------------------------------------------------------------------------------------


async def test_reads_are_byte_identical_to_the_node(running: Running) -> None:
    bodies = [
        call("eth_blockNumber"),
        call("eth_getBalance", ["0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4", "latest"], id_="a-string-id"),
        call("eth_getBlockByNumber", ["0x1", True], id_=123456789012345678901234567890),
        [call("eth_chainId", id_=7), call("net_version", id_="x"), call("eth_gasPrice", id_=None)],
    ]
    for body in bodies:
        direct = await running.post(body, url=running.node_url)
        proxied = await running.post(body)
        assert proxied.status_code == 200 and proxied.content == direct.content


async def test_notifications_get_no_answer(running: Running) -> None:
    reply = await running.post({"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []})
    assert reply.status_code == 200 and reply.content == b""
    batch = await running.post(
        [{"jsonrpc": "2.0", "method": "eth_chainId"}, {"jsonrpc": "2.0", "method": "net_version"}]
    )
    assert batch.content == b""


# --- verdicts on the wire ------------------------------------------------------------------------


async def test_a_drainer_is_refused_with_4001_and_never_forwarded(running: Running) -> None:
    before = running.forwarded("eth_sendTransaction")
    reply = (await running.post(load_request("e_drainer_claim.json"))).json()
    assert reply["error"]["code"] == 4001
    assert "value-to-scam-selector" in reply["error"]["message"]
    assert reply["error"]["data"]["verdict"] == "block" and reply["id"] == 5
    assert running.forwarded("eth_sendTransaction") == before


async def test_an_allowed_send_is_forwarded(running: Running) -> None:
    before = running.forwarded("eth_sendTransaction")
    reply = (await running.post(load_request("a_eth_to_bob.json"))).json()
    assert running.forwarded("eth_sendTransaction") == before + 1
    assert reply["error"]["message"] == "No Signer available", "the node (not txfirewall) answered"


async def test_a_signing_request_hidden_in_a_large_batch_is_intercepted(running: Running) -> None:
    drainer = json.loads(load_request("e_drainer_claim.json"))
    batch = [call("eth_blockNumber", id_=i) for i in range(499)]
    batch.insert(250, drainer)
    before = running.forwarded("eth_sendTransaction")
    replies = (await running.post(batch)).json()
    assert len(replies) == 500 and [r["id"] for r in replies] == [c["id"] for c in batch]
    assert replies[250]["error"]["code"] == 4001
    assert all("result" in r for i, r in enumerate(replies) if i != 250)
    assert running.forwarded("eth_sendTransaction") == before


async def test_non_canonical_envelopes_are_refused_never_forwarded(running: Running) -> None:
    bodies = [
        b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","method":"eth_sendTransaction","params":[]}',
        b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","Method":"eth_sendTransaction","params":[]}',
        b'{"jsonrpc":"2.0","id":1,"METHOD":"eth_sendRawTransaction","params":["0x00"]}',
    ]
    before = running.tap.count()
    for body in bodies:
        reply = (await running.post(body)).json()
        assert reply["error"]["code"] == -32600 and "non-canonical" in reply["error"]["message"]
    assert running.tap.count() == before


async def test_unknown_methods_are_denied_by_default(running: Running) -> None:
    for method in ("eth_sendRawTransactionSync", "wallet_grantPermissions", "personal_sendTransaction", "anvil_mine"):
        reply = (await running.post(call(method, ["0x00"]))).json()
        assert reply["error"]["code"] == 4001, method
        assert running.forwarded(method) == 0


# --- held requests and the control channel -------------------------------------------------------


async def _held(running: Running, count: int) -> list[dict[str, Any]]:
    url, auth = running.control()
    for _ in range(400):
        held = (await running.http.get(f"{url}/v1/held", headers=auth)).json()["held"]
        if len(held) >= count:
            return list(held)
        await asyncio.sleep(0.05)
    raise AssertionError("nothing was held")


async def test_a_warning_is_held_until_confirmed(running: Running) -> None:
    request = load_request("j_nft_approval_for_all_drainer.json")
    before = running.forwarded("eth_sendTransaction")
    first = asyncio.create_task(running.post(request))
    again = asyncio.create_task(running.post(request))  # a wallet retrying: the same hold, not a second
    held = await _held(running, 1)
    await asyncio.sleep(0.2)
    assert len(await _held(running, 1)) == 1 and held[0]["verdict"]["verdict"] == "warn"
    assert running.forwarded("eth_sendTransaction") == before, "held: not forwarded yet"
    url, auth = running.control()
    assert (await running.http.post(f"{url}/v1/held/{held[0]['id']}/confirm", headers=auth)).status_code == 200
    replies = [(await first).json(), (await again).json()]
    assert all(r["error"]["message"] == "No Signer available" for r in replies), "forwarded to the node"
    assert running.forwarded("eth_sendTransaction") == before + 2


async def test_a_warning_rejected_on_the_control_channel(running: Running) -> None:
    pending = asyncio.create_task(running.post(load_request("j_nft_approval_for_all_drainer.json")))
    held = await _held(running, 1)
    url, auth = running.control()
    await running.http.post(f"{url}/v1/held/{held[0]['id']}/reject", headers=auth)
    reply = (await pending).json()
    assert reply["error"]["code"] == 4001 and "rejected by the user" in reply["error"]["message"]


async def test_the_control_channel_wants_its_token(running: Running) -> None:
    url, _ = running.control()
    assert (await running.http.get(f"{url}/v1/held")).status_code == 401
    bad = {"Authorization": "Bearer wrong"}
    assert (await running.http.get(f"{url}/v1/held", headers=bad)).status_code == 401
    assert oct(running.proxy.control_file.stat().st_mode & 0o777) == "0o600"


async def test_the_events_socket_shows_holds_as_they_happen(running: Running) -> None:
    url, auth = running.control()
    async with ClientSession() as session, session.ws_connect(f"{url}/v1/events", headers=auth) as ws:
        snapshot = await ws.receive_json(timeout=10)
        assert snapshot["type"] == "snapshot"
        pending = asyncio.create_task(running.post(load_request("j_nft_approval_for_all_drainer.json")))
        event = await ws.receive_json(timeout=30)
        assert event["type"] == "held" and event["verdict"]["verdict"] == "warn"
        await running.http.post(f"{url}/v1/held/{event['id']}/reject", headers=auth)
        resolved = await ws.receive_json(timeout=10)
        assert resolved == {"type": "resolved", "id": event["id"], "approved": False, "reason": "rejected"}
        await pending


# --- accounts, failures ---------------------------------------------------------------------------


@pytest.fixture
def private_mainnet() -> Iterator[AnvilNode]:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=CHAIN_ID, accounts=0)
    with AnvilNode.start(options) as node:
        yield node


async def test_requests_for_another_account_are_refused(mainnet: AnvilNode, tmp_path: Path) -> None:
    bob = "0x79482941438f16cC093e6Fb410BaA77A9823026F"
    config = ProxyConfig(
        upstream=mainnet.url, listen_port=0, control_file=tmp_path / "c.json", accounts=frozenset({bob.lower()})
    )
    firewall = FirewallConfig(rpc_url=mainnet.url, chain_id=CHAIN_ID)
    async with ProxyServer(config, firewall) as proxy, httpx.AsyncClient(timeout=60) as client:
        reply = (await client.post(proxy.url, content=load_request("a_eth_to_bob.json"), headers=JSON)).json()
    assert reply["error"]["code"] == 4001 and "not an account this proxy signs for" in reply["error"]["message"]


async def test_upstream_down_reads_error_and_signing_is_refused(private_mainnet: AnvilNode, tmp_path: Path) -> None:
    config = ProxyConfig(
        upstream=private_mainnet.url,
        listen_port=0,
        control_file=tmp_path / "c.json",
        upstream_timeout=5,
        hold_timeout=2,
    )
    firewall = FirewallConfig(rpc_url=private_mainnet.url, chain_id=CHAIN_ID, rpc_timeout=2)
    async with ProxyServer(config, firewall) as proxy, httpx.AsyncClient(timeout=60) as client:
        await proxy.firewall.start()
        private_mainnet.stop()
        read = (await client.post(proxy.url, json=call("eth_blockNumber"))).json()
        sign = (await client.post(proxy.url, content=load_request("e_drainer_claim.json"), headers=JSON)).json()
        plain = (await client.post(proxy.url, content=load_request("a_eth_to_bob.json"), headers=JSON)).json()
    assert read["error"]["code"] == -32603 and "upstream" in read["error"]["message"]
    assert sign["error"]["code"] == 4001
    # A plain send whose simulation failed is a warning: held for the user, here until the timeout.
    assert plain["error"]["code"] == 4001 and "not confirmed in time" in plain["error"]["message"]
    assert "simulation-unavailable" in {f["rule"] for f in plain["error"]["data"]["findings"]}


# --- WebSocket ------------------------------------------------------------------------------------


async def test_websocket_reads_and_a_subscription_pass_through(private_mainnet: AnvilNode, tmp_path: Path) -> None:
    config = ProxyConfig(upstream=private_mainnet.url, listen_port=0, control_file=tmp_path / "c.json")
    async with ProxyServer(config, FirewallConfig(rpc_url=private_mainnet.url, chain_id=CHAIN_ID)) as proxy:
        ws_url = proxy.url.replace("http://", "ws://")
        async with ClientSession() as session, session.ws_connect(ws_url) as ws:
            await ws.send_str(json.dumps(call("eth_chainId", id_="c")))
            assert json.loads((await ws.receive(timeout=10)).data) == {"jsonrpc": "2.0", "id": "c", "result": "0x1cbd"}
            await ws.send_str(json.dumps(call("eth_subscribe", ["newHeads"], id_=2)))
            subscribed = json.loads((await ws.receive(timeout=10)).data)
            assert subscribed["id"] == 2 and isinstance(subscribed["result"], str)
            httpx.post(private_mainnet.url, json=call("evm_mine"))
            note = await ws.receive(timeout=10)
            assert note.type is WSMsgType.TEXT
            event = json.loads(note.data)
            assert event["method"] == "eth_subscription" and event["params"]["subscription"] == subscribed["result"]
            await ws.send_str(load_request("e_drainer_claim.json").decode())
            refused = json.loads((await ws.receive(timeout=60)).data)
            assert refused["error"]["code"] == 4001


async def test_a_warning_nobody_confirms_is_rejected_at_the_timeout(mainnet: AnvilNode, tmp_path: Path) -> None:
    config = ProxyConfig(upstream=mainnet.url, listen_port=0, control_file=tmp_path / "c.json", hold_timeout=1)
    firewall = FirewallConfig(rpc_url=mainnet.url, chain_id=CHAIN_ID, history=load_history(FIXTURES / "history.jsonl"))
    async with ProxyServer(config, firewall) as proxy, httpx.AsyncClient(timeout=60) as client:
        await proxy.firewall.start()
        reply = await client.post(proxy.url, content=load_request("j_nft_approval_for_all_drainer.json"), headers=JSON)
        assert proxy.holds.pending() == [], "the hold is gone once it timed out"
    error = reply.json()["error"]
    assert error["code"] == 4001 and "not confirmed in time" in error["message"]
    assert error["data"]["verdict"] == "warn"
