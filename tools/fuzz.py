"""Run every fuzz target with a total input budget and write the report.

    python tools/fuzz.py --budget 1000000 --jobs 2 --out docs/fuzz_report.md

Two engines, each in its own worker process (``--jobs`` at a time):

* hypothesis: the tests in ``tests/fuzz/test_fuzz.py`` (structured strategies and byte-level
  mutation of real seeds), each run with its share of the budget as ``max_examples``;
* atheris (when installed): coverage-guided libFuzzer runs over raw bytes for the parsers where
  coverage feedback helps most (RLP transactions, typed data, the request envelope, the proxy's
  framing), started from the same seeds.

Every input is counted where it runs; a failure (an exception that is not the target's documented
typed error, or a broken round trip) is recorded with its input and fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HYPOTHESIS_WEIGHTS = {
    "offline_pipeline": 0.25,
    "edge_file": 0.5,
    "policy_file": 0.5,
    "typed_data_graphs": 0.5,
    "raw_transaction_roundtrip": 0.5,
}
"""Targets whose inputs cost several milliseconds get a smaller share (default weight 1)."""
ATHERIS_TARGETS = ("rlp", "typed_data", "request", "payload")
ATHERIS_SHARE = 0.5
"""Of the budget, the share atheris runs when it is installed (its inputs are 10-50x cheaper)."""


@dataclass
class Result:
    target: str
    engine: str
    requested: int
    inputs: int = 0
    seconds: float = 0.0
    failure: str | None = None
    notes: list[str] = field(default_factory=list)


# --- workers (run in a child process) --------------------------------------------------------------


def hypothesis_worker(name: str, examples: int, out: Path) -> None:
    os.environ["FUZZ_MAX_EXAMPLES"] = str(examples)
    os.environ["FUZZ_NO_DATABASE"] = "1"
    sys.path.insert(0, str(REPO))
    import tests.fuzz.conftest  # noqa: F401  (imports eth-account, keeps the recursion limit)
    from tests.fuzz import test_fuzz

    result = Result(name, "hypothesis", examples)
    started = time.perf_counter()
    try:
        test_fuzz.TESTS[name]()
    except BaseException as exc:  # noqa: BLE001 - any failure is the finding to report
        text = "".join(traceback.format_exception(exc))
        result.failure = text[-6000:]
    result.seconds = time.perf_counter() - started
    result.inputs = test_fuzz.COUNTS[f"test_{name}"]
    out.write_text(json.dumps(asdict(result)))


def atheris_worker(name: str, runs: int, out: Path) -> None:
    """libFuzzer, in a grandchild process: it exits the process when done (and on a crash)."""
    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-corpus-{name}-"))
    crashes = Path(tempfile.mkdtemp(prefix=f"fuzz-crashes-{name}-"))
    sys.path.insert(0, str(REPO))
    from tests.fuzz import atheris_targets

    for i, seed in enumerate(atheris_targets.seeds_for(name)):
        (corpus / f"seed-{i}").write_bytes(seed)
    cmd = [
        sys.executable,
        str(REPO / "tests" / "fuzz" / "atheris_targets.py"),
        name,
        f"-runs={runs}",
        "-max_len=8192",
        "-rss_limit_mb=4096",
        "-timeout=20",
        f"-artifact_prefix={crashes}/",
        "-print_final_stats=1",
        str(corpus),
    ]
    started = time.perf_counter()
    proc = subprocess.run(  # noqa: S603 - our own interpreter and script
        cmd, capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    seconds = time.perf_counter() - started
    result = Result(name, "atheris", runs, seconds=seconds)
    done = re.search(r"Done (\d+) runs", proc.stderr)
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
    result.inputs = int(done.group(1)) if done else int(execs.group(1)) if execs else 0
    cov = re.findall(r"cov: (\d+) ft: (\d+)", proc.stderr)
    if cov:
        result.notes.append(f"coverage at the end: {cov[-1][0]} edges, {cov[-1][1]} features")
    corpus_size = len(list(corpus.iterdir()))
    result.notes.append(f"corpus grew to {corpus_size} inputs")
    found = sorted(crashes.iterdir())
    if proc.returncode != 0 or found:
        tail = proc.stderr[-5000:]
        inputs = "; ".join(f"{p.name}: {p.read_bytes()[:300]!r}" for p in found[:3])
        result.failure = f"exit {proc.returncode}; {inputs}\n{tail}"
    out.write_text(json.dumps(asdict(result)))


# --- the driver ------------------------------------------------------------------------------------


def _atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def plan(budget: int, use_atheris: bool) -> list[tuple[str, str, int]]:
    sys.path.insert(0, str(REPO))
    source = (REPO / "tests" / "fuzz" / "test_fuzz.py").read_text()
    names = sorted(re.findall(r"^def test_(\w+)\(", source, re.MULTILINE))
    hyp_budget = budget if not use_atheris else int(budget * (1 - ATHERIS_SHARE))
    weights = {n: HYPOTHESIS_WEIGHTS.get(n, 1.0) for n in names}
    total = sum(weights.values())
    # Shares are rounded up, so a run is never short of its budget (a 1M budget once ran 999,987).
    jobs = [("hypothesis", n, max(1, math.ceil(hyp_budget * w / total))) for n, w in weights.items()]
    if use_atheris:
        each = max(1, math.ceil((budget - hyp_budget) / len(ATHERIS_TARGETS)))
        jobs += [("atheris", n, each) for n in ATHERIS_TARGETS]
    # the longest first, so two workers finish together
    return sorted(jobs, key=lambda j: -j[2] / (1 if j[0] == "hypothesis" else 20))


def run_job(engine: str, name: str, n: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), f"--{engine}-worker", name, str(n), str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)  # noqa: S603 - our own script
        if not out.exists():
            return Result(name, engine, n, failure=f"worker died (exit {proc.returncode}): {proc.stderr[-3000:]}")
        return Result(**json.loads(out.read_text()))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def _regressions() -> list[tuple[str, str]]:
    path = REPO / "tests" / "unit" / "test_fuzz_regressions.py"
    out = []
    for m in re.finditer(r"^def (test_\w+)\(.*?\n((?:    #.*\n)*)", path.read_text(), re.MULTILINE):
        comment = " ".join(line.strip().lstrip("# ") for line in m.group(2).splitlines())
        out.append((m.group(1), comment))
    return out


def write_report(path: Path, results: list[Result], budget: int, jobs: int, wall: float, atheris_note: str) -> None:
    total = sum(r.inputs for r in results)
    cpu = sum(r.seconds for r in results)
    lines = [
        "# Fuzz report",
        "",
        f"Written by `tools/fuzz.py` (`make fuzz BUDGET={budget}`), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {machine()}",
        f"- Budget: {budget:,} inputs; ran **{total:,} inputs** in {wall:,.0f} s wall ({cpu:,.0f} s in workers, {jobs} at a time)",
        f"- Failures: {sum(1 for r in results if r.failure)}",
        f"- atheris: {atheris_note}",
        "",
        "An input passes when the target parses it or raises its documented typed error (the",
        "`InvalidRequestError` family for requests, `InputFileError` for user files, the proxy's `RpcFailure`),",
        "and, where there is an encoder, re-encodes to the same bytes. See `tests/fuzz/targets.py`.",
        "",
        "| engine | target | inputs | seconds | inputs/s | result |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for r in sorted(results, key=lambda r: (r.engine, r.target)):
        rate = r.inputs / r.seconds if r.seconds else 0.0
        verdict = "FAILED" if r.failure else "ok"
        if r.inputs < r.requested and not r.failure:
            verdict += f" (search space exhausted below the {r.requested:,} asked)"
        note = f"; {'; '.join(r.notes)}" if r.notes else ""
        lines.append(f"| {r.engine} | {r.target} | {r.inputs:,} | {r.seconds:,.1f} | {rate:,.0f} | {verdict}{note} |")
    lines += ["", "## Failures in this run", ""]
    failed = [r for r in results if r.failure]
    if not failed:
        lines.append("None.")
    for r in failed:
        lines += [f"### {r.engine} {r.target}", "", "```", (r.failure or "").strip()[-3000:], "```", ""]
    lines += [
        "",
        "## Regression tests for what the fuzzers found",
        "",
        "Each crash found so far has a test with its exact input in `tests/unit/test_fuzz_regressions.py`:",
        "",
    ]
    lines += [f"- `{name}`: {comment or '(see the test)'}" for name, comment in _regressions()]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=20_000, help="inputs in total, over every target")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes at a time (default 1)")
    parser.add_argument("--out", type=Path, help="write the report here (Markdown)")
    parser.add_argument("--no-atheris", action="store_true", help="hypothesis only")
    parser.add_argument("--only", help="run only targets whose name contains this")
    parser.add_argument("--hypothesis-worker", nargs=3, metavar=("NAME", "N", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--atheris-worker", nargs=3, metavar=("NAME", "N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hypothesis_worker:
        name, n, out = args.hypothesis_worker
        hypothesis_worker(name, int(n), Path(out))
        return 0
    if args.atheris_worker:
        name, n, out = args.atheris_worker
        atheris_worker(name, int(n), Path(out))
        return 0
    use_atheris = not args.no_atheris and _atheris_available()
    atheris_note = (
        f"installed; coverage-guided runs on {', '.join(ATHERIS_TARGETS)} ({ATHERIS_SHARE:.0%} of the budget)"
        if use_atheris
        else ("not used (--no-atheris)" if args.no_atheris else "not installed: hypothesis only")
    )
    jobs = [j for j in plan(args.budget, use_atheris) if not args.only or args.only in j[1]]
    started = time.perf_counter()
    results: list[Result] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_job, *job): job for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            rate = r.inputs / r.seconds if r.seconds else 0.0
            status = "FAILED" if r.failure else "ok"
            print(
                f"{r.engine:10} {r.target:28} {r.inputs:>9,} inputs {r.seconds:8.1f} s {rate:8,.0f}/s {status}",
                flush=True,
            )
    wall = time.perf_counter() - started
    total = sum(r.inputs for r in results)
    print(f"total {total:,} inputs in {wall:,.1f} s; failures: {sum(1 for r in results if r.failure)}")
    for r in results:
        if r.failure:
            print(f"--- {r.engine} {r.target}\n{r.failure[-2500:]}")
    if args.out:
        write_report(args.out, results, args.budget, args.jobs, wall, atheris_note)
    return 1 if any(r.failure for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
