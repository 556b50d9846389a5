"""``txfirewall audit verify|show`` run as the real console script on real log files: exit codes,
human and JSON output, the default path, hostile content kept off the terminal. Offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from txfirewall.cli.exit_codes import EXIT_AUDIT_BROKEN, EXIT_USAGE
from txfirewall.proxy.audit import AuditLog

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "txfirewall"


def cli(
    *args: str | Path, env: dict[str, str] | None = None, user: int | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("TXFIREWALL_AUDIT_LOG", "XDG_STATE_HOME")}
    # This checkout first, whichever one the console script was installed from.
    base["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    # As another user through setpriv (util-linux): subprocess's own ``user=`` is refused here.
    become = [] if user is None else ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    return subprocess.run(
        [*become, str(CLI), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**base, **(env or {})},
        timeout=60,
        check=False,
    )


def make_log(path: Path, records: list[dict[str, Any]], **kwargs: Any) -> None:
    with AuditLog(path, **kwargs) as log:
        for r in records:
            log.append(r)


RECORDS = [{"method": "eth_sendTransaction", "verdict": v, "choice": c} for v, c in [("allow", "sign")] * 3]


@pytest.fixture
def intact(tmp_path: Path) -> Path:
    path = tmp_path / "intact" / "audit.jsonl"
    make_log(path, RECORDS)
    return path


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    path = tmp_path / "tampered" / "audit.jsonl"
    make_log(path, RECORDS)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"verdict":"allow"', b'"verdict":"block"')
    path.write_bytes(b"".join(lines))
    return path


def test_verify_an_intact_log(intact: Path) -> None:
    out = cli("audit", "verify", intact)
    assert out.returncode == 0, out.stderr
    assert f"audit log {intact}: intact" in out.stdout
    assert "4 entries (seq 0..3) in 1 file(s)" in out.stdout
    assert "head: seq 3 hash " in out.stdout
    assert out.stderr == ""


def test_verify_a_tampered_log(tampered: Path) -> None:
    out = cli("audit", "verify", tampered)
    assert out.returncode == EXIT_AUDIT_BROKEN == 5
    assert "BROKEN: 1 problem(s)" in out.stdout
    assert "problem: audit.jsonl line 3: entry seq 2 does not match its hash" in out.stdout


def test_verify_a_torn_log(intact: Path) -> None:
    with open(intact, "ab") as f:
        f.write(b'{"hash":"12')
    out = cli("audit", "verify", intact)
    assert out.returncode == EXIT_AUDIT_BROKEN
    assert "audit.jsonl line 5: incomplete last line" in out.stdout


def test_verify_json(intact: Path, tampered: Path) -> None:
    good = cli("audit", "verify", intact, "--json")
    assert good.returncode == 0
    report = json.loads(good.stdout)
    assert report["ok"] is True and report["entries"] == 4 and report["problems"] == []
    assert report["files"] == [str(intact)] and len(report["last_hash"]) == 64
    bad = cli("audit", "verify", tampered, "--json")
    assert bad.returncode == EXIT_AUDIT_BROKEN
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    assert [(p["line"], p["kind"]) for p in report["problems"]] == [(3, "hash")]


def test_verify_notes_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    make_log(path, RECORDS * 30, max_bytes=2048, keep=2)
    with open(path, "ab") as f:
        f.write(b"\x00\x00\x00")
    make_log(path, RECORDS, max_bytes=2048, keep=2)
    out = cli("audit", "verify", path)
    assert out.returncode == 0, out.stdout
    assert "3 file(s)" in out.stdout
    assert "note: audit.jsonl.2 line 1: the retained chain starts after rotation" in out.stdout
    assert "a torn write of 3 bytes was recovered" in out.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_a_missing_or_unreadable_log_is_a_usage_error(tmp_path: Path, as_json: bool) -> None:
    flag = ["--json"] if as_json else []
    missing = cli("audit", "verify", tmp_path / "nope.jsonl", *flag)
    assert missing.returncode == EXIT_USAGE == 2
    assert "no audit log at" in missing.stderr
    if as_json:
        assert json.loads(missing.stdout)["error"]["class"] == "AuditLogError"
    else:
        assert missing.stdout == ""
    directory = cli("audit", "verify", tmp_path, *flag)
    assert directory.returncode == EXIT_USAGE
    assert "not a regular file" in directory.stderr


NOBODY = 65534


def test_an_unreadable_file_is_a_usage_error(intact: Path) -> None:
    """Root reads files whatever their mode, so as root the command runs as ``nobody`` on a copy of
    the log in a folder nobody may enter (the suite's temporary folders are root's own)."""
    user = None
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("as root, this needs setpriv (util-linux) to run the command as nobody")
        folder = Path(tempfile.mkdtemp(prefix="txfirewall-audit-"))
        folder.chmod(0o755)
        shutil.copy(intact, folder / intact.name)
        intact, user = folder / intact.name, NOBODY
    intact.chmod(0)
    out = cli("audit", "verify", intact, user=user)
    assert out.returncode == EXIT_USAGE
    assert "cannot read" in out.stderr


def test_a_path_through_a_file_is_a_usage_error(intact: Path) -> None:
    out = cli("audit", "verify", intact / "audit.jsonl")
    assert out.returncode == EXIT_USAGE
    assert "cannot list" in out.stderr and "Traceback" not in out.stderr


def test_the_default_path_is_under_xdg_state_home(tmp_path: Path) -> None:
    path = tmp_path / "state" / "txfirewall" / "audit.jsonl"
    make_log(path, RECORDS)
    out = cli("audit", "verify", env={"XDG_STATE_HOME": str(tmp_path / "state")})
    assert out.returncode == 0 and f"audit log {path}: intact" in out.stdout
    out = cli("audit", "verify", env={"TXFIREWALL_AUDIT_LOG": str(tmp_path / "other.jsonl")})
    assert out.returncode == EXIT_USAGE and "other.jsonl" in out.stderr


def test_show_prints_the_newest_entries_escaped(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    hostile = "\u202eevil\x1b[2J\nnext"
    make_log(path, [*RECORDS, {"token": hostile}])
    out = cli("audit", "show", path, "--last", "2")
    assert out.returncode == 0
    shown = out.stdout.splitlines()
    assert len(shown) == 2
    assert shown[0].startswith("audit.jsonl:4  seq 3  ") and "record {" in shown[0]
    assert shown[1].endswith('record {"token":"\\u202eevil\\u001b[2J\\nnext"}')
    assert out.stdout.isascii() and "\x1b" not in out.stdout
    js = cli("audit", "show", path, "--last", "3", "--json")
    entries = [json.loads(line) for line in js.stdout.splitlines()]
    assert [e["seq"] for e in entries] == [2, 3, 4]
    assert entries[-1]["record"] == {"token": hostile}


def test_help_lists_the_audit_commands() -> None:
    out = cli("audit", "--help")
    assert out.returncode == 0 and "verify" in out.stdout and "show" in out.stdout
    assert cli("audit").returncode == EXIT_USAGE
