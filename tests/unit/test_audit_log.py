"""The proxy's audit log on real files: the format, every kind of tampering it must catch (at the
right line), crash recovery (a torn tail written by hand and a process really SIGKILLed), rotation,
concurrent appenders, hostile content and file permissions.

The format is checked with ``json`` and ``hashlib`` directly, not with the module's own helpers,
so the documented format is what is tested. No mocks: every test writes and reads real files.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from txfirewall import AuditLogError, ConfigError
from txfirewall.proxy.audit import (
    GENESIS,
    MAX_LINE_NESTING,
    MAX_RECORD_NESTING,
    AuditLog,
    AuditReport,
    default_audit_path,
    tail_audit,
    verify_audit,
)

REPO = Path(__file__).resolve().parents[2]
TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


# -- helpers: the format as documented, computed independently --------------------------------


def canon(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def own_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canon({k: v for k, v in entry.items() if k != "hash"}).encode()).hexdigest()


def forge(entry: dict[str, Any]) -> bytes:
    """A line a forger who knows the format would write: canonical, with a correct own hash."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return (canon({**body, "hash": own_hash(body)}) + "\n").encode()


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(path)]


def write(path: Path, content: list[bytes]) -> None:
    path.write_bytes(b"".join(content))


def record(i: int) -> dict[str, Any]:
    return {
        "method": "eth_sendTransaction",
        "origin": "https://app.example",
        "verdict": "warn" if i % 3 else "allow",
        "findings": [{"rule": "new-counterparty", "severity": "medium"}],
        "choice": "sign" if i % 2 else "reject",
        "i": i,
    }


def make_log(path: Path, n: int, **kwargs: Any) -> list[Any]:
    with AuditLog(path, **kwargs) as log:
        return [log.append(record(i)) for i in range(n)]


def problems_at(report: AuditReport) -> set[tuple[str, int]]:
    return {(p.file.name, p.line) for p in report.problems}


def kinds(report: AuditReport) -> set[str]:
    return {p.kind for p in report.problems}


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "audit.jsonl"


# -- the format ------------------------------------------------------------------------------------


def test_a_chain_of_appends_verifies(log_path: Path) -> None:
    written = make_log(log_path, 300, durable=False)
    report = verify_audit(log_path)
    assert report.ok, report.problems
    assert report.entries == 301  # the file-start entry, then the records
    assert (report.first_seq, report.last_seq) == (0, 300)
    assert [e.seq for e in written] == list(range(1, 301))
    assert report.last_hash == written[-1].hash
    assert report.files == (log_path,)
    assert not report.starts_after_rotation and report.notes == ()
    assert report.first_time is not None and report.last_time is not None
    assert report.first_time <= report.last_time


def test_the_format_is_the_documented_one(log_path: Path) -> None:
    written = make_log(log_path, 5)
    raw = lines(log_path)
    parsed = [json.loads(line) for line in raw]
    first = parsed[0]
    assert first["event"] == {"type": "file-start", "format": "txfirewall-audit/1", "segment": 0}
    assert first["prev"] == GENESIS == "0" * 64 and first["seq"] == 0
    for i, (line, entry) in enumerate(zip(raw, parsed, strict=True)):
        assert line == (canon(entry) + "\n").encode(), "every line is canonical JSON"
        assert line.isascii()
        assert entry["hash"] == own_hash(entry)
        assert entry["seq"] == i
        assert TIME.fullmatch(entry["time"])
        if i:
            assert entry["prev"] == parsed[i - 1]["hash"]
            assert set(entry) == {"hash", "prev", "record", "seq", "time"}
            assert entry["record"] == record(i - 1)
    for got, entry in zip(written, parsed[1:], strict=True):
        assert (got.seq, got.time, got.hash, got.prev, got.path) == (
            entry["seq"],
            entry["time"],
            entry["hash"],
            entry["prev"],
            log_path,
        )


def test_reopening_continues_the_chain(log_path: Path) -> None:
    make_log(log_path, 3)
    make_log(log_path, 3)
    parsed = entries(log_path)
    assert [e["seq"] for e in parsed] == list(range(7))
    assert sum("event" in e for e in parsed) == 1
    assert verify_audit(log_path).ok


def test_time_never_goes_back_even_when_the_last_entry_is_in_the_future(log_path: Path) -> None:
    """The writer keeps time monotonic: an entry written after a clock step back (here: a last
    entry dated 2999) keeps the last time; verify then finds nothing wrong."""
    make_log(log_path, 2)
    raw = lines(log_path)
    last = json.loads(raw[-1])
    raw[-1] = forge({**last, "time": "2999-01-01T00:00:00.000Z"})
    write(log_path, raw)
    assert verify_audit(log_path).ok
    with AuditLog(log_path) as log:
        entry = log.append({"after": "clock step"})
    assert entry.time == "2999-01-01T00:00:00.000Z"
    assert verify_audit(log_path).ok


# -- tampering -------------------------------------------------------------------------------------


def test_editing_any_byte_of_any_line_is_reported_at_that_line(log_path: Path) -> None:
    make_log(log_path, 4)
    original = lines(log_path)
    for index, line in enumerate(original):
        for offset in range(len(line)):
            edited = bytearray(line)
            edited[offset] ^= 0x01
            write(log_path, [*original[:index], bytes(edited), *original[index + 1 :]])
            report = verify_audit(log_path)
            assert not report.ok
            assert (log_path.name, index + 1) in problems_at(report), (index, offset, report.problems)


def test_an_edited_value_is_named(log_path: Path) -> None:
    make_log(log_path, 5)
    raw = lines(log_path)
    raw[3] = raw[3].replace(b'"verdict":"warn"', b'"verdict":"allow"')
    write(log_path, raw)
    report = verify_audit(log_path)
    assert [(p.line, p.kind) for p in report.problems] == [(4, "hash")]
    assert "changed after it was written" in report.problems[0].message


def test_an_edit_with_a_recomputed_own_hash_breaks_the_next_link(log_path: Path) -> None:
    make_log(log_path, 5)
    raw = lines(log_path)
    entry = json.loads(raw[2])
    raw[2] = forge({**entry, "record": {**entry["record"], "choice": "reject"}})
    write(log_path, raw)
    report = verify_audit(log_path)
    assert [(p.line, p.kind) for p in report.problems] == [(4, "chain")]
    assert "prev hash does not match line 3" in report.problems[0].message


@pytest.mark.parametrize("index", [1, 3, 5])
def test_deleting_a_line_is_reported_at_the_line_after_the_gap(log_path: Path, index: int) -> None:
    make_log(log_path, 6)
    raw = lines(log_path)
    del raw[index]
    write(log_path, raw)
    report = verify_audit(log_path)
    assert [(p.line, p.kind) for p in report.problems] == [(index + 1, "seq")]
    assert "1 entry missing" in report.problems[0].message


def test_deleting_the_first_line_is_reported(log_path: Path) -> None:
    make_log(log_path, 3)
    write(log_path, lines(log_path)[1:])
    report = verify_audit(log_path)
    assert (log_path.name, 1) in problems_at(report)
    assert "file-start" in kinds(report)


def test_reordering_two_lines_is_reported_at_the_first_of_them(log_path: Path) -> None:
    make_log(log_path, 6)
    raw = lines(log_path)
    raw[2], raw[3] = raw[3], raw[2]
    write(log_path, raw)
    report = verify_audit(log_path)
    assert min(p.line for p in report.problems) == 3
    assert "seq" in kinds(report)
    assert any("out of order" in p.message for p in report.problems)


@pytest.mark.parametrize("cut", [1, 10, 100])
def test_truncating_the_file_mid_line_is_reported(log_path: Path, cut: int) -> None:
    make_log(log_path, 4)
    data = log_path.read_bytes()
    log_path.write_bytes(data[:-cut])
    report = verify_audit(log_path)
    assert [(p.line, p.kind) for p in report.problems] == [(5, "torn-line")]


def test_a_forged_line_with_a_wrong_prev_is_reported(log_path: Path) -> None:
    make_log(log_path, 4)
    raw = lines(log_path)
    last = json.loads(raw[-1])
    forged = {"prev": "ab" * 32, "record": {"verdict": "allow"}, "seq": last["seq"] + 1, "time": last["time"]}
    write(log_path, [*raw, forge(forged)])
    report = verify_audit(log_path)
    assert [(p.line, p.kind) for p in report.problems] == [(6, "chain")]


def test_a_forged_line_inserted_with_a_right_prev_is_caught_by_the_line_after(log_path: Path) -> None:
    make_log(log_path, 4)
    raw = lines(log_path)
    before = json.loads(raw[2])
    forged = {"prev": before["hash"], "record": {"verdict": "allow"}, "seq": before["seq"] + 1, "time": before["time"]}
    write(log_path, [*raw[:3], forge(forged), *raw[3:]])
    report = verify_audit(log_path)
    assert (log_path.name, 5) in problems_at(report)
    assert "out of order, or repeated" in report.problems[0].message


def test_time_going_back_is_reported(log_path: Path) -> None:
    """A forger who recomputes every hash after an edit still cannot move an entry back in time."""
    make_log(log_path, 4)
    parsed = entries(log_path)
    parsed[3]["time"] = "2000-01-01T00:00:00.000Z"
    rebuilt: list[bytes] = []
    prev = GENESIS
    for entry in parsed:
        line = forge({**entry, "prev": prev})
        prev = json.loads(line)["hash"]
        rebuilt.append(line)
    write(log_path, rebuilt)
    report = verify_audit(log_path)
    assert [(p.line, p.kind) for p in report.problems] == [(4, "time")]


def test_non_canonical_and_non_entry_lines_are_reported(log_path: Path) -> None:
    make_log(log_path, 3)
    raw = lines(log_path)
    spaced = json.dumps(json.loads(raw[1]), sort_keys=True).encode() + b"\n"  # same content, other spacing
    write(log_path, [raw[0], spaced, *raw[2:], b'{"hello":"world"}\n', b"\n", b"[1,2]\n"])
    report = verify_audit(log_path)
    found = {(p.line, p.kind) for p in report.problems}
    assert {(2, "not-canonical"), (5, "bad-entry"), (6, "invalid-json"), (7, "invalid-json")} <= found


def test_cutting_whole_entries_off_the_end_shows_only_against_a_kept_head(log_path: Path) -> None:
    """What a hash chain without a secret cannot prove, pinned down: the newest entries can be
    cut off cleanly; the head printed by verify, kept elsewhere, is what reveals it."""
    make_log(log_path, 5)
    head = verify_audit(log_path).last_hash
    write(log_path, lines(log_path)[:-2])
    report = verify_audit(log_path)
    assert report.ok
    assert report.last_hash != head


def test_verify_never_chokes_on_garbage(log_path: Path) -> None:
    make_log(log_path, 3)
    good = lines(log_path)
    rng = random.Random(7)
    hostile = [
        b"\x00" * 64 + b"\n",
        b"\xff\xfe\xfd\n",
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"\n",
        b"9" * 10_000 + b"\n",
        b'{"seq":1,"seq":2}\n',
        b'{"x":NaN}\n',
        b'{"hash":"' + b"a" * 64 + b'","prev":"' + b"0" * 64 + b'","record":[],"seq":true,"time":"x"}\n',
        b'"\\ud800"\n',
    ]
    for _ in range(50):
        hostile.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(b"\n", b"") + b"\n")
    write(log_path, [*good, *hostile])
    report = verify_audit(log_path)
    assert not report.ok
    assert len({p.line for p in report.problems}) == len(hostile)
    log_path.write_bytes(bytes(rng.randrange(256) for _ in range(100_000)))
    assert not verify_audit(log_path).ok


def test_messages_escape_what_they_quote_from_the_log(log_path: Path) -> None:
    """A forged recovery entry naming a sidecar full of terminal escapes, and a line with a hostile
    key: the report quotes them escaped."""
    make_log(log_path, 2)
    raw = lines(log_path)
    last = json.loads(raw[-1])
    event = {"type": "recovered-torn-write", "bytes": "\x1b[2J", "sidecar": "\x1b]0;pwned\x07\u202e", "sha256": "0"}
    forged = forge({"event": event, "prev": last["hash"], "seq": last["seq"] + 1, "time": last["time"]})
    write(log_path, [*raw, forged, b'{"\\u001b[31m":1}\n'])
    report = verify_audit(log_path)
    text = "\n".join(str(x) for x in [*report.problems, *report.notes])
    assert "recovered-torn-write" in {n.kind for n in report.notes}
    assert "bad-entry" in {p.kind for p in report.problems}
    assert text.isascii()
    assert all(line.isprintable() for line in text.splitlines())


def test_verify_raises_only_when_there_is_nothing_to_read(tmp_path: Path) -> None:
    with pytest.raises(AuditLogError, match="no audit log"):
        verify_audit(tmp_path / "missing.jsonl")
    with pytest.raises(AuditLogError, match="not a regular file"):
        verify_audit(tmp_path)
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    report = verify_audit(empty)
    assert report.ok and report.entries == 0


# -- crash recovery --------------------------------------------------------------------------------


def test_a_torn_tail_is_kept_in_a_sidecar_and_the_chain_goes_on(log_path: Path) -> None:
    make_log(log_path, 4)
    complete = log_path.read_bytes()
    last = json.loads(lines(log_path)[-1])
    next_line = forge({"prev": last["hash"], "record": record(99), "seq": last["seq"] + 1, "time": last["time"]})
    torn = next_line[: len(next_line) // 2]  # what a process killed inside write() leaves
    with open(log_path, "ab") as f:
        f.write(torn)

    before = verify_audit(log_path)
    assert [(p.line, p.kind) for p in before.problems] == [(6, "torn-line")]

    with AuditLog(log_path) as log:
        after = log.append({"after": "recovery"})
    sidecars = list(log_path.parent.glob("audit.jsonl.torn-*"))
    assert len(sidecars) == 1
    assert sidecars[0].read_bytes() == torn
    assert stat.S_IMODE(sidecars[0].stat().st_mode) == 0o600
    assert log_path.read_bytes().startswith(complete)

    parsed = entries(log_path)
    recovery = parsed[5]
    assert recovery["event"] == {
        "type": "recovered-torn-write",
        "bytes": len(torn),
        "sidecar": sidecars[0].name,
        "sha256": hashlib.sha256(torn).hexdigest(),
    }
    assert recovery["prev"] == last["hash"] and recovery["seq"] == last["seq"] + 1
    assert parsed[6]["record"] == {"after": "recovery"} and after.prev == recovery["hash"]

    report = verify_audit(log_path)
    assert report.ok, report.problems
    assert [(n.line, n.kind) for n in report.notes] == [(6, "recovered-torn-write")]

    sidecars[0].write_bytes(b"something else")
    assert [(p.line, p.kind) for p in verify_audit(log_path).problems] == [(6, "sidecar")]
    sidecars[0].unlink()
    report = verify_audit(log_path)
    assert report.ok and "sidecar-missing" in {n.kind for n in report.notes}


def test_zeros_after_a_power_loss_are_recovered(log_path: Path) -> None:
    make_log(log_path, 3)
    with open(log_path, "ab") as f:
        f.write(b"\x00" * 300 + b"\n" + b"\x00" * 20)
    with AuditLog(log_path) as log:
        log.append({"after": "zeros"})
    report = verify_audit(log_path)
    assert report.ok, report.problems
    assert [n.kind for n in report.notes] == ["recovered-torn-write"]
    assert entries(log_path)[4]["event"]["bytes"] == 321


def test_a_torn_first_write_leaves_a_log_that_starts_cleanly(log_path: Path) -> None:
    log_path.parent.mkdir(parents=True)
    log_path.write_bytes(b'{"event":{"format":"txfir')
    with AuditLog(log_path) as log:
        log.append({"first": True})
    parsed = entries(log_path)
    assert parsed[0]["event"]["type"] == "file-start" and parsed[0]["prev"] == GENESIS
    assert parsed[1]["event"]["type"] == "recovered-torn-write"
    assert parsed[2]["record"] == {"first": True}
    assert verify_audit(log_path).ok


def test_damage_a_crash_cannot_cause_is_refused_and_left_alone(log_path: Path) -> None:
    make_log(log_path, 3)
    raw = lines(log_path)
    damaged = [*raw[:-1], b"not json\n", b"not json either\n"]
    write(log_path, damaged)
    before = log_path.read_bytes()
    with pytest.raises(AuditLogError, match=r"not an audit entry|does not start"):
        AuditLog(log_path)
    assert log_path.read_bytes() == before
    assert not list(log_path.parent.glob("*.torn-*"))


CHILD = """
import sys
from pathlib import Path
from txfirewall.proxy.audit import AuditLog

log = AuditLog(Path(sys.argv[1]), durable=False)
big = "x" * int(sys.argv[2])
i = 0
while True:
    log.append({"i": i, "payload": big})
    i += 1
"""


def _mid_write(path: Path) -> bool:
    """The file's last byte is not a newline: a line is being written right now."""
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        return size > 0 and os.pread(f.fileno(), 1, size - 1) != b"\n"


def _run_and_kill(log_path: Path, payload: int, grow: int, *, mid_write: bool = False) -> None:
    """Start a writer process, SIGKILL it once the log has grown by ``grow`` bytes (and, with
    ``mid_write``, at a moment a line is visibly half written)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    start = log_path.stat().st_size if log_path.exists() else 0
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(log_path), str(payload)], env=env)
    try:
        deadline = time.monotonic() + 30
        while not (
            log_path.exists() and log_path.stat().st_size > start + grow and (not mid_write or _mid_write(log_path))
        ):
            assert time.monotonic() < deadline, "the child wrote nothing"
            assert proc.poll() is None, "the child died on its own"
            time.sleep(0.0002)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def test_a_process_killed_between_small_appends_leaves_a_log_that_verifies(log_path: Path) -> None:
    log_path.parent.mkdir(parents=True)
    _run_and_kill(log_path, 200, 1_000_000)
    with AuditLog(log_path) as log:
        log.append({"after": "kill"})
    report = verify_audit(log_path)
    assert report.ok, report.problems
    assert entries(log_path)[-1]["record"] == {"after": "kill"}


def test_a_process_killed_inside_a_write_leaves_a_torn_tail_that_recovers(log_path: Path) -> None:
    """Big records span many pages, and SIGKILL stops a write between pages: a kill sent while a
    line is visibly half written tears it. Kill writers on the same log until one did (nearly
    always the first), reopening and appending after each kill, so the chain also spans several
    killed writers."""
    log_path.parent.mkdir(parents=True)
    recovered = 0
    for attempt in range(10):
        _run_and_kill(log_path, 4_000_000, 3_000_000, mid_write=True)
        with AuditLog(log_path) as log:
            log.append({"after": "kill", "attempt": attempt})
        report = verify_audit(log_path)
        assert report.ok, report.problems
        recovered = sum(n.kind == "recovered-torn-write" for n in report.notes)
        assert len(list(log_path.parent.glob("audit.jsonl.torn-*"))) == recovered
        if recovered:
            break
    assert recovered, "no kill landed inside a write in 10 tries"
    last = entries(log_path)
    assert last[-2]["event"]["type"] == "recovered-torn-write"
    assert last[-1]["record"]["after"] == "kill"


# -- rotation --------------------------------------------------------------------------------------


def _chain_files(log_path: Path) -> list[Path]:
    rotated = sorted(log_path.parent.glob("audit.jsonl.[0-9]*"), key=lambda p: -int(p.suffix[1:]))
    return [*rotated, log_path]


def test_rotation_shifts_files_and_the_chain_spans_them(log_path: Path) -> None:
    make_log(log_path, 200, max_bytes=4096, keep=3)
    names = sorted(p.name for p in log_path.parent.iterdir())
    assert names == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2", "audit.jsonl.3", "audit.jsonl.lock"]
    files = _chain_files(log_path)
    segments = []
    for older, newer in itertools.pairwise(files):
        assert entries(newer)[0]["prev"] == entries(older)[-1]["hash"]
        assert entries(newer)[0]["seq"] == entries(older)[-1]["seq"] + 1
    for path in files:
        first = entries(path)[0]
        assert first["event"]["type"] == "file-start"
        segments.append(first["event"]["segment"])
        assert path.stat().st_size <= 4096
    assert segments == list(range(segments[0], segments[0] + 4))
    report = verify_audit(log_path)
    assert report.ok, report.problems
    assert report.files == tuple(files)
    assert report.starts_after_rotation
    assert [(n.file.name, n.line, n.kind) for n in report.notes] == [("audit.jsonl.3", 1, "starts-after-rotation")]
    assert report.last_seq == 200 + segments[-1]  # records plus one file-start entry a file


def test_with_enough_files_kept_the_whole_history_verifies_from_the_start(log_path: Path) -> None:
    make_log(log_path, 100, max_bytes=4096, keep=100)
    report = verify_audit(log_path)
    assert report.ok and not report.starts_after_rotation and report.first_seq == 0
    assert len(report.files) > 3
    assert report.entries == 100 + len(report.files)


def test_dropping_the_oldest_file_is_not_tampering(log_path: Path) -> None:
    make_log(log_path, 100, max_bytes=4096, keep=100)
    oldest = _chain_files(log_path)[0]
    oldest.unlink()
    report = verify_audit(log_path)
    assert report.ok, report.problems
    assert report.starts_after_rotation


def test_removing_a_middle_file_is_reported(log_path: Path) -> None:
    make_log(log_path, 100, max_bytes=4096, keep=100)
    files = _chain_files(log_path)
    files[2].unlink()
    report = verify_audit(log_path)
    assert not report.ok
    assert (files[3].name, 1) in problems_at(report)


def test_tampering_inside_a_rotated_file_is_reported(log_path: Path) -> None:
    make_log(log_path, 100, max_bytes=4096, keep=5)
    rotated = log_path.with_name("audit.jsonl.2")
    raw = lines(rotated)
    raw[2] = raw[2].replace(b'"verdict":"', b'"verdict":"x')
    write(rotated, raw)
    report = verify_audit(log_path)
    assert [(p.file.name, p.line, p.kind) for p in report.problems] == [("audit.jsonl.2", 3, "hash")]


def test_a_crash_between_the_renames_of_a_rotation_loses_nothing(log_path: Path) -> None:
    make_log(log_path, 40, max_bytes=4096, keep=5)
    # A rotation that stopped after renaming the current file away: no current file.
    for number in sorted((int(p.suffix[1:]) for p in log_path.parent.glob("audit.jsonl.[0-9]*")), reverse=True):
        os.replace(log_path.with_name(f"audit.jsonl.{number}"), log_path.with_name(f"audit.jsonl.{number + 1}"))
    os.replace(log_path, log_path.with_name("audit.jsonl.1"))
    assert verify_audit(log_path).ok
    make_log(log_path, 3, max_bytes=4096, keep=5)
    report = verify_audit(log_path)
    assert report.ok, report.problems
    assert entries(log_path)[0]["prev"] == entries(log_path.with_name("audit.jsonl.1"))[-1]["hash"]


def test_an_entry_bigger_than_max_bytes_is_written_whole(log_path: Path) -> None:
    with AuditLog(log_path, max_bytes=2048, keep=2) as log:
        log.append({"small": 1})
        log.append({"big": "y" * 10_000})
        log.append({"small": 2})
    report = verify_audit(log_path)
    assert report.ok
    assert entries(log_path)[-1]["record"] == {"small": 2}
    assert any(e.get("record") == {"big": "y" * 10_000} for p in _chain_files(log_path) for e in entries(p))


def test_keep_zero_keeps_only_the_current_file(log_path: Path) -> None:
    make_log(log_path, 60, max_bytes=2048, keep=0)
    assert sorted(p.name for p in log_path.parent.iterdir()) == ["audit.jsonl", "audit.jsonl.lock"]
    report = verify_audit(log_path)
    assert report.ok and report.starts_after_rotation


def test_lowering_keep_drops_the_extra_files(log_path: Path) -> None:
    make_log(log_path, 100, max_bytes=2048, keep=8)
    make_log(log_path, 20, max_bytes=2048, keep=2)
    assert {p.name for p in log_path.parent.glob("audit.jsonl.[0-9]*")} == {"audit.jsonl.1", "audit.jsonl.2"}
    assert verify_audit(log_path).ok


def test_tail_reads_across_rotated_files(log_path: Path) -> None:
    make_log(log_path, 50, max_bytes=2048, keep=10)
    shown = tail_audit(log_path, 25)
    assert len(shown) == 25
    seqs = [item.entry["seq"] for item in shown if item.entry is not None]
    assert seqs == list(range(seqs[-1] - 24, seqs[-1] + 1))
    assert len({item.file for item in shown}) > 1
    assert tail_audit(log_path, 0) == []


# -- concurrency -----------------------------------------------------------------------------------


@pytest.mark.parametrize("max_bytes", [64 * 1024 * 1024, 8192])
def test_eight_threads_append_every_seq_exactly_once(log_path: Path, max_bytes: int) -> None:
    per_thread = 150
    got: list[int] = []
    lock = threading.Lock()
    with AuditLog(log_path, max_bytes=max_bytes, keep=1000) as log:

        def work(t: int) -> None:
            mine = [log.append({"thread": t, "n": n}).seq for n in range(per_thread)]
            with lock:
                got.extend(mine)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert len(got) == len(set(got)) == 8 * per_thread
    report = verify_audit(log_path)
    assert report.ok, report.problems
    records = [e["record"] for p in _chain_files(log_path) for e in entries(p) if "record" in e]
    assert sorted((r["thread"], r["n"]) for r in records) == [(t, n) for t in range(8) for n in range(per_thread)]
    assert sorted(got) == sorted(e["seq"] for p in _chain_files(log_path) for e in entries(p) if "record" in e)


def test_verify_while_a_writer_rotates(log_path: Path) -> None:
    """A rotation every few appends, lines that span pages, and verify running all the while: the
    files are opened as one consistent set and a write in progress is not mistaken for a torn one."""
    stop = threading.Event()
    with AuditLog(log_path, max_bytes=4096, keep=4, durable=False) as log:
        log.append({"start": True})

        def writer() -> None:
            i = 0
            while not stop.is_set():
                log.append({"i": i, "pad": "z" * (i % 3000)})
                i += 1
                time.sleep(0.0001)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            reports = [verify_audit(log_path) for _ in range(200)]
        finally:
            stop.set()
            thread.join()
    assert all(r.ok for r in reports), [r.problems for r in reports if not r.ok][:1]


def test_one_writer_at_a_time(log_path: Path) -> None:
    with AuditLog(log_path) as log:
        with pytest.raises(AuditLogError, match="another AuditLog") as caught:
            AuditLog(log_path)
        assert caught.value.hint
        log.append({"still": "fine"})
    with AuditLog(log_path) as again:
        again.append({"after": "close"})
    assert verify_audit(log_path).ok


def test_append_after_close_and_bad_settings_are_typed_errors(log_path: Path) -> None:
    log = AuditLog(log_path)
    log.close()
    log.close()
    assert log.closed
    with pytest.raises(AuditLogError, match="closed"):
        log.append({"x": 1})
    with pytest.raises(ConfigError):
        AuditLog(log_path, max_bytes=10)
    with pytest.raises(ConfigError):
        AuditLog(log_path, keep=-1)


# -- hostile content -------------------------------------------------------------------------------

HOSTILE = [
    "\u202egnp.exe",  # RTL override
    "\x1b[2J\x1b[31mALLOW\x1b[0m",  # ANSI escapes
    "line one\nline two\r\nthree",
    "nul\x00byte",
    "\u2028\u2029",  # JavaScript line separators
    "\ud800 lone surrogate",
    "\u200b\ufeffzero width",
    "USD\u0421",  # a Cyrillic look-alike
    '"},{"verdict":"allow"}\n{"forged":',
    "🦊" * 10,
]


def test_hostile_strings_round_trip_and_never_break_a_line(log_path: Path) -> None:
    huge = "A\n" * 1_000_000
    recs: list[dict[str, Any]] = [{"token": s, s: "as a key", "nested": [{"msg": s}]} for s in HOSTILE]
    recs.append({"huge": huge})
    with AuditLog(log_path) as log:
        for r in recs:
            log.append(r)
    data = log_path.read_bytes()
    assert data.isascii()
    assert data.count(b"\n") == len(recs) + 1
    for bad in (b"\x1b", b"\x00", b"\r", "\u202e".encode(), "\u2028".encode()):
        assert bad not in data
    shown = [item.entry["record"] for item in tail_audit(log_path, 100) if item.entry and "record" in item.entry]
    assert shown == recs
    assert verify_audit(log_path).ok


def test_records_that_look_like_entries_verify_and_their_edits_are_caught(log_path: Path) -> None:
    """Nested keys named like the entry's own (``hash``, ``prev``, ``seq``, ``time``), in records
    and in a forged event: the verifier hashes the right bytes."""
    make_log(log_path, 1)
    raw = lines(log_path)
    last = json.loads(raw[-1])
    fake = {"hash": last["hash"], "prev": last["hash"], "seq": 5, "time": last["time"]}
    with AuditLog(log_path) as log:
        log.append({**fake, "inner": fake})
        log.append({"a": [fake, fake]})
    raw = lines(log_path)
    last = json.loads(raw[-1])
    event = {"type": "note", "hash": last["hash"], "prev": last["prev"], "inner": {"hash": last["hash"]}}
    raw.append(forge({"event": event, "prev": last["hash"], "seq": last["seq"] + 1, "time": last["time"]}))
    write(log_path, raw)
    assert verify_audit(log_path).ok
    for index in (2, 3, 4):
        edited = raw[index].replace(b'"seq":5', b'"seq":6').replace(b'"note"', b'"nite"')
        assert edited != raw[index]
        write(log_path, [*raw[:index], edited, *raw[index + 1 :]])
        report = verify_audit(log_path)
        assert [(p.line, p.kind) for p in report.problems] == [(index + 1, "hash")]


@pytest.mark.parametrize(
    "bad",
    [
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": {1, 2}},
        {"x": object()},
        {"x": 10**5000},
        {"a": 1, 2: "mixed key types"},
    ],
    ids=["nan", "inf", "set", "object", "huge-int", "mixed-keys"],
)
def test_a_record_that_is_not_json_is_refused_and_writes_nothing(log_path: Path, bad: dict[Any, Any]) -> None:
    with AuditLog(log_path) as log:
        log.append({"ok": 1})
        before = log_path.read_bytes()
        with pytest.raises(AuditLogError, match="cannot be written as JSON"):
            log.append(bad)
        assert log_path.read_bytes() == before
        log.append({"ok": 2})
    assert verify_audit(log_path).ok


def _nested(levels: int) -> Any:
    deep: Any = "x"
    for _ in range(levels):
        deep = [deep]
    return deep


def test_nesting_is_bounded_on_both_sides(log_path: Path) -> None:
    """Records up to MAX_RECORD_NESTING levels are written and verify; deeper ones are refused
    before json sees them; lines deeper than MAX_LINE_NESTING are reported, not parsed."""
    with AuditLog(log_path) as log:
        log.append({"deep": _nested(MAX_RECORD_NESTING - 1)})  # the record itself is one level
        for levels in (MAX_RECORD_NESTING, 100_000):
            with pytest.raises(AuditLogError, match="nested more than"):
                log.append({"deep": _nested(levels)})
    assert verify_audit(log_path).ok
    with open(log_path, "ab") as f:
        f.write(b"[" * (MAX_LINE_NESTING + 1) + b"]" * (MAX_LINE_NESTING + 1) + b"\n")
        f.write(b'["' + b"[" * 10_000 + b'"]\n')  # brackets inside a string are not nesting
    report = verify_audit(log_path)
    assert [(p.line, p.kind) for p in report.problems] == [(3, "invalid-json"), (4, "invalid-json")]
    assert "nested more than" in report.problems[0].message
    assert "nested" not in report.problems[1].message


SAFE_UNDER_PY_ECC = """
import sys
sys.setrecursionlimit(100_000)  # what py_ecc does on import (eth-account imports it)
from pathlib import Path
from txfirewall.errors import AuditLogError
from txfirewall.proxy.audit import AuditLog, verify_audit
path = Path(sys.argv[1])
deep = "x"
for _ in range(200_000):
    deep = [deep]
with AuditLog(path) as log:
    log.append({"ok": 1})
    try:
        log.append({"deep": deep})
    except AuditLogError:
        print("refused")
with open(path, "ab") as f:
    f.write(b"[" * 200_000 + b"]" * 200_000 + b"\\n" + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"\\n")
print(sorted({p.kind for p in verify_audit(path).problems}))
"""


def test_deep_nesting_cannot_crash_a_process_with_a_raised_recursion_limit(log_path: Path) -> None:
    log_path.parent.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-c", SAFE_UNDER_PY_ECC, str(log_path)], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["refused", "['invalid-json']"]


def test_integer_keys_are_written_as_json_would_read_them(log_path: Path) -> None:
    with AuditLog(log_path) as log:
        log.append({"by_block": {1: "a", 10: "b", 2: "c"}})
    assert entries(log_path)[1]["record"] == {"by_block": {"1": "a", "10": "b", "2": "c"}}
    assert verify_audit(log_path).ok


# -- files, permissions, locations -----------------------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_files_are_0600_and_a_created_directory_0700(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "audit.jsonl"
    make_log(path, 80, max_bytes=2048, keep=3)
    with open(path, "ab") as f:
        f.write(b'{"torn')
    make_log(path, 1, max_bytes=2048, keep=3)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    files = list(path.parent.iterdir())
    names = {p.name for p in files}
    assert {"audit.jsonl", "audit.jsonl.1", "audit.jsonl.3", "audit.jsonl.lock"} <= names
    assert any(n.startswith("audit.jsonl.torn-") for n in names)
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TXFIREWALL_AUDIT_LOG", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_audit_path() == tmp_path / "state" / "txfirewall" / "audit.jsonl"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_audit_path() == tmp_path / "home" / ".local" / "state" / "txfirewall" / "audit.jsonl"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_audit_path() == tmp_path / "home" / ".local" / "state" / "txfirewall" / "audit.jsonl"
    monkeypatch.setenv("TXFIREWALL_AUDIT_LOG", str(tmp_path / "mine.jsonl"))
    assert default_audit_path() == tmp_path / "mine.jsonl"


def test_the_cli_does_not_load_the_audit_module_to_start() -> None:
    code = "import sys, txfirewall.cli.main; print('txfirewall.proxy.audit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_report_json_is_plain_json(log_path: Path) -> None:
    make_log(log_path, 2)
    raw = lines(log_path)
    raw[1] = raw[1].replace(b'"allow"', b'"block"')
    write(log_path, raw)
    out = verify_audit(log_path).to_json()
    assert json.loads(json.dumps(out)) == out
    assert out["ok"] is False and out["problems"][0]["line"] == 2
