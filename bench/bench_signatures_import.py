"""Signature import and lookup: ``txfirewall signatures import`` on generated dumps of real
signatures (``f<i>(uint256,address)`` with their true selectors), and selector lookups before and
after the user database joined the shipped one. Offline; no node.

Goal (the issue): import >= 200,000 rows/s for a CSV of a few million rows, the Keccak check kept
for every row; lookups of shipped selectors no slower than before.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.model.hashing import selector_of  # noqa: E402
from txfirewall.signatures import selector_db, user_db  # noqa: E402
from txfirewall.signatures.selector_db import SignatureTable  # noqa: E402
from txfirewall.signatures.selector_import import ImportSummary, import_dump  # noqa: E402
from txfirewall.signatures.selector_kernel import selectors_of  # noqa: E402

ROWS = 1_000_000
BIG = 3_000_000
LOOKUPS = 100_000
GOAL = 200_000


def write_dump(path: Path, start: int, count: int) -> None:
    """A 4byte.directory-style CSV of ``count`` real signatures; selectors spot-checked with eth_hash."""
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,text_signature,hex_signature\n")
        for base in range(start, start + count, 200_000):
            texts = [f"f{i}(uint256,address)" for i in range(base, min(start + count, base + 200_000))]
            hashes = selectors_of(texts).tolist()
            assert hashes[0] == int.from_bytes(selector_of(texts[0]), "big")
            out.writelines(f'{i},"{t}",0x{h:08x}\n' for i, (t, h) in enumerate(zip(texts, hashes, strict=True), base))


def lookup_before(table: SignatureTable, key: bytes) -> tuple[str, ...]:
    """The shipped lookup as it was before this change: bisect through the ``_Keys`` view."""
    lo = bisect_left(table.keys, key)
    hi = bisect_right(table.keys, key, lo)
    return tuple(table.text[table.offsets[i] : table.offsets[i + 1]].decode() for i in range(lo, hi))


def per_call_us(fn: Callable[[bytes], object], keys: list[bytes], rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean time of one call, over LOOKUPS calls."""
    reps = max(1, LOOKUPS // len(keys))
    for key in keys:
        fn(key)
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(reps):
            for key in keys:
                fn(key)
        results.append((time.perf_counter() - start) / (reps * len(keys)) * 1e6)
    return statistics.median(results)


def _import_row(label: str, source: Path, summary: ImportSummary) -> str:
    return (
        f"| {label} | {source.stat().st_size / 1e6:.0f} MB | {summary.seconds:.2f} | "
        f"{summary.rows_per_second:,.0f} | {summary.added:,} |"
    )


def keccak_rows() -> list[str]:
    texts = [f"f{i}(uint256,address)" for i in range(200_000)]
    selectors_of(texts[:1])  # load (or compile) the kernel first
    start = time.perf_counter()
    selectors_of(texts)
    kernel = (time.perf_counter() - start) / len(texts) * 1e6
    start = time.perf_counter()
    for text in texts:
        selector_of(text)
    eth_hash = (time.perf_counter() - start) / len(texts) * 1e6
    return [
        f"| keccak per signature, eth_hash one call each (before) | {eth_hash:.2f} µs |",
        f"| keccak per signature, Numba kernel on a batch (now) | {kernel:.2f} µs |",
    ]


def run() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="txfirewall-bench-") as tmp:
        work = Path(tmp)
        first, second, db = work / "a.csv", work / "b.csv", work / "signatures.db"
        write_dump(first, 0, ROWS)
        write_dump(second, ROWS, ROWS)
        selectors_of(["warm()"])
        imports = []
        for label, source in (
            (f"{ROWS:,} rows into a new database", first),
            (f"{ROWS:,} more rows into it ({ROWS:,} already there)", second),
            (f"the first {ROWS:,} again (all already present)", first),
        ):
            summary = import_dump(source, db)
            imports.append(_import_row(label, source, summary))
        big = work / "big.csv"
        write_dump(big, 10 * ROWS, BIG)
        summary = import_dump(big, work / "big.db")
        imports.append(_import_row(f"{BIG:,} rows into a new database", big, summary))

        table = selector_db.functions()
        shipped = [table.keys[i] for i in range(0, len(table), max(1, len(table) // 1000))][:1000]
        mine = [h.to_bytes(4, "big") for h in selectors_of([f"f{i}(uint256,address)" for i in range(1000)]).tolist()]
        saved = os.environ.get(user_db.ENV_VAR)
        try:
            os.environ[user_db.ENV_VAR] = str(work / "absent.db")
            user_db.reset_user_db()
            before = per_call_us(lambda key: lookup_before(table, key), shipped)
            no_user = per_call_us(selector_db.function_signatures, shipped)
            os.environ[user_db.ENV_VAR] = str(db)
            user_db.reset_user_db()
            with_user = per_call_us(selector_db.function_signatures, shipped)
            user_only = per_call_us(selector_db.function_signatures, mine)
            assert selector_db.function_signatures(mine[0]) == ("f0(uint256,address)",)
        finally:
            user_db.reset_user_db()
            if saved is None:
                os.environ.pop(user_db.ENV_VAR, None)
            else:
                os.environ[user_db.ENV_VAR] = saved
        pairs = 2 * ROWS
    return [
        "## Signature import and lookup (offline)",
        "",
        "`txfirewall signatures import` of generated 4byte-style CSVs of real signatures",
        "(`f<i>(uint256,address)` with their true selectors): every row's selector and canonical",
        f"signature checked, and its Keccak-256 computed and compared. Goal: >= {GOAL:,} rows/s.",
        "",
        "| import | file | seconds | rows/s | added |",
        "|---|---|---|---|---|",
        *imports,
        "",
        "| the Keccak check | per row |",
        "|---|---|",
        *keccak_rows(),
        "",
        f"Lookups: mean per call over {LOOKUPS:,} calls (1,000 selectors), median of 5 rounds; the user",
        f"database holds {pairs:,} signatures.",
        "",
        "| lookup | µs |",
        "|---|---|",
        f"| shipped selector, before (shipped table only, bisect through `_Keys`) | {before:.2f} |",
        f"| shipped selector, now, no user database (bisect on integer keys) | {no_user:.2f} |",
        f"| shipped selector, now, with the user database (+ one SQLite point query) | {with_user:.2f} |",
        f"| selector only the user database knows | {user_only:.2f} |",
        "",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
