"""Locate Foundry's binaries, installing the pinned npm build into a per-user cache if needed.

Two tools are provisioned the same way: ``anvil`` (the simulation engine, needed at run time) and
``cast`` (a JSON-RPC client that only the tests use; ``txfirewall setup`` never installs it).

Order, for each: ``$TXFIREWALL_ANVIL`` / ``$TXFIREWALL_CAST``, then the tool on ``PATH``, then the
cache. The cache holds the native binary of ``@foundry-rs/<tool>``: npm installs the platform's
optional dependency ``@foundry-rs/<tool>-<os>-<arch>``, whose ``bin/<tool>`` is run directly (the
main package's node wrapper adds ~90 ms per start, so it is never used). Installs are serialised
per tool and version by an ``fcntl`` lock in the cache, so parallel test processes share one.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from txfirewall.errors import AnvilNotFoundError, CastNotFoundError, ToolNotFoundError

ANVIL_NPM_PACKAGE = "@foundry-rs/anvil"
ANVIL_NPM_VERSION = "1.7.1"
# The same Foundry release as anvil; cast is used by the tests only.
CAST_NPM_PACKAGE = "@foundry-rs/cast"
CAST_NPM_VERSION = "1.7.1"

_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
    ("Darwin", "arm64"): "darwin-arm64",
}


@dataclass(frozen=True)
class FoundryTool:
    """One Foundry binary published on npm: what to install and how to report its absence."""

    name: str  # the executable's name, also the cache folder: <cache>/<name>/<version>
    npm_package: str  # "@foundry-rs/<name>"; the native build is "<npm_package>-<os>-<arch>"
    version: str
    env_var: str  # an explicit binary that wins over PATH and the cache
    error: type[ToolNotFoundError]

    @property
    def spec(self) -> str:
        """The npm install spec, ``package@version``."""
        return f"{self.npm_package}@{self.version}"


ANVIL = FoundryTool("anvil", ANVIL_NPM_PACKAGE, ANVIL_NPM_VERSION, "TXFIREWALL_ANVIL", AnvilNotFoundError)
CAST = FoundryTool("cast", CAST_NPM_PACKAGE, CAST_NPM_VERSION, "TXFIREWALL_CAST", CastNotFoundError)


def cache_dir() -> Path:
    """The per-user cache root (``$TXFIREWALL_CACHE``, else ``$XDG_CACHE_HOME/txfirewall``)."""
    explicit = os.environ.get("TXFIREWALL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "txfirewall"


def platform_suffix(tool: FoundryTool) -> str:
    """The ``<os>-<arch>`` suffix of the tool's native npm package on this machine."""
    key = (platform.system(), platform.machine())
    try:
        return _PLATFORMS[key]
    except KeyError:
        raise tool.error(f"no prebuilt {tool.npm_package} for {key[0]} {key[1]}") from None


def _install_root(tool: FoundryTool) -> Path:
    return cache_dir() / tool.name / tool.version


def cached_tool_path(tool: FoundryTool) -> Path:
    """Where the tool's pinned native binary lives once installed in the cache."""
    scope, _, package = tool.npm_package.partition("/")
    native = f"{package}-{platform_suffix(tool)}"
    return _install_root(tool) / "node_modules" / scope / native / "bin" / tool.name


def find_tool(tool: FoundryTool) -> Path | None:
    """Return the tool's binary without installing anything, or None."""
    explicit = os.environ.get(tool.env_var)
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise tool.error(f"{tool.env_var}={explicit!r} is not an executable file")
        return path
    on_path = shutil.which(tool.name)
    if on_path:
        return Path(on_path)
    cached = cached_tool_path(tool)
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    return None


def ensure_tool(tool: FoundryTool, *, install: bool = True) -> Path:
    """Return the tool's binary, installing ``tool.spec`` from npm into the cache if absent."""
    found = find_tool(tool)
    if found is not None:
        return found
    if not install:
        raise tool.error(f"{tool.name} is not installed")
    npm = shutil.which("npm")
    if npm is None:
        raise tool.error(f"{tool.name} is not installed and npm is not available to install it")
    target = cached_tool_path(tool)
    root = _install_root(tool)
    root.mkdir(parents=True, exist_ok=True)
    # One installer at a time: parallel test workers or demo runs share the cache.
    with open(root / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            _npm_install(tool, npm, root)
    if not (target.is_file() and os.access(target, os.X_OK)):
        raise tool.error(f"npm finished but {target} is missing")
    return target


def _npm_install(tool: FoundryTool, npm: str, root: Path) -> None:
    spec = tool.spec
    cmd = [npm, "install", "--prefix", str(root), "--no-audit", "--no-fund", "--ignore-scripts", spec]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603 - fixed argv
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise tool.error(f"`npm install {spec}` failed: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise tool.error(f"`npm install {spec}` failed: " + " | ".join(tail))


def cached_anvil_path() -> Path:
    """Where the pinned native anvil binary lives once installed in the cache."""
    return cached_tool_path(ANVIL)


def find_anvil() -> Path | None:
    """Return an anvil binary without installing anything, or None."""
    return find_tool(ANVIL)


def ensure_anvil(*, install: bool = True) -> Path:
    """Return an anvil binary, installing ``@foundry-rs/anvil@ANVIL_NPM_VERSION`` if absent."""
    return ensure_tool(ANVIL, install=install)


def cached_cast_path() -> Path:
    """Where the pinned native cast binary lives once installed in the cache."""
    return cached_tool_path(CAST)


def find_cast() -> Path | None:
    """Return a cast binary (``$TXFIREWALL_CAST``, PATH, cache) without installing, or None."""
    return find_tool(CAST)


def ensure_cast(*, install: bool = True) -> Path:
    """Return a cast binary, installing ``@foundry-rs/cast@CAST_NPM_VERSION`` if absent (tests only)."""
    return ensure_tool(CAST, install=install)


TOOLS = {tool.name: tool for tool in (ANVIL, CAST)}


def main(argv: list[str] | None = None) -> None:
    """``python -m txfirewall.chain.anvil_provision [anvil|cast]``: make sure the tool (default
    anvil) is present, print its path."""
    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args else "anvil"
    if name not in TOOLS:
        raise SystemExit(f"usage: python -m txfirewall.chain.anvil_provision [{'|'.join(TOOLS)}]")
    print(ensure_tool(TOOLS[name]))


if __name__ == "__main__":
    main()
