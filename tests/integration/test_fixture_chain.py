"""The committed fixture chain (anvil_fixtures/state.json) loads and tells the documented story."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[2] / "anvil_fixtures"
PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
MANIFEST: dict[str, Any] = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
HISTORY: list[dict[str, Any]] = [
    json.loads(line) for line in (FIXTURES / "history.jsonl").read_text(encoding="utf-8").splitlines() if line
]
INDEX: list[dict[str, Any]] = json.loads((FIXTURES / "requests" / "index.json").read_text(encoding="utf-8"))


class Rpc:
    def __init__(self, url: str) -> None:
        self.client = httpx.Client(timeout=30.0)
        self.url = url

    def raw(self, method: str, *params: Any) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        resp = self.client.post(self.url, json=body)
        resp.raise_for_status()
        return resp.json()

    def __call__(self, method: str, *params: Any) -> Any:
        body = self.raw(method, *params)
        assert "error" not in body, f"{method}: {body['error']}"
        return body["result"]

    def call(self, to: str, signature: str, types: list[str], args: list[Any], out: list[str]) -> tuple:
        data = keccak(text=signature)[:4] + abi_encode(types, args)
        raw = self("eth_call", {"to": to, "data": "0x" + data.hex()}, "latest")
        values = abi_decode(out, bytes.fromhex(raw[2:]))
        return tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(out, values, strict=True))


def _start() -> AnvilNode:
    return AnvilNode.start(AnvilOptions(chain_id=MANIFEST["chain_id"], accounts=0, load_state=FIXTURES / "state.json"))


@pytest.fixture(scope="module")
def rpc() -> Iterator[Rpc]:
    with _start() as node:
        client = Rpc(node.url)
        try:
            yield client
        finally:
            client.client.close()


def _addr(role: str) -> str:
    return MANIFEST["accounts"][role]["address"]


def _key(role: str) -> str:
    return MANIFEST["accounts"][role]["private_key"]


def test_chain_id_and_head(rpc: Rpc) -> None:
    assert int(rpc("eth_chainId"), 16) == 7357
    head = rpc("eth_getBlockByNumber", "latest", False)
    assert int(head["number"], 16) == MANIFEST["head"]["number"]
    assert int(head["timestamp"], 16) == MANIFEST["head"]["timestamp"] == 1793491200
    assert head["hash"] == MANIFEST["head"]["hash"]
    genesis = rpc("eth_getBlockByNumber", "0x0", False)
    assert int(genesis["timestamp"], 16) == 1704067200


def test_blocks_have_a_real_coinbase(rpc: Rpc) -> None:
    """CoinbaseGatedDrainer only shows its teeth when block.coinbase != 0, as on a real chain."""
    head = rpc("eth_getBlockByNumber", "latest", False)
    assert to_checksum_address(head["miner"]) == MANIFEST["block_coinbase"]
    assert int(head["miner"], 16) != 0


def test_every_contract_has_code(rpc: Rpc) -> None:
    for role, address in MANIFEST["contracts"].items():
        assert address == to_checksum_address(address), role
        assert rpc("eth_getCode", address, "latest") not in ("0x", "", None), f"{role} has no code"


def test_accounts_are_fixture_keys() -> None:
    for role, acct in MANIFEST["accounts"].items():
        assert Account.from_key(acct["private_key"]).address == acct["address"], role
        assert acct["private_key"] == "0x" + keccak(b"txfirewall-fixture:" + role.encode()).hex()


def test_permit2_at_canonical_address(rpc: Rpc) -> None:
    assert MANIFEST["contracts"]["permit2"] == PERMIT2
    deployed = json.loads((FIXTURES / "artifacts" / "Permit2.json").read_text())["deployedBytecode"]
    assert rpc("eth_getCode", PERMIT2, "latest") == deployed
    (separator,) = rpc.call(PERMIT2, "DOMAIN_SEPARATOR()", [], [], ["bytes32"])
    expected = keccak(
        abi_encode(
            ["bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text="EIP712Domain(string name,uint256 chainId,address verifyingContract)"),
                keccak(text="Permit2"),
                7357,
                PERMIT2,
            ],
        )
    )
    assert separator == expected


def test_permit2_permit_single_signature_verifies(rpc: Rpc) -> None:
    """A PermitSingle signed with eth-account's EIP-712 encoder is accepted (eth_call only)."""
    usdx = MANIFEST["contracts"]["usdx"]
    spender = _addr("bob")
    deadline = MANIFEST["head"]["timestamp"] + 10 * 365 * 86400
    details = {"token": usdx, "amount": 10**6, "expiration": deadline, "nonce": 0}
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "PermitSingle": [
                {"name": "details", "type": "PermitDetails"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": [
                {"name": "token", "type": "address"},
                {"name": "amount", "type": "uint160"},
                {"name": "expiration", "type": "uint48"},
                {"name": "nonce", "type": "uint48"},
            ],
        },
        "primaryType": "PermitSingle",
        "domain": {"name": "Permit2", "chainId": 7357, "verifyingContract": PERMIT2},
        "message": {"details": details, "spender": spender, "sigDeadline": deadline},
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), _key("alice"))
    sig = bytes(signed.signature)
    data = keccak(text="permit(address,((address,uint160,uint48,uint48),address,uint256),bytes)")[:4] + abi_encode(
        ["address", "((address,uint160,uint48,uint48),address,uint256)", "bytes"],
        [_addr("alice"), ((usdx, 10**6, deadline, 0), spender, deadline), sig],
    )
    call = {"from": spender, "to": PERMIT2, "data": "0x" + data.hex()}
    assert "error" not in rpc.raw("eth_call", call, "latest")
    bad = {"from": spender, "to": PERMIT2, "data": "0x" + data[:-40].hex() + "00" * 40}
    assert "error" in rpc.raw("eth_call", bad, "latest")


def test_alice_holdings_match_story_and_history(rpc: Rpc) -> None:
    alice = _addr("alice")
    usdx = MANIFEST["contracts"]["usdx"]
    story = MANIFEST["story"]["alice"]
    (balance,) = rpc.call(usdx, "balanceOf(address)", ["address"], [alice], ["uint256"])
    assert balance == int(story["usdx_balance"])
    moved = 0
    for e in HISTORY:
        if e.get("token") != usdx or e.get("method") == "approve":
            continue
        if e["to"] == alice:
            moved += int(e["value"])
        if e["from"] == alice:
            moved -= int(e["value"])
    assert moved == balance
    nft = MANIFEST["contracts"]["nft"]
    assert story["nft_ids"] == [1, 2, 3]
    for token_id in (1, 2, 3):
        assert rpc.call(nft, "ownerOf(uint256)", ["uint256"], [token_id], ["address"])[0] == alice
    (nft_count,) = rpc.call(nft, "balanceOf(address)", ["address"], [alice], ["uint256"])
    assert nft_count == 3 == sum(1 for e in HISTORY if e.get("token") == nft and e["to"] == alice)
    items = MANIFEST["contracts"]["items"]
    for item_id, amount in story["items"].items():
        got = rpc.call(items, "balanceOf(address,uint256)", ["address", "uint256"], [alice, int(item_id)], ["uint256"])
        assert got[0] == amount
    carol_allowance = rpc.call(
        usdx, "allowance(address,address)", ["address", "address"], [_addr("carol"), alice], ["uint256"]
    )
    assert carol_allowance[0] == 500 * 10**6


def test_history_hashes_have_receipts_and_timestamps(rpc: Rpc) -> None:
    assert HISTORY
    allowed = {"from", "to", "value", "hash", "timestamp", "token", "method"}
    for e in HISTORY:
        assert set(e) <= allowed and {"from", "to", "value", "hash", "timestamp"} <= set(e)
        assert e["from"] == to_checksum_address(e["from"]) and e["to"] == to_checksum_address(e["to"])
        assert isinstance(e["timestamp"], int) and e["value"].isdigit()
        receipt = rpc("eth_getTransactionReceipt", e["hash"])
        assert receipt is not None, e["hash"]
        assert receipt["status"] == "0x1"
        block = rpc("eth_getBlockByNumber", receipt["blockNumber"], False)
        assert int(block["timestamp"], 16) == e["timestamp"]
    assert [e["timestamp"] for e in HISTORY] == sorted(e["timestamp"] for e in HISTORY)
    assert 1704067200 < HISTORY[0]["timestamp"] < HISTORY[-1]["timestamp"] <= 1793491200


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_sample_request_is_valid(rpc: Rpc, entry: dict[str, Any]) -> None:
    assert entry["expect"] in ("allow", "warn", "block")
    req = json.loads((FIXTURES / "requests" / entry["file"]).read_text(encoding="utf-8"))
    assert req["jsonrpc"] == "2.0" and isinstance(req["id"], int)
    alice = _addr("alice")
    if req["method"] != "eth_sendTransaction":
        assert alice in req["params"]
        return
    (tx,) = req["params"]
    assert tx["from"] == alice
    assert tx["to"] == to_checksum_address(tx["to"])
    body = rpc.raw("eth_call", tx, "latest")
    assert "error" not in body, f"{entry['file']} reverts: {body.get('error')}"


def test_scammer_is_fresh_eoa(rpc: Rpc) -> None:
    scammer = _addr("scammer")
    assert rpc("eth_getCode", scammer, "latest") == "0x"
    assert int(rpc("eth_getBalance", scammer, "latest"), 16) > 0
    assert all(scammer not in (e["from"], e["to"]) for e in HISTORY)


def test_lookalike_symbol_uses_cyrillic_te(rpc: Rpc) -> None:
    token = MANIFEST["contracts"]["lookalike_token"]
    (symbol,) = rpc.call(token, "symbol()", [], [], ["string"])
    assert "\u0422" in symbol and symbol == "USD\u0422"
    assert MANIFEST["tokens"][token]["symbol"] == symbol


def test_vault_proxy_not_upgraded(rpc: Rpc) -> None:
    proxy = MANIFEST["contracts"]["vault_proxy"]
    slot = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
    impl = rpc("eth_getStorageAt", proxy, slot, "latest")
    assert to_checksum_address("0x" + impl[-40:]) == MANIFEST["contracts"]["vault_v1"]


def _send(rpc: Rpc, role: str, to: str, data: bytes, value: int = 0) -> dict[str, Any]:
    sender = _addr(role)
    nonce = int(rpc("eth_getTransactionCount", sender, "latest"), 16)
    tx = {
        "type": 2,
        "chainId": 7357,
        "nonce": nonce,
        "to": to,
        "value": value,
        "data": data,
        "gas": 1_000_000,
        "maxFeePerGas": 30 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    signed = Account.sign_transaction(tx, _key(role))
    tx_hash = rpc("eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
    deadline = time.monotonic() + 30
    while (receipt := rpc("eth_getTransactionReceipt", tx_hash)) is None:
        assert time.monotonic() < deadline, f"no receipt for {tx_hash}"
        time.sleep(0.005)
    assert receipt["status"] == "0x1"
    return receipt


def test_drainer_sweeps_approved_assets() -> None:
    """On a private copy of the chain: once alice approves, Claim() takes ETH, USDX and NFTs."""
    c = MANIFEST["contracts"]
    owner = _addr("drainer_owner")
    with _start() as node:
        rpc = Rpc(node.url)
        try:
            _send(
                rpc,
                "alice",
                c["usdx"],
                keccak(text="approve(address,uint256)")[:4]
                + abi_encode(["address", "uint256"], [c["drainer"], 2**256 - 1]),
            )
            _send(
                rpc,
                "alice",
                c["nft"],
                keccak(text="setApprovalForAll(address,bool)")[:4]
                + abi_encode(["address", "bool"], [c["drainer"], True]),
            )
            before = int(rpc("eth_getBalance", owner, "latest"), 16)
            _send(rpc, "alice", c["drainer"], keccak(text="Claim()")[:4], value=10**18)
            assert int(rpc("eth_getBalance", owner, "latest"), 16) == before + 10**18
            usdx = rpc.call(c["usdx"], "balanceOf(address)", ["address"], [_addr("alice")], ["uint256"])
            assert usdx[0] == 0
            for token_id in (1, 2, 3):
                assert rpc.call(c["nft"], "ownerOf(uint256)", ["uint256"], [token_id], ["address"])[0] == owner
        finally:
            rpc.client.close()
