"""Valid inputs to start mutations from: the fixture chain's requests, the ERC-7730 registry's test
vectors (typed data and unsigned raw transactions) and real mainnet transactions (requests and
their calldata). Loaded once, deterministically ordered."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
REQUESTS = REPO / "anvil_fixtures" / "requests"
ERC7730 = REPO / "tests" / "data" / "erc7730"
MAINNET = REPO / "tests" / "data" / "real_mainnet_dev" / "benign_2020_2022.jsonl.gz"
HISTORY = REPO / "anvil_fixtures" / "history.jsonl"
SIGNER = "0x0000000000000000000000000000000000000001"
MAINNET_SAMPLE = 400
"""Every n-th mainnet transaction is a seed (the file holds about 5,500)."""


@cache
def fixture_requests() -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in sorted(REQUESTS.glob("*.json")) if p.name != "index.json")


@cache
def _vectors() -> tuple[dict[str, Any], ...]:
    out = []
    for path in sorted(ERC7730.rglob("*.tests.json")):
        out.extend(json.loads(path.read_text())["tests"])
    return tuple(out)


@cache
def typed_data_documents() -> tuple[dict[str, Any], ...]:
    """EIP-712 documents from the ERC-7730 vectors and the fixture requests."""
    docs = [t["data"] for t in _vectors() if isinstance(t.get("data"), dict) and "types" in t["data"]]
    for raw in fixture_requests():
        req = json.loads(raw)
        if str(req.get("method", "")).startswith("eth_signTypedData"):
            doc = req["params"][1]
            docs.append(json.loads(doc) if isinstance(doc, str) else doc)
    return tuple(docs)


@cache
def unsigned_raw_transactions() -> tuple[bytes, ...]:
    """The registry's raw transactions (unsigned, as a device is handed them)."""
    return tuple(bytes.fromhex(t["rawTx"].removeprefix("0x")) for t in _vectors() if isinstance(t.get("rawTx"), str))


@cache
def mainnet_requests() -> tuple[bytes, ...]:
    with gzip.open(MAINNET, "rt") as f:
        lines = [line for i, line in enumerate(f) if i % (5600 // MAINNET_SAMPLE) == 0]
    return tuple(json.dumps(json.loads(line)["request"]).encode() for line in lines)


@cache
def calldata() -> tuple[bytes, ...]:
    """Calldata of the mainnet transactions and fixture requests (non-empty only)."""
    out = []
    for raw in (*fixture_requests(), *mainnet_requests()):
        req = json.loads(raw)
        params = req.get("params") or [{}]
        tx = params[0] if isinstance(params[0], dict) else {}
        data = tx.get("data") or tx.get("input")
        if isinstance(data, str) and len(data) > 10:
            out.append(bytes.fromhex(data[2:]))
    return tuple(out)


@cache
def all_requests() -> tuple[bytes, ...]:
    """Every request seed as JSON text: fixtures, mainnet, typed data from the vectors."""
    typed = tuple(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [SIGNER, doc]}).encode()
        for doc in typed_data_documents()
    )
    return fixture_requests() + mainnet_requests() + typed


@cache
def history_lines() -> tuple[str, ...]:
    return tuple(line for line in HISTORY.read_text().splitlines() if line.strip())
