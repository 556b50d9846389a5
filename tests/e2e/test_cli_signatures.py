"""``txfirewall signatures import|lookup`` run as the real console script, and ``check`` decoding a
selector that only the imported dump knows. Offline: no node is started."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from txfirewall.model.hashing import selector_of
from txfirewall.signatures.user_db import ENV_VAR

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "txfirewall"
ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
TOKEN = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"
CLAIM = "claimAirdropReward_txfw(uint256,address)"
COLLIDING = "branch_passphrase_public(uint256,bytes8)"
"""A real collision with the shipped ``balanceOf(address)``."""


def cli(*args: str | Path, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TXFIREWALL_RPC"}
    if db is not None:
        env[ENV_VAR] = str(db)
    return subprocess.run(
        [str(CLI), *map(str, args)], capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False
    )


def hexsel(signature: str) -> str:
    return "0x" + selector_of(signature).hex()


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    rows = [
        "id,text_signature,hex_signature",
        f'1,"{CLAIM}",{hexsel(CLAIM)}',
        f'2,"{COLLIDING}",{hexsel(COLLIDING)}',
        f'3,"approve(address,uint256)",{hexsel("transfer(address,uint256)")}',  # poisoned
        "4,f(uint),0x12345678",
    ]
    path = tmp_path / "4byte.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    return path


def summary_counts(stdout: str) -> dict[str, int]:
    counts = {}
    for line in stdout.splitlines()[1:]:
        words = line.split()
        if len(words) >= 2 and words[-1].replace(",", "").isdigit():
            counts[" ".join(words[:-1])] = int(words[-1].replace(",", ""))
    return counts


def test_import_reimport_lookup_and_check(dump: Path, tmp_path: Path) -> None:
    db = tmp_path / "data" / "signatures.db"
    first = cli("signatures", "import", dump, "--db", db)
    assert first.returncode == 0, first.stderr
    assert f"into {db}" in first.stdout and "(csv)" in first.stdout
    counts = summary_counts(first.stdout)
    assert {k: counts[k] for k in ("read", "added", "already present", "rejected")} == {
        "read": 4,
        "added": 2,
        "already present": 0,
        "rejected": 2,
    }
    assert "selector-mismatch" in first.stdout and "bad-signature" in first.stdout
    assert "approve(address,uint256)" in first.stdout  # the poisoned row is shown as an example
    assert first.stderr == ""  # no progress line when stderr is not a terminal

    again = summary_counts(cli("signatures", "import", dump, "--db", db).stdout)
    assert (again["added"], again["already present"]) == (0, 2)

    look = cli("signatures", "lookup", hexsel(CLAIM), hexsel("balanceOf(address)"), "0xdeadbeef", "--json", db=db)
    assert look.returncode == 0, look.stderr
    found = {item["selector"]: item["signatures"] for item in json.loads(look.stdout)}
    assert found[hexsel(CLAIM)] == [{"signature": CLAIM, "source": "user"}]
    assert found[hexsel("balanceOf(address)")] == [
        {"signature": "balanceOf(address)", "source": "shipped"},
        {"signature": COLLIDING, "source": "user"},
    ]
    assert found["0xdeadbeef"] == []

    data = selector_of(CLAIM).hex() + f"{10**18:064x}" + ALICE[2:].lower().rjust(64, "0")
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{"from": ALICE, "to": TOKEN, "data": "0x" + data}]}  # fmt: skip
    (tmp_path / "req.json").write_text(json.dumps(request))
    with_db = verdict(cli("check", tmp_path / "req.json", "--no-simulate", "--json", db=db))
    assert with_db["intent"]["call"]["signature"] == CLAIM
    assert with_db["intent"]["call"]["source"] == "user-selector-db"
    without = verdict(cli("check", tmp_path / "req.json", "--no-simulate", "--json", db=tmp_path / "none.db"))
    assert without["intent"]["call"] is None


def verdict(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.stdout.strip(), proc.stderr
    data = json.loads(proc.stdout)
    assert isinstance(data, dict)
    return data


def test_lookup_without_a_database_shows_the_shipped_one(tmp_path: Path) -> None:
    proc = cli("signatures", "lookup", "a9059cbb", db=tmp_path / "absent.db")
    assert proc.returncode == 0
    assert "transfer(address,uint256)" in proc.stdout and "shipped" in proc.stdout
    assert "no signature database" in proc.stderr
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("signatures", "import", "missing.csv"), "cannot read missing.csv"),
        (("signatures", "lookup", "0x1234"), "not a 4-byte selector"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    proc = cli(*args, "--db", tmp_path / "s.db")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_file_that_is_not_a_dump_exits_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\nworld\n")
    proc = cli("signatures", "import", tmp_path / "notes.txt", "--db", tmp_path / "s.db")
    assert proc.returncode == 2 and "neither a header nor" in proc.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty semantics differ")
def test_progress_is_shown_on_a_terminal_and_cleared(dump: Path, tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, ENV_VAR: str(tmp_path / "s.db")}
    with os.fdopen(leader, "rb", buffering=0) as terminal:
        proc = subprocess.run(
            [str(CLI), "signatures", "import", str(dump)],
            stdout=subprocess.PIPE,
            stderr=follower,
            cwd=REPO,
            env=env,
            timeout=120,
            check=False,
        )
        os.close(follower)
        shown = b""
        try:
            while chunk := terminal.read(4096):
                shown += chunk
        except OSError:  # EIO: the terminal's other end is closed
            pass
    assert proc.returncode == 0
    text = shown.decode()
    assert "reading: " in text and "merging: " in text
    assert text.endswith("\r")  # the line is blanked out before the summary goes to stdout
    assert b"added" in proc.stdout
