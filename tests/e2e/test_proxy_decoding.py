"""RELIABILITY.md A8 cases 26-48 sent THROUGH the proxy: raw transactions (26-38), signatures
(39-44), simulation evasion (45-47) and a cold or failing fork (48). Each ends as the case says:
refused or blocked with EIP-1193 4001 and never forwarded, or allowed and forwarded unchanged.

The decoding itself is unit-tested (tests/unit/test_raw_tx.py, test_typed_data.py, whose vectors
are reused here); these tests prove the proxy turns each outcome into the right answer on the
wire. A warning is held for the user: ``settle`` rejects it on the control channel, as a user
would, and the test checks it was held. Cases 49-51 (the terminal app) are another issue's.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.model.primitives import ZERO_ADDRESS
from txfirewall.parse.raw_tx import SECP256K1_N

from ..support.misbehaving_upstream import MisbehavingUpstream
from ..support.proxy_harness import APP_ORIGIN, FIXTURES, Harness, call, manifest, request, running_proxy
from ..unit.test_raw_tx import INVALID_RLP, _blob_tx
from ..unit.test_typed_data import EXPFAIL, MAIL

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

M = manifest()
ALICE = Account.from_key(M["accounts"]["alice"]["private_key"])
BOB = M["accounts"]["bob"]["address"]
CHAIN = M["chain_id"]
EXECUTION_APIS_CHAIN = 0xC72DD9D5E883E
"""The chain id of ethereum/execution-apis' test chain (its eth_sendRawTransaction fixtures)."""


def raw_call(raw: bytes, id_: Any = 1) -> dict[str, Any]:
    return call("eth_sendRawTransaction", ["0x" + raw.hex()], id_=id_)


def sign(**fields: Any) -> bytes:
    tx = {"nonce": 0, "to": BOB, "value": 10**15, "gas": 21_000, **fields}
    return bytes(ALICE.sign_transaction(tx).raw_transaction)


def eip1559(**fields: Any) -> dict[str, Any]:
    return {"type": 2, "chainId": CHAIN, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, **fields}


def rules(reply: dict[str, Any]) -> set[str]:
    data = reply["error"].get("data") or {}
    return {f["rule"] for f in data.get("findings", [])}


async def nonce(h: Harness) -> int:
    return int((await h.rpc(call("eth_getTransactionCount", [ALICE.address, "latest"])))["result"], 16)


async def refused(h: Harness, body: Any, **headers: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Send a request that must not reach the node; the reply and the holds it made."""
    method = body["method"] if isinstance(body, dict) else "eth_sendRawTransaction"
    before = h.upstream.calls(method)
    reply, held = await h.settle(body, **headers)
    assert "result" not in reply and reply["error"]["code"] == 4001, reply
    assert h.upstream.calls(method) == before, "a refused request was forwarded"
    return reply, held


def invalid(reply: dict[str, Any]) -> bool:
    """Refused as a malformed request (the decoder's typed error), not analysed as a valid one."""
    return reply["error"]["data"]["error"] is not None and "invalid-request" in rules(reply)


# --- 26, 27, 37: RLP and envelope decoding -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(INVALID_RLP))
async def test_a8_26_invalid_rlp_vectors_are_refused_and_not_forwarded(rel: Harness, name: str) -> None:
    for prefix in ("", "02", "04"):
        reply, _ = await refused(rel, raw_call(bytes.fromhex(prefix + INVALID_RLP[name])))
        assert invalid(reply)


async def test_a8_27_trailing_bytes_after_a_valid_rlp_list_are_refused(rel: Harness) -> None:
    good = sign(gasPrice=10**10, chainId=CHAIN)
    reply, _ = await refused(rel, raw_call(good + b"\x00"))
    assert invalid(reply) and "canonical" in json.dumps(reply["error"]["data"])
    items = rlp.decode(good)
    items[0] = b"\x00\x03"  # a nonce with a leading zero byte: non-canonical too
    reply, _ = await refused(rel, raw_call(rlp.encode(items)))
    assert invalid(reply)


@pytest.mark.parametrize("first", [0x05, 0x06, 0x7F, 0x80, 0xBF])
async def test_a8_37_unknown_type_bytes_are_refused(rel: Harness, first: int) -> None:
    reply, _ = await refused(rel, raw_call(bytes([first]) + rlp.encode([b"\x01", b"\x02"])))
    assert invalid(reply)


# --- 28, 29: replay protection and chain id ----------------------------------------------------------


async def test_a8_28_a_legacy_transaction_without_eip155_is_blocked(rel: Harness) -> None:
    raw = sign(gasPrice=10**10, nonce=await nonce(rel))  # no chainId: v is 27 or 28
    assert raw[-67] in (27, 28) or rlp.decode(raw)[6] in (b"\x1b", b"\x1c")
    reply, _ = await refused(rel, raw_call(raw))
    assert "unprotected-raw-transaction" in rules(reply)


@pytest.mark.parametrize("chain_id", [1, EXECUTION_APIS_CHAIN])
@pytest.mark.parametrize("legacy", [False, True], ids=["type2", "legacy155"])
async def test_a8_29_a_transaction_signed_for_another_chain_is_blocked(
    rel: Harness, chain_id: int, legacy: bool
) -> None:
    fields = {"gasPrice": 10**10, "chainId": chain_id} if legacy else eip1559(chainId=chain_id)
    reply, _ = await refused(rel, raw_call(sign(nonce=await nonce(rel), **fields)))
    assert "chain-id-mismatch" in rules(reply)


# --- 30: valid typed transactions pass unchanged --------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"gasPrice": 10**10, "chainId": CHAIN},
        {"type": 1, "gasPrice": 10**10, "chainId": CHAIN, "accessList": [{"address": BOB, "storageKeys": []}]},
        eip1559(),
        eip1559(accessList=[{"address": BOB, "storageKeys": ["0x" + "00" * 32]}], gas=30_000),
    ],
    ids=["legacy155", "type1-access-list", "type2", "type2-access-list"],
)
async def test_a8_30_valid_typed_transactions_are_allowed_and_forwarded_unchanged(
    rel: Harness, fields: dict[str, Any]
) -> None:
    raw = sign(nonce=await nonce(rel), **fields)
    body = json.dumps(raw_call(raw, id_="tx"), separators=(",", ":")).encode()
    reply = (await rel.post(body)).json()
    assert reply == {"jsonrpc": "2.0", "id": "tx", "result": "0x" + keccak(raw).hex()}, reply
    assert rel.upstream.bodies[-1] == body, "forwarded byte for byte"


async def test_a8_30_a_blob_transaction_is_decoded_not_refused_as_malformed(rel: Harness) -> None:
    """Type 3 (here its signed body, without the network wrapper's blobs) decodes and is analysed;
    the sender (key 0x11..) has no funds on the fixture chain, so it ends held or refused, but as a
    blob transaction, not as a decoding error."""
    body = json.dumps(raw_call(_blob_tx([b"\x01" + b"\x00" * 31])), separators=(",", ":")).encode()
    reply, _ = await rel.settle(body)
    if reply.get("error", {}).get("code") == 4001:
        assert reply["error"]["data"]["error"] is None and "invalid-request" not in rules(reply)
        assert "blob" in json.dumps(reply["error"]["data"]["intent"]).lower()
    else:  # allowed: forwarded byte for byte (anvil then wants the blobs' sidecar: its own answer)
        assert rel.upstream.bodies[-1] == body


# --- 31, 32, 34, 35, 36, 33: blob and set-code transactions ----------------------------------------------


async def test_a8_31_blob_transactions_without_recipient_or_with_mismatched_counts_are_refused(rel: Harness) -> None:
    good = _blob_tx([b"\x01" + b"\x00" * 31])
    body = rlp.decode(good[1:])
    bad = {
        "no recipient": _blob_tx([b"\x01" + b"\x00" * 31], to=b""),
        "no blob": _blob_tx([]),
        "bad version": _blob_tx([b"\x02" + b"\x00" * 31]),
        "counts differ": bytes([3]) + rlp.encode([body, [b"x"], [b"c"], []]),
    }
    for name, raw in bad.items():
        reply, _ = await refused(rel, raw_call(raw, id_=name))
        assert invalid(reply), name


def set_code(*auths: Any, tx_nonce: int = 0, chain: int = CHAIN, to: str = BOB) -> bytes:
    fields = eip1559(chainId=chain, gas=200_000, value=0, nonce=tx_nonce, to=to, authorizationList=list(auths))
    return sign(**{**fields, "type": 4})


def auth(address: str, nonce_: int, chain: int = CHAIN) -> Any:
    return ALICE.sign_authorization({"chainId": chain, "address": address, "nonce": nonce_})


async def test_a8_32_set_code_with_an_empty_list_or_no_destination_is_refused(rel: Harness) -> None:
    items = rlp.decode(set_code(auth("0x" + "aa" * 20, 1))[1:])
    empty, no_to = list(items), list(items)
    empty[9] = []
    no_to[5] = b""
    for raw in (bytes([4]) + rlp.encode(empty), bytes([4]) + rlp.encode(no_to)):
        reply, _ = await refused(rel, raw_call(raw))
        assert invalid(reply)


async def test_a8_33_a_chain_id_0_authorization_is_a_high_severity_alert(rel: Harness) -> None:
    n = await nonce(rel)
    sweeper = M["contracts"]["sweeper_7702"]
    reply, _ = await refused(rel, raw_call(set_code(auth(sweeper, n + 1, chain=0), tx_nonce=n, to=ALICE.address)))
    assert "delegation-any-chain" in rules(reply)


def _resigned(items: list[Any]) -> bytes:
    """A set-code transaction from its (edited) fields, signed again by alice."""
    body = items[:10]
    key = keys.PrivateKey(bytes(ALICE.key))
    sig = key.sign_msg_hash(keccak(b"\x04" + rlp.encode(body)))
    return b"\x04" + rlp.encode([*body, sig.v, sig.r, sig.s])


@pytest.mark.parametrize(("index", "value", "problem"), [(5, SECP256K1_N - 1, "n/2"), (2, 2**64 - 1, "nonce")])
async def test_a8_34_an_invalid_authorization_tuple_is_reported_and_never_applied(
    rel: Harness, index: int, value: int, problem: str
) -> None:
    """A valid tuple (delegating to the sweeper: blocked) and a broken one after it, in a
    transaction alice signed: the verdict shows the valid delegation applied, names the broken
    tuple's problem, and the broken one (even as the last tuple) applies nothing."""
    n = await nonce(rel)
    sweeper, other = M["contracts"]["sweeper_7702"], "0x" + "aa" * 20
    items = rlp.decode(set_code(auth(sweeper, n + 1), auth(other, n + 2), tx_nonce=n, to=ALICE.address)[1:])
    broken = list(items[9][1])
    broken[index] = rlp.sedes.big_endian_int.serialize(value)
    items[9] = [items[9][0], broken]
    reply, _ = await refused(rel, raw_call(_resigned(items)))
    intent = json.dumps(reply["error"]["data"]["intent"])
    assert problem in intent, "the verdict names the tuple and what is wrong with it"
    delegations = json.dumps(reply["error"]["data"]["intent"]["delegations"]).lower()
    assert sweeper.lower() in delegations and other not in delegations


async def test_a8_35_several_tuples_from_one_authority_show_the_last_valid_delegate(rel: Harness) -> None:
    n = await nonce(rel)
    first, last = "0x" + "aa" * 20, M["contracts"]["sweeper_7702"]
    raw = set_code(auth(first, n + 1), auth(last, n + 2), auth("0x" + "cc" * 20, 0, chain=5), tx_nonce=n)
    reply, _ = await refused(rel, raw_call(raw))
    delegations = json.dumps(reply["error"]["data"]["intent"]["delegations"]).lower()
    assert last.lower() in delegations and first not in delegations


@pytest.mark.parametrize(
    "target", [ZERO_ADDRESS, "0x0000000000000000000000000000000000000001"], ids=["zero", "precompile"]
)
async def test_a8_36_delegation_to_zero_or_a_precompile_is_decoded_and_shown(rel: Harness, target: str) -> None:
    n = await nonce(rel)
    reply, _ = await rel.settle(raw_call(set_code(auth(target, n + 1), tx_nonce=n, to=ALICE.address)))
    if "result" in reply:
        return  # allowed: forwarded (the decoded verdict was fine to send)
    assert reply["error"]["code"] == 4001 and reply["error"]["data"]["error"] is None
    intent = json.dumps(reply["error"]["data"]["intent"]).lower()
    if target == ZERO_ADDRESS:
        assert "clears the delegation" in intent
    else:
        assert target.lower() in intent


# --- 38 ---------------------------------------------------------------------------------------------


async def test_a8_38_a_fee_over_the_cap_is_warned_and_held(rel: Harness) -> None:
    raw = sign(nonce=await nonce(rel), gasPrice=10**14, gas=21_000 * 1000, chainId=CHAIN)  # 2.1 ETH of fee
    reply, held = await refused(rel, raw_call(raw))
    assert "excessive-fee" in rules(reply)
    assert held or reply["error"]["data"]["verdict"] == "block"


# --- 39-44: signatures ---------------------------------------------------------------------------------


def typed(doc: Any, id_: Any = 1) -> dict[str, Any]:
    return call("eth_signTypedData_v4", [ALICE.address, doc if isinstance(doc, str) else json.dumps(doc)], id_=id_)


@pytest.mark.parametrize("name", sorted(EXPFAIL))
async def test_a8_39_geth_expfail_typed_data_is_refused_with_a_clear_error(rel: Harness, name: str) -> None:
    reply, _ = await refused(rel, typed(EXPFAIL[name]))
    assert invalid(reply)
    assert reply["error"]["data"]["findings"][0]["message"], "the reason is named"


async def test_a8_40_typed_data_for_another_chain_is_blocked(rel: Harness) -> None:
    reply, _ = await refused(rel, typed(MAIL))  # domain.chainId 1, the proxy serves chain 7357
    assert "typed-data-chain-mismatch" in rules(reply)


def _permit2(**domain: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(request("t_permit2_universal_router_typed_data.json")["params"][1])
    doc["domain"].update(domain)
    return doc


async def test_a8_41_a_permit2_batch_to_a_spender_not_on_the_allowlist_is_blocked(rel: Harness) -> None:
    doc = _permit2()
    single = doc["message"]
    doc["types"]["PermitBatch"] = [
        {"name": "details", "type": "PermitDetails[]"},
        {"name": "spender", "type": "address"},
        {"name": "sigDeadline", "type": "uint256"},
    ]
    del doc["types"]["PermitSingle"]
    doc["primaryType"] = "PermitBatch"
    doc["message"] = {
        "details": [single["details"], {**single["details"], "token": M["contracts"]["weth"]}],
        "spender": M["accounts"]["drainer_owner"]["address"],
        "sigDeadline": single["sigDeadline"],
    }
    reply, _ = await refused(rel, typed(doc))
    assert reply["error"]["data"]["verdict"] == "block"


@pytest.mark.xfail(
    strict=True,
    reason="no rule checks a Permit2-shaped message's domain: a PermitSingle whose verifyingContract is "
    "not the real Permit2 is decoded as a Permit2 allowance and allowed (a deceptive-domain rule is missing)",
)
async def test_a8_41_a_permit2_domain_that_is_not_the_real_permit2_is_an_alert(rel: Harness) -> None:
    await refused(rel, typed(_permit2(verifyingContract="0x" + "4e" * 20)))


async def test_a8_42_a_message_with_undeclared_fields_is_refused(rel: Harness) -> None:
    doc = _permit2()
    doc["message"]["details"]["hiddenRecipient"] = M["accounts"]["attacker"]["address"]
    reply, _ = await refused(rel, typed(doc))
    assert invalid(reply) and "extra" in json.dumps(reply["error"]["data"]).lower()


async def test_a8_43_siwe_from_another_origin_is_not_skipped(rel: Harness) -> None:
    """The message names txfirewall-fixture.test; the page asking is another site."""
    reply, _ = await refused(rel, request("o_personal_sign_login.json"), origin=APP_ORIGIN)
    assert "siwe-domain-mismatch" in rules(reply)


async def test_a8_44_eth_sign_of_a_32_byte_hash_is_blocked(rel: Harness) -> None:
    reply, _ = await refused(rel, request("g_eth_sign_hash.json"))
    assert "eth-sign-raw-hash" in rules(reply) and reply["error"]["data"]["verdict"] == "block"


# --- 45-47: simulation evasion ---------------------------------------------------------------------


async def test_a8_45_a_coinbase_gated_drainer_is_blocked_as_divergent(rel: Harness) -> None:
    reply, _ = await refused(rel, request("i_coinbase_gated_claim.json"))
    assert "simulation-divergence" in rules(reply) and reply["error"]["data"]["verdict"] == "block"


GAS_GATED = bytes.fromhex(
    "3415603d57"  # no value: stop
    "5a620f42401060"  # 1_000_000 < gasleft() ? ...
    "2f57"  # ... refund (what a generously-gassed simulation sees)
    "600060006000600034" + "73" + M["accounts"]["drainer_owner"]["address"][2:].lower() + "5af100"  # drain
    "5b600060006000600034335af100"  # refund to the caller
    "5b00"
)


@pytest.mark.xfail(
    strict=True,
    reason="the simulator varies the block (coinbase, time, number, block gas limit) but not the "
    "transaction's own gas: a request without a gas limit is simulated with a generous one, and a "
    "contract that branches on gasleft() shows its benign path (case 46 is not implemented)",
)
async def test_a8_46_a_contract_branching_on_gasleft_is_flagged(rel: Harness, rel_chain: AnvilNode) -> None:
    target = "0x" + "46" * 20
    await rel.http.post(rel_chain.url, json=call("anvil_setCode", [target, "0x" + GAS_GATED.hex()]))
    await rel.http.post(rel_chain.url, json=call("evm_mine"))
    # With a gas limit below the threshold the drain is what the simulation shows (the contract works):
    low = {"from": ALICE.address, "to": target, "value": hex(10**17), "gas": hex(100_000)}
    drained, _ = await rel.settle(call("eth_sendTransaction", [low]))
    assert "error" in drained and drained["error"]["code"] == 4001, drained
    # No gas yet (the wallet estimates it after the check, ~50k: the drain path); simulated with
    # a generous gas limit, the contract refunds. Case 46: the divergence must be flagged.
    unset = {"from": ALICE.address, "to": target, "value": hex(10**17)}
    reply, _ = await rel.settle(call("eth_sendTransaction", [unset]))
    assert "error" in reply and "simulation-divergence" in rules(reply), reply


async def test_a8_47_a_proxy_upgrade_in_the_transaction_is_flagged(rel: Harness) -> None:
    proxy, v2 = M["contracts"]["vault_proxy"], M["contracts"]["vault_v2"]
    data = keccak(text="upgradeTo(address)")[:4] + abi_encode(["address"], [v2])
    tx = {"from": M["accounts"]["deployer"]["address"], "to": proxy, "data": "0x" + data.hex()}
    reply, _ = await refused(rel, call("eth_sendTransaction", [tx]))
    assert "proxy-upgraded" in rules(reply)


async def _confirm_when_held(h: Harness, body: Any, before_confirm: Any = None) -> dict[str, Any]:
    task = asyncio.create_task(h.rpc(body))
    url, auth = h.control()
    for _ in range(600):
        held = await h.held()
        if held:
            break
        await asyncio.sleep(0.05)
    assert held, "the request was not held"
    if before_confirm is not None:
        await before_confirm()
    assert (await h.http.post(f"{url}/v1/held/{held[0]['id']}/confirm", headers=auth)).status_code == 200
    reply: dict[str, Any] = await task
    return reply


async def test_a8_47_a_request_is_checked_again_before_release_toctou(control_file: Path) -> None:
    """Confirmed by the user, a held request is analysed again before it is forwarded: when the
    contract it calls changed while it was held, it is refused with the reason, not sent. A chain
    of its own: this test rewrites a contract's code."""
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=CHAIN, accounts=0)
    held_request = request("j_nft_approval_for_all_drainer.json")
    nft = held_request["params"][0]["to"]
    with AnvilNode.start(options) as node:
        async with running_proxy(node.url, control_file) as own:
            quiet = await _confirm_when_held(own, held_request)
            assert quiet["error"]["message"] == "No Signer available", "nothing changed: released"

            async def swap_code() -> None:
                await own.http.post(node.url, json=call("anvil_setCode", [nft, "0x60006000fd"]))  # reverts
                await own.http.post(node.url, json=call("evm_mine"))

            reply = await _confirm_when_held(own, held_request, swap_code)
            assert reply["error"]["code"] == 4001 and "refused" in reply["error"]["message"], reply
            assert "held" in reply["error"]["message"]
            assert own.upstream.calls("eth_sendTransaction") == 1, "only the unchanged one was forwarded"


# --- 48: a cold or failing fork ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hang", "status"])
async def test_a8_48_a_slow_or_failing_fork_rpc_refuses_signing_with_a_reason(
    rel_chain: AnvilNode, control_file: Path, mode: str
) -> None:
    """The analysis fork's RPC never answers (or answers HTTP 500): signing requests are refused
    with the reason within ``analysis_timeout`` (1 s here), never allowed; reads still pass."""
    async with (
        MisbehavingUpstream(rel_chain.url, mode=mode) as fork_rpc,
        running_proxy(
            rel_chain.url, control_file, firewall_rpc=fork_rpc.url, wait_for_firewall=False, analysis_timeout=1.0
        ) as own,
    ):
        read = await own.rpc(call("eth_chainId", id_="r"))
        assert read["result"] == "0x1cbd"
        for body in (request("a_eth_to_bob.json"), request("o_personal_sign_login.json")):
            reply = await own.rpc(body)
            assert reply["error"]["code"] == 4001 and "refused" in reply["error"]["message"], reply
            reason = reply["error"]["message"]
            assert ("did not finish within 1s" in reason) if mode == "hang" else ("could not analyse" in reason)
        assert own.upstream.calls("eth_sendTransaction") == own.upstream.calls("personal_sign") == 0
