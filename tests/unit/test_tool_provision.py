"""Provisioning Foundry's binaries (anvil, cast): version pins, the npm platform packages, lookup order,
typed errors, and one npm install at a time. npm itself is a stand-in here; the real install is
exercised by the ``cast_bin`` fixture and by ``txfirewall setup``."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from txfirewall.chain import anvil_provision as prov
from txfirewall.chain.anvil_provision import (
    ANVIL,
    CAST,
    cached_anvil_path,
    cached_cast_path,
    ensure_cast,
    find_cast,
)
from txfirewall.errors import (
    AnvilNotFoundError,
    CastNotFoundError,
    EnvironmentFailure,
    ToolNotFoundError,
)

REPO = Path(__file__).resolve().parents[2]


def make_executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TXFIREWALL_CAST / TXFIREWALL_ANVIL, a PATH with nothing on it, an empty cache; returns the
    PATH folder (tests put a fake npm there)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "cache").mkdir()
    monkeypatch.delenv("TXFIREWALL_CAST", raising=False)
    monkeypatch.delenv("TXFIREWALL_ANVIL", raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("TXFIREWALL_CACHE", str(tmp_path / "cache"))
    return bin_dir


def test_cast_is_pinned_to_anvils_foundry_release() -> None:
    assert ANVIL.spec == "@foundry-rs/anvil@1.7.1"
    assert CAST.spec == "@foundry-rs/cast@1.7.1"
    assert CAST.version == ANVIL.version
    assert (ANVIL.env_var, CAST.env_var) == ("TXFIREWALL_ANVIL", "TXFIREWALL_CAST")
    assert (ANVIL.error, CAST.error) == (AnvilNotFoundError, CastNotFoundError)


@pytest.mark.parametrize(
    ("system", "machine", "suffix"),
    [
        ("Linux", "x86_64", "linux-amd64"),
        ("Linux", "aarch64", "linux-arm64"),
        ("Darwin", "x86_64", "darwin-amd64"),
        ("Darwin", "arm64", "darwin-arm64"),
    ],
)
def test_cache_paths_name_the_platform_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, system: str, machine: str, suffix: str
) -> None:
    monkeypatch.setenv("TXFIREWALL_CACHE", str(tmp_path))
    monkeypatch.setattr(prov.platform, "system", lambda: system)
    monkeypatch.setattr(prov.platform, "machine", lambda: machine)
    modules = tmp_path / "{}" / "1.7.1" / "node_modules" / "@foundry-rs"
    # anvil's path is the one every earlier release used: existing caches stay valid
    assert cached_anvil_path() == Path(str(modules).format("anvil")) / f"anvil-{suffix}" / "bin" / "anvil"
    assert cached_cast_path() == Path(str(modules).format("cast")) / f"cast-{suffix}" / "bin" / "cast"


def test_unknown_platform_raises_the_tools_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prov.platform, "system", lambda: "Windows")
    monkeypatch.setattr(prov.platform, "machine", lambda: "AMD64")
    with pytest.raises(CastNotFoundError, match="no prebuilt @foundry-rs/cast for Windows AMD64"):
        cached_cast_path()
    with pytest.raises(AnvilNotFoundError, match="no prebuilt @foundry-rs/anvil for Windows AMD64"):
        cached_anvil_path()


def test_error_hierarchy_and_hints() -> None:
    for error in (AnvilNotFoundError, CastNotFoundError):
        assert issubclass(error, ToolNotFoundError)
        assert issubclass(error, EnvironmentFailure)
    assert not issubclass(CastNotFoundError, AnvilNotFoundError)
    assert "TXFIREWALL_ANVIL" in AnvilNotFoundError.hint and "@foundry-rs/anvil" in AnvilNotFoundError.hint
    assert "TXFIREWALL_CAST" in CastNotFoundError.hint and "@foundry-rs/cast" in CastNotFoundError.hint
    assert "install Foundry" in ToolNotFoundError.hint


def test_find_cast_order_env_then_path_then_cache(monkeypatch: pytest.MonkeyPatch, bare: Path, tmp_path: Path) -> None:
    assert find_cast() is None
    cached = make_executable(cached_cast_path())
    assert find_cast() == cached
    on_path = make_executable(bare / "cast")
    assert find_cast() == on_path
    explicit = make_executable(tmp_path / "elsewhere" / "my-cast")
    monkeypatch.setenv("TXFIREWALL_CAST", str(explicit))
    assert find_cast() == explicit
    assert ensure_cast() == explicit


def test_find_cast_ignores_anvils_override(monkeypatch: pytest.MonkeyPatch, bare: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("TXFIREWALL_ANVIL", str(make_executable(tmp_path / "anvil")))
    assert find_cast() is None


@pytest.mark.parametrize("kind", ["not-executable", "directory", "missing"])
def test_unusable_txfirewall_cast_raises(
    monkeypatch: pytest.MonkeyPatch, bare: Path, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "cast"
    if kind == "not-executable":
        target.write_text("#!/bin/sh\n")
        target.chmod(0o644)
    elif kind == "directory":
        target.mkdir()
    make_executable(bare / "cast")  # never a silent fallback to PATH
    monkeypatch.setenv("TXFIREWALL_CAST", str(target))
    with pytest.raises(CastNotFoundError, match="TXFIREWALL_CAST=") as info:
        ensure_cast()
    assert str(target) in str(info.value)


def test_ensure_cast_without_npm_explains_how_to_install(bare: Path, tmp_path: Path) -> None:
    with pytest.raises(CastNotFoundError) as info:
        ensure_cast()
    message = str(info.value)
    assert "cast is not installed and npm is not available to install it" in message
    assert "TXFIREWALL_CAST" in message and "https://book.getfoundry.sh" in message
    assert list((tmp_path / "cache").iterdir()) == []  # nothing was installed or even prepared
    with pytest.raises(CastNotFoundError, match="cast is not installed"):
        ensure_cast(install=False)


# --------------------------------------------------------------------------------------------
# npm, faked: a Python script that logs its argv and what it saw, and lays out the package as npm does

_FAKE_NPM = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys, time
    log = {log!r}
    argv = sys.argv[1:]
    started = time.time()
    time.sleep({delay})
    mode = {mode!r}
    if mode == "fail":
        print("npm error 404 Not Found - GET @foundry-rs/cast", file=sys.stderr)
        sys.exit(1)
    if mode == "ok":
        prefix = argv[argv.index("--prefix") + 1]
        target = os.path.join(prefix, "node_modules", "@foundry-rs", {native!r}, "bin", "cast")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write("#!/bin/sh\\nexit 0\\n")
        os.chmod(target, 0o755)
    with open(log, "a") as f:
        f.write(json.dumps({{"argv": argv, "pid": os.getpid(), "start": started, "end": time.time()}}) + "\\n")
    """
)


def fake_npm(bin_dir: Path, log: Path, *, mode: str = "ok", delay: float = 0.0) -> Path:
    native = f"cast-{prov.platform_suffix(CAST)}"
    body = _FAKE_NPM.format(python=sys.executable, log=str(log), delay=delay, mode=mode, native=native)
    return make_executable(bin_dir / "npm", body)


def runs(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_ensure_cast_installs_the_pinned_package_into_the_cache(bare: Path, tmp_path: Path) -> None:
    log = tmp_path / "npm.log"
    fake_npm(bare, log)
    path = ensure_cast()
    assert path == cached_cast_path()
    root = tmp_path / "cache" / "cast" / "1.7.1"
    assert root in path.parents
    (run,) = runs(log)
    assert run["argv"] == [
        "install",
        "--prefix",
        str(root),
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "@foundry-rs/cast@1.7.1",
    ]
    assert ensure_cast() == path  # installed once
    assert len(runs(log)) == 1
    assert not (tmp_path / "cache" / "anvil").exists()  # anvil's cache is not touched


@pytest.mark.parametrize(
    ("mode", "needle"),
    [
        ("fail", "`npm install @foundry-rs/cast@1.7.1` failed: npm error 404 Not Found"),
        ("empty", "npm finished but"),
    ],
)
def test_a_failed_install_raises_cast_not_found(bare: Path, tmp_path: Path, mode: str, needle: str) -> None:
    fake_npm(bare, tmp_path / "npm.log", mode=mode)
    with pytest.raises(CastNotFoundError) as info:
        ensure_cast()
    assert needle in str(info.value)
    assert "TXFIREWALL_CAST" in str(info.value)  # the hint follows


_INSTALL = "from txfirewall.chain.anvil_provision import ensure_cast; print(ensure_cast())"


def test_two_processes_installing_at_once_run_npm_once(bare: Path, tmp_path: Path) -> None:
    log = tmp_path / "npm.log"
    fake_npm(bare, log, delay=1.0)  # long enough for the second process to reach the lock meanwhile
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _INSTALL], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == str(cached_cast_path())
    assert len(runs(log)) == 1, "the second installer waited for the first and found the binary"


def test_module_main_prints_the_named_tool(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], bare: Path, tmp_path: Path
) -> None:
    cast_exe = make_executable(tmp_path / "c" / "cast")
    anvil_exe = make_executable(tmp_path / "a" / "anvil")
    monkeypatch.setenv("TXFIREWALL_CAST", str(cast_exe))
    monkeypatch.setenv("TXFIREWALL_ANVIL", str(anvil_exe))
    prov.main(["cast"])
    prov.main([])  # anvil, as before
    assert capsys.readouterr().out.split() == [str(cast_exe), str(anvil_exe)]
    with pytest.raises(SystemExit, match=r"\[anvil\|cast\]"):
        prov.main(["forge"])
