"""A five-second soak through the real proxy process (tools/soak.py): every reply matched, nothing
lost, and the report written. The long runs are ``make soak DURATION=... RATE=...``
(docs/soak_report.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.e2e


def test_a_short_soak_loses_and_mismatches_nothing(tmp_path: Path) -> None:
    out, summary = tmp_path / "soak.md", tmp_path / "soak.json"
    cmd = [
        sys.executable,
        str(REPO / "tools" / "soak.py"),
        "--duration",
        "5",
        "--rate",
        "60",
        "--out",
        str(out),
        "--json",
        str(summary),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=REPO, env=env)
    assert summary.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    verdict = json.loads(summary.read_text())["verdict"]
    assert verdict["sent"] >= 250
    assert verdict["lost"] == 0 and verdict["mismatched"] == 0, verdict
    assert verdict["other_errors"] == 0, json.loads(summary.read_text())["errors"]
    kinds = json.loads(summary.read_text())["kinds"]
    assert {"read", "batch"} <= set(kinds)
    report = out.read_text()
    assert report.startswith("# Soak report") and "| t s | sent |" in report
    assert proc.returncode == 0, proc.stdout[-2000:]
