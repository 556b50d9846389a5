"""Real faults for the proxy's fault-injection tests (tests/e2e/test_proxy_faults.py): processes
frozen and killed at a known moment, a filesystem that fills up, and ``txfirewall proxy`` run as
a process of its own (so it can be SIGKILLed and started again).

*Mid-request* is made exact without timing guesses: the process that is to die is frozen
(SIGSTOP) first, the request is sent, and the kill comes once the request's bytes are waiting in
the frozen process's socket (its receive queue in ``/proc/net/tcp``), i.e. while it holds the
request unanswered.

*Disk full* is a real ``ENOSPC``: the proxy runs in a user and mount namespace of its own
(``unshare --user --map-root-user --mount``, no privileges needed where unprivileged user
namespaces are allowed) with a small tmpfs mounted over its audit log's directory; the test
fills that tmpfs through ``/proc/<pid>/root`` (the proxy's view of the filesystem) and frees it
again. Where user namespaces are not allowed (some CI kernels), the fallback is the proxy's
``RLIMIT_FSIZE`` lowered from outside with ``prlimit(2)`` to the log's current size: writes then
fail with ``EFBIG`` through the same code path.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]


# --- processes ---------------------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, their children, ...)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids = [int(k) for k in (task / "children").read_text().split()]
                out += kids
                todo += kids
    return out


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


async def until(done: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``done`` until it is true; AssertionError(``what``) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for _ in itertools.count():
        if done():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} (waited {timeout:g}s)")
        await asyncio.sleep(0.02)


async def wait_gone(pid: int, timeout: float) -> bool:
    try:
        await until(lambda: not alive(pid), timeout, f"process {pid} still runs")
    except AssertionError:
        return False
    return True


def pending_bytes(port: int) -> int:
    """Bytes received and not yet read on the loopback TCP sockets whose local port is ``port``
    (a server's accepted connections): a frozen server holding a request shows them here."""
    total = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, queues = fields[1], fields[4]
            if int(local.rsplit(":", 1)[1], 16) == port:
                total += int(queues.split(":")[1], 16)
    return total


async def wait_pending(port: int, timeout: float) -> None:
    """Until a request waits, unread, at the (frozen) server listening on ``port``."""
    await until(lambda: pending_bytes(port) > 0, timeout, f"no request reached port {port}")


# --- the audit log's verifier, as the user runs it -----------------------------------------------------


def audit_verify(path: Path) -> subprocess.CompletedProcess[str]:
    """``txfirewall audit verify PATH --json`` run as a process."""
    return subprocess.run(
        [sys.executable, "-m", "txfirewall.cli.main", "audit", "verify", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def audit_records(path: Path) -> list[dict[str, Any]]:
    """The records (not the log's own events) of a log file, in order."""
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if "record" in entry:
                out.append(entry["record"])
    return out


# --- txfirewall proxy as a process ---------------------------------------------------------------------


def userns_available() -> bool:
    """Whether this user may make a user and mount namespace and mount a tmpfs in it."""
    try:
        probe = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def tmpfs_wrapper(directory: Path, size_kib: int) -> list[str]:
    """The argv prefix that runs a command with a ``size_kib`` KiB tmpfs over ``directory``, in a
    user and mount namespace of its own (the command keeps the wrapper's pid: ``exec``)."""
    script = 'mount -t tmpfs -o size="$1"k,mode=0700 tmpfs "$2" && shift 2 && exec "$@"'
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", str(size_kib), str(directory)]


@dataclass
class ProxyProcess:
    """``txfirewall proxy`` started with ``python -m txfirewall.cli.main proxy``."""

    process: subprocess.Popen[bytes]
    port: int
    control_file: Path
    output: Path
    control_url: str = ""
    token: str = ""
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=60))

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    async def start(
        cls,
        *,
        upstream: str,
        port: int,
        workdir: Path,
        args: list[str],
        wrapper: list[str] | None = None,
        timeout: float = 90.0,
    ) -> ProxyProcess:
        """Start it and wait until it serves (its control file names its pid)."""
        control_file = workdir / "control.json"
        output = workdir / f"proxy-{time.monotonic_ns()}.log"
        argv = [
            *(wrapper or []),
            sys.executable, "-m", "txfirewall.cli.main", "proxy",
            "--upstream", upstream, "--listen", f"127.0.0.1:{port}", "--control-file", str(control_file),
            *args,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_STATE_HOME": str(workdir / "state")}
        process = await asyncio.to_thread(_spawn, argv, env, output)
        proxy = cls(process, port, control_file, output)

        def serving() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"the proxy exited with {process.returncode}: {proxy.log()}")
            try:
                data = json.loads(control_file.read_text())
            except (OSError, ValueError):
                return False
            if data.get("pid") != process.pid:
                return False  # the file of a proxy that ran before
            proxy.control_url, proxy.token = data["url"], data["token"]
            return True

        try:
            await until(serving, timeout, "the proxy did not start")
        except AssertionError as exc:
            if process.poll() is None:
                proxy.kill()
            raise AssertionError(f"{exc}: {proxy.log()}") from None
        return proxy

    def log(self) -> str:
        try:
            return self.output.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    async def rpc(self, body: Any) -> Any:
        try:
            reply = await self.http.post(self.url, json=body)
        except httpx.TransportError as exc:
            raise AssertionError(f"{type(exc).__name__} from the proxy; its output:\n{self.log()}") from exc
        assert reply.status_code == 200, reply.text
        return reply.json()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def held(self) -> list[dict[str, Any]]:
        reply = await self.http.get(f"{self.control_url}/v1/held", headers=self._auth())
        assert reply.status_code == 200, reply.text
        return list(reply.json()["held"])

    async def wait_held(self, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        for _ in itertools.count():
            held = await self.held()
            if len(held) >= count:
                return held
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(held)} request(s) held, expected {count}: {self.log()}")

    async def decide(self, held_id: str, action: str) -> None:
        reply = await self.http.post(f"{self.control_url}/v1/held/{held_id}/{action}", headers=self._auth())
        assert reply.status_code == 200, reply.text

    async def settle(self, body: Any) -> Any:
        """Send ``body``, rejecting whatever gets held for it meanwhile; the reply."""
        task = asyncio.create_task(self.rpc(body))
        while not task.done():
            for item in await self.held():
                await self.http.post(f"{self.control_url}/v1/held/{item['id']}/reject", headers=self._auth())
            await asyncio.wait({task}, timeout=0.05)
        return task.result()

    def fork_pids(self) -> list[int]:
        """The proxy's analysis forks (anvil --fork-url) running now."""
        return [p for p in descendants(self.pid) if "--fork-url" in cmdline(p)]

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a crash would: no cleanup of any kind."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    async def stop(self) -> int:
        """SIGTERM (a clean shutdown), then SIGKILL after 30 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                await until(lambda: self.process.poll() is not None, 30, "the proxy did not stop")
            except AssertionError:
                self.kill()
        await self.http.aclose()
        return self.process.returncode


def _spawn(argv: list[str], env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)


# --- a full disk ---------------------------------------------------------------------------------------


class FullDisk:
    """Fill, then free, the filesystem the proxy ``pid`` writes its audit log ``log`` to: the
    namespace's tmpfs (``tmpfs=True``, see ``tmpfs_wrapper``), else its ``RLIMIT_FSIZE``."""

    def __init__(self, pid: int, log: Path, *, tmpfs: bool) -> None:
        self.pid = pid
        self.tmpfs = tmpfs
        # The proxy's own view of the path (its mount namespace), reachable from here.
        self.log = Path(f"/proc/{pid}/root{log}") if tmpfs else log
        self._filler = self.log.with_name("filler")

    @property
    def how(self) -> str:
        return "ENOSPC on a full tmpfs" if self.tmpfs else "EFBIG past RLIMIT_FSIZE"

    def fill(self) -> None:
        if not self.tmpfs:
            hard = resource.prlimit(self.pid, resource.RLIMIT_FSIZE)[1]
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (self.log.stat().st_size, hard))
            return
        with self._filler.open("ab", buffering=0) as out:
            for size in (65536, 1):  # then byte by byte: a partial last page would let a short record in
                try:
                    while out.write(b"\0" * size):
                        pass
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc

    def free(self) -> None:
        if not self.tmpfs:
            hard = resource.prlimit(self.pid, resource.RLIMIT_FSIZE)[1]
            resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (hard, hard))
            return
        self._filler.unlink()
