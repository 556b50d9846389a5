"""``txfirewall tui REQUEST --rpc URL`` in a real terminal (tmux): the verdict within 5 s of the
start, and a clean exit (status 0) on ``q``, at 100x30 and at 80x24; ``txfirewall demo`` on a
terminal opens the app with every sample queued; ``txfirewall tui --proxy`` follows a running
``txfirewall proxy`` and releases a held request only on the typed word.

tmux is on the machines this suite runs on (``which tmux``); on one without it these tests are
skipped, saying so (``apt-get install tmux``). Each run uses its own tmux server (``-S``: a
socket in a folder of its own, removed after), so the developer's sessions are never touched and
the environment (PYTHONPATH) is this test's.

The 5 s are the app's: on a machine shared with other work the app's main thread can wait
seconds for a CPU. The kernel counts that wait (``/proc/PID/task/PID/schedstat``, run-queue
delay); the bound is checked on the wall time less that wait, which on an idle machine is the
wall time itself. Both numbers are in the failure message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from txfirewall.chain.anvil_node import AnvilNode, free_port
from txfirewall.cli.demo import load_samples

from ..conftest import FIXTURES

pytestmark = pytest.mark.e2e

VERDICT_WITHIN_S = 5.0
CLI = Path(sys.executable).parent / "txfirewall"


@pytest.fixture(scope="module")
def tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        pytest.skip("tmux is not installed: the terminal app is not run in a real terminal (apt-get install tmux)")
    return found


class Terminal:
    def __init__(self, tmux: str, socket: Path) -> None:
        self.tmux = tmux
        self.socket = socket

    def __call__(self, *args: str) -> str:
        # env: this test's os.environ, given explicitly. Without it the tmux server inherits the
        # process's C-level environment, where a library (readline, loaded by pytest) may have set
        # COLUMNS=80 and LINES=24 behind os.environ's back: the app would then draw 80x24 in any pane.
        done = subprocess.run(
            [self.tmux, "-S", str(self.socket), *args], capture_output=True, text=True, timeout=10, env=dict(os.environ)
        )
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def start(self, argv: list[str], size: tuple[int, int], status_file: Path) -> None:
        """Run ``argv`` in a new session; a shell around it writes its exit status to
        ``status_file`` (tmux's own record of a dead pane's status, #{pane_dead_status}, is
        sometimes left empty when it reaps late)."""
        width, height = size
        command = ["sh", "-c", f'"$@"; echo $? > {status_file}', "sh", *argv]
        env = [
            f"-e{k}={os.environ[k]}"
            for k in ("PYTHONPATH", "HOME", "XDG_DATA_HOME", "TXFIREWALL_SIGNATURES_DB")
            if k in os.environ
        ]
        self("-f", "/dev/null", "new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height), *env, *command)

    def screen(self) -> str:
        try:
            return self("capture-pane", "-p", "-t", "app")
        except AssertionError:
            return "(the session has ended)"

    def wait_for(self, *texts: str, timeout: float = 30.0) -> str:
        """The screen once it shows every one of ``texts`` (polled; fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{texts} not shown after {timeout:g} s:\n{screen}")
            time.sleep(0.05)

    def app_pid(self) -> int | None:
        """The app's process: the child of the pane's shell."""
        shell = self("display-message", "-p", "-t", "app", "#{pane_pid}").strip()
        try:
            children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def quit_cleanly(self, status_file: Path) -> None:
        """``q`` ends the app within 10 s, with status 0."""
        self("send-keys", "-t", "app", "q")
        deadline = time.monotonic() + 10
        while not status_file.exists() or not status_file.read_text().strip():
            assert time.monotonic() < deadline, f"still running 10 s after q:\n{self.screen()}"
            time.sleep(0.1)
        assert status_file.read_text().strip() == "0", self.screen()


def waited_for_cpu(pid: int | None) -> float:
    """Seconds the main thread of ``pid`` was ready to run but waited for a CPU (0 when the kernel
    does not say)."""
    if pid is None:
        return 0.0
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


@pytest.fixture
def terminal(tmux: str) -> Iterator[Terminal]:
    # The server's socket in a directory of this test's own (tmux leaves the file behind when its
    # last session ends); short, for the 108-byte limit of a socket's path.
    folder = Path(tempfile.mkdtemp(prefix="txfw-tmux-"))
    socket = folder / "s"
    yield Terminal(tmux, socket)
    subprocess.run([tmux, "-S", str(socket), "kill-server"], capture_output=True, timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_the_verdict_shows_within_5_s_and_q_quits_cleanly(
    terminal: Terminal, mainnet: AnvilNode, size: tuple[int, int], tmp_path: Path
) -> None:
    width, height = size
    request = FIXTURES / "requests" / "e_drainer_claim.json"
    status_file = tmp_path / "exit-status"
    started = time.monotonic()
    terminal.start([str(CLI), "tui", str(request), "--rpc", mainnet.url], size, status_file)
    screen = terminal.wait_for("BLOCK")
    shown_after = time.monotonic() - started
    waited = waited_for_cpu(terminal.app_pid())
    took = f"the verdict took {shown_after:.1f} s, {waited:.1f} s of it waiting for a CPU"
    assert shown_after - waited <= VERDICT_WITHIN_S, f"{took} (limit {VERDICT_WITHIN_S} s)"
    print(took)
    assert "Call Claim() on 0x3Da5…f8e0" in screen and "score" in screen
    lines = screen.splitlines()
    assert len(lines) == height and all(len(line) <= width for line in lines)
    assert "q quit" in lines[-1] and lines[1].rstrip().endswith("╮"), "the app fills the terminal, key bar last"
    assert len(lines[1].rstrip()) == width, "drawn at the terminal's width"
    terminal.quit_cleanly(status_file)


def test_the_demo_on_a_terminal_opens_the_app_with_the_samples_queued(terminal: Terminal, tmp_path: Path) -> None:
    """``txfirewall demo`` (what ``make demo`` runs) on a terminal: the fixture chain started, every
    sample queued in the app and analysed in turn; q stops the app and the chain."""
    titles = [s.title for s in load_samples(FIXTURES)]
    status_file = tmp_path / "exit-status"
    terminal.start([str(CLI), "demo", "--fixtures", str(FIXTURES)], (100, 30), status_file)
    # The queue is 24 columns wide at 100: each title shows its first 16 characters.
    screen = terminal.wait_for("demo", "chain 7357", *(t[:16] for t in titles[:5]), timeout=60)
    screen = terminal.wait_for("ALLOW 0", "BLOCK", timeout=60)  # the first samples analysed
    assert "Send 0.5 ETH to 0x7948…026F" in screen, "the first sample's verdict is shown"
    terminal.quit_cleanly(status_file)


def test_tui_follows_a_running_proxy_and_releases_a_hold_on_the_typed_word(
    terminal: Terminal, mainnet: AnvilNode, tmp_path: Path
) -> None:
    """``txfirewall proxy`` and ``txfirewall tui --proxy CONTROL_FILE``, each its own process: a
    wallet's request held by the proxy shows in the app with its origin, method and verdict; a
    single Enter does nothing; the typed word releases it to the node; q quits."""
    control_file, audit = tmp_path / "control.json", tmp_path / "audit.jsonl"
    port = free_port()
    argv = [
        str(CLI), "proxy", "--upstream", mainnet.url, "--listen", f"127.0.0.1:{port}", "--chain-id", "7357",
        "--history", str(FIXTURES / "history.jsonl"), "--hold-timeout", "90", "--control-file", str(control_file),
        "--audit-log", str(audit), "--allow-origin", "https://app.example",
    ]  # fmt: skip
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proxy:
        try:
            deadline = time.monotonic() + 30
            while not control_file.exists():
                assert proxy.poll() is None, proxy.stderr.read().decode() if proxy.stderr else ""
                assert time.monotonic() < deadline, "the proxy did not start"
                time.sleep(0.05)
            status_file = tmp_path / "exit-status"
            terminal.start(
                [str(CLI), "tui", "--proxy", str(control_file), "--audit-log", str(audit)], (100, 30), status_file
            )
            terminal.wait_for("proxy 127.0.0.1", " ok", "0 held")
            with ThreadPoolExecutor(1) as pool:
                sent = pool.submit(
                    httpx.post,
                    f"http://127.0.0.1:{port}",
                    content=(FIXTURES / "requests" / "j_nft_approval_for_all_drainer.json").read_bytes(),
                    headers={"content-type": "application/json", "origin": "https://app.example"},
                    timeout=90,
                )
                screen = terminal.wait_for("1 held", "https://app.example", "WARN", "eth_sendTransaction")
                assert "Held by the proxy" in screen
                terminal("send-keys", "-t", "app", "a")
                terminal.wait_for("approve f8e0")
                terminal("send-keys", "-t", "app", "Enter")
                terminal.wait_for("Enter alone does not approve")
                assert not sent.done(), "a single Enter released nothing"
                terminal("send-keys", "-t", "app", "-l", "approve f8e0")
                terminal("send-keys", "-t", "app", "Enter")
                reply = sent.result(timeout=60).json()
            assert reply["error"]["message"] == "No Signer available", "forwarded: the node answered"
            terminal.wait_for("0 held", "approved")
            terminal.quit_cleanly(status_file)
        finally:
            proxy.terminate()
            proxy.wait(timeout=20)
