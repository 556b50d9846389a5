"""Building blocks shared by deploy.py and protocols.py: the JSON-RPC client, the signing
transaction builder, ABI call encoding and the chain's fixed parameters."""

from __future__ import annotations

import calendar
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"

CHAIN_ID = 7357
GENESIS_TIMESTAMP = 1704067200  # 2024-01-01T00:00:00Z
HEAD_TIMESTAMP = 1793491200  # 2026-11-01T00:00:00Z
PERMIT2_ADDRESS = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
# Anvil mines with coinbase 0x0 by default; a real chain never does (CoinbaseGatedDrainer relies on it).
BLOCK_COINBASE = to_checksum_address(keccak(b"txfirewall-fixture:block-coinbase")[-20:])
MAX_UINT256 = 2**256 - 1
MAX_UINT160 = 2**160 - 1
GWEI = 10**9
ETH = 10**18
USDX = 10**6
MAX_FEE = 30 * GWEI
PRIORITY_FEE = 1 * GWEI

ZERO = "0x0000000000000000000000000000000000000000"
TRANSFER_TOPIC = "0x" + keccak(b"Transfer(address,address,uint256)").hex()
APPROVAL_TOPIC = "0x" + keccak(b"Approval(address,address,uint256)").hex()
TRANSFER_SINGLE_TOPIC = "0x" + keccak(b"TransferSingle(address,address,address,uint256,uint256)").hex()
TRANSFER_BATCH_TOPIC = "0x" + keccak(b"TransferBatch(address,address,address,uint256[],uint256[])").hex()


def fixture_key(role: str) -> str:
    """Test-only private key of a role. Never use these keys anywhere else."""
    return "0x" + keccak(b"txfirewall-fixture:" + role.encode()).hex()


def ts(date: str) -> int:
    """'2024-01-02 10:00' (UTC) -> unix seconds."""
    return calendar.timegm(time.strptime(date, "%Y-%m-%d %H:%M"))


def selector(signature: str) -> bytes:
    return keccak(signature.encode())[:4]


def calldata(signature: str, *args: Any) -> bytes:
    """ABI-encode a call from its canonical signature, e.g. 'transfer(address,uint256)'."""
    inner = signature[signature.index("(") + 1 : signature.rindex(")")]
    types = _split_types(inner)
    return selector(signature) + (abi_encode(types, list(args)) if types else b"")


def _split_types(inner: str) -> list[str]:
    types, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            types.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        types.append(cur)
    return types


def hexq(n: int) -> str:
    return hex(n)


def load_artifact(name: str) -> dict:
    return json.loads((ARTIFACTS / f"{name}.json").read_text(encoding="utf-8"))


class RpcError(RuntimeError):
    pass


class Rpc:
    def __init__(self, url: str) -> None:
        self._client = httpx.Client(timeout=60.0)
        self._url = url
        self._id = 0

    def __call__(self, method: str, *params: Any) -> Any:
        self._id += 1
        resp = self._client.post(
            self._url, json={"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}
        )
        resp.raise_for_status()
        body = resp.json()
        if "error" in body:
            raise RpcError(f"{method}: {body['error']}")
        return body["result"]

    def close(self) -> None:
        self._client.close()


def wait_receipt(rpc: Rpc, tx_hash: str, timeout: float = 30.0) -> dict:
    """Automine answers eth_sendRawTransaction before the receipt is always queryable: poll."""
    deadline = time.monotonic() + timeout
    while True:
        receipt = rpc("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return receipt
        if time.monotonic() > deadline:
            raise RuntimeError(f"no receipt for {tx_hash} after {timeout:.0f}s")
        time.sleep(0.005)


@dataclass
class SentTx:
    hash: str
    sender: str
    method: str | None


@dataclass
class Builder:
    rpc: Rpc
    keys: dict[str, str]
    addr: dict[str, str]
    nonces: dict[str, int] = field(default_factory=dict)
    sent: list[SentTx] = field(default_factory=list)
    now: int = GENESIS_TIMESTAMP

    def at(self, when: int) -> None:
        """The next block gets timestamp ``when`` (strictly increasing)."""
        if when <= self.now:
            when = self.now + 1
        self.rpc("evm_setNextBlockTimestamp", hexq(when))
        self.now = when

    def tick(self, seconds: int = 15) -> None:
        self.at(self.now + seconds)

    def set_balance(self, role: str, wei: int) -> None:
        self.rpc("anvil_setBalance", self.addr[role], hexq(wei))

    def send(self, role: str, to: str | None, data: bytes = b"", value: int = 0, method: str | None = None) -> dict:
        """Sign with the role's fixture key, send raw, (automine) and return the receipt."""
        sender = self.addr[role]
        nonce = self.nonces.get(role)
        if nonce is None:
            nonce = int(self.rpc("eth_getTransactionCount", sender, "latest"), 16)
        call: dict[str, Any] = {"from": sender, "value": hexq(value), "data": "0x" + data.hex()}
        if to is not None:
            call["to"] = to
        gas = int(self.rpc("eth_estimateGas", call), 16)
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": CHAIN_ID,
            "nonce": nonce,
            "gas": gas * 6 // 5 + 10_000 if data or gas != 21_000 else 21_000,
            "maxFeePerGas": MAX_FEE,
            "maxPriorityFeePerGas": PRIORITY_FEE,
            "value": value,
            "data": data,
        }
        if to is not None:
            tx["to"] = to
        signed = Account.sign_transaction(tx, self.keys[role])
        tx_hash = self.rpc("eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
        receipt = wait_receipt(self.rpc, tx_hash)
        if receipt["status"] != "0x1":
            raise RuntimeError(f"transaction {method or 'send'} from {role} failed: {receipt}")
        self.nonces[role] = nonce + 1
        self.sent.append(SentTx(tx_hash, sender, method))
        self.tick()
        return receipt

    def deploy(self, role: str, artifact: str, ctor_types: list[str] | None = None, *args: Any) -> str:
        bytecode = bytes.fromhex(load_artifact(artifact)["bytecode"][2:])
        if ctor_types:
            bytecode += abi_encode(ctor_types, list(args))
        receipt = self.send(role, None, bytecode, method=None)
        return to_checksum_address(receipt["contractAddress"])

    def call(self, to: str, data: bytes, out_types: list[str], sender: str | None = None, value: int = 0) -> tuple:
        params: dict[str, Any] = {"to": to, "data": "0x" + data.hex()}
        if sender:
            params["from"] = sender
        if value:
            params["value"] = hexq(value)
        raw = self.rpc("eth_call", params, "latest")
        return tuple(abi_decode(out_types, bytes.fromhex(raw[2:])))
