"""Locate the anvil binary, installing the pinned npm build into a per-user cache if needed.

Order: ``$TXFIREWALL_ANVIL``, then ``anvil`` on ``PATH``, then the cache. The cache holds the
native binary of ``@foundry-rs/anvil`` (the package's node wrapper adds ~90 ms per start, so
it is never used).
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
from pathlib import Path

from txfirewall.errors import AnvilNotFoundError

ANVIL_NPM_PACKAGE = "@foundry-rs/anvil"
ANVIL_NPM_VERSION = "1.7.1"

_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
    ("Darwin", "arm64"): "darwin-arm64",
}


def cache_dir() -> Path:
    """The per-user cache root (``$TXFIREWALL_CACHE``, else ``$XDG_CACHE_HOME/txfirewall``)."""
    explicit = os.environ.get("TXFIREWALL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "txfirewall"


def _platform_suffix() -> str:
    key = (platform.system(), platform.machine())
    try:
        return _PLATFORMS[key]
    except KeyError:
        raise AnvilNotFoundError(
            f"no prebuilt @foundry-rs/anvil for {key[0]} {key[1]}",
        ) from None


def cached_anvil_path() -> Path:
    """Where the pinned native binary lives once installed in the cache."""
    root = cache_dir() / "anvil" / ANVIL_NPM_VERSION
    suffix = _platform_suffix()
    return root / "node_modules" / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"


def find_anvil() -> Path | None:
    """Return an anvil binary without installing anything, or None."""
    explicit = os.environ.get("TXFIREWALL_ANVIL")
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise AnvilNotFoundError(f"TXFIREWALL_ANVIL={explicit!r} is not an executable file")
        return path
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    cached = cached_anvil_path()
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    return None


def ensure_anvil(*, install: bool = True) -> Path:
    """Return an anvil binary, installing ``@foundry-rs/anvil@ANVIL_NPM_VERSION`` if absent."""
    found = find_anvil()
    if found is not None:
        return found
    if not install:
        raise AnvilNotFoundError("anvil is not installed")
    npm = shutil.which("npm")
    if npm is None:
        raise AnvilNotFoundError("anvil is not installed and npm is not available to install it")
    target = cached_anvil_path()
    root = cache_dir() / "anvil" / ANVIL_NPM_VERSION
    root.mkdir(parents=True, exist_ok=True)
    # One installer at a time: parallel test workers or demo runs share the cache.
    with open(root / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_file():
            _npm_install(npm, root)
    if not (target.is_file() and os.access(target, os.X_OK)):
        raise AnvilNotFoundError(f"npm finished but {target} is missing")
    return target


def _npm_install(npm: str, root: Path) -> None:
    spec = f"{ANVIL_NPM_PACKAGE}@{ANVIL_NPM_VERSION}"
    cmd = [npm, "install", "--prefix", str(root), "--no-audit", "--no-fund", "--ignore-scripts", spec]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603 - fixed argv
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AnvilNotFoundError(f"`npm install {spec}` failed: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise AnvilNotFoundError(f"`npm install {spec}` failed: " + " | ".join(tail))


def main() -> None:
    """``python -m txfirewall.chain.anvil_provision``: make sure anvil is present, print its path."""
    print(ensure_anvil())


if __name__ == "__main__":
    main()
