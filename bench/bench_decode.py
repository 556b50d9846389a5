"""Decode benchmark: parse + decode per request (plain transfer, nested Universal Router call,
Permit2 batch) and the selector database's load time and memory. Offline; no node."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eth_abi import encode  # noqa: E402
from eth_utils import keccak  # noqa: E402

from txfirewall.parse.request import parse_request  # noqa: E402
from txfirewall.signatures import decode_request  # noqa: E402

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
TOKEN = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"
SPENDER = "0xB38E7814ce3321bD42971365d0e72d5e3Db5a63B"
N = 500

_LOAD = """
import time, tracemalloc
from txfirewall.signatures import selector_db
t = time.perf_counter()
f = selector_db.functions(); e = selector_db.events()
dt = (time.perf_counter() - t) * 1000
selector_db.functions.cache_clear(); selector_db.events.cache_clear()
tracemalloc.start()
f = selector_db.functions(); e = selector_db.events()
cur, peak = tracemalloc.get_traced_memory()
print(dt, cur, peak, len(f), f.distinct_keys(), len(e))
"""


def _requests() -> dict[str, str]:
    transfer = keccak(text="transfer(address,uint256)")[:4] + encode(["address", "uint256"], [SPENDER, 10**6])
    permit = ((TOKEN, 2**160 - 1, 2**48 - 1, 0), SPENDER, 1798761600)
    inputs = [
        encode(["((address,uint160,uint48,uint48),address,uint256)", "bytes"], [permit, b"\x01" * 65]),
        encode(["address", "uint256", "uint256", "bytes", "bool"], [ALICE, 10, 1, b"\x00" * 43, True]),
        encode(["address", "address", "uint256"], [TOKEN, ALICE, 0]),
    ]
    router = keccak(text="execute(bytes,bytes[],uint256)")[:4] + encode(
        ["bytes", "bytes[]", "uint256"], [bytes([0x0A, 0x00, 0x04]), inputs, 1798761600]
    )
    details = [
        {"name": n, "type": t}
        for n, t in (("token", "address"), ("amount", "uint160"), ("expiration", "uint48"), ("nonce", "uint48"))
    ]
    batch = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "PermitBatch": [
                {"name": "details", "type": "PermitDetails[]"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": details,
        },
        "primaryType": "PermitBatch",
        "domain": {"name": "Permit2", "chainId": 1, "verifyingContract": "0x000000000022D473030F116dDEE9F6B43aC78BA3"},
        "message": {
            "details": [{"token": TOKEN, "amount": str(2**160 - 1), "expiration": "1798761600", "nonce": "0"}] * 3,
            "spender": SPENDER,
            "sigDeadline": "1798761600",
        },
    }

    def tx(data: bytes) -> str:
        return json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_sendTransaction",
                "params": [{"from": ALICE, "to": TOKEN, "data": "0x" + data.hex()}],
            }
        )

    return {
        "plain ERC-20 transfer": tx(transfer),
        "Universal Router: Permit2 permit + V3 swap + sweep": tx(router),
        "Permit2 PermitBatch (3 tokens), eth_signTypedData_v4": json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, json.dumps(batch)]}
        ),
    }


def run() -> list[str]:
    lines = [
        "## Parse and decode (offline)",
        "",
        f"Each request parsed and decoded {N} times after a warm-up (selector database already loaded).",
        "",
        "| request | median (ms) | p95 (ms) |",
        "|---|---|---|",
    ]
    for label, text in _requests().items():
        for _ in range(20):
            decode_request(parse_request(text))
        times = []
        for _ in range(N):
            start = time.perf_counter()
            decode_request(parse_request(text))
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        lines.append(f"| {label} | {statistics.median(times):.3f} | {times[int(0.95 * (N - 1))]:.3f} |")
    out = subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, text=True, check=True, cwd=REPO)
    load_ms, current, peak, pairs, selectors, events = out.stdout.split()
    size = sum(p.stat().st_size for p in (REPO / "signatures" / "data").glob("*.bin"))
    lines += [
        "",
        "| selector database | value |",
        "|---|---|",
        f"| function signatures / distinct selectors | {int(pairs):,} / {int(selectors):,} |",
        f"| event signatures | {int(events):,} |",
        f"| files on disk (zlib) | {size / 1e6:.2f} MB |",
        f"| first-use load time (cold process) | {float(load_ms):.1f} ms |",
        f"| memory held after load / peak during load | {int(current) / 1e6:.1f} MB / {int(peak) / 1e6:.1f} MB |",
        "",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
