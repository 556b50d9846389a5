"""CLI start: whole-process wall time of the installed console script (median of 10 runs).

Goals (the house issue): ``--help`` <= 150 ms, ``check --no-simulate`` of a plain transfer
<= 300 ms, ``check`` with a fresh fork of the fixture chain <= 600 ms. Python's own start-up is
shown beside them, measured in the same run, as the floor no import change can go below.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions  # noqa: E402

CLI = Path(sys.executable).parent / "txfirewall"
TRANSFER = REPO / "anvil_fixtures" / "requests" / "a_eth_to_bob.json"
RUNS = 10

BEFORE = {"python -c pass": "-", "--help": 330, "check --no-simulate": 363, "check (fresh fork)": 520}
"""Medians measured on this machine before the house issue (2026-12-01), same method."""
GOALS = {"python -c pass": "-", "--help": 150, "check --no-simulate": 300, "check (fresh fork)": 600}


def _median_ms(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False, cwd=REPO)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _compile_bytecode() -> None:
    """Write the .pyc files an installed wheel has (pip compiles at install); without them every
    start compiles the modules it imports (this machine sets PYTHONDONTWRITEBYTECODE)."""
    for folder in ("txfirewall", "signatures", "heuristics", "tui"):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / folder)], check=False)


def run() -> list[str]:
    manifest_chain = 7357
    _compile_bytecode()
    with AnvilNode.start(
        AnvilOptions(load_state=REPO / "anvil_fixtures" / "state.json", chain_id=manifest_chain)
    ) as node:
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "--help": [str(CLI), "--help"],
            "check --no-simulate": [str(CLI), "check", str(TRANSFER), "--no-simulate"],
            "check (fresh fork)": [str(CLI), "check", str(TRANSFER), "--rpc", node.url],
        }
        rows = []
        for label, argv in cases.items():
            now = _median_ms(argv)
            before = BEFORE[label]
            goal = GOALS[label]
            rows.append(f"| `{label}` | {before} | {now:.0f} | {goal} |")
    return [
        "## CLI start (whole process, ms, median of 10)",
        "",
        "The console script run as a user runs it; imports are lazy per command and per stage.",
        "'before' is the same measurement before the stage layout and lazy imports (2026-12-01).",
        "",
        "| command | before | now | goal |",
        "|---|---|---|---|",
        *rows,
    ]


if __name__ == "__main__":
    print("\n".join(run()))
