"""``txfirewall scan`` throughput offline: the 5,561 real mainnet transactions of the test data,
four times over (22,244 requests), through the console script, 1 and 2 worker processes.

Goal (issue 9): >= 5,000 requests a second without simulation on 2 cores. The rate excludes the
process start (measured on a one-line file in the same run), which a long file amortises.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "txfirewall"
DATA = REPO / "tests" / "data" / "real_mainnet_dev" / "benign_2020_2022.jsonl.gz"


def _wall(path: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(CLI), "scan", str(path), "--no-simulate", "--chain-id", "1", *extra], capture_output=True, check=False
    )
    return time.perf_counter() - start


def run() -> list[str]:
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        requests = [json.dumps(json.loads(line)["request"]) for line in f]
    with tempfile.TemporaryDirectory() as tmp:
        big, one = Path(tmp) / "big.jsonl", Path(tmp) / "one.jsonl"
        big.write_text("\n".join(requests * 4) + "\n")
        one.write_text(requests[0] + "\n")
        n = len(requests) * 4
        rows = []
        for workers in (1, 2):
            start_cost = min(_wall(one, "--workers", str(workers)) for _ in range(3))
            total = min(_wall(big, "--workers", str(workers)) for _ in range(3))
            rows.append(
                f"| {workers} | {n:,} | {total:.2f} | {start_cost:.2f} | {n / total:,.0f} | {n / max(total - start_cost, 1e-9):,.0f} |"
            )
    return [
        "## Batch screening (`txfirewall scan --no-simulate`)",
        "",
        "Real mainnet requests (the test data, x4), whole process; best of 3. Goal: >= 5,000 requests/s on 2 cores.",
        "",
        "| workers | requests | wall s | start s | req/s (wall) | req/s (after start) |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


if __name__ == "__main__":
    print("\n".join(run()))
