"""Scan a block range of any JSON-RPC node into transfer edges (JSON lines), resumably.

Per chunk of blocks: one ``eth_getLogs`` for ERC-20/721 ``Transfer`` and ERC-1155
``TransferSingle`` / ``TransferBatch``, and the blocks with their transactions (native value,
contract creations via the receipt). Zero-value token transfers are skipped: anyone can emit them
from anyone (address poisoning), so they are no evidence of a money trail. A signed transaction of
zero value is kept: its sender did act. After each chunk the output is flushed and a checkpoint
``<out>.progress.json`` records the next block and the file size, so an interrupted scan resumes
without duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.errors import RpcCallError, UpstreamError

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TRANSFER_SINGLE = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
TRANSFER_BATCH = "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb"

Progress = Callable[[int, int, int], None]
"""(blocks done, blocks total, edges so far)"""


def _topic_address(topic: str) -> str:
    return "0x" + topic[-40:]


def _words(data: str) -> list[int]:
    raw = data[2:]
    return [int(raw[i : i + 64], 16) for i in range(0, len(raw), 64)]


def log_edges(log: dict[str, Any]) -> list[dict[str, Any]]:
    topics = log.get("topics") or []
    token = log.get("address")
    base = {"token": token, "tx_hash": log.get("transactionHash")}
    if not topics:
        return []
    if topics[0] == TRANSFER and len(topics) == 3:
        words = _words(log.get("data", "0x"))
        value = words[0] if words else 0
        edge = {"from": _topic_address(topics[1]), "to": _topic_address(topics[2]), "value": str(value)}
    elif topics[0] == TRANSFER and len(topics) == 4:
        edge = {"from": _topic_address(topics[1]), "to": _topic_address(topics[2]), "value": "1"}
    elif topics[0] == TRANSFER_SINGLE and len(topics) == 4:
        words = _words(log.get("data", "0x"))
        edge = {
            "from": _topic_address(topics[2]),
            "to": _topic_address(topics[3]),
            "value": str(words[1] if len(words) > 1 else 0),
        }
    elif topics[0] == TRANSFER_BATCH and len(topics) == 4:
        words = _words(log.get("data", "0x"))
        # (uint256[] ids, uint256[] values): two offsets, then length-prefixed arrays
        try:
            vals_at = words[1] // 32
            count = words[vals_at]
            value = sum(words[vals_at + 1 : vals_at + 1 + count])
        except IndexError:
            value = 0
        edge = {"from": _topic_address(topics[2]), "to": _topic_address(topics[3]), "value": str(value)}
    else:
        return []
    return [] if edge["value"] == "0" else [{**edge, **base}]


async def _chunk(client: RpcClient, start: int, end: int) -> list[dict[str, Any]]:
    logs = await client.call(
        "eth_getLogs",
        [{"fromBlock": hex(start), "toBlock": hex(end), "topics": [[TRANSFER, TRANSFER_SINGLE, TRANSFER_BATCH]]}],
    )
    blocks = await client.batch([("eth_getBlockByNumber", [hex(b), True]) for b in range(start, end + 1)])
    edges: list[dict[str, Any]] = []
    creations: list[tuple[dict[str, Any], int]] = []
    stamps: dict[str, int] = {}
    for block in blocks:
        if isinstance(block, RpcCallError) or block is None:
            raise UpstreamError(f"cannot read a block in {start}..{end}: {block}")
        stamp = int(block["timestamp"], 16)
        stamps[block["hash"]] = stamp
        for tx in block.get("transactions", []):
            if tx.get("to") is None:
                creations.append((tx, stamp))
                continue
            edges.append(
                {
                    "from": tx["from"],
                    "to": tx["to"],
                    "value": str(int(tx.get("value", "0x0"), 16)),
                    "timestamp": stamp,
                    "tx_hash": tx["hash"],
                }
            )
    if creations:
        receipts = await client.batch([("eth_getTransactionReceipt", [tx["hash"]]) for tx, _ in creations])
        for (tx, stamp), receipt in zip(creations, receipts, strict=True):
            if isinstance(receipt, dict) and receipt.get("contractAddress"):
                edges.append(
                    {
                        "from": tx["from"],
                        "to": receipt["contractAddress"],
                        "value": str(int(tx.get("value", "0x0"), 16)),
                        "timestamp": stamp,
                        "tx_hash": tx["hash"],
                        "kind": "create",
                    }
                )
    for log in logs:
        for edge in log_edges(log):
            edge["timestamp"] = stamps.get(log.get("blockHash", ""), -1)
            edges.append(edge)
    return edges


def _resume_point(checkpoint: Path, out: Path, first: int, last: int) -> tuple[int, int]:
    """Where an interrupted scan of the same range stopped: (next block, bytes of ``out`` to keep)."""
    if checkpoint.exists() and out.exists():
        state = json.loads(checkpoint.read_text())
        if state.get("first") == first and state.get("last") == last:
            return int(state["next"]), int(state["bytes"])
    return first, 0


async def scan_blocks(
    client: RpcClient, first: int, last: int, out: Path, *, chunk: int = 100, progress: Progress | None = None
) -> int:
    """Append the edges of blocks ``first..last`` to ``out``; returns the edges written this run."""
    checkpoint = out.with_name(out.name + ".progress.json")
    start, size = _resume_point(checkpoint, out, first, last)
    written = 0
    with out.open("r+b" if start > first else "wb") as f:  # resuming implies the file exists
        f.truncate(size)
        f.seek(size)
        while start <= last:
            end = min(last, start + chunk - 1)
            edges = await _chunk(client, start, end)
            f.write("".join(json.dumps(e) + "\n" for e in edges).encode())
            f.flush()
            written += len(edges)
            start = end + 1
            checkpoint.write_text(json.dumps({"first": first, "last": last, "next": start, "bytes": f.tell()}))
            if progress is not None:
                progress(start - first, last - first + 1, written)
    return written
