"""AnvilNode (start, answer, always stop, no orphans) and anvil discovery (find_anvil / ensure_anvil)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.chain.anvil_provision import cached_anvil_path, ensure_anvil, find_anvil
from txfirewall.chain.rpc_client import probe_chain_id
from txfirewall.errors import AnvilNotFoundError, AnvilStartError, EnvironmentFailure

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _state(pid: int) -> str | None:
    """The process state letter, or None when there is no such process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def wait_gone(pid: int, timeout: float = 5.0, *, zombie_ok: bool = False) -> bool:
    """True once ``pid`` no longer runs (a zombie only counts as gone when ``zombie_ok``)."""
    deadline = time.monotonic() + timeout
    while True:
        state = _state(pid)
        if state is None or (zombie_ok and state in {"Z", "X"}):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def make_executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# --------------------------------------------------------------------------------------------
# AnvilNode lifecycle


def test_node_starts_on_a_loopback_port_answers_and_stops() -> None:
    with AnvilNode.start(AnvilOptions(chain_id=4242)) as node:
        pid, url, log = node.pid, node.url, node.log_path
        assert url == f"http://127.0.0.1:{node.port}"
        assert 1024 <= node.port <= 65535
        assert node.running
        assert probe_chain_id(url) == 4242
        assert log.is_file()
        assert _state(pid) not in (None, "Z")
    assert not node.running
    assert wait_gone(pid)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert probe_chain_id(url, timeout=0.5) is None
    assert not log.exists()  # the log file is cleaned up
    assert node.stop() is not None  # stopping twice is harmless


def test_exception_inside_with_block_still_stops_the_node() -> None:
    pid = None
    with pytest.raises(RuntimeError, match="boom"), AnvilNode.start() as node:
        pid = node.pid
        assert node.running
        raise RuntimeError("boom")
    assert pid is not None
    assert wait_gone(pid)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_two_nodes_at_once() -> None:
    with AnvilNode.start(AnvilOptions(chain_id=1111)) as first, AnvilNode.start(AnvilOptions(chain_id=2222)) as second:
        assert first.port != second.port
        assert first.pid != second.pid
        assert probe_chain_id(first.url) == 1111
        assert probe_chain_id(second.url) == 2222
        first.stop()
        assert wait_gone(first.pid)
        assert second.running and probe_chain_id(second.url) == 2222
    assert wait_gone(second.pid)


def test_node_serves_the_fixture_state(manifest: dict[str, object]) -> None:
    options = AnvilOptions(load_state=REPO / "anvil_fixtures" / "state.json", chain_id=7357)
    with AnvilNode.start(options) as node:
        assert probe_chain_id(node.url) == 7357


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (AnvilOptions(load_state=Path("/nonexistent/txfirewall-state.json")), "/nonexistent/txfirewall-state.json"),
        (AnvilOptions(extra_args=("--no-such-option",)), "--no-such-option"),
    ],
    ids=["missing-load-state", "unknown-flag"],
)
def test_bad_option_raises_anvil_start_error_with_log_tail(options: AnvilOptions, needle: str) -> None:
    with pytest.raises(AnvilStartError) as info:
        AnvilNode.start(options, startup_timeout=15)
    message = str(info.value)
    assert "anvil exited with code" in message
    assert needle in message  # quoted from anvil's own log
    assert "error" in message.lower()
    assert isinstance(info.value, EnvironmentFailure)


def test_start_uses_txfirewall_anvil(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = make_executable(tmp_path / "fake-anvil", "#!/bin/sh\necho 'fake anvil refuses:' \"$@\"\nexit 7\n")
    monkeypatch.setenv("TXFIREWALL_ANVIL", str(fake))
    with pytest.raises(AnvilStartError) as info:
        AnvilNode.start(AnvilOptions(chain_id=99))
    message = str(info.value)
    assert "code 7" in message and "fake anvil refuses:" in message
    assert "--chain-id 99" in message and "--host 127.0.0.1" in message


def test_binary_that_cannot_run_raises_anvil_start_error(tmp_path: Path) -> None:
    not_exec = tmp_path / "anvil"
    not_exec.write_text("nope")
    with pytest.raises(AnvilStartError, match="cannot run"):
        AnvilNode.start(binary=not_exec)


# --------------------------------------------------------------------------------------------
# find_anvil / ensure_anvil


@pytest.fixture
def no_anvil_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TXFIREWALL_ANVIL, an empty PATH (so no anvil and no npm) and an empty cache."""
    cache = tmp_path / "cache"
    cache.mkdir()
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.delenv("TXFIREWALL_ANVIL", raising=False)
    monkeypatch.setenv("PATH", str(empty_bin))
    monkeypatch.setenv("TXFIREWALL_CACHE", str(cache))
    return cache


def test_find_anvil_honours_txfirewall_anvil(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    on_path = make_executable(tmp_path / "bin" / "anvil")
    explicit = make_executable(tmp_path / "elsewhere" / "my-anvil")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setenv("TXFIREWALL_ANVIL", str(explicit))
    assert find_anvil() == explicit
    assert ensure_anvil() == explicit
    monkeypatch.delenv("TXFIREWALL_ANVIL")
    assert find_anvil() == on_path


@pytest.mark.parametrize("kind", ["not-executable", "directory", "missing"])
def test_unusable_txfirewall_anvil_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str) -> None:
    target = tmp_path / "anvil"
    if kind == "not-executable":
        target.write_text("#!/bin/sh\n")
        target.chmod(0o644)
    elif kind == "directory":
        target.mkdir()
    monkeypatch.setenv("TXFIREWALL_ANVIL", str(target))
    with pytest.raises(AnvilNotFoundError) as info:
        find_anvil()
    assert "TXFIREWALL_ANVIL" in str(info.value) and str(target) in str(info.value)
    with pytest.raises(AnvilNotFoundError):
        ensure_anvil()  # no silent fallback to PATH or the cache


def test_find_anvil_uses_the_cache(no_anvil_anywhere: Path) -> None:
    assert find_anvil() is None
    cached = cached_anvil_path()
    assert no_anvil_anywhere in cached.parents
    make_executable(cached)
    assert find_anvil() == cached
    assert ensure_anvil(install=False) == cached


def test_ensure_anvil_without_anvil_or_npm_explains_how_to_install(no_anvil_anywhere: Path) -> None:
    assert find_anvil() is None
    with pytest.raises(AnvilNotFoundError) as info:
        ensure_anvil()
    message = str(info.value)
    assert "npm is not available" in message
    assert "install Foundry" in message
    assert "https://book.getfoundry.sh" in message
    assert "TXFIREWALL_ANVIL" in message
    assert list(no_anvil_anywhere.iterdir()) == []  # nothing was installed or even prepared
    with pytest.raises(AnvilNotFoundError, match="install Foundry"):
        ensure_anvil(install=False)


# --------------------------------------------------------------------------------------------
# no orphans

_CHILD = textwrap.dedent(
    """
    import sys, time
    from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
    node = AnvilNode.start(AnvilOptions(chain_id=5150))
    print(node.pid, node.url, flush=True)
    time.sleep(120)
    """
)


def test_killed_parent_leaves_no_orphan() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _CHILD],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    anvil_pid = None
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line, f"the child did not start anvil: {parent.stderr.read() if parent.stderr else ''}"
        pid_text, url = line.split()
        anvil_pid = int(pid_text)
        assert probe_chain_id(url) == 5150
        parent.send_signal(signal.SIGKILL)  # no atexit, no finally: only PR_SET_PDEATHSIG can help
        parent.wait(timeout=10)
        assert parent.returncode == -signal.SIGKILL
        # the orphan's new parent may not reap it at once; a zombie is already dead
        assert wait_gone(anvil_pid, timeout=5, zombie_ok=True), f"anvil {anvil_pid} survived its parent"
        assert probe_chain_id(url, timeout=0.5) is None
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)
        for stream in (parent.stdout, parent.stderr):
            if stream is not None:
                stream.close()
        if anvil_pid is not None and _state(anvil_pid) not in (None, "Z", "X"):
            os.kill(anvil_pid, signal.SIGKILL)  # our own orphan: clean up before failing
