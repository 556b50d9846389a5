"""Bytecode scan benchmark: throughput of the Numba kernel on real-size code (the fixture chain's
deployed contracts, and a 24 KB code made of real code repeated). *Cold*: the first scans in a fresh
process, the compiled kernel loaded from Numba's on-disk cache (compile excluded; the compile is
timed apart, with an empty cache). *Warm*: later scans in the same process. Also a repeat answered
by the per-Firewall cache by code hash, and the kernel's pure-Python original for scale.
Offline; no node."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.enrich.bytecode import BytecodeScanner, scan_code  # noqa: E402
from txfirewall.model.hashing import keccak256  # noqa: E402

MAX_CODE = 24_576
"""EIP-170's limit on deployed code."""

_COLD = """
import json, sys, time
t = time.perf_counter()
from txfirewall.enrich import bytecode_kernel  # Numba and NumPy imported; nothing compiled yet
imported = time.perf_counter() - t
from txfirewall.enrich.bytecode import scan_code
codes = [bytes.fromhex(h) for h in json.loads(sys.stdin.read())]
t = time.perf_counter()
for code in codes:
    scan_code(code)
print(imported * 1000, time.perf_counter() - t)
"""


def _fixture_codes() -> list[bytes]:
    state = json.loads((REPO / "anvil_fixtures" / "state.json").read_text())
    codes = {bytes.fromhex(a["code"][2:]) for a in state["accounts"].values() if len(a.get("code") or "0x") > 2}
    return sorted(codes, key=len)


def _synthetic(codes: list[bytes]) -> bytes:
    """Real code (the largest fixture contract) repeated up to 24 KB: dense, realistic opcodes."""
    base = codes[-1]
    return (base * (MAX_CODE // len(base) + 1))[:MAX_CODE]


def _cold(codes: list[bytes], *, cache: bool = True) -> tuple[float, float]:
    """(ms to import the kernel module, seconds of the first scans) in a fresh process; with
    ``cache=False`` Numba's cache is an empty folder, so the first scan compiles the kernel."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        if not cache:
            env["NUMBA_CACHE_DIR"] = tmp
        out = subprocess.run(
            [sys.executable, "-c", _COLD],
            input=json.dumps([c.hex() for c in codes]),
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
    imported, scanned = out.stdout.split()
    return float(imported), float(scanned)


def _warm_mbps(codes: list[bytes], rounds: int) -> tuple[float, float]:
    """Median MB/s of scanning every code (a new scanner each round, so each is walked), and the
    median ms per code."""
    total = sum(len(c) for c in codes)
    rates, per_code = [], []
    for _ in range(rounds):
        scanner = BytecodeScanner()
        items = [("0x" + keccak256(c).hex(), c) for c in codes]
        start = time.perf_counter()
        scanner.scan_many(items)
        took = time.perf_counter() - start
        rates.append(total / took / 1e6)
        per_code.append(took * 1000 / len(codes))
    return statistics.median(rates), statistics.median(per_code)


def _repeat_mbps(codes: list[bytes], rounds: int) -> float:
    """MB/s "scanned" when the per-Firewall cache already knows the code hash."""
    scanner = BytecodeScanner()
    items = [("0x" + keccak256(c).hex(), c) for c in codes]
    for features in scanner.scan_many(items):
        scanner.remember(features)
    total = sum(len(c) for c in codes)
    start = time.perf_counter()
    for _ in range(rounds):
        for code_hash, _code in items:
            assert scanner.cached(code_hash) is not None
    return total * rounds / (time.perf_counter() - start) / 1e6


def _python_mbps(code: bytes) -> float:
    start = time.perf_counter()
    scan_code(code, pure_python=True)
    return len(code) / (time.perf_counter() - start) / 1e6


def run() -> list[str]:
    codes = _fixture_codes()
    synthetic = _synthetic(codes)
    scan_code(synthetic)  # make sure Numba's on-disk cache holds the compiled kernel
    rows = [
        (f"fixture chain, {len(codes)} deployed contracts", codes),
        ("synthetic 24 KB (real code repeated), x8", [synthetic] * 8),
    ]
    lines = [
        "## Bytecode scan (offline)",
        "",
        "MB/s of runtime code scanned. Cold: the first scans in a fresh process, the compiled",
        "kernel loaded from Numba's on-disk cache on the first call (most of the cold time;",
        "compile excluded, timed apart below). Warm:",
        "scans later in the same process (median of 30). Repeat: the per-Firewall cache answers",
        "by code hash, no walk.",
        "",
        "| code | bytes | cold ms (all codes) | cold MB/s | warm MB/s | warm ms per code | repeat MB/s |",
        "|---|---|---|---|---|---|---|",
    ]
    imports = []
    for label, items in rows:
        total = sum(len(c) for c in items)
        imported, first = _cold(items)
        imports.append(imported)
        warm, per_code = _warm_mbps(items, 30)
        repeat = _repeat_mbps(items, 200)
        lines.append(
            f"| {label} | {total:,} | {first * 1000:.0f} | {total / first / 1e6:.1f} | {warm:.1f} | {per_code:.3f} "
            f"| {repeat:,.0f} |"
        )
    _, compiled = _cold([synthetic], cache=False)
    lines += [
        "",
        f"Importing the kernel module (Numba, NumPy) in a fresh process: {statistics.median(imports):.0f} ms; "
        f"the first scan with an empty Numba cache (compiling the kernel): {compiled * 1000:.0f} ms, once per "
        "install. `import txfirewall` loads neither; a Firewall with a node warms the kernel in a worker "
        f"thread. The pure-Python original of the kernel (what the tests compare against): "
        f"{_python_mbps(synthetic):.2f} MB/s.",
        "",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
