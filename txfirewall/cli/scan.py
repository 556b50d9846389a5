"""``txfirewall scan FILE.jsonl``: screen many requests, one JSON verdict a line, in input order.

Offline (``--no-simulate``) the work is pure CPU: big files are split into chunks analysed by
worker processes (one Firewall each), so both cores work; small files stay in this process (a
worker costs half a second to start). With simulation, one Firewall and its pinned fork serve
``--concurrency`` requests at a time. Each output line is the verdict JSON plus ``line`` (1-based,
in the input file) and the request's ``id``; a line that is not a request gets a block verdict
(``invalid-request``), like any malformed signing request. Exit code: the worst verdict (0, 10, 20).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from txfirewall.cli.exit_codes import EXIT_ENVIRONMENT, EXIT_USAGE
from txfirewall.errors import EnvironmentFailure, InputFileError
from txfirewall.model.text import terminal_safe, terminal_safe_json

CHUNK = 500
"""Lines per unit of work sent to a worker process."""
PARALLEL_FROM = 4_000
"""Below this many lines, worker processes cost more to start than they save."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = sub.add_parser("scan", help="screen a file of requests (JSON lines), one JSON verdict a line")
    scan.add_argument("file", type=Path, help="one JSON-RPC request a line (or - for stdin)")
    scan.add_argument("--rpc", default=os.environ.get("TXFIREWALL_RPC"), help="chain RPC for simulation")
    scan.add_argument("--no-simulate", action="store_true", help="decode and check without simulating")
    scan.add_argument("--chain-id", type=int, help="the chain the requests are for")
    scan.add_argument("--history", type=Path, help="your past transactions, JSON lines")
    scan.add_argument("--policy", type=Path, help="policy TOML (default: as for check)")
    scan.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for offline scans")
    scan.add_argument("--concurrency", type=int, default=8, help="requests in flight with simulation")
    scan.add_argument("--out", type=Path, help="write verdicts here instead of stdout")


def _lines(source: Path) -> list[tuple[int, str]]:
    try:
        text = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {source}: {exc}") from exc
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _config_args(args: argparse.Namespace) -> dict[str, Any]:
    """What each worker needs to build the same Firewall (plain data: it crosses processes)."""
    return {
        "rpc": args.rpc,
        "simulate": not args.no_simulate,
        "chain_id": args.chain_id,
        "history": str(args.history) if args.history else None,
        "policy": str(args.policy) if args.policy else None,
    }


def _firewall_config(spec: dict[str, Any]) -> Any:
    from txfirewall.decide.policy import Policy, default_policy_path, load_policy
    from txfirewall.firewall import FirewallConfig
    from txfirewall.intel.store import IntelStore

    history = None
    if spec["history"]:
        from txfirewall.enrich.history_file import load_history

        history = load_history(Path(spec["history"]))
    policy_path = Path(spec["policy"]) if spec["policy"] else default_policy_path()
    return FirewallConfig(
        rpc_url=spec["rpc"],
        chain_id=spec["chain_id"],
        simulate=spec["simulate"],
        history=history,
        policy=load_policy(policy_path) if policy_path else Policy(),
        intel=IntelStore(None, shipped=True),
        warm_up=False,
    )


def _record(line: int, text: str, verdict: Any) -> str:
    try:
        req_id = json.loads(text).get("id")
    except (ValueError, AttributeError):
        req_id = None
    return json.dumps({"line": line, "id": req_id, **verdict.to_json()}, ensure_ascii=False)


_WORKER: Any = None


def _worker_init(spec: dict[str, Any]) -> None:
    import asyncio

    from txfirewall.firewall import Firewall

    global _WORKER
    loop = asyncio.new_event_loop()
    firewall = Firewall(_firewall_config(spec))
    loop.run_until_complete(firewall.start())
    _WORKER = (loop, firewall)


def _worker_chunk(chunk: list[tuple[int, str]]) -> list[tuple[str, str]]:
    loop, firewall = _WORKER

    async def run() -> list[tuple[str, str]]:
        out = []
        for n, text in chunk:
            verdict = await firewall.analyze(text)
            out.append((verdict.decision.value, _record(n, text, verdict)))
        return out

    result: list[tuple[str, str]] = loop.run_until_complete(run())
    return result


def _chunks(lines: list[tuple[int, str]]) -> Iterator[list[tuple[int, str]]]:
    for i in range(0, len(lines), CHUNK):
        yield lines[i : i + CHUNK]


async def _in_process(
    lines: list[tuple[int, str]], spec: dict[str, Any], concurrency: int
) -> Iterator[tuple[str, str]]:
    import asyncio

    from txfirewall.firewall import Firewall

    results: list[tuple[str, str] | None] = [None] * len(lines)
    gate = asyncio.Semaphore(max(1, concurrency))
    async with Firewall(_firewall_config(spec)) as firewall:

        async def one(i: int, n: int, text: str) -> None:
            async with gate:
                verdict = await firewall.analyze(text)
            results[i] = (verdict.decision.value, _record(n, text, verdict))

        await asyncio.gather(*(one(i, n, text) for i, (n, text) in enumerate(lines)))
    return (r for r in results if r is not None)


class _Progress:
    """A progress line on a terminal (stderr), nothing otherwise."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.live = stream.isatty()
        self.started = self.last = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if self.live and (now - self.last > 0.2 or self.done == self.total):
            rate = self.done / max(now - self.started, 1e-9)
            self.stream.write(f"\rscanned {self.done:,}/{self.total:,} ({rate:,.0f}/s)")
            self.stream.flush()
            self.last = now

    def finish(self) -> None:
        if self.live:
            self.stream.write("\n")


def run(args: argparse.Namespace) -> int:
    import asyncio

    try:
        lines = _lines(args.file)
        if not args.no_simulate and not args.rpc:
            raise InputFileError("no --rpc given: pass --rpc URL (or set TXFIREWALL_RPC), or use --no-simulate")
        spec = _config_args(args)
        out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    except (InputFileError, OSError) as exc:
        print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    progress = _Progress(len(lines), sys.stderr)
    # On the terminal, escape what could act on it (the JSON values stay the same); a file gets UTF-8.
    shown: Callable[[str], str] = terminal_safe_json if out is sys.stdout else str
    worst = 0
    codes = {"allow": 0, "warn": 10, "block": 20}
    try:
        results: Iterable[tuple[str, str]]
        if args.no_simulate and args.workers > 1 and len(lines) >= PARALLEL_FROM:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(args.workers, initializer=_worker_init, initargs=(spec,)) as pool:
                for chunk in pool.map(_worker_chunk, _chunks(lines)):
                    for decision, record in chunk:
                        out.write(shown(record) + "\n")
                        worst = max(worst, codes[decision])
                    progress.advance(len(chunk))
        else:
            results = asyncio.run(_in_process(lines, spec, args.concurrency))
            for decision, record in results:
                out.write(shown(record) + "\n")
                worst = max(worst, codes[decision])
                progress.advance()
    except EnvironmentFailure as exc:
        print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except InputFileError as exc:
        print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        progress.finish()
        if out is not sys.stdout:
            out.close()
    return worst
