"""``txfirewall tui REQUEST --rpc URL`` in a real terminal (tmux): the verdict within 5 s of the
start, and a clean exit (status 0) on ``q``, at 100x30 and at 80x24.

tmux must be installed (it is on CI machines like the one this suite runs on); without it this
test fails and says so rather than skipping. Each run uses its own tmux server (``-L``), so the
developer's sessions are never touched and the environment (PYTHONPATH) is this test's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from txfirewall.chain.anvil_node import AnvilNode

from ..conftest import FIXTURES

pytestmark = pytest.mark.e2e

VERDICT_WITHIN_S = 5.0
CLI = Path(sys.executable).parent / "txfirewall"


@pytest.fixture(scope="module")
def tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        pytest.fail("tmux is needed to run the terminal app in a real terminal: install it (apt-get install tmux)")
    return found


class Terminal:
    def __init__(self, tmux: str, socket: str) -> None:
        self.tmux = tmux
        self.socket = socket

    def __call__(self, *args: str) -> str:
        done = subprocess.run([self.tmux, "-L", self.socket, *args], capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def screen(self) -> str:
        try:
            return self("capture-pane", "-p", "-t", "app")
        except AssertionError:
            return "(the session has ended)"


@pytest.fixture
def terminal(tmux: str) -> Iterator[Terminal]:
    socket = f"txfirewall-test-{os.getpid()}-{time.monotonic_ns()}"
    yield Terminal(tmux, socket)
    subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True, timeout=10)


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
def test_the_verdict_shows_within_5_s_and_q_quits_cleanly(
    terminal: Terminal, mainnet: AnvilNode, size: tuple[int, int], tmp_path: Path
) -> None:
    width, height = size
    request = FIXTURES / "requests" / "e_drainer_claim.json"
    status_file = tmp_path / "exit-status"
    # A shell waits for the app and writes its exit status: tmux's own record of a dead pane's
    # status (#{pane_dead_status}) is sometimes left empty when it reaps late.
    command = ["sh", "-c", f'"$@"; echo $? > {status_file}', "sh", str(CLI), "tui", str(request), "--rpc", mainnet.url]
    env = [
        f"-e{k}={os.environ[k]}"
        for k in ("PYTHONPATH", "HOME", "XDG_DATA_HOME", "TXFIREWALL_SIGNATURES_DB")
        if k in os.environ
    ]
    started = time.monotonic()
    terminal(
        "-f", "/dev/null", "new-session", "-d", "-s", "app", "-x", str(width), "-y", str(height), *env, *command,
    )  # fmt: skip
    screen = ""
    while time.monotonic() - started < 30:
        screen = terminal.screen()
        if "BLOCK" in screen:
            break
        time.sleep(0.1)
    shown_after = time.monotonic() - started
    assert "BLOCK" in screen, f"no verdict after {shown_after:.1f} s:\n{screen}"
    assert shown_after <= VERDICT_WITHIN_S, f"the verdict took {shown_after:.1f} s (limit {VERDICT_WITHIN_S} s)"
    assert "Call Claim() on 0x3Da5…f8e0" in screen and "score" in screen
    lines = screen.splitlines()
    assert len(lines) == height and all(len(line) <= width for line in lines)

    terminal("send-keys", "-t", "app", "q")
    deadline = time.monotonic() + 10
    while not status_file.exists() or not status_file.read_text().strip():
        assert time.monotonic() < deadline, f"still running 10 s after q:\n{terminal.screen()}"
        time.sleep(0.1)
    assert status_file.read_text().strip() == "0", terminal.screen()
