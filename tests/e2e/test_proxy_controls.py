"""RELIABILITY.md controls that had no test of their own (docs/reliability_cases.md): A1's open Clef
TODO "pass the Origin header to the UI", and A2's batch-response limit (geth's 25,000,000 bytes,
-32003 "response too large")."""

from __future__ import annotations

from pathlib import Path

import pytest

from txfirewall.chain.anvil_node import AnvilNode

from ..support.proxy_harness import APP_ORIGIN, Harness, call, request, running_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

HELD = request("j_nft_approval_for_all_drainer.json")


async def test_a1_the_origin_of_a_held_request_is_shown_to_the_user(rel: Harness) -> None:
    """The control channel (what the terminal app shows) names the site that asked, apart from the
    verdict: the user sees who wants the signature."""
    reply, held = await rel.settle(HELD, origin=APP_ORIGIN)
    assert reply["error"]["code"] == 4001
    [item] = held
    assert item["origin"] == APP_ORIGIN and item["verdict"]["origin"] == APP_ORIGIN
    _, anonymous = await rel.settle(HELD)
    assert anonymous[0]["origin"] is None, "no Origin header: none is made up"


async def test_a2_an_upstream_answer_over_the_response_limit_is_an_error(
    rel_chain: AnvilNode, control_file: Path
) -> None:
    """A node answers whatever it is asked; the proxy does not pass on more than its limit."""
    async with running_proxy(rel_chain.url, control_file, max_response_bytes=1000) as own:
        big = await own.rpc(call("eth_getBlockByNumber", ["0x2", True], id_="big"))
        small = await own.rpc(call("eth_chainId", id_="small"))
    assert big["id"] == "big" and "result" not in big
    assert big["error"]["code"] == -32003 and "response too large" in big["error"]["message"]
    assert small == {"jsonrpc": "2.0", "id": "small", "result": "0x1cbd"}
