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


# ---------------------------------------------------------------------------------------------
# The real protocols (npm bytecode at the mainnet addresses)

NPM_ARTIFACTS = FIXTURES / "artifacts" / "npm"
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
V2_FACTORY = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
V3_FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984"
NPM = "0xC36442b4a4522E871399CD717aBDD847Ab11FE88"
CANONICAL = {
    "weth": WETH,
    "uniswap_v2_core_factory": V2_FACTORY,
    "uniswap_v2_router02": "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D",
    "uniswap_v3_factory": V3_FACTORY,
    "uniswap_v3_position_manager": NPM,
    "uniswap_v3_swap_router": "0xE592427A0AEce92De3Edee1F18E0157C05861564",
    "uniswap_swap_router02": "0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45",
    "universal_router": "0x66a9893cC07D91D95644AEDD05D03f95e1dBA8Af",
    "safe_singleton": "0x41675C099F32341bf84BFc5382aF534df5C7461a",
    "safe_proxy_factory": "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67",
    "safe_fallback_handler": "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99",
    "safe_multisend_call_only": "0x9641d764fc13c8B624c04430C7356C1C7C8102e2",
    "permit2": PERMIT2,
}


def _npm_runtime(name: str) -> str:
    doc: dict[str, Any] = json.loads((NPM_ARTIFACTS / f"{name}.json").read_text(encoding="utf-8"))
    return str(doc["deployedBytecode"])


def _same_code_but_immutables(onchain: str, artifact: str) -> bool:
    """Hardhat/Waffle deployedBytecode has zeros where immutables go: compare everything else."""
    if len(onchain) != len(artifact):
        return False
    return all(a == b or b == "0" for a, b in zip(onchain, artifact, strict=True))


def test_real_protocols_at_their_mainnet_addresses(rpc: Rpc) -> None:
    contracts = MANIFEST["contracts"]
    for role, address in CANONICAL.items():
        assert contracts[role] == address, role
    for role, artifact in MANIFEST["artifacts"].items():
        if not artifact.startswith("npm/"):
            continue
        code = rpc("eth_getCode", contracts[role], "latest")
        assert _same_code_but_immutables(code, _npm_runtime(artifact.removeprefix("npm/"))), role
    # No immutables: byte for byte the package's runtime code.
    for role, name in (("weth", "WETH9"), ("uniswap_v2_core_factory", "UniswapV2Factory"), ("safe_singleton", "Safe")):
        assert rpc("eth_getCode", contracts[role], "latest") == _npm_runtime(name), role
    (symbol,) = rpc.call(WETH, "symbol()", [], [], ["string"])
    assert symbol == "WETH"


def test_real_uniswap_v2_router_and_pair(rpc: Rpc) -> None:
    router, usdx = CANONICAL["uniswap_v2_router02"], MANIFEST["contracts"]["usdx"]
    assert rpc.call(router, "factory()", [], [], ["address"]) == (V2_FACTORY,)
    assert rpc.call(router, "WETH()", [], [], ["address"]) == (WETH,)
    (pair,) = rpc.call(V2_FACTORY, "getPair(address,address)", ["address", "address"], [usdx, WETH], ["address"])
    assert pair == MANIFEST["contracts"]["uniswap_v2_usdx_weth_pair"]
    reserve_usdx, reserve_weth, _ = rpc.call(pair, "getReserves()", [], [], ["uint112", "uint112", "uint32"])
    assert reserve_usdx > 400_000 * 10**6 and reserve_weth > 150 * 10**18
    (amounts,) = rpc.call(
        router, "getAmountsOut(uint256,address[])", ["uint256", "address[]"], [10**18, [WETH, usdx]], ["uint256[]"]
    )
    assert 2_400 * 10**6 < amounts[-1] < 2_500 * 10**6
    allowance = rpc.call(
        usdx, "allowance(address,address)", ["address", "address"], [_addr("alice"), router], ["uint256"]
    )
    assert allowance[0] == int(MANIFEST["story"]["alice"]["usdx_allowance_router02"]) == 1_000 * 10**6


def test_real_uniswap_v3_pool_and_routers(rpc: Rpc) -> None:
    usdx = MANIFEST["contracts"]["usdx"]
    (pool,) = rpc.call(
        V3_FACTORY, "getPool(address,address,uint24)", ["address", "address", "uint24"], [usdx, WETH, 3000], ["address"]
    )
    assert pool == MANIFEST["contracts"]["uniswap_v3_usdx_weth_pool"]
    sqrt_price, tick = rpc.call(pool, "slot0()", [], [], ["uint160", "int24"])
    # Initialised at 2,500 USDX per ETH (sqrtPriceX96 = 20000 * 2^96, tick 198,080); alice's swap moved it a little.
    assert abs(sqrt_price - 20_000 * 2**96) < 20_000 * 2**96 // 100 and 197_900 < tick < 198_300
    assert rpc.call(pool, "liquidity()", [], [], ["uint128"])[0] > 0
    assert rpc.call(NPM, "factory()", [], [], ["address"]) == (V3_FACTORY,)
    assert rpc.call(NPM, "WETH9()", [], [], ["address"]) == (WETH,)
    router02 = CANONICAL["uniswap_swap_router02"]
    assert rpc.call(router02, "factoryV2()", [], [], ["address"]) == (V2_FACTORY,)
    assert rpc.call(router02, "positionManager()", [], [], ["address"]) == (NPM,)
    assert rpc.call(CANONICAL["uniswap_v3_swap_router"], "factory()", [], [], ["address"]) == (V3_FACTORY,)
    # The factory was moved to its canonical address: its NoDelegateCall guard must accept it there.
    assert rpc.call(V3_FACTORY, "feeAmountTickSpacing(uint24)", ["uint24"], [500], ["int24"]) == (10,)
    create = keccak(text="createPool(address,address,uint24)")[:4] + abi_encode(
        ["address", "address", "uint24"], [usdx, WETH, 500]
    )
    assert "error" not in rpc.raw("eth_call", {"to": V3_FACTORY, "data": "0x" + create.hex()}, "latest")


def test_alice_owns_a_one_of_one_safe(rpc: Rpc) -> None:
    safe = MANIFEST["contracts"]["alice_safe"]
    assert rpc("eth_getCode", safe, "latest") == _npm_runtime("SafeProxy")
    ((owner,),) = rpc.call(safe, "getOwners()", [], [], ["address[]"])
    assert to_checksum_address(owner) == _addr("alice")
    assert rpc.call(safe, "getThreshold()", [], [], ["uint256"]) == (1,)
    assert rpc.call(safe, "VERSION()", [], [], ["string"]) == ("1.4.1",)
    singleton = rpc("eth_getStorageAt", safe, "0x0", "latest")
    assert to_checksum_address("0x" + singleton[-40:]) == CANONICAL["safe_singleton"]
    assert int(rpc("eth_getBalance", safe, "latest"), 16) == int(MANIFEST["story"]["alice"]["safe_eth_balance"])


REAL_SAMPLES = [
    e
    for e in INDEX
    if json.loads((FIXTURES / "requests" / e["file"]).read_text())["method"] == "eth_sendTransaction"
    and json.loads((FIXTURES / "requests" / e["file"]).read_text())["params"][0]["to"]
    in set(CANONICAL.values()) | {MANIFEST["contracts"]["alice_safe"]}
]


def test_the_real_protocol_samples_are_the_expected_ones() -> None:
    assert {e["file"][0] for e in REAL_SAMPLES} == set("pqrsuvw")
    assert all(e["expect"] == "allow" for e in REAL_SAMPLES)


def test_real_protocol_samples_succeed_as_real_transactions() -> None:
    """On a private copy: each sample, sent as-is with eth_sendTransaction from the unlocked alice in
    the block after the head (12 s later), is mined successfully and does what its title says."""
    alice, bob = _addr("alice"), _addr("bob")
    usdx = MANIFEST["contracts"]["usdx"]
    for entry in REAL_SAMPLES:
        with _start() as node:
            rpc = Rpc(node.url)
            try:
                rpc("anvil_impersonateAccount", alice)
                # The clock of a loaded anvil runs from the wall clock (past every deadline by now):
                # set it back to the fixture's next block. (evm_setNextBlockTimestamp refuses this.)
                rpc("anvil_setTime", hex(MANIFEST["head"]["timestamp"] + 12))
                (tx,) = json.loads((FIXTURES / "requests" / entry["file"]).read_text())["params"]
                usdx_before = rpc.call(usdx, "balanceOf(address)", ["address"], [alice], ["uint256"])[0]
                bob_before = int(rpc("eth_getBalance", bob, "latest"), 16)
                tx_hash = rpc("eth_sendTransaction", tx)
                deadline = time.monotonic() + 30
                while (receipt := rpc("eth_getTransactionReceipt", tx_hash)) is None:
                    assert time.monotonic() < deadline, entry["file"]
                    time.sleep(0.005)
                assert receipt["status"] == "0x1", entry["file"]
                block = rpc("eth_getBlockByNumber", receipt["blockNumber"], False)
                assert int(block["timestamp"], 16) - MANIFEST["head"]["timestamp"] < 60
                usdx_after = rpc.call(usdx, "balanceOf(address)", ["address"], [alice], ["uint256"])[0]
                kind = entry["file"][0]
                if kind in "prs":
                    assert usdx_after > usdx_before + 200 * 10**6, entry["file"]
                if kind in "qu":
                    assert usdx_after == usdx_before - 100 * 10**6, entry["file"]
                if kind == "v":
                    assert int(rpc("eth_getBalance", bob, "latest"), 16) == bob_before + 2 * 10**17
                if kind == "w":
                    assert rpc.call(NPM, "balanceOf(address)", ["address"], [alice], ["uint256"]) == (1,)
                    assert usdx_before - usdx_after > 900 * 10**6
            finally:
                rpc.client.close()
