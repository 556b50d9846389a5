"""Soak the proxy on loopback: an open-loop load of reads, batches and signing requests.

    python tools/soak.py --duration 300 --rate 500 --out docs/soak_report.md

Starts the fixture chain (anvil from ``anvil_fixtures/state.json``) and a real proxy in its own
process (``txfirewall proxy``, as a user runs it, with the fixture history and a scratch audit
log), then sends requests on a clock (``--rate`` a second, never waiting for replies; at most
``--max-in-flight`` outstanding, at most ``--max-requests`` in all) for ``--duration`` seconds:

* single reads: eth_blockNumber, eth_getBalance, eth_call, eth_getBlockByNumber;
* read batches of 2-20 calls with random ids (ints, ints past 2**53, strings);
* signing requests from the fixture samples: allowed ones (the node answers "No Signer
  available": forwarded) and blocked ones (4001). Warned samples are left out: they would wait
  for a person. The proxy limits signing requests per site (20, then 1 a second): it is started
  with ``--sign-rate`` at twice the load's signing rate, so the limiter is exercised, not hit.

Every reply is checked: its id (a batch: the set of ids), a ``result`` for reads, 4001 for a
block, the node's "No Signer available" for an allowed send. Every 10 s it prints the achieved
rate, latency percentiles per kind, errors by kind and the RSS of the proxy and the anvil
processes; at the end a summary and a verdict against the goal (nothing lost or mismatched,
flat memory), written to ``--out`` as Markdown. Exit 0 when the verdict holds, 1 otherwise.
Loopback only; bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "anvil_fixtures"
ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
ALLOWED = ("a_eth_to_bob.json", "b_usdx_transfer_carol.json", "c_usdx_approve_router.json")
BLOCKED = ("d_usdx_approve_max_scammer.json", "e_drainer_claim.json", "g_eth_sign_hash.json")
NO_SIGNER = "No Signer available"
INTERVAL = 10.0
SIGN_SHARE = 0.05
BATCH_SHARE = 0.15


# --- the processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (anvil under us, the fork's anvil under the proxy)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Proxy:
    proc: subprocess.Popen[str]
    url: str
    workdir: Path


def start_proxy(upstream: str, chain_id: int, workdir: Path, sign_rate: float, profile: Path | None = None) -> Proxy:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        # no developer's policy, intel store or signature database
        "XDG_CONFIG_HOME": str(workdir / "config"),
        "XDG_DATA_HOME": str(workdir / "data"),
        "XDG_STATE_HOME": str(workdir / "state"),
        "TXFIREWALL_SIGNATURES_DB": str(workdir / "absent.db"),
    }
    env.pop("TXFIREWALL_POLICY", None)
    profiler = ["-m", "cProfile", "-o", str(profile.resolve())] if profile else []
    cmd = [
        sys.executable,
        *profiler,
        "-m",
        "txfirewall.cli.main",
        "proxy",
        "--upstream",
        upstream,
        "--listen",
        f"127.0.0.1:{port}",
        "--chain-id",
        str(chain_id),
        "--history",
        str(FIXTURES / "history.jsonl"),
        "--control-file",
        str(workdir / "control.json"),
        "--audit-log",
        str(workdir / "audit.jsonl"),
        "--hold-timeout",
        "5",
        # a wallet signs a few requests a minute; the load sends many a second from one client
        "--sign-burst",
        "100",
        "--sign-rate",
        str(max(1.0, sign_rate * 2)),
    ]
    log = (workdir / "proxy.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=env, cwd=workdir)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the proxy exited ({proc.returncode}): {(workdir / 'proxy.log').read_text()[-2000:]}")
        if "listening on" in (workdir / "proxy.log").read_text():
            return Proxy(proc, f"http://127.0.0.1:{port}/", workdir)
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the proxy did not start within 60 s")


def stop_proxy(proxy: Proxy) -> None:
    if proxy.proc.poll() is None:
        proxy.proc.send_signal(signal.SIGINT)
        try:
            proxy.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proxy.proc.kill()
            proxy.proc.wait()


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Stats:
    """Counters and latencies, for one interval or the whole run."""

    sent: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lag: list[float] = field(default_factory=list)
    unsent: int = 0

    def merge(self, other: Stats) -> None:
        self.unsent += other.unsent
        self.sent.update(other.sent)
        self.ok.update(other.ok)
        self.errors.update(other.errors)
        for k, v in other.latency.items():
            self.latency[k].extend(v)
        self.lag.extend(other.lag)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


class Load:
    def __init__(
        self, url: str, rate: float, duration: float, max_requests: int, max_in_flight: int, seed: int
    ) -> None:
        self.url = url
        self.rate = rate
        self.duration = duration
        self.max_requests = max_requests
        self.slots = asyncio.Semaphore(max_in_flight)
        self.rng = random.Random(seed)
        self.window = Stats()
        self.total = Stats()
        self.in_flight = 0
        self.closing = False
        self.examples: Counter[str] = Counter()
        self.example_text: list[str] = []
        self.samples = {name: json.loads((FIXTURES / "requests" / name).read_text()) for name in (*ALLOWED, *BLOCKED)}
        manifest = json.loads((FIXTURES / "manifest.json").read_text())
        self.token = manifest["contracts"]["fdai"]
        self.sign_share = SIGN_SHARE
        self.batch_share = BATCH_SHARE

    # ids: ints, big ints, strings; unique per run so a mismatch cannot hide
    def new_id(self, n: int) -> Any:
        kind = self.rng.randrange(3)
        if kind == 0:
            return n
        if kind == 1:
            return 2**53 + n * 1_000_003  # past JavaScript's exact integers (anvil refuses ids past 2**64)
        return f"soak-{n}-{self.rng.randrange(10**6)}"

    def read_call(self, n: int) -> dict[str, Any]:
        method = self.rng.choice(["eth_blockNumber", "eth_getBalance", "eth_call", "eth_getBlockByNumber"])
        params: list[Any]
        if method == "eth_blockNumber":
            params = []
        elif method == "eth_getBalance":
            params = [ALICE, "latest"]
        elif method == "eth_call":
            data = "0x70a08231" + ALICE[2:].lower().rjust(64, "0")  # balanceOf(alice)
            params = [{"to": self.token, "data": data}, "latest"]
        else:
            params = [hex(self.rng.randrange(1, 60)), False]
        return {"jsonrpc": "2.0", "id": self.new_id(n), "method": method, "params": params}

    def request(self, n: int) -> tuple[str, Any, dict[str, str]]:
        """(kind, body, headers) for the n-th request."""
        roll = self.rng.random()
        if roll < self.sign_share:
            name = self.rng.choice((*ALLOWED, *BLOCKED))
            body = {**self.samples[name], "id": self.new_id(n)}
            kind = "sign-allowed" if name in ALLOWED else "sign-blocked"
            return kind, body, {}
        if roll < self.sign_share + self.batch_share:
            size = self.rng.randint(2, 20)
            return "batch", [self.read_call(n * 100 + i) for i in range(size)], {}
        return "read", self.read_call(n), {}

    def check(self, kind: str, body: Any, status: int, text: str) -> str | None:
        """None when the reply is right, else the kind of error."""
        if status != 200:
            return f"http-{status}"
        try:
            reply = json.loads(text)
        except ValueError:
            return "not-json"
        if kind == "batch":
            if not isinstance(reply, list):
                return "batch-not-array"
            if sorted(map(repr, (r.get("id") for r in reply))) != sorted(map(repr, (c["id"] for c in body))):
                return "mismatched"
            if not all("result" in r for r in reply):
                return "batch-read-error"
            return None
        if not isinstance(reply, dict):
            return "not-object"
        if reply.get("id") != body["id"] or type(reply.get("id")) is not type(body["id"]):
            return "mismatched"
        error = reply.get("error")
        if kind == "read":
            return None if "result" in reply else f"read-error {error.get('code') if error else '?'}"
        if kind == "sign-blocked":
            if error and error.get("code") == 4001:
                return None
            return f"blocked-sample-not-refused {error.get('code') if error else 'result'}"
        if error and error.get("message") == NO_SIGNER:
            return None
        return f"allowed-sample-not-forwarded {error.get('code') if error else 'result'}: {str(error)[:60]}"

    async def one(self, session: aiohttp.ClientSession, n: int, scheduled: float) -> None:
        kind, body, headers = self.request(n)
        async with self.slots:
            if self.closing:
                # Due while all slots were busy and still unsent when the run ended: the client fell
                # behind its schedule. Counted apart: the proxy never saw it, so it is not lost.
                self.window.unsent += 1
                return
            self.in_flight += 1
            started = time.perf_counter()
            self.window.lag.append(started - scheduled)
            self.window.sent[kind] += 1
            status, text = 0, ""
            try:
                async with session.post(
                    self.url, data=json.dumps(body), headers={"Content-Type": "application/json", **headers}
                ) as resp:
                    text = await resp.text()
                    status = resp.status
                problem = self.check(kind, body, status, text)
            except (TimeoutError, aiohttp.ClientError) as exc:
                problem = f"lost ({type(exc).__name__})"
            finally:
                self.in_flight -= 1
            elapsed = time.perf_counter() - started
            if problem is not None and self.examples[problem] < 2:
                self.examples[problem] += 1
                self.example_text.append(f"{problem}: sent {json.dumps(body)[:300]} got {text[:300]}")
            if problem is None:
                self.window.ok[kind] += 1
                self.window.latency[kind].append(elapsed)
            else:
                self.window.errors[problem] += 1

    async def run(self, report: Any) -> None:
        timeout = aiohttp.ClientTimeout(total=60)
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            tasks: set[asyncio.Task[None]] = set()
            t0 = time.perf_counter()
            next_report = t0 + INTERVAL
            n = 0
            while n < self.max_requests:
                now = time.perf_counter()
                if now - t0 >= self.duration:
                    break
                if now >= next_report:
                    report(self.flush(), now - t0, self.in_flight)
                    next_report += INTERVAL
                due = t0 + n / self.rate
                if due > now:
                    await asyncio.sleep(min(due - now, next_report - now))
                    continue
                task = asyncio.create_task(self.one(session, n, due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
            self.closing = True  # what is still waiting for a slot is not sent any more
            if tasks:
                await asyncio.wait(tasks, timeout=90)
            for task in tasks:
                task.cancel()
                self.window.errors["lost (no reply after the run)"] += 1
            report(self.flush(), time.perf_counter() - t0, self.in_flight)

    def flush(self) -> Stats:
        window, self.window = self.window, Stats()
        self.total.merge(window)
        return window


# --- reporting -----------------------------------------------------------------------------------


@dataclass
class Row:
    t: float
    sent: int
    answered: int
    rate: float
    p50: float
    p95: float
    p99: float
    sign_p50: float
    sign_p99: float
    errors: int
    lost: int
    mismatched: int
    in_flight: int
    proxy_rss: float
    anvil_rss: float
    proxy_cpu: float
    anvil_cpu: float
    client_cpu: float
    anvils: int


def slope_mb_per_min(points: list[tuple[float, float]]) -> float:
    if len(points) < 3:
        return 0.0
    xs, ys = [p[0] / 60 for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}; load average at the start "
        f"{load[0]:.2f} (other work shares the machine)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--rate", type=float, default=500.0, help="requests a second, open loop (default 500)")
    parser.add_argument("--max-requests", type=int, help="stop after this many (default rate x duration)")
    parser.add_argument("--max-in-flight", type=int, default=256, help="outstanding requests at most (default 256)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sign-share", type=float, default=SIGN_SHARE, help=f"signing requests' share ({SIGN_SHARE})")
    parser.add_argument("--batch-share", type=float, default=BATCH_SHARE, help=f"read batches' share ({BATCH_SHARE})")
    parser.add_argument("--profile", type=Path, help="run the proxy under cProfile, writing its stats here")
    parser.add_argument("--out", type=Path, help="write the report here (Markdown)")
    parser.add_argument("--json", type=Path, help="write the summary as JSON here")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.rate <= 0 or args.duration > 4 * 3600:
        parser.error("--duration must be in (0, 4 h] and --rate positive")
    max_requests = args.max_requests or int(args.rate * args.duration) + 1

    from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions

    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    started_at = dt.datetime.now(dt.UTC)
    header = machine()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="txfirewall-soak-") as tmp:
        workdir = Path(tmp)
        options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
        with AnvilNode.start(options) as node:
            proxy = start_proxy(node.url, manifest["chain_id"], workdir, args.rate * args.sign_share, args.profile)
            try:
                load = Load(proxy.url, args.rate, args.duration, max_requests, args.max_in_flight, args.seed)
                load.sign_share, load.batch_share = args.sign_share, args.batch_share
                print(f"soak: {args.rate:g}/s for {args.duration:g} s against {proxy.url} (upstream {node.url})")
                print(
                    f"{'t':>5} {'sent':>6} {'ok':>6} {'rate/s':>7} {'p50ms':>6} {'p95ms':>6} {'p99ms':>7} "
                    f"{'sign50':>6} {'sign99':>7} {'err':>4} {'lost':>4} {'mism':>4} {'infl':>4} "
                    f"{'proxyMB':>7} {'anvilMB':>7} {'pxCPU':>5} {'anCPU':>5} {'clCPU':>5}"
                )
                last = {"t": 0.0, "cpu": cpu_seconds(proxy.proc.pid), "client": _own_cpu(), "anvil": 0.0}

                def report(window: Stats, t: float, in_flight: int) -> None:
                    anvils = [p for p in children(os.getpid()) + children(proxy.proc.pid) if p != proxy.proc.pid]
                    cpu = cpu_seconds(proxy.proc.pid)
                    client = _own_cpu()
                    anvil_cpu = sum(cpu_seconds(p) for p in anvils)
                    span = max(t - last["t"], 1e-9)
                    lat = [x for v in window.latency.values() for x in v]
                    sign = window.latency["sign-allowed"] + window.latency["sign-blocked"]
                    row = Row(
                        t=t,
                        sent=sum(window.sent.values()),
                        answered=sum(window.ok.values()) + sum(window.errors.values()),
                        rate=sum(window.ok.values()) / span,
                        p50=pct(lat, 50) * 1000,
                        p95=pct(lat, 95) * 1000,
                        p99=pct(lat, 99) * 1000,
                        sign_p50=pct(sign, 50) * 1000,
                        sign_p99=pct(sign, 99) * 1000,
                        errors=sum(window.errors.values()),
                        lost=sum(v for k, v in window.errors.items() if k.startswith("lost")),
                        mismatched=window.errors["mismatched"],
                        in_flight=in_flight,
                        proxy_rss=rss_mb(proxy.proc.pid) or 0.0,
                        anvil_rss=sum(rss_mb(p) or 0.0 for p in anvils),
                        proxy_cpu=100 * (cpu - last["cpu"]) / span,
                        anvil_cpu=100 * max(0.0, anvil_cpu - last["anvil"]) / span,
                        client_cpu=100 * (client - last["client"]) / span,
                        anvils=len(anvils),
                    )
                    last.update(t=t, cpu=cpu, client=client, anvil=anvil_cpu)
                    rows.append(row)
                    print(
                        f"{t:5.0f} {row.sent:6d} {sum(window.ok.values()):6d} {row.rate:7.1f} {row.p50:6.1f} {row.p95:6.1f} "
                        f"{row.p99:7.1f} {row.sign_p50:6.1f} {row.sign_p99:7.1f} {row.errors:4d} {row.lost:4d} "
                        f"{row.mismatched:4d} {in_flight:4d} {row.proxy_rss:7.1f} {row.anvil_rss:7.1f} {row.proxy_cpu:5.0f} "
                        f"{row.anvil_cpu:5.0f} {row.client_cpu:5.0f}",
                        flush=True,
                    )
                    for problem, count in window.errors.most_common(4):
                        print(f"      {count} x {problem}", flush=True)

                asyncio.run(load.run(report))
            finally:
                stop_proxy(proxy)
                proxy_log = (workdir / "proxy.log").read_text()
    total = load.total
    summary = summarise(args, total, rows, max_requests)
    summary["examples"] = load.example_text
    print(json.dumps(summary["verdict"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    if args.out:
        write_report(args.out, args, started_at, header, summary, rows, proxy_log)
    return 0 if summary["verdict"]["pass"] else 1


def summarise(args: argparse.Namespace, total: Stats, rows: list[Row], max_requests: int) -> dict[str, Any]:
    sent = sum(total.sent.values())
    ok = sum(total.ok.values())
    lost = sum(v for k, v in total.errors.items() if k.startswith("lost"))
    mismatched = total.errors["mismatched"]
    elapsed = rows[-1].t if rows else 0.0
    # memory: from the end of the first fifth (warm-up: the fork, caches) to the end
    warm = [(r.t, r.proxy_rss) for r in rows if r.t >= elapsed * 0.2]
    all_lat = [x for v in total.latency.values() for x in v]
    slope = slope_mb_per_min(warm)
    growth = slope * (elapsed / 60)
    flat = growth <= max(10.0, 0.05 * (warm[0][1] if warm else 0.0))
    sending = min(elapsed, args.duration) or 1.0
    achieved = ok / sending
    lag_p99 = pct(total.lag, 99)
    kinds = {
        kind: {
            "sent": total.sent[kind],
            "ok": total.ok[kind],
            "p50_ms": pct(total.latency[kind], 50) * 1000,
            "p95_ms": pct(total.latency[kind], 95) * 1000,
            "p99_ms": pct(total.latency[kind], 99) * 1000,
            "max_ms": max(total.latency[kind], default=float("nan")) * 1000,
        }
        for kind in sorted(total.sent)
    }
    verdict = {
        "pass": lost == 0 and mismatched == 0 and flat and sum(total.errors.values()) == 0,
        "target_rate": args.rate,
        "achieved_rate": round(achieved, 1),
        "rate_met": sent >= 0.98 * min(max_requests, args.rate * args.duration) and lag_p99 < 1.0,
        "sent": sent,
        "unsent": total.unsent,
        "ok": ok,
        "lost": lost,
        "mismatched": mismatched,
        "other_errors": sum(total.errors.values()) - lost - mismatched,
        "proxy_rss_slope_mb_per_min": round(slope, 3),
        "memory_flat": flat,
        "schedule_lag_p99_ms": round(lag_p99 * 1000, 1),
        "latency_p50_ms": round(pct(all_lat, 50) * 1000, 2),
        "latency_p95_ms": round(pct(all_lat, 95) * 1000, 2),
        "latency_p99_ms": round(pct(all_lat, 99) * 1000, 2),
    }
    return {
        "verdict": verdict,
        "kinds": kinds,
        "errors": dict(total.errors.most_common()),
        "max_requests": max_requests,
        "rows": [r.__dict__ for r in rows],
    }


def write_report(
    path: Path,
    args: argparse.Namespace,
    started_at: dt.datetime,
    header: str,
    summary: dict[str, Any],
    rows: list[Row],
    proxy_log: str,
) -> None:
    v = summary["verdict"]
    lines = [
        "# Soak report",
        "",
        f"Written by `tools/soak.py` (`make soak DURATION={args.duration:g} RATE={args.rate:g}`), started {started_at:%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {header}",
        f"- Load: {args.rate:g} requests/s open loop for {args.duration:g} s (at most {summary['max_requests']:,} requests, "
        f"{args.max_in_flight} in flight), one client process; the proxy (`txfirewall proxy`, fixture history, audit log on) "
        "in its own process; upstream: anvil on the fixture chain; the proxy's own fork is a second anvil.",
        f"- Mix: {1 - args.sign_share - args.batch_share:.0%} single reads (eth_blockNumber, eth_getBalance, eth_call, "
        f"eth_getBlockByNumber), {args.batch_share:.0%} read batches of 2-20 with random ids (ints, ints past 2**53, "
        f"strings), {args.sign_share:.0%} signing requests (allowed: "
        + ", ".join(ALLOWED)
        + "; blocked: "
        + ", ".join(BLOCKED)
        + f"), the proxy started with `--sign-burst 100 --sign-rate {max(1.0, args.rate * args.sign_share * 2):g}` (default 20, then 1 a second per site).",
        "",
        "## Verdict",
        "",
        f"- **{'PASS' if v['pass'] else 'FAIL'}**: achieved {v['achieved_rate']}/s of {v['target_rate']:g}/s "
        f"({'met' if v['rate_met'] else 'NOT met'}); {v['sent']:,} sent, {v['ok']:,} answered correctly, "
        f"**{v['lost']} lost, {v['mismatched']} mismatched**, {v['other_errors']} other errors"
        + (
            f"; {v['unsent']:,} never sent (due while the client had {args.max_in_flight} in flight, still "
            "waiting when the run ended: the client fell behind, the proxy never saw them)"
            if v["unsent"]
            else ""
        ),
        f"- Proxy memory slope after warm-up: {v['proxy_rss_slope_mb_per_min']} MB/min "
        f"({'flat' if v['memory_flat'] else 'GROWING'})",
        f"- Latency, all kinds: p50 {v['latency_p50_ms']} ms, p95 {v['latency_p95_ms']} ms, p99 {v['latency_p99_ms']} ms",
        f"- Client schedule lag p99: {v['schedule_lag_p99_ms']} ms (how late the open-loop sends went out; over 1 s "
        "means the client, not only the proxy, fell behind)",
        "- CPU columns are % of one core over each interval; anvil RSS sums the anvil processes (their count in brackets).",
        "",
        "## Latency by kind (whole run, from send to full reply)",
        "",
        "| kind | sent | ok | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, k in summary["kinds"].items():
        lines.append(
            f"| {kind} | {k['sent']:,} | {k['ok']:,} | {k['p50_ms']:.1f} | {k['p95_ms']:.1f} | {k['p99_ms']:.1f} | {k['max_ms']:.1f} |"
        )
    lines += ["", "## Errors", ""]
    lines += [f"- {count} x {kind}" for kind, count in summary["errors"].items()] or ["None."]
    if summary.get("examples"):
        lines += ["", "Examples:", "", "```", *summary["examples"][:10], "```"]
    lines += [
        "",
        "## Over time (every 10 s)",
        "",
        "| t s | sent | answered | ok/s | p50 ms | p95 ms | p99 ms | sign p50 | sign p99 | errors | lost | mismatched | in flight | proxy RSS MB | anvil RSS MB | proxy CPU % | anvil CPU % | client CPU % |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.t:.0f} | {r.sent} | {r.answered} | {r.rate:.1f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} | "
            f"{r.sign_p50:.1f} | {r.sign_p99:.1f} | {r.errors} | {r.lost} | {r.mismatched} | {r.in_flight} | "
            f"{r.proxy_rss:.1f} | {r.anvil_rss:.1f} ({r.anvils}) | {r.proxy_cpu:.0f} | {r.anvil_cpu:.0f} | {r.client_cpu:.0f} |"
        )
    warnings = [line for line in proxy_log.splitlines() if "WARNING" in line or "ERROR" in line or "Traceback" in line]
    lines += ["", "## Proxy log", "", f"{len(proxy_log.splitlines())} lines; warnings/errors: {len(warnings)}"]
    if warnings:
        lines += ["", "```", *warnings[:20], "```"]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
