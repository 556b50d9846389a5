"""Build the fixture "mainnet" chain from artifacts/ and write state.json, manifest.json,
history.jsonl and requests/.

    python anvil_fixtures/deploy.py

Everything is deterministic: fixed keys (keccak256(b"txfirewall-fixture:" + role)), fixed block
timestamps (evm_setNextBlockTimestamp), fixed fee parameters, one transaction per block. The chain
only ever sees artifacts/ (compile.py turns our sources into artifacts/*.json; npm_artifacts.py
extracts the real protocols' bytecode from their npm packages into artifacts/npm/).
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # allow `python anvil_fixtures/deploy.py` without installing
    sys.path.insert(0, str(REPO))

from anvil_fixtures import protocols  # noqa: E402
from anvil_fixtures.fixture_builder import (  # noqa: E402
    APPROVAL_TOPIC,
    BLOCK_COINBASE,
    CHAIN_ID,
    ETH,
    GENESIS_TIMESTAMP,
    HEAD_TIMESTAMP,
    MAX_UINT160,
    MAX_UINT256,
    PERMIT2_ADDRESS,
    TRANSFER_BATCH_TOPIC,
    TRANSFER_SINGLE_TOPIC,
    TRANSFER_TOPIC,
    USDX,
    ZERO,
    Builder,
    Rpc,
    RpcError,
    SentTx,
    calldata,
    fixture_key,
    hexq,
    load_artifact,
    ts,
)
from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions  # noqa: E402

STATE_FILE = HERE / "state.json"
MANIFEST_FILE = HERE / "manifest.json"
HISTORY_FILE = HERE / "history.jsonl"
REQUESTS_DIR = HERE / "requests"


ACCOUNT_ROLES: dict[str, str] = {
    "deployer": "Deploys the legitimate hand-written contracts (tokens, Permit2, Uniswap-V2-style pool, "
    "Multicall3, vault) and Fixture DAI, seeds the hand-written pool and the real Uniswap V2 and V3 USDX/WETH "
    "pools, funds alice; owns the real V2/V3 factories (feeToSetter, owner); also deploys the unused malicious "
    "VaultV2 and is the vault proxy admin.",
    "alice": "The wallet user the firewall protects. All history.jsonl entries and sample requests are hers. "
    "Uses the real Uniswap V2 router, the Universal Router (with Permit2) and her own 1-of-1 Safe.",
    "bob": "Friend EOA: receives ETH from alice several times, sends her USDX once.",
    "carol": "Friend EOA: receives USDX from alice, approved alice to spend 500 USDX.",
    "dave": "Friend EOA: received ETH from alice (once via Multicall3, once directly).",
    "drainer_owner": "Attacker operating Drainer and CoinbaseGatedDrainer (deployed October 2026).",
    "attacker": "Attacker who deployed Sweeper7702 (collector = attacker) and LookalikeToken, "
    "and sent alice look-alike 'USD\u0422' tokens (address-poisoning style).",
    "scammer": "Fresh EOA with a little ETH and no code; never interacted with alice.",
}


def build(rpc: Rpc) -> dict[str, Any]:
    keys = {role: fixture_key(role) for role in ACCOUNT_ROLES}
    addr = {role: Account.from_key(k).address for role, k in keys.items()}
    b = Builder(rpc, keys, addr)
    c: dict[str, str] = {}
    art: dict[str, str] = {}
    A = addr

    # ------------------------------------------------------------------ 2024: protocol launch
    rpc("anvil_setCoinbase", BLOCK_COINBASE)
    b.set_balance("deployer", 5_000 * ETH)
    b.set_balance("bob", 5 * ETH)
    b.set_balance("carol", 3 * ETH)
    b.set_balance("dave", 1 * ETH)
    b.at(ts("2024-01-02 09:00"))
    # The real protocols (npm bytecode) at their mainnet addresses: no transactions, see protocols.py.
    real, real_art = protocols.place_all(b)
    c.update(real)
    art.update(real_art)
    for role, artifact in [
        ("usdx", "TestUSD"),
        ("nft", "TestNFT"),
        ("items", "TestItems"),
        ("permit2_template", "Permit2"),
        ("uniswap_v2_factory", "UniV2Factory"),
    ]:
        c[role] = b.deploy("deployer", artifact)
        art[role] = artifact
    c["uniswap_v2_router"] = b.deploy(
        "deployer", "UniV2Router", ["address", "address"], c["uniswap_v2_factory"], c["weth"]
    )
    art["uniswap_v2_router"] = "UniV2Router"
    c["fdai"] = b.deploy("deployer", "npm/ERC20PresetMinterPauser", ["string", "string"], "Fixture DAI", "FDAI")
    art["fdai"] = "npm/ERC20PresetMinterPauser"
    c["multicall3"] = b.deploy("deployer", "Multicall3")
    art["multicall3"] = "Multicall3"
    c["vault_v1"] = b.deploy("deployer", "VaultV1")
    art["vault_v1"] = "VaultV1"
    c["vault_proxy"] = b.deploy("deployer", "ERC1967Proxy", ["address", "address"], c["vault_v1"], A["deployer"])
    art["vault_proxy"] = "ERC1967Proxy"

    # Permit2 at its canonical address: runtime code of the normal deployment, set with anvil_setCode.
    runtime = rpc("eth_getCode", c["permit2_template"], "latest")
    if runtime != load_artifact("Permit2")["deployedBytecode"]:
        raise RuntimeError("Permit2 runtime code differs from the artifact's deployedBytecode")
    rpc("anvil_setCode", PERMIT2_ADDRESS, runtime)
    c["permit2"] = to_checksum_address(PERMIT2_ADDRESS)
    art["permit2"] = "Permit2"

    # Pool: 1,000,000 USDX / 400 WETH (2,500 USDX per ETH).
    b.send(
        "deployer",
        c["uniswap_v2_factory"],
        calldata("createPair(address,address)", c["usdx"], c["weth"]),
        method="createPair",
    )
    (pair,) = b.call(c["uniswap_v2_factory"], calldata("getPair(address,address)", c["usdx"], c["weth"]), ["address"])
    c["uniswap_v2_pair"] = to_checksum_address(pair)
    art["uniswap_v2_pair"] = "UniV2Pair"
    b.send("deployer", c["usdx"], calldata("mint(address,uint256)", A["deployer"], 3_000_000 * USDX), method="mint")
    b.send("deployer", c["weth"], calldata("deposit()"), value=400 * ETH, method="deposit")
    b.send(
        "deployer",
        c["usdx"],
        calldata("approve(address,uint256)", c["uniswap_v2_router"], MAX_UINT256),
        method="approve",
    )
    b.send(
        "deployer",
        c["weth"],
        calldata("approve(address,uint256)", c["uniswap_v2_router"], MAX_UINT256),
        method="approve",
    )
    b.send(
        "deployer",
        c["uniswap_v2_router"],
        calldata(
            "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)",
            c["usdx"],
            c["weth"],
            1_000_000 * USDX,
            400 * ETH,
            0,
            0,
            A["deployer"],
            b.now + 1200,
        ),
        method="addLiquidity",
    )
    c.update(protocols.seed_pools(b, c))
    art["uniswap_v2_usdx_weth_pair"] = "npm/UniswapV2Pair"
    art["uniswap_v3_usdx_weth_pool"] = "npm/UniswapV3Pool"
    b.send("deployer", c["fdai"], calldata("mint(address,uint256)", A["deployer"], 1_000_000 * ETH), method="mint")

    # alice onboarding.
    b.at(ts("2024-01-05 14:30"))
    b.send("deployer", A["alice"], value=50 * ETH)
    b.send("deployer", c["usdx"], calldata("transfer(address,uint256)", A["alice"], 10_000 * USDX), method="transfer")
    b.send("deployer", c["usdx"], calldata("transfer(address,uint256)", A["bob"], 1_000 * USDX), method="transfer")
    b.send("deployer", c["fdai"], calldata("transfer(address,uint256)", A["alice"], 2_500 * ETH), method="transfer")
    for token_id in (1, 2, 3):
        b.send("deployer", c["nft"], calldata("mint(address,uint256)", A["alice"], token_id), method="mint")
    for token_id in (4, 5):
        b.send("deployer", c["nft"], calldata("mint(address,uint256)", A["bob"], token_id), method="mint")
    b.send(
        "deployer", c["items"], calldata("mint(address,uint256,uint256,bytes)", A["alice"], 1, 5, b""), method="mint"
    )
    b.send(
        "deployer", c["items"], calldata("mint(address,uint256,uint256,bytes)", A["alice"], 2, 1, b""), method="mint"
    )

    # ------------------------------------------------------------------ 2024-2026: ordinary life
    def eth_to(role_from: str, role_to: str, wei: int, when: str) -> None:
        b.at(ts(when))
        b.send(role_from, A[role_to], value=wei)

    eth_to("alice", "bob", 1 * ETH, "2024-02-14 19:05")
    b.at(ts("2024-03-10 11:20"))
    b.send("alice", c["usdx"], calldata("transfer(address,uint256)", A["carol"], 1_000 * USDX), method="transfer")
    b.at(ts("2024-04-02 16:00"))
    b.send(
        "alice", c["usdx"], calldata("approve(address,uint256)", c["uniswap_v2_router"], 1_000 * USDX), method="approve"
    )
    path_usdx_weth = [c["usdx"], c["weth"]]
    (amounts,) = b.call(
        c["uniswap_v2_router"], calldata("getAmountsOut(uint256,address[])", 300 * USDX, path_usdx_weth), ["uint256[]"]
    )
    b.at(ts("2024-04-02 16:03"))
    b.send(
        "alice",
        c["uniswap_v2_router"],
        calldata(
            "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
            300 * USDX,
            amounts[-1] * 99 // 100,
            path_usdx_weth,
            A["alice"],
            b.now + 1200,
        ),
        method="swapExactTokensForTokens",
    )
    eth_to("alice", "bob", ETH // 4, "2024-06-20 08:45")
    b.at(ts("2024-08-15 12:00"))
    b.send("alice", c["vault_proxy"], calldata("deposit()"), value=2 * ETH, method="deposit")
    path_weth_usdx = [c["weth"], c["usdx"]]
    (amounts,) = b.call(
        c["uniswap_v2_router"], calldata("getAmountsOut(uint256,address[])", ETH // 2, path_weth_usdx), ["uint256[]"]
    )
    b.at(ts("2024-11-03 21:10"))
    b.send(
        "alice",
        c["uniswap_v2_router"],
        calldata(
            "swapExactETHForTokens(uint256,address[],address,uint256)",
            amounts[-1] * 99 // 100,
            path_weth_usdx,
            A["alice"],
            b.now + 1200,
        ),
        value=ETH // 2,
        method="swapExactETHForTokens",
    )
    b.at(ts("2025-01-20 10:30"))
    b.send("carol", c["usdx"], calldata("approve(address,uint256)", A["alice"], 500 * USDX), method="approve")
    protocols.alice_swaps_on_uniswap_v2(b, c)
    b.at(ts("2025-03-08 17:45"))
    b.send("bob", c["usdx"], calldata("transfer(address,uint256)", A["alice"], 120 * USDX), method="transfer")
    b.at(ts("2025-05-17 13:00"))
    b.send(
        "alice",
        c["multicall3"],
        calldata(
            "aggregate3Value((address,bool,uint256,bytes)[])",
            [(A["bob"], False, ETH // 10, b""), (A["dave"], False, ETH // 10, b"")],
        ),
        value=ETH // 5,
        method="aggregate3Value",
    )
    b.at(ts("2025-07-04 09:15"))
    b.send("alice", c["usdx"], calldata("transfer(address,uint256)", A["carol"], 500 * USDX), method="transfer")
    b.at(ts("2025-09-01 18:20"))
    b.send("alice", c["usdx"], calldata("approve(address,uint256)", c["permit2"], MAX_UINT256), method="approve")
    protocols.alice_swaps_on_universal_router(b, c, keys["alice"])
    eth_to("alice", "bob", 3 * ETH // 10, "2026-02-10 20:00")
    c["alice_safe"] = protocols.alice_opens_a_safe(b)
    art["alice_safe"] = "npm/SafeProxy"
    protocols.alice_approves_position_manager(b, c)
    eth_to("alice", "dave", ETH // 20, "2026-06-30 07:30")

    # ------------------------------------------------------------------ October-November 2026: threats
    b.set_balance("drainer_owner", 2 * ETH)
    b.at(ts("2026-10-05 03:12"))
    c["drainer"] = b.deploy("drainer_owner", "Drainer")
    art["drainer"] = "Drainer"
    b.send("drainer_owner", c["drainer"], calldata("addToken(address)", c["usdx"]), method="addToken")
    b.send(
        "drainer_owner",
        c["drainer"],
        calldata("addCollection(address,uint256[])", c["nft"], [1, 2, 3, 4, 5]),
        method="addCollection",
    )
    c["coinbase_gated_drainer"] = b.deploy("drainer_owner", "CoinbaseGatedDrainer")
    art["coinbase_gated_drainer"] = "CoinbaseGatedDrainer"

    b.set_balance("attacker", 1 * ETH)
    b.at(ts("2026-10-12 22:40"))
    c["sweeper_7702"] = b.deploy("attacker", "Sweeper7702", ["address"], A["attacker"])
    art["sweeper_7702"] = "Sweeper7702"
    c["lookalike_token"] = b.deploy("attacker", "LookalikeToken")
    art["lookalike_token"] = "LookalikeToken"
    b.send(
        "attacker",
        c["lookalike_token"],
        calldata("mint(address,uint256)", A["attacker"], 1_000_000 * USDX),
        method="mint",
    )
    b.at(ts("2026-10-13 02:05"))
    b.send(
        "attacker",
        c["lookalike_token"],
        calldata("transfer(address,uint256)", A["alice"], 500 * USDX),
        method="transfer",
    )

    b.at(ts("2026-10-20 15:00"))
    c["vault_v2"] = b.deploy("deployer", "VaultV2")
    art["vault_v2"] = "VaultV2"

    b.set_balance("scammer", ETH // 20)
    eth_to("bob", "alice", ETH // 10, "2026-10-28 12:00")

    # Head: a normal (empty) block at 2026-11-01T00:00:00Z.
    rpc("evm_mine", hexq(HEAD_TIMESTAMP))

    return {"b": b, "contracts": c, "artifacts": art, "keys": keys, "addr": addr}


def token_table(c: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        c["usdx"]: {"symbol": "USDX", "decimals": 6, "name": "Test USD", "standard": "ERC20"},
        c["weth"]: {"symbol": "WETH", "decimals": 18, "name": "Wrapped Ether", "standard": "ERC20"},
        c["nft"]: {"symbol": "TNFT", "decimals": 0, "name": "Test NFT", "standard": "ERC721"},
        c["items"]: {"symbol": "TITEM", "decimals": 0, "name": "Test Items", "standard": "ERC1155"},
        c["lookalike_token"]: {"symbol": "USD\u0422", "decimals": 6, "name": "Tether USD", "standard": "ERC20"},
        c["uniswap_v2_pair"]: {"symbol": "UNI-V2", "decimals": 18, "name": "Uniswap V2", "standard": "ERC20"},
        c["uniswap_v2_usdx_weth_pair"]: {"symbol": "UNI-V2", "decimals": 18, "name": "Uniswap V2", "standard": "ERC20"},
        c["fdai"]: {"symbol": "FDAI", "decimals": 18, "name": "Fixture DAI", "standard": "ERC20"},
        c["uniswap_v3_position_manager"]: {
            "symbol": "UNI-V3-POS",
            "decimals": 0,
            "name": "Uniswap V3 Positions NFT-V1",
            "standard": "ERC721",
        },
    }


def _topic_addr(topic: str) -> str:
    return to_checksum_address("0x" + topic[-40:])


def history(rpc: Rpc, sent: list[SentTx], user: str, tokens: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The user's history, one entry per value movement (see README for the exact rules)."""
    token_std = {t.lower(): info["standard"] for t, info in tokens.items()}
    out: list[dict[str, Any]] = []
    for stx in sent:
        tx = rpc("eth_getTransactionByHash", stx.hash)
        receipt = rpc("eth_getTransactionReceipt", stx.hash)
        block = rpc("eth_getBlockByNumber", receipt["blockNumber"], False)
        when = int(block["timestamp"], 16)
        sender = to_checksum_address(tx["from"])
        to = to_checksum_address(tx["to"]) if tx.get("to") else None
        value = int(tx["value"], 16)

        def entry(frm: str, dst: str, amount: int, token: str | None) -> dict[str, Any]:
            e: dict[str, Any] = {"from": frm, "to": dst, "value": str(amount), "hash": stx.hash, "timestamp": when}
            if token is not None:
                e["token"] = to_checksum_address(token)
            if stx.method is not None:
                e["method"] = stx.method
            return e

        token_entries: list[dict[str, Any]] = []
        for log in receipt["logs"]:
            std = token_std.get(log["address"].lower())
            topics = log["topics"]
            if std is None or not topics:
                continue
            data = bytes.fromhex(log["data"][2:])
            if topics[0] == TRANSFER_TOPIC and std == "ERC20" and len(topics) == 3:
                frm, dst, amount = _topic_addr(topics[1]), _topic_addr(topics[2]), int.from_bytes(data, "big")
            elif topics[0] == TRANSFER_TOPIC and std == "ERC721" and len(topics) == 4:
                frm, dst, amount = _topic_addr(topics[1]), _topic_addr(topics[2]), 1
            elif topics[0] == APPROVAL_TOPIC and std == "ERC20" and len(topics) == 3:
                frm, dst, amount = _topic_addr(topics[1]), _topic_addr(topics[2]), int.from_bytes(data, "big")
            elif topics[0] == TRANSFER_SINGLE_TOPIC and std == "ERC1155":
                frm, dst = _topic_addr(topics[2]), _topic_addr(topics[3])
                amount = abi_decode(["uint256", "uint256"], data)[1]
            elif topics[0] == TRANSFER_BATCH_TOPIC and std == "ERC1155":
                frm, dst = _topic_addr(topics[2]), _topic_addr(topics[3])
                amount = sum(abi_decode(["uint256[]", "uint256[]"], data)[1])
            else:
                continue
            if user in (frm, dst):
                token_entries.append(entry(frm, dst, amount, log["address"]))

        direct_token_call = value == 0 and any(e["token"] == to for e in token_entries)
        if sender == user and not direct_token_call:
            out.append(entry(sender, to or ZERO, value, None))
        elif sender != user and to == user and value > 0:
            out.append(entry(sender, user, value, None))
        out.extend(token_entries)
    return out


def sample_requests(
    b: Builder, c: dict[str, str], addr: dict[str, str], keys: dict[str, str]
) -> list[tuple[str, str, str, str, dict]]:
    """(file, title, expect, why, request) for every sample wallet request."""
    alice = addr["alice"]
    deadline = HEAD_TIMESTAMP + 365 * 86400
    (router_quote,) = b.call(
        c["uniswap_v2_router"],
        calldata("getAmountsOut(uint256,address[])", 100 * USDX, [c["usdx"], c["weth"]]),
        ["uint256[]"],
    )

    def tx(to: str, data: bytes = b"", value: int = 0) -> dict[str, Any]:
        t: dict[str, Any] = {"from": alice, "to": to, "value": hexq(value)}
        if data:
            t["data"] = "0x" + data.hex()
        return t

    permit2_typed = {
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
        "domain": {"name": "Permit2", "chainId": CHAIN_ID, "verifyingContract": c["permit2"]},
        "message": {
            "details": {"token": c["usdx"], "amount": str(MAX_UINT160), "expiration": str(2**48 - 1), "nonce": "0"},
            "spender": addr["drainer_owner"],
            "sigDeadline": str(deadline),
        },
    }
    eip2612_typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": "Test USD", "version": "1", "chainId": CHAIN_ID, "verifyingContract": c["usdx"]},
        "message": {
            "owner": alice,
            "spender": addr["scammer"],
            "value": str(MAX_UINT256),
            "nonce": "0",
            "deadline": str(deadline),
        },
    }
    login = (
        "txfirewall-fixture.test wants you to sign in with your Ethereum account:\n"
        f"{alice}\n\nSign in to the fixture dapp.\n\nURI: https://txfirewall-fixture.test\n"
        f"Version: 1\nChain ID: {CHAIN_ID}\nNonce: 8f3a1c2d\nIssued At: 2026-11-01T00:00:00Z"
    )
    send = "eth_sendTransaction"
    return [
        (
            "a_eth_to_bob.json",
            "Send 0.5 ETH to friend bob",
            "allow",
            "Plain ETH transfer to an EOA alice has paid several times before.",
            {"method": send, "params": [tx(addr["bob"], value=ETH // 2)]},
        ),
        (
            "b_usdx_transfer_carol.json",
            "Transfer 250 USDX to friend carol",
            "allow",
            "ERC-20 transfer to an EOA alice already sent USDX to.",
            {
                "method": send,
                "params": [tx(c["usdx"], calldata("transfer(address,uint256)", addr["carol"], 250 * USDX))],
            },
        ),
        (
            "c_usdx_approve_router.json",
            "Approve 500 USDX to the Uniswap-V2-style router",
            "allow",
            "Finite approval to the router alice approved and swapped through before.",
            {
                "method": send,
                "params": [tx(c["usdx"], calldata("approve(address,uint256)", c["uniswap_v2_router"], 500 * USDX))],
            },
        ),
        (
            "d_usdx_approve_max_scammer.json",
            "Unlimited USDX approval to a fresh EOA",
            "block",
            "approve(2^256-1) to an EOA with no code and no history with alice: classic approval phishing.",
            {
                "method": send,
                "params": [tx(c["usdx"], calldata("approve(address,uint256)", addr["scammer"], MAX_UINT256))],
            },
        ),
        (
            "e_drainer_claim.json",
            "Claim() with 1 ETH on the Drainer",
            "block",
            "1 ETH goes to a contract alice never used and is forwarded to its owner; nothing comes back.",
            {"method": send, "params": [tx(c["drainer"], calldata("Claim()"), ETH)]},
        ),
        (
            "f_drainer_security_update.json",
            "SecurityUpdate() with 0.2 ETH on the Drainer",
            "block",
            "Fake 'security update' lure: 0.2 ETH forwarded to the drainer owner, nothing comes back.",
            {"method": send, "params": [tx(c["drainer"], calldata("SecurityUpdate()"), ETH // 5)]},
        ),
        (
            "g_eth_sign_hash.json",
            "eth_sign of a raw 32-byte hash",
            "block",
            "eth_sign over an opaque hash can authorise any transaction or permit.",
            {"method": "eth_sign", "params": [alice, "0x" + keccak(b"txfirewall-fixture: opaque hash").hex()]},
        ),
        (
            "h_usdx_transferfrom_carol.json",
            "transferFrom(carol -> alice, 100 USDX)",
            "allow",
            "Spends carol's 500 USDX allowance to alice (granted in the history) to alice herself.",
            {
                "method": send,
                "params": [
                    tx(c["usdx"], calldata("transferFrom(address,address,uint256)", addr["carol"], alice, 100 * USDX))
                ],
            },
        ),
        (
            "i_coinbase_gated_claim.json",
            "Claim() with 0.3 ETH on the CoinbaseGatedDrainer",
            "block",
            "Simulation evasion: refunds when block.coinbase == 0 (naive simulation), forwards to its owner on a real block.",
            {"method": send, "params": [tx(c["coinbase_gated_drainer"], calldata("Claim()"), 3 * ETH // 10)]},
        ),
        (
            "j_nft_approval_for_all_drainer.json",
            "setApprovalForAll(Drainer) on TestNFT",
            "block",
            "Grants a fresh contract (the Drainer) control of all of alice's NFTs.",
            {"method": send, "params": [tx(c["nft"], calldata("setApprovalForAll(address,bool)", c["drainer"], True))]},
        ),
        (
            "k_permit2_typed_data.json",
            "Permit2 PermitSingle signature: unlimited USDX to drainer_owner",
            "block",
            "Off-chain Permit2 approval of max USDX (alice approved Permit2 for max in 2025) to an unknown EOA.",
            {"method": "eth_signTypedData_v4", "params": [alice, json.dumps(permit2_typed, separators=(",", ":"))]},
        ),
        (
            "l_eip2612_permit_typed_data.json",
            "EIP-2612 USDX permit: unlimited to the scammer",
            "block",
            "Gasless permit signature granting max USDX allowance to a fresh EOA.",
            {"method": "eth_signTypedData_v4", "params": [alice, json.dumps(eip2612_typed, separators=(",", ":"))]},
        ),
        (
            "m_swap_usdx_for_eth.json",
            "Swap 100 USDX for ETH on the router",
            "allow",
            "Known router, existing finite allowance, ETH comes back to alice.",
            {
                "method": send,
                "params": [
                    tx(
                        c["uniswap_v2_router"],
                        calldata(
                            "swapExactTokensForETH(uint256,uint256,address[],address,uint256)",
                            100 * USDX,
                            router_quote[-1] * 99 // 100,
                            [c["usdx"], c["weth"]],
                            alice,
                            deadline,
                        ),
                    )
                ],
            },
        ),
        (
            "n_vault_deposit.json",
            "Deposit 0.1 ETH in the vault proxy",
            "allow",
            "Same proxy alice deposited into in 2024; it still points at VaultV1.",
            {"method": send, "params": [tx(c["vault_proxy"], calldata("deposit()"), ETH // 10)]},
        ),
        (
            "o_personal_sign_login.json",
            "personal_sign of a sign-in message",
            "allow",
            "Human-readable SIWE-style login text, no value at stake.",
            {"method": "personal_sign", "params": ["0x" + login.encode().hex(), alice]},
        ),
        *protocols.samples(b, c, addr, keys["alice"]),
    ]


def check_requests(rpc: Rpc, requests: list[tuple[str, str, str, str, dict]]) -> None:
    for fname, _title, _expect, _why, req in requests:
        if req["method"] != "eth_sendTransaction":
            continue
        try:
            rpc("eth_call", req["params"][0], "latest")
        except RpcError as exc:
            raise RuntimeError(f"sample request {fname} reverts: {exc}") from exc


def dump_state(rpc: Rpc) -> dict:
    """anvil_dumpState is 0x-hex of gzip(JSON); blocks and transactions come in hash-map order,
    so sort them to make state.json byte-for-byte reproducible."""
    raw = rpc("anvil_dumpState")
    state = json.loads(gzip.decompress(bytes.fromhex(raw[2:])))
    state["blocks"] = sorted(state.get("blocks") or [], key=lambda blk: int(blk["header"]["number"], 16))
    state["transactions"] = sorted(
        state.get("transactions") or [],
        key=lambda t: (t["block_number"], t["info"]["transaction_index"], t["info"]["transaction_hash"]),
    )
    return state


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    started = time.monotonic()
    options = AnvilOptions(chain_id=CHAIN_ID, accounts=0, timestamp=GENESIS_TIMESTAMP)
    with AnvilNode.start(options) as node:
        rpc = Rpc(node.url)
        try:
            built = build(rpc)
            b: Builder = built["b"]
            c, addr, keys = built["contracts"], built["addr"], built["keys"]
            tokens = token_table(c)
            hist = history(rpc, b.sent, addr["alice"], tokens)
            requests = sample_requests(b, c, addr, keys)
            check_requests(rpc, requests)
            head = rpc("eth_getBlockByNumber", "latest", False)
            state = dump_state(rpc)
            story = alice_story(b, c, addr["alice"])
        finally:
            rpc.close()

    STATE_FILE.write_text(json.dumps(state, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")

    manifest = {
        "chain_id": CHAIN_ID,
        "head": {"number": int(head["number"], 16), "timestamp": int(head["timestamp"], 16), "hash": head["hash"]},
        "genesis_timestamp": GENESIS_TIMESTAMP,
        "block_coinbase": BLOCK_COINBASE,
        "contracts": dict(sorted(c.items())),
        "artifacts": dict(sorted(built["artifacts"].items())),
        "accounts": {role: {"address": addr[role], "private_key": keys[role]} for role in ACCOUNT_ROLES},
        "tokens": tokens,
        "description": {**CONTRACT_ROLES, **ACCOUNT_ROLES},
        "story": story,
        "warning": "Fixture keys are public and test-only. Never send real funds to these addresses.",
    }
    missing = set(c) - set(CONTRACT_ROLES)
    if missing:
        raise RuntimeError(f"contract roles without a description: {sorted(missing)}")
    write_json(MANIFEST_FILE, manifest)

    HISTORY_FILE.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in hist), encoding="utf-8")

    if REQUESTS_DIR.exists():
        shutil.rmtree(REQUESTS_DIR)
    REQUESTS_DIR.mkdir()
    index = []
    for n, (fname, title, expect, why, req) in enumerate(requests, start=1):
        write_json(REQUESTS_DIR / fname, {"jsonrpc": "2.0", "id": n, **req})
        entry = {"file": fname, "title": title, "expect": expect, "why": why}
        if fname in XFAIL:
            entry["xfail"] = XFAIL[fname]
        index.append(entry)
    write_json(REQUESTS_DIR / "index.json", index)

    verify_load(manifest, hist)
    print(
        f"chain {CHAIN_ID}: head #{manifest['head']['number']} @ {manifest['head']['timestamp']}, "
        f"{len(c)} contracts, {len(hist)} history entries, {len(requests)} requests, "
        f"state.json {STATE_FILE.stat().st_size} bytes, {time.monotonic() - started:.1f}s"
    )
    return 0


# Samples whose true verdict is `expect` but that the firewall does not give yet: the demo's bar and
# the fixture tests skip them (file -> reason). Remove an entry once its bug is fixed.
XFAIL: dict[str, str] = {}
"""None today: the deadline bug the real-protocol samples exposed is fixed (differential.py)."""

CONTRACT_ROLES: dict[str, str] = {
    "usdx": "TestUSD: ERC-20 'Test USD' (USDX, 6 decimals) with EIP-2612 permit. Legitimate.",
    "weth": "WETH9 (npm @uniswap/v2-periphery) at the canonical mainnet address. Legitimate.",
    "nft": "TestNFT: ERC-721 collection (TNFT). alice owns #1-#3, bob #4-#5. Legitimate.",
    "items": "TestItems: ERC-1155 (TITEM). alice holds 5 of id 1 and 1 of id 2. Legitimate.",
    "permit2": "Permit2-compatible contract at the canonical address (code set with anvil_setCode). Legitimate.",
    "permit2_template": "The ordinary deployment whose runtime code was copied to the canonical Permit2 address.",
    "uniswap_v2_core_factory": "Real UniswapV2Factory (npm @uniswap/v2-core) at the mainnet address. Legitimate.",
    "uniswap_v2_router02": "Real UniswapV2Router02 (npm @uniswap/v2-periphery) at the mainnet address. "
    "alice swapped through it and approved it for 1,000 USDX.",
    "uniswap_v2_usdx_weth_pair": "Real UniswapV2Pair USDX/WETH created by the real factory (CREATE2). Legitimate.",
    "uniswap_v3_factory": "Real UniswapV3Factory (npm @uniswap/v3-core) at the mainnet address. Legitimate.",
    "uniswap_v3_usdx_weth_pool": "Real UniswapV3Pool USDX/WETH 0.3% created by the real factory (CREATE2). Legitimate.",
    "uniswap_v3_position_manager": "Real NonfungiblePositionManager (npm @uniswap/v3-periphery) at the mainnet "
    "address; alice approved it for unlimited USDX. Legitimate.",
    "uniswap_v3_swap_router": "Real V3 SwapRouter (npm @uniswap/v3-periphery) at the mainnet address. Legitimate.",
    "uniswap_swap_router02": "Real SwapRouter02 (npm @uniswap/swap-router-contracts) at the mainnet address. Legitimate.",
    "universal_router": "Real Universal Router 2.0 (npm @uniswap/universal-router) at its mainnet address. Legitimate.",
    "safe_singleton": "Safe 1.4.1 singleton (npm @safe-global/safe-contracts) at the canonical address. Legitimate.",
    "safe_proxy_factory": "SafeProxyFactory 1.4.1 at the canonical address. Legitimate.",
    "safe_fallback_handler": "CompatibilityFallbackHandler 1.4.1 at the canonical address. Legitimate.",
    "safe_multisend_call_only": "MultiSendCallOnly 1.4.1 at the canonical address. Legitimate.",
    "alice_safe": "alice's 1-of-1 Safe (SafeProxy to the 1.4.1 singleton), created by her in March 2026; holds 1.5 ETH.",
    "fdai": "OpenZeppelin ERC20PresetMinterPauser 'Fixture DAI' (FDAI, 18 decimals, npm @openzeppelin/contracts). "
    "alice holds 2,500. Legitimate.",
    "uniswap_v2_factory": "Hand-written Uniswap-V2-style factory holding the older USDX/WETH pair. Legitimate.",
    "uniswap_v2_pair": "Hand-written USDX/WETH constant-product pair (0.3% fee). Legitimate.",
    "uniswap_v2_router": "Hand-written Uniswap-V2-style router (standard Router02 signatures). "
    "alice approved and swapped through it.",
    "multicall3": "Multicall3-compatible aggregator. alice used aggregate3Value once. Legitimate.",
    "vault_v1": "VaultV1: benign ETH vault implementation behind vault_proxy.",
    "vault_proxy": "ERC1967Proxy (admin = deployer) pointing at VaultV1; alice deposited 2 ETH.",
    "vault_v2": "VaultV2: MALICIOUS upgrade (admin-only drain()); deployed but the proxy is NOT upgraded.",
    "drainer": "Drainer: MALICIOUS. Claim()/SecurityUpdate() forward ETH to drainer_owner and sweep approved USDX/TNFT.",
    "coinbase_gated_drainer": "CoinbaseGatedDrainer: MALICIOUS simulation evasion; refunds when block.coinbase == 0.",
    "sweeper_7702": "Sweeper7702: MALICIOUS EIP-7702 delegate; forwards ETH and tokens to the attacker.",
    "lookalike_token": "LookalikeToken: MALICIOUS 'Tether USD' whose symbol 'USD\u0422' uses Cyrillic TE (U+0422).",
}


def alice_story(b: Builder, c: dict[str, str], alice: str) -> dict[str, Any]:
    """alice's end-of-story holdings, read from the chain (tests compare against these)."""

    def erc20(token: str) -> int:
        return b.call(token, calldata("balanceOf(address)", alice), ["uint256"])[0]

    return {
        "alice": {
            "usdx_balance": str(erc20(c["usdx"])),
            "weth_balance": str(erc20(c["weth"])),
            "fdai_balance": str(erc20(c["fdai"])),
            "lookalike_balance": str(erc20(c["lookalike_token"])),
            "nft_ids": [
                i
                for i in range(1, 6)
                if b.call(c["nft"], calldata("ownerOf(uint256)", i), ["address"])[0].lower() == alice.lower()
            ],
            "items": {
                str(i): b.call(c["items"], calldata("balanceOf(address,uint256)", alice, i), ["uint256"])[0]
                for i in (1, 2)
            },
            "vault_deposit_wei": str(b.call(c["vault_proxy"], calldata("balanceOf(address)", alice), ["uint256"])[0]),
            "usdx_allowance_router": str(
                b.call(c["usdx"], calldata("allowance(address,address)", alice, c["uniswap_v2_router"]), ["uint256"])[0]
            ),
            "usdx_allowance_router02": str(
                b.call(c["usdx"], calldata("allowance(address,address)", alice, c["uniswap_v2_router02"]), ["uint256"])[
                    0
                ]
            ),
            "safe": c["alice_safe"],
            "safe_eth_balance": str(int(b.rpc("eth_getBalance", c["alice_safe"], "latest"), 16)),
        }
    }


def verify_load(manifest: dict, hist: list[dict[str, Any]]) -> None:
    """Reload state.json in a fresh anvil and make sure blocks, receipts and code are served."""
    options = AnvilOptions(chain_id=CHAIN_ID, accounts=0, load_state=STATE_FILE)
    with AnvilNode.start(options) as node:
        rpc = Rpc(node.url)
        try:
            number = int(rpc("eth_blockNumber"), 16)
            if number != manifest["head"]["number"]:
                raise RuntimeError(f"reloaded head is #{number}, expected #{manifest['head']['number']}")
            for role, address in manifest["contracts"].items():
                if rpc("eth_getCode", address, "latest") in ("0x", None):
                    raise RuntimeError(f"{role} code missing after reload")
            rpc("evm_mine")
            miner = rpc("eth_getBlockByNumber", "latest", False)["miner"]
            if miner.lower() != BLOCK_COINBASE.lower():
                raise RuntimeError(f"blocks mined after reload use coinbase {miner}, expected {BLOCK_COINBASE}")
            for e in hist[:3] + hist[-3:]:
                receipt = rpc("eth_getTransactionReceipt", e["hash"])
                if receipt is None:
                    raise RuntimeError(f"receipt {e['hash']} missing after reload")
        finally:
            rpc.close()


if __name__ == "__main__":
    sys.exit(main())
