"""The package as a user gets it: the wheel built from this checkout, installed into a fresh venv
outside the repository, runs ``txfirewall demo`` on the fixture chain it ships.

The fresh venv gets txfirewall from the wheel only; its dependencies come from the test run's own
environment through a path entry (installing web3, numba... again would only test the network).
The editable install's import hook is not active there: a .pth line adds a path, and .pth files in
that path are not processed.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    wheels = root / "dist"
    had_build_dir = (REPO / "build").exists()
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "-w",
                str(wheels),
                str(REPO),
            ],
            check=True,
            capture_output=True,
        )
    finally:
        if not had_build_dir:  # setuptools builds in the source tree: leave the checkout as it was
            shutil.rmtree(REPO / "build", ignore_errors=True)
    (wheel,) = wheels.glob("txfirewall-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    target = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (target / "deps-from-test-env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    script = env_dir / "bin" / "txfirewall"
    script.write_text(f"#!{python}\nimport sys\nfrom txfirewall.cli.main import entry\nsys.exit(entry())\n")
    script.chmod(0o755)
    return env_dir


def _run(env_dir: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(env_dir / "bin" / "txfirewall"), *argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import txfirewall.cli.demo as d; print(d.__file__); print(d.bundled_fixtures())",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.split()
    assert all(str(installed) in line for line in out), out
    assert str(REPO) not in " ".join(out)


def test_demo_runs_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    proc = _run(installed, "demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "every benign request allowed, every malicious one warned or blocked" in proc.stdout
