"""``txfirewall scan``: many requests in, one verdict a line out, in order, offline in parallel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from txfirewall.cli.scan import PARALLEL_FROM

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "txfirewall"
REQUESTS = REPO / "anvil_fixtures" / "requests"


def _scan(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "scan", str(path), "--no-simulate", *extra], capture_output=True, text=True, timeout=300, check=False
    )


def _samples() -> list[str]:
    index = json.loads((REQUESTS / "index.json").read_text())
    return [json.dumps(json.loads((REQUESTS / item["file"]).read_text())) for item in index]


def test_every_line_gets_its_verdict_in_order(tmp_path: Path) -> None:
    lines = [*_samples(), "{not json", ""]
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(lines) + "\n")
    proc = _scan(path)
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["line"] for o in out] == list(range(1, len(lines)))  # the blank last line is skipped
    assert out[-1]["verdict"] == "block" and out[-1]["findings"][0]["rule"] == "invalid-request"
    assert proc.returncode == 20 and proc.stderr == ""


def test_the_parallel_path_gives_the_same_verdicts(tmp_path: Path) -> None:
    samples = [s for s in _samples() if '"eth_sign"' not in s]
    many = (samples * (PARALLEL_FROM // len(samples) + 1))[: PARALLEL_FROM + 10]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(many) + "\n")
    parallel = _scan(path, "--workers", "2")
    serial = _scan(path, "--workers", "1")
    assert parallel.returncode == serial.returncode
    strip = [{k: v for k, v in json.loads(line).items() if k != "timings_ms"} for line in parallel.stdout.splitlines()]
    expected = [{k: v for k, v in json.loads(line).items() if k != "timings_ms"} for line in serial.stdout.splitlines()]
    assert len(strip) == len(many) and strip == expected


def test_with_simulation_requests_are_analysed_concurrently_on_one_fork(mainnet: object, tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    samples = _samples()
    path.write_text("\n".join(samples) + "\n")
    proc = subprocess.run(
        [
            str(CLI),
            "scan",
            str(path),
            "--rpc",
            mainnet.url,
            "--concurrency",
            "4",
            "--history",
            str(REPO / "anvil_fixtures" / "history.jsonl"),
        ],  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(samples) and [o["line"] for o in out] == list(range(1, len(samples) + 1))
    index = json.loads((REQUESTS / "index.json").read_text())
    for item, verdict in zip(index, out, strict=True):
        assert (verdict["verdict"] == "allow") == (item["expect"] == "allow"), (item["file"], verdict["verdict"])
    assert any(o["simulation"]["status"] == "success" for o in out)
