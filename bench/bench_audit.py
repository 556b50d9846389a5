"""The proxy's audit log: appends a second, with and without ``fdatasync``, from 1 and 8 threads,
and ``verify_audit`` over the result.

Goal: appends must never be what limits the proxy. The API bench (docs/benchmarks.md) analyses
about 360 requests/s with 1 caller and 860/s with 8; one audit entry is written per analysis.
The log is written in a temporary directory (``$TMPDIR``): the fsync numbers are that disk's.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.proxy.audit import AuditLog, verify_audit  # noqa: E402

SECONDS = 1.5
RECORD: dict[str, Any] = {
    "id": 42,
    "method": "eth_sendTransaction",
    "origin": "https://app.uniswap.org",
    "from": "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4",
    "to": "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769",
    "value": "0",
    "data_selector": "0x095ea7b3",
    "verdict": "block",
    "score": 95,
    "findings": [
        {
            "rule": "unlimited-approval-to-eoa",
            "severity": "critical",
            "title": "Unlimited approval to an account without code",
            "message": "Approve 0x16a0…39EB to spend UNLIMITED USDX: the spender is not a contract",
        },
        {"rule": "new-counterparty", "severity": "medium", "title": "First interaction with this address"},
        {"rule": "lookalike-token-symbol", "severity": "high", "title": "Token symbol USDX looks like USDC"},
    ],
    "choice": "rejected",
    "timings_ms": {"parse": 0.1, "decode": 0.2, "simulate": 1.4, "enrich": 2.1, "total": 4.9},
}


def _rate(tmp: Path, durable: bool, threads: int, max_bytes: int) -> tuple[float, int, Path]:
    path = tmp / f"audit-{durable}-{threads}-{max_bytes}.jsonl"
    counts = [0] * threads
    with AuditLog(path, durable=durable, max_bytes=max_bytes, keep=1000) as log:
        for _ in range(20):
            log.append(RECORD)
        stop = time.perf_counter() + SECONDS

        def work(i: int) -> None:
            n = 0
            while time.perf_counter() < stop:
                log.append(RECORD)
                n += 1
            counts[i] = n

        start = time.perf_counter()
        pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - start
    return sum(counts) / elapsed, sum(counts), path


def run() -> list[str]:
    line_bytes = None
    rows = []
    verify_row = ""
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        for label, durable, threads, max_bytes in [
            ("no fsync", False, 1, 64 * 1024 * 1024),
            ("no fsync, rotating every 1 MiB", False, 1, 1024 * 1024),
            ("fdatasync each append", True, 1, 64 * 1024 * 1024),
            ("fdatasync, 8 threads (group commit)", True, 8, 64 * 1024 * 1024),
        ]:
            rate, n, path = _rate(Path(tmp), durable, threads, max_bytes)
            if line_bytes is None:
                line_bytes = len(path.read_bytes().splitlines()[-1]) + 1
            rows.append(f"| {label} | {threads} | {n:,} | {rate:,.0f} | {1000 / rate * threads:.3f} |")
            if label == "no fsync":
                start = time.perf_counter()
                report = verify_audit(path)
                took = time.perf_counter() - start
                assert report.ok, report.problems
                verify_row = (
                    f"`verify_audit` over those {report.entries:,} entries ({path.stat().st_size / 1e6:.1f} MB): "
                    f"{took:.2f} s, {report.entries / took:,.0f} entries/s."
                )
    return [
        "## Audit log (`txfirewall.proxy.audit`)",
        "",
        f"Appends of a {line_bytes:,}-byte entry (a blocked approval with three findings) for {SECONDS} s each. "
        "Goal: faster than the proxy analyses (about 360 requests/s with 1 caller, 860/s with 8).",
        "",
        "| mode | threads | appends | appends/s | ms per append per thread |",
        "|---|---|---|---|---|",
        *rows,
        "",
        verify_row,
    ]


if __name__ == "__main__":
    print("\n".join(run()))
