"""Run one anvil process on a free loopback port, and always stop it.

``AnvilNode`` is a context manager. The child runs in its own session and, on Linux, gets
SIGKILL when the Python process dies (``PR_SET_PDEATHSIG``), so a crashed test run leaves
no orphan nodes behind. Every started node is also stopped at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from txfirewall.chain.anvil_provision import ensure_anvil
from txfirewall.chain.rpc_client import probe_chain_id
from txfirewall.errors import AnvilStartError

_LIVE: weakref.WeakSet[AnvilNode] = weakref.WeakSet()


@dataclass(frozen=True)
class AnvilOptions:
    """What to start. Forks should pin a block and chain id and start no dev accounts."""

    chain_id: int | None = None
    load_state: Path | None = None
    fork_url: str | None = None
    fork_block_number: int | None = None
    fork_chain_id: int | None = None
    accounts: int = 0
    no_storage_caching: bool = True
    timestamp: int | None = None
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    def to_args(self, port: int) -> list[str]:
        args = ["--host", "127.0.0.1", "--port", str(port), "--accounts", str(self.accounts)]
        if self.chain_id is not None:
            args += ["--chain-id", str(self.chain_id)]
        if self.load_state is not None:
            args += ["--load-state", str(self.load_state)]
        if self.fork_url is not None:
            args += ["--fork-url", self.fork_url]
            if self.fork_block_number is not None:
                args += ["--fork-block-number", str(self.fork_block_number)]
            if self.fork_chain_id is not None:
                args += ["--fork-chain-id", str(self.fork_chain_id)]
            if self.no_storage_caching:
                args.append("--no-storage-caching")
        if self.timestamp is not None:
            args += ["--timestamp", str(self.timestamp)]
        args += list(self.extra_args)
        return args


def free_port() -> int:
    """A loopback port that was free a moment ago (start() retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    os.setsid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class AnvilNode:
    """A running anvil. Use ``with AnvilNode.start(options) as node: node.url``."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self._proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        _LIVE.add(self)

    @classmethod
    def start(
        cls,
        options: AnvilOptions | None = None,
        *,
        binary: Path | None = None,
        startup_timeout: float = 30.0,
        attempts: int = 3,
    ) -> AnvilNode:
        """Start anvil and wait until it answers ``eth_chainId``."""
        options = options or AnvilOptions()
        exe = binary or ensure_anvil()
        last_error: AnvilStartError | None = None
        for _ in range(attempts):
            port = free_port()
            with tempfile.NamedTemporaryFile(prefix="txfirewall-anvil-", suffix=".log", delete=False) as log:
                try:
                    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                        [str(exe), *options.to_args(port)],
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        preexec_fn=_die_with_parent,
                    )
                except OSError as exc:
                    Path(log.name).unlink(missing_ok=True)
                    raise AnvilStartError(f"cannot run {exe}: {exc}") from exc
            node = cls(proc, port, Path(log.name))
            try:
                node._wait_ready(startup_timeout)
                return node
            except AnvilStartError as exc:
                node.stop()
                last_error = exc
                if "Address already in use" not in node.log_tail():
                    break
        assert last_error is not None
        raise last_error

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise AnvilStartError(f"anvil exited with code {self._proc.returncode}: {self.log_tail()}")
            if probe_chain_id(self.url) is not None:
                return
            if time.monotonic() > deadline:
                raise AnvilStartError(f"anvil did not answer on {self.url} within {timeout:.0f}s: {self.log_tail()}")
            time.sleep(0.01)

    def log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    @property
    def pid(self) -> int:
        return self._proc.pid

    def stop(self, timeout: float = 5.0) -> int | None:
        """Stop the node (SIGTERM, then SIGKILL). Anvil writes --dump-state on SIGTERM."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=timeout)
        _LIVE.discard(self)
        with contextlib.suppress(OSError):
            self.log_path.unlink()
        return self._proc.returncode

    def __enter__(self) -> AnvilNode:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for node in list(_LIVE):
        node.stop(timeout=2.0)
