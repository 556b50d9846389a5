"""RELIABILITY.md A8 cases 21-25 (method-classification bypasses: JSON parser differentials, hidden
and unknown signing methods, Clef's data/input rule) and case 52 (a burst of signing requests):
through a real ProxyServer, with the upstream recording what reached the node (a refused request
must never reach it)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from txfirewall.chain.anvil_node import AnvilNode

from ..support.proxy_harness import Harness, call, manifest, request, running_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

DRAINER = request("e_drainer_claim.json")
PLAIN_SEND = request("a_eth_to_bob.json")
HELD = request("j_nft_approval_for_all_drainer.json")
"""A warning: held for the user."""
TX = json.dumps(DRAINER["params"][0])


# --- 21, 22, A7.8: parser differentials (Go's encoding/json: case-insensitive keys, last duplicate wins) ----


NON_CANONICAL = {
    "METHOD": '{"jsonrpc":"2.0","id":1,"METHOD":"eth_sendRawTransaction","params":["0x00"]}',
    "Method": '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","Method":"eth_sendTransaction","params":[' + TX + "]}",
    "mEthod-alone": '{"jsonrpc":"2.0","id":1,"mEthod":"eth_sendTransaction","params":[' + TX + "]}",
    "Params": '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[],"Params":[' + TX + "]}",
    "ID": '{"jsonrpc":"2.0","ID":1,"method":"eth_chainId","params":[]}',
    "JSONRPC": '{"JSONRPC":"2.0","id":1,"method":"eth_chainId","params":[]}',
    "nested To": '{"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"from":"0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4","to":"0x79482941438f16cC093e6Fb410BaA77A9823026F","To":"0x000000000000000000000000000000000000dEaD","value":"0x1"}]}',
    "nested-call-data": '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x79482941438f16cC093e6Fb410BaA77A9823026F","data":"0x","DATA":"0x12"},"latest"]}',
}


@pytest.mark.parametrize("name", sorted(NON_CANONICAL))
async def test_a8_21_case_variant_keys_are_refused_and_never_forwarded(rel: Harness, name: str) -> None:
    before = rel.upstream.count()
    reply = await rel.rpc(NON_CANONICAL[name])
    assert reply["error"]["code"] == -32600 and "non-canonical" in reply["error"]["message"]
    assert rel.upstream.count() == before


async def test_a8_21_a_case_variant_call_inside_a_batch_is_refused_alone(rel: Harness) -> None:
    before = rel.upstream.calls("eth_sendRawTransaction")
    raw = (
        b'[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},'
        b'{"jsonrpc":"2.0","id":2,"METHOD":"eth_sendRawTransaction","params":["0x00"]}]'
    )
    reply = await rel.rpc(raw)
    assert reply[0]["result"] == "0x1cbd"
    assert reply[1]["id"] == 2 and reply[1]["error"]["code"] == -32600
    assert rel.upstream.calls("eth_sendRawTransaction") == before
    assert all(b"METHOD" not in body for body in rel.upstream.bodies)


DUPLICATES = {
    "method": '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","method":"eth_sendTransaction","params":[' + TX + "]}",
    "params": '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[],"params":[' + TX + "]}",
    "id": '{"jsonrpc":"2.0","id":1,"id":2,"method":"eth_chainId","params":[]}',
    "nested to": '{"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"from":"0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4","to":"0x79482941438f16cC093e6Fb410BaA77A9823026F","to":"0x000000000000000000000000000000000000dEaD","value":"0x1"}]}',
    "in a batch": '[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","method":"eth_sendTransaction"}]',
}


@pytest.mark.parametrize("name", sorted(DUPLICATES))
async def test_a8_22_duplicate_keys_are_refused_and_never_forwarded(rel: Harness, name: str) -> None:
    before = rel.upstream.count()
    reply = await rel.rpc(DUPLICATES[name])
    assert reply["error"]["code"] == -32600 and reply["id"] is None
    assert rel.upstream.count() == before


# --- 23 ---------------------------------------------------------------------------------------------


async def test_a8_23_a_signing_method_hidden_in_a_500_item_read_batch_is_intercepted(rel: Harness) -> None:
    batch: list[dict[str, Any]] = [call("eth_blockNumber", id_=i) for i in range(499)]
    batch.insert(317, {**DRAINER, "id": "hidden"})
    before = rel.upstream.calls("eth_sendTransaction")
    reply = await rel.rpc(batch)
    assert [r["id"] for r in reply] == [c["id"] for c in batch]
    assert reply[317]["error"]["code"] == 4001
    assert reply[317]["error"]["data"]["verdict"] == "block", "analysed like a single call"
    assert all("result" in r for i, r in enumerate(reply) if i != 317)
    assert rel.upstream.calls("eth_sendTransaction") == before
    assert rel.upstream.calls("eth_blockNumber") >= 499


# --- 24 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        "eth_sendRawTransactionSync",
        "eth_sendRawTransactionConditional",
        "wallet_grantPermissions",
        "wallet_sendTransaction",
        "wallet_newThing",
        "personal_sendTransaction",
        "personal_signTransaction",
        "eth_sendUserOperation",
        "eth_SendTransaction",
        "ETH_SENDTRANSACTION",
        "anvil_setBalance",
        "debug_setHead",
        "admin_addPeer",
        "miner_start",
    ],
)
async def test_a8_24_unknown_signing_like_methods_are_denied_by_default(rel: Harness, method: str) -> None:
    before = rel.upstream.calls(method)
    reply = await rel.rpc(call(method, [DRAINER["params"][0]]))
    assert reply["error"]["code"] == 4001
    assert reply["error"]["data"]["error"] == "UnsupportedMethodError", "refused as unclassified"
    assert rel.upstream.calls(method) == before == 0


def _drain_bundle() -> dict[str, Any]:
    m = manifest()
    alice, usdx, drainer = m["accounts"]["alice"]["address"], m["contracts"]["usdx"], m["contracts"]["drainer"]
    approve = keccak(text="approve(address,uint256)")[:4] + abi_encode(["address", "uint256"], [drainer, 2**256 - 1])
    return {
        "version": "2.0.0",
        "from": alice,
        "chainId": hex(m["chain_id"]),
        "atomicRequired": True,
        "calls": [
            {"to": usdx, "data": "0x" + approve.hex()},
            {"to": drainer, "data": "0x" + keccak(text="Claim()")[:4].hex(), "value": hex(10**16)},
        ],
    }


@pytest.mark.parametrize(
    ("method", "params"),
    [("wallet_sendCalls", [_drain_bundle()]), ("eth_signTransaction", DRAINER["params"])],
)
async def test_a8_24_known_signing_methods_are_analysed_not_passed(rel: Harness, method: str, params: Any) -> None:
    """``wallet_sendCalls`` (EIP-5792, missing from Frame's list) and ``eth_signTransaction`` are
    classified: the verdict comes back with the refusal."""
    reply = await rel.rpc(call(method, params, id_="s"))
    assert reply["id"] == "s" and reply["error"]["code"] == 4001
    assert reply["error"]["data"]["verdict"] == "block"
    assert rel.upstream.calls(method) == 0


# --- 25 ---------------------------------------------------------------------------------------------


async def test_a8_25_data_and_input_that_differ_are_refused(rel: Harness) -> None:
    tx = {**PLAIN_SEND["params"][0], "data": "0x", "input": "0xa9059cbb"}
    before = rel.upstream.calls("eth_sendTransaction")
    reply = await rel.rpc(call("eth_sendTransaction", [tx], id_=25))
    assert reply["id"] == 25 and reply["error"]["code"] == 4001
    assert reply["error"]["data"]["error"] == "InvalidParamsError"
    assert "input" in json.dumps(reply["error"]["data"]["findings"])
    assert rel.upstream.calls("eth_sendTransaction") == before


async def test_a8_25_data_and_input_that_agree_are_analysed_as_usual(rel: Harness) -> None:
    tx = {**PLAIN_SEND["params"][0], "data": "0x", "input": "0x"}
    before = rel.upstream.calls("eth_sendTransaction")
    reply = await rel.rpc(call("eth_sendTransaction", [tx], id_=26))
    assert reply["error"]["message"] == "No Signer available", "allowed and forwarded: the node answered"
    assert rel.upstream.calls("eth_sendTransaction") == before + 1


# --- 52 ---------------------------------------------------------------------------------------------


async def test_a8_52_a_burst_of_100_signing_requests_is_rate_limited_and_deduplicated(
    rel_chain: AnvilNode, control_file: Path
) -> None:
    """NCC-EF-Clef-004: 100 prompts made Clef unusable. The defaults (a burst of 20, then 1 a
    second per origin) refuse most of the burst at once; the identical ones admitted wait on one
    hold; the prompt queue stays one item long and answers; another origin is not affected."""
    async with running_proxy(rel_chain.url, control_file, rate_burst=20, rate_per_second=1.0) as own:
        started = time.monotonic()
        burst = [asyncio.create_task(own.rpc(HELD)) for _ in range(100)]
        url, auth = own.control()
        held: list[dict[str, Any]] = []
        for _ in range(600):
            held = await own.held()
            limited = sum(1 for t in burst if t.done() and t.result()["error"]["code"] == -32005)
            if held and limited + held[0]["waiters"] >= 100:
                break
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        assert len(held) == 1, "one prompt for one request, however often it is sent"
        admitted = held[0]["waiters"]
        assert 1 <= admitted <= 20 + int(elapsed) + 1
        assert (await own.http.post(f"{url}/v1/held/{held[0]['id']}/reject", headers=auth)).status_code == 200
        replies = await asyncio.gather(*burst)
        codes = [r["error"]["code"] for r in replies]
        assert codes.count(4001) == admitted and codes.count(-32005) == 100 - admitted
        assert all("slow down" in r["error"]["message"] for r in replies if r["error"]["code"] == -32005)
        assert own.upstream.calls("eth_sendTransaction") == 0
        other = await own.rpc(DRAINER, origin="https://app.example")
        assert other["error"]["code"] == 4001, "another origin has its own budget"
        assert await own.held() == []


@pytest.mark.parametrize(
    "value",
    [
        "1.5",
        "1e18",
        "1E+2",
        "-0",
        "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890",
    ],
)
async def test_a8_24_numbers_where_quantities_belong_are_refused_not_a_crash(rel: Harness, value: str) -> None:
    """JSON numbers (fractions, exponents, huge integers) in a signing request's params: the
    strict reader keeps them exact, and the analysis refuses them with 4001 (never an HTTP 500)."""
    tx = json.dumps(PLAIN_SEND["params"][0])[:-1] + ',"gas":' + value + "}"
    raw = '{"jsonrpc":"2.0","id":"n","method":"eth_sendTransaction","params":[' + tx + "]}"
    before = rel.upstream.calls("eth_sendTransaction")
    reply = await rel.post(raw)
    assert reply.status_code == 200 and reply.json()["id"] == "n"
    assert reply.json()["error"]["code"] == 4001
    assert rel.upstream.calls("eth_sendTransaction") == before
