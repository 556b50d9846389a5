"""The proxy's audit log: one hash-chained JSON line per analysed request, and its verifier.

What the proxy appends (``AuditLog.append``) is its own business: the request, the verdict, the
findings, the user's choice. This module adds the order (``seq``), the time and the chain, writes
each entry so that a crash cannot leave the log in a state it cannot explain, rotates by size, and
checks all of it (``verify_audit``, ``txfirewall audit verify``).

On disk
-------
``audit.jsonl`` (default ``$TXFIREWALL_AUDIT_LOG``, else ``$XDG_STATE_HOME/txfirewall/audit.jsonl``,
``~/.local/state/...`` without XDG) and, after rotation, ``audit.jsonl.1`` (newest) ...
``audit.jsonl.<keep>`` (oldest). One entry a line, each line the *canonical JSON* of the entry
(keys sorted, ``,``/``:`` separators, no NaN or Infinity, ``ensure_ascii``) followed by ``\\n``::

    {"hash":"<64 hex>","prev":"<64 hex>","record":{...},"seq":17,"time":"2026-01-02T03:04:05.678Z"}
    {"event":{"type":"file-start","format":"txfirewall-audit/1","segment":0},"hash":...,"prev":"000...","seq":0,"time":...}

* ``record``: what the caller appended (a JSON object). Entries the log writes itself carry
  ``event`` instead (so a caller can never forge one): ``file-start`` (the first line of every
  file, with the file's ``segment`` number: 0 for the first file ever, +1 at each rotation) and
  ``recovered-torn-write`` (below).
* ``seq``: 0, 1, 2, ... over the whole log, across files.
* ``time``: RFC 3339, UTC, milliseconds. Never decreases: when the wall clock steps back (NTP),
  entries keep the last time written until the clock catches up.
* ``hash``: SHA-256 (hex) of the canonical JSON of the entry without its ``hash`` key.
  ``prev``: the ``hash`` of the entry before it (the last entry of the previous file for a file's
  first line; 64 zeros for the very first entry). Because the verifier also checks that every line
  is byte for byte the canonical form of what it parses to, chaining the canonical content chains
  the exact bytes written, and every line carries its own hash, so an edit is reported at the line
  that was edited (not only at the line after it), the newest line included.

Decisions
---------
* ``ensure_ascii`` (the issue's sketch said ``False``): lines are pure ASCII. Untrusted strings
  (token names, origins, messages) can hold lone surrogates, which cannot be encoded as UTF-8
  at all, and bidi overrides or zero-width characters that would make ``cat``/``less``/``grep``
  show a line other than what it says; escaped, they are inert. Control characters (newline, NUL,
  ANSI escapes) are escaped by JSON either way, so no string can break a line.
* Writes: one ``os.write`` of the whole line on an ``O_APPEND`` descriptor, then ``fdatasync``
  (``fsync`` where there is none) when ``durable`` (the default). Concurrent appenders share
  ``fdatasync`` calls (group commit): each ``append`` returns once its own line is on disk, and
  one sync covers the lines of every thread that wrote while the previous sync ran, so 8 threads
  get several times the rate of one (``bench/bench_audit.py``). A write that fails (disk full) is cut back to the previous
  size; if even that fails, the log refuses further appends (reopen it: the torn tail is then
  recovered as below).
* One writer: an ``AuditLog`` holds an exclusive ``flock`` on ``<name>.lock`` while open; a second
  writer (another proxy, or a second ``AuditLog`` in the same process) gets ``AuditLogError``
  instead of forking the chain.
* Permissions: files are created 0600, and the log's directory 0700 when the log creates it (the
  log names the user's accounts and counterparties).
* Nesting: records deeper than ``MAX_RECORD_NESTING`` (400) levels are refused, and lines deeper
  than ``MAX_LINE_NESTING`` (500) are reported as unreadable without being parsed (see those
  constants: json's C code must not meet an unbounded depth in a process where py_ecc raised the
  recursion limit). The proxy should log a summary of such a request instead.

Crash recovery (on open)
------------------------
A process killed mid-write leaves the end of its last line without the ``\\n``; a machine that loses
power can leave zeros there. On open, the bytes after the last ``\\n`` are a torn tail, and so is
the last ``\\n``-terminated line when it is not JSON at all (the zeros). The tail is never thrown
away: it is copied to ``<name>.torn-<UTC time>`` (0600, fsynced), cut from the log, and the next
entry is an ``event`` ``{"type": "recovered-torn-write", "bytes": n, "sidecar": name,
"sha256": hex}``; the chain then goes on from the last complete entry. ``verify_audit`` lists each
recovery as a note, checks that the sidecar still holds those bytes (missing: a note; changed: a
problem). Damage a crash cannot cause (an entry that is JSON but not an entry, two bad lines, a
rotated file that ends torn) is not repaired: opening raises ``AuditLogError`` and
``verify_audit`` says what is wrong.

Rotation
--------
When an entry would take the current file past ``max_bytes`` (and the file holds more than its
file-start entry), ``.<keep-1>`` -> ``.<keep>`` ... ``.1`` -> ``.2``, the current file -> ``.1``
(files numbered ``keep`` and above are dropped), and a new current file starts with a
``file-start`` entry whose ``prev`` is the hash of the last entry of ``.1``: the chain spans the
files. A file exceeds ``max_bytes`` only by holding a single entry bigger than that. ``keep=0``
keeps the current file only. A crash between the renames loses nothing (on open, the chain goes on
from the newest file that has entries).

What verification proves
------------------------
``verify_audit`` reads every retained file, oldest first, and reports, with file and line: lines
that are not JSON or not canonical, entries that do not match their own hash (edited), breaks in
the chain (``prev``), in ``seq`` (deleted, inserted, reordered lines) and in time, file-start
entries that are missing or misplaced (lines cut from a file's head), and a last line without its
``\\n`` (torn or truncated). When the oldest retained file starts from a dropped one, that is a
note, "starts after rotation", not tampering. A hash chain has no secret: someone who can write
the files can rewrite all of them consistently, or cut whole entries from the end. Against that,
keep the head (``AuditReport.last_hash``, printed by ``txfirewall audit verify``) somewhere else:
a later log whose chain does not pass through it was rewritten.
"""

from __future__ import annotations

import collections
import fcntl
import hashlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from txfirewall.errors import AuditLogError, ConfigError
from txfirewall.model.json_values import JsonValue

FORMAT = "txfirewall-audit/1"
"""The ``format`` of every file-start entry."""
GENESIS = "0" * 64
"""The ``prev`` of the very first entry of a log."""
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_KEEP = 10
MIN_MAX_BYTES = 1024
ENV_VAR = "TXFIREWALL_AUDIT_LOG"

ENTRY_KEYS = frozenset({"hash", "prev", "seq", "time"})
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_CHUNK = 1 << 20

MAX_RECORD_NESTING = 400
"""Records nested deeper are refused (``AuditLogError``). json's C code recurses once per level
and py_ecc (imported by eth-account, so in the proxy) raises the interpreter's recursion limit to
100,000, past what the C stack holds: unbounded, a deep record would crash the process instead of
raising. The bound is checked without recursing, before json runs."""
MAX_LINE_NESTING = 500
"""Lines nested deeper are reported as unreadable without being parsed. Above the writer's bound
(an entry adds one level), and low enough for any process's recursion limit (1,000 by default),
so a log reads the same wherever it is verified."""
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')

_datasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


def default_audit_path() -> Path:
    """``$TXFIREWALL_AUDIT_LOG``, else ``$XDG_STATE_HOME/txfirewall/audit.jsonl`` (a relative
    ``XDG_STATE_HOME`` is ignored, as the XDG spec says), else ``~/.local/state/txfirewall/audit.jsonl``."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) if state and os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "txfirewall" / "audit.jsonl"


def canonical_json(value: object) -> str:
    """The one serialisation the log writes and the verifier expects (ASCII, sorted, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``entry`` without its ``hash`` key."""
    body = canonical_json({k: v for k, v in entry.items() if k != "hash"})
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def utc_now() -> str:
    """The current time as the log writes it: ``2026-01-02T03:04:05.678Z``."""
    sec, ns = divmod(time.time_ns(), 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{ns // 1_000_000:03d}Z"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry as written: its place in the chain and the file it went to."""

    seq: int
    time: str
    hash: str
    prev: str
    path: Path


# -- reading ---------------------------------------------------------------------------------------


def _rotated(path: Path) -> list[tuple[int, Path]]:
    """The rotated files of ``path`` that exist, as (number, path), oldest (highest number) first."""
    pattern = re.compile(re.escape(path.name) + r"\.([1-9][0-9]*)")
    found = []
    try:
        with os.scandir(path.parent) as it:
            for item in it:
                match = pattern.fullmatch(item.name)
                if match:
                    found.append((int(match.group(1)), path.parent / item.name))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AuditLogError(f"cannot list {path.parent}: {exc.strerror}") from exc
    return sorted(found, reverse=True)


def _iter_lines(fd: int, size: int) -> Iterator[tuple[bytes, bool]]:
    """The lines of the first ``size`` bytes of ``fd``: (bytes with their ``\\n``, complete). Only
    ``\\n`` ends a line; a last line without one comes out with ``complete`` False."""
    buf = bytearray()
    pos = 0
    while pos < size:
        chunk = os.pread(fd, min(_CHUNK, size - pos), pos)
        if not chunk:
            break
        pos += len(chunk)
        scan = len(buf)
        buf += chunk
        start = 0
        while True:
            nl = buf.find(b"\n", max(start, scan))
            if nl < 0:
                break
            yield bytes(buf[start : nl + 1]), True
            start = nl + 1
        del buf[:start]
    if buf:
        yield bytes(buf), False


def _last_lines(fd: int, size: int) -> tuple[int, int] | None:
    """(start, end) of the last ``\\n``-terminated line in the first ``size`` bytes, or None."""
    start, buf, step = size, b"", 1 << 16
    while True:
        lo = max(0, start - step)
        buf = os.pread(fd, start - lo, lo) + buf
        start = lo
        last = buf.rfind(b"\n")
        if last >= 0:
            before = buf.rfind(b"\n", 0, last)
            if before >= 0 or start == 0:
                return start + before + 1, start + last + 1
        elif start == 0:
            return None
        step *= 2


def _first_line(fd: int, size: int) -> bytes | None:
    for line, complete in _iter_lines(fd, size):
        return line if complete else None
    return None


def _nesting(raw: bytes) -> int:
    """An upper bound of the JSON nesting of ``raw``, exact for valid JSON, without recursing: the
    brackets left after removing escapes and strings."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_LINE_NESTING:
        return 0  # cannot be deeper than it has brackets
    structure = _STRING.sub(b"", _ESCAPE.sub(b"", raw))
    depth = deepest = 0
    for byte in structure:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def _record_too_deep(value: object) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > MAX_RECORD_NESTING:
            return True
        if isinstance(item, Mapping):
            children: Iterable[object] = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        for child in children:
            if isinstance(child, (Mapping, list, tuple)):
                push((child, depth + 1))
    return False


def _loads(raw: bytes) -> Any:
    """JSON of one line, strictly: UTF-8, no NaN/Infinity, no duplicate keys, nested at most
    ``MAX_LINE_NESTING`` deep. Raises ValueError."""
    if _nesting(raw) > MAX_LINE_NESTING:
        raise ValueError(f"nested more than {MAX_LINE_NESTING} levels deep")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            raise ValueError("duplicate key")
        return out

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc) if isinstance(exc, UnicodeDecodeError) else "nested too deeply") from exc


def _entry_fields(raw: bytes) -> dict[str, Any] | None:
    """The parsed entry when the line is a JSON object with usable chain fields, else None."""
    try:
        obj = _loads(raw)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    ok = (
        isinstance(obj.get("seq"), int)
        and not isinstance(obj.get("seq"), bool)
        and isinstance(obj.get("hash"), str)
        and _HEX64.fullmatch(obj["hash"]) is not None
        and isinstance(obj.get("time"), str)
        and _TIME.fullmatch(obj["time"]) is not None
    )
    return obj if ok else None


def _segment_of(first: dict[str, Any] | None) -> int | None:
    event = first.get("event") if first else None
    if isinstance(event, dict) and event.get("type") == "file-start":
        segment = event.get("segment")
        if isinstance(segment, int) and not isinstance(segment, bool) and segment >= 0:
            return segment
    return None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- writing ---------------------------------------------------------------------------------------


@dataclass
class _Tail:
    seq: int  # the next seq
    prev: str
    time: str
    segment: int  # the segment of the current file (of the next file when the current one is empty)
    lines: int  # lines in the current file (on open, counted only as far as 0, 1 or more)


class AuditLog:
    """An append-only, hash-chained JSON-lines log (see the module docstring for the format).

    ``max_bytes``: rotate before a file grows past this (at least 1024); ``keep``: rotated files
    kept (``.1`` ... ``.keep``; 0 keeps only the current file); ``durable``: ``fdatasync`` each
    append before returning (off: 10 to 100 times faster, by the disk; a killed process still loses
    nothing, the kernel has the data, but a power loss can lose or damage the newest entries). Raises ``ConfigError`` for bad values, ``AuditLogError`` when the log
    cannot be opened or continued (crash damage is recovered, see the module docstring).

    Thread-safe: ``append`` may be called from any number of threads. It blocks for one
    ``fdatasync`` when ``durable``: from an event loop, call it in a worker thread
    (``await asyncio.to_thread(log.append, record)``), which also lets concurrent requests share
    their syncs. One ``AuditLog`` per path at a time (an exclusive lock file enforces it, across
    processes too). Use as a context manager or call ``close()``.
    """

    def __init__(
        self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, keep: int = DEFAULT_KEEP, durable: bool = True
    ) -> None:
        if max_bytes < MIN_MAX_BYTES:
            raise ConfigError(f"max_bytes must be at least {MIN_MAX_BYTES}, not {max_bytes}")
        if keep < 0:
            raise ConfigError(f"keep must be 0 or more, not {keep}")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.keep = keep
        self.durable = durable
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._fd = -1
        self._lock_fd = -1
        self._tail = _Tail(0, GENESIS, "", 0, 0)
        self._size = 0
        self._written = 0  # lines written by this instance (group commit tickets)
        self._synced = 0
        self._closed = False
        self._broken: str | None = None
        try:
            self._open()
        except BaseException:
            self._release()
            raise

    # -- public --

    def append(self, record: Mapping[str, JsonValue]) -> AuditEntry:
        """Append one record (a JSON object: the caller's fields) as the next entry; returns once
        the line is written, and on disk when ``durable``. Raises ``AuditLogError`` when the record
        is not JSON (NaN, non-JSON types, nested too deeply) or the log cannot be written."""
        text = _encode_record(record)
        with self._lock:
            self._check_open()
            entry, ticket = self._append_locked(text)
        if self.durable:
            self._sync(ticket)
        return entry

    def close(self) -> None:
        """Flush to disk and release the file and the writer's lock. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._release()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True after ``close()``."""
        return self._closed

    # -- opening and recovery --

    def _open(self) -> None:
        directory = self.path.parent
        if not directory.exists():
            try:
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise AuditLogError(f"cannot create {directory}: {exc.strerror}") from exc
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise AuditLogError(f"cannot open {lock_path}: {exc.strerror}") from exc
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise AuditLogError(
                f"{self.path} is being written by another AuditLog (another proxy, or this one twice)",
                hint="stop the other writer, or give this one its own log path",
            ) from exc
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise AuditLogError(f"cannot open {self.path}: {exc.strerror}") from exc
        self._fd = fd
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise AuditLogError(f"{self.path} is not a regular file")
            torn = self._find_torn_tail(fd, info.st_size)
            kept = info.st_size if torn is None else torn
            # Where the chain goes on from is settled before anything is moved: a log this
            # refuses to continue is left exactly as it was found.
            self._tail = self._read_state(fd, kept)
            recovered = None if torn is None else self._move_torn_tail(fd, torn, info.st_size)
            self._size = kept
            if self.durable:
                _fsync_dir(directory)
        except OSError as exc:
            raise AuditLogError(f"cannot read {self.path}: {exc.strerror}") from exc
        if recovered is not None:
            with self._lock:
                _, ticket = self._write_event(recovered)
            if self.durable:
                self._sync(ticket)

    def _find_torn_tail(self, fd: int, size: int) -> int | None:
        """Offset where a torn tail starts (bytes after the last newline, plus a last line that is
        not JSON), or None when the file ends cleanly."""
        if size == 0:
            return None
        last = _last_lines(fd, size)
        if last is None:
            return 0  # no complete line at all: the first write was torn
        start, end = last
        torn = end if end < size else None
        try:
            _loads(os.pread(fd, end - start, start))
        except ValueError:
            torn = start  # a newline-terminated line that is not JSON (zeros after a power loss)
        return torn

    def _move_torn_tail(self, fd: int, offset: int, size: int) -> dict[str, JsonValue]:
        data = os.pread(fd, size - offset, offset)
        stamp = utc_now().replace("-", "").replace(":", "")
        for n in range(1000):
            name = f"{self.path.name}.torn-{stamp}" + (f"-{n}" if n else "")
            try:
                side = os.open(self.path.with_name(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                break
            except FileExistsError:
                continue
        else:
            raise AuditLogError(f"cannot name a sidecar for the torn tail of {self.path}")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(side, view) :]
            os.fsync(side)
        finally:
            os.close(side)
        _fsync_dir(self.path.parent)
        os.ftruncate(fd, offset)
        os.fsync(fd)
        return {
            "type": "recovered-torn-write",
            "bytes": len(data),
            "sidecar": name,
            "sha256": hashlib.sha256(data).hexdigest(),
        }

    def _read_state(self, fd: int, size: int) -> _Tail:
        if size > 0:
            last = self._last_entry(fd, size, self.path)
            first = _first_line(fd, size)
            segment = _segment_of(_entry_fields(first) if first else None)
            if segment is None:
                raise AuditLogError(
                    f"{self.path} does not start with a file-start entry: it was not written by this "
                    "log or was cut at its head; run `txfirewall audit verify` and move it aside"
                )
            lines = 1 if first is not None and len(first) == size else 2  # only 0, 1 or more matters
            return _Tail(last["seq"] + 1, last["hash"], last["time"], segment, lines)
        # An empty current file: a new log, or a crash right after rotation. Go on from the newest
        # rotated file that has entries.
        for _, older in reversed(_rotated(self.path)):
            try:
                ofd = os.open(older, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                raise AuditLogError(f"cannot read {older}: {exc.strerror}") from exc
            try:
                osize = os.fstat(ofd).st_size
                if osize == 0:
                    continue
                last = self._last_entry(ofd, osize, older)
                first = _first_line(ofd, osize)
                segment = _segment_of(_entry_fields(first) if first else None)
            finally:
                os.close(ofd)
            if segment is None:
                raise AuditLogError(f"{older} does not start with a file-start entry; run `txfirewall audit verify`")
            return _Tail(last["seq"] + 1, last["hash"], last["time"], segment + 1, 0)
        return _Tail(0, GENESIS, "", 0, 0)

    @staticmethod
    def _last_entry(fd: int, size: int, path: Path) -> dict[str, Any]:
        last = _last_lines(fd, size)
        if last is None or last[1] != size:
            raise AuditLogError(f"{path} ends in an incomplete line; run `txfirewall audit verify`")
        entry = _entry_fields(os.pread(fd, last[1] - last[0], last[0]))
        if entry is None:
            raise AuditLogError(
                f"the last line of {path} is JSON but not an audit entry, so the chain cannot go on from it; "
                "run `txfirewall audit verify`, then move the log aside to start a new one"
            )
        return entry

    # -- appending --

    def _check_open(self) -> None:
        if self._closed:
            raise AuditLogError("the audit log is closed", hint="open a new AuditLog")
        if self._broken is not None:
            raise AuditLogError(
                f"the audit log stopped after a failed write ({self._broken})",
                hint="free disk space, then reopen the log (a torn tail is recovered on open)",
            )

    def _append_locked(self, record_text: str) -> tuple[AuditEntry, int]:
        tail = self._tail
        line, entry = self._record_line(record_text)
        if tail.lines > 1 and self._size + len(line) > self.max_bytes:
            self._rotate()
            line, entry = self._record_line(record_text)
        elif tail.lines == 0:
            self._write_file_start()
            line, entry = self._record_line(record_text)
        return entry, self._write(line, entry)

    def _record_line(self, record_text: str) -> tuple[bytes, AuditEntry]:
        """The fast path for caller records: the canonical line composed without re-serialising
        (keys in sorted order: hash, prev, record, seq, time)."""
        tail = self._tail
        now = max(utc_now(), tail.time)
        body = f'{{"prev":"{tail.prev}","record":{record_text},"seq":{tail.seq},"time":"{now}"}}'
        digest = hashlib.sha256(body.encode("ascii")).hexdigest()
        line = f'{{"hash":"{digest}",{body[1:]}\n'.encode("ascii")
        return line, AuditEntry(tail.seq, now, digest, tail.prev, self.path)

    def _write_event(self, event: dict[str, JsonValue]) -> tuple[AuditEntry, int]:
        if self._tail.lines == 0 and event.get("type") != "file-start":
            self._write_file_start()
        tail = self._tail
        fields: dict[str, JsonValue] = {
            "event": event,
            "prev": tail.prev,
            "seq": tail.seq,
            "time": max(utc_now(), tail.time),
        }
        digest = entry_hash(fields)
        line = (canonical_json({**fields, "hash": digest}) + "\n").encode("ascii")
        entry = AuditEntry(tail.seq, str(fields["time"]), digest, tail.prev, self.path)
        return entry, self._write(line, entry)

    def _write_file_start(self) -> None:
        self._write_event({"type": "file-start", "format": FORMAT, "segment": self._tail.segment})

    def _write(self, line: bytes, entry: AuditEntry) -> int:
        before = self._size
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            try:
                os.ftruncate(self._fd, before)
            except OSError:
                self._broken = exc.strerror or str(exc)
            raise AuditLogError(f"cannot write to {self.path}: {exc.strerror}") from exc
        self._size = before + len(line)
        tail = self._tail
        tail.seq, tail.prev, tail.time = entry.seq + 1, entry.hash, entry.time
        tail.lines += 1
        self._written += 1
        return self._written

    def _sync(self, ticket: int) -> None:
        """Group commit: one ``fdatasync`` covers every line written before it started."""
        with self._sync_lock:
            if self._synced >= ticket or self._fd < 0:
                return
            target = self._written
            try:
                _datasync(self._fd)
            except OSError as exc:
                raise AuditLogError(f"cannot sync {self.path}: {exc.strerror}") from exc
            self._synced = target

    def _rotate(self) -> None:
        try:
            with self._sync_lock:
                if self.durable:
                    _datasync(self._fd)
                os.close(self._fd)
                self._fd = -1
                self._synced = self._written
            for number, older in _rotated(self.path):
                if number >= self.keep:
                    older.unlink()
                else:
                    os.replace(older, self.path.with_name(f"{self.path.name}.{number + 1}"))
            if self.keep >= 1:
                os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
            else:
                self.path.unlink()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with self._sync_lock:
                self._fd = fd
            if self.durable:
                _fsync_dir(self.path.parent)
        except OSError as exc:
            self._broken = f"rotation failed: {exc.strerror}"
            raise AuditLogError(f"cannot rotate {self.path}: {exc.strerror}") from exc
        self._size = 0
        self._tail.segment += 1
        self._tail.lines = 0
        self._write_file_start()

    def _release(self) -> None:
        with self._sync_lock:
            if self._fd >= 0:
                try:
                    if self.durable:
                        _datasync(self._fd)
                finally:
                    os.close(self._fd)
                    self._fd = -1
                    self._synced = self._written
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = -1


def _encode_record(record: Mapping[str, JsonValue]) -> str:
    """The record's canonical JSON, as the verifier will re-serialise it (keys that are not
    strings become strings, as JSON makes them, and are then sorted as strings)."""
    if _record_too_deep(record):
        raise AuditLogError(
            f"the record cannot be written as JSON: nested more than {MAX_RECORD_NESTING} levels deep",
            hint="log a summary of such a request instead of its full content",
        )
    try:
        text = canonical_json(dict(record))
        again = canonical_json(json.loads(text))
    except (TypeError, ValueError, RecursionError) as exc:
        raise AuditLogError(
            f"the record cannot be written as JSON: {type(exc).__name__}: {str(exc)[:200]}",
            hint="append plain JSON values: str, int, float (finite), bool, None, lists and dicts",
        ) from exc
    return again


# -- verifying -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """Something wrong at one line of one file. ``kind`` is one of: ``invalid-json``,
    ``not-canonical``, ``bad-entry``, ``hash``, ``chain``, ``seq``, ``time``, ``file-start``,
    ``torn-line``, ``sidecar``. For ``notes`` the kinds are ``starts-after-rotation``,
    ``recovered-torn-write`` and ``sidecar-missing``."""

    file: Path
    line: int
    kind: str
    message: str

    def to_json(self) -> dict[str, JsonValue]:
        """``{"file", "line", "kind", "message"}``."""
        return {"file": str(self.file), "line": self.line, "kind": self.kind, "message": self.message}

    def __str__(self) -> str:
        return f"{self.file.name} line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What ``verify_audit`` found. ``ok`` when there are no problems (notes are not problems)."""

    path: Path
    files: tuple[Path, ...]
    entries: int
    first_seq: int | None
    last_seq: int | None
    first_time: str | None
    last_time: str | None
    last_hash: str | None
    """The head of the chain: keep it elsewhere to detect a later rewrite or cut end."""
    starts_after_rotation: bool
    problems: tuple[AuditProblem, ...]
    notes: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        """No problems: every retained line is intact and chained."""
        return not self.problems

    def to_json(self) -> dict[str, JsonValue]:
        """The report as plain JSON (what ``txfirewall audit verify --json`` prints)."""
        return {
            "path": str(self.path),
            "ok": self.ok,
            "files": [str(p) for p in self.files],
            "entries": self.entries,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_time": self.first_time,
            "last_time": self.last_time,
            "last_hash": self.last_hash,
            "starts_after_rotation": self.starts_after_rotation,
            "problems": [p.to_json() for p in self.problems],
            "notes": [n.to_json() for n in self.notes],
        }


@dataclass
class _Previous:
    hash: str | None  # None: unknown (the line before was unreadable): the next link is not checked
    seq: int | None
    file: Path
    line: int


class _Verifier:
    def __init__(self) -> None:
        self.problems: list[AuditProblem] = []
        self.notes: list[AuditProblem] = []
        self.entries = 0
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.first_time: str | None = None
        self.last_time: str | None = None
        self.last_hash: str | None = None
        self.starts_after_rotation = False
        self.previous: _Previous | None = None  # the last readable entry
        self.segment: int | None = None

    def problem(self, file: Path, line: int, kind: str, message: str) -> None:
        self.problems.append(AuditProblem(file, line, kind, message))

    def note(self, file: Path, line: int, kind: str, message: str) -> None:
        self.notes.append(AuditProblem(file, line, kind, message))

    def file(self, path: Path, fd: int, size: int) -> None:
        first_in_file = True
        for lineno, (raw, complete) in enumerate(_iter_lines(fd, size), start=1):
            if not complete:
                self.problem(
                    path,
                    lineno,
                    "torn-line",
                    f"incomplete last line ({len(raw)} bytes without a newline): a crash mid-write or a "
                    "truncated file (opening the log for writing moves it to a .torn sidecar)",
                )
                break
            self.line(path, lineno, raw, first_in_file)
            first_in_file = False

    def line(self, path: Path, lineno: int, raw: bytes, first_in_file: bool) -> None:
        try:
            obj = _loads(raw)
        except ValueError as exc:
            what = "an empty line" if raw == b"\n" else f"not JSON ({str(exc)[:120]})"
            self.problem(path, lineno, "invalid-json", f"{what}: the line was damaged or inserted")
            self._forget()
            return
        if not isinstance(obj, dict):
            self.problem(path, lineno, "invalid-json", "not a JSON object: the line was damaged or inserted")
            self._forget()
            return
        try:
            canonical = (canonical_json(obj) + "\n").encode("ascii")
        except (ValueError, TypeError, RecursionError):
            canonical = b""
        if canonical != raw:
            self.problem(
                path, lineno, "not-canonical", "not in the form the log writes (the line was edited or inserted)"
            )
        shape = _shape_error(obj)
        if shape:
            self.problem(path, lineno, "bad-entry", f"not an audit entry: {shape}")
            self._forget()
            return
        seq, digest, prev, when = obj["seq"], obj["hash"], obj["prev"], obj["time"]
        if _own_hash(obj, raw if canonical == raw else None) != digest:
            self.problem(
                path, lineno, "hash", f"entry seq {seq} does not match its hash: it was changed after it was written"
            )
        event = obj.get("event")
        is_start = isinstance(event, dict) and event.get("type") == "file-start"
        if first_in_file:
            self._first_of_file(path, lineno, obj, is_start)
        else:
            if is_start:
                self.problem(
                    path, lineno, "file-start", "a file-start entry in the middle of a file (lines before it removed?)"
                )
            self._link(path, lineno, seq, prev)
        if self.last_time is not None and when < self.last_time:
            self.problem(path, lineno, "time", f"time {when} is before the previous entry's {self.last_time}")
        if isinstance(event, dict) and event.get("type") == "recovered-torn-write":
            self._recovery(path, lineno, event)
        self.entries += 1
        if self.first_seq is None:
            self.first_seq, self.first_time = seq, when
        self.last_seq, self.last_hash = seq, digest
        self.last_time = when if self.last_time is None else max(when, self.last_time)
        self.previous = _Previous(digest, seq, path, lineno)

    def _forget(self) -> None:
        """After an unreadable line the next one cannot be linked: resynchronise on it."""
        if self.previous is not None:
            self.previous = _Previous(None, None, self.previous.file, self.previous.line)

    def _first_of_file(self, path: Path, lineno: int, obj: dict[str, Any], is_start: bool) -> None:
        segment = _segment_of(obj) if is_start else None
        if segment is None:
            self.problem(
                path,
                lineno,
                "file-start",
                "the file does not begin with a file-start entry: lines were cut from its head, or it was replaced",
            )
        if self.previous is None:
            # The oldest retained entry: the chain starts at the genesis, or after dropped files.
            if obj["prev"] == GENESIS:
                if obj["seq"] != 0 or segment not in (0, None):
                    self.problem(
                        path, lineno, "chain", f"entry seq {obj['seq']} has the zero prev of a log's first entry"
                    )
            elif segment is not None and segment > 0:
                self.starts_after_rotation = True
                self.note(
                    path,
                    lineno,
                    "starts-after-rotation",
                    f"the retained chain starts after rotation at seq {obj['seq']} (segment {segment}); "
                    f"the {segment} older file(s) were rotated away",
                )
            elif segment == 0:
                self.problem(path, lineno, "chain", "the log's first file links to an entry before it")
        else:
            if self.segment is not None and segment is not None and segment != self.segment + 1:
                self.problem(
                    path,
                    lineno,
                    "file-start",
                    f"segment {segment} follows segment {self.segment}: a rotated file is missing or out of place",
                )
            self._link(path, lineno, obj["seq"], obj["prev"])
        self.segment = segment

    def _link(self, path: Path, lineno: int, seq: int, prev: str) -> None:
        before = self.previous
        if before is None or before.hash is None:
            return
        where = f"line {before.line}" if before.file == path else f"the last entry of {before.file.name}"
        broken = prev != before.hash
        if before.seq is not None and seq != before.seq + 1:
            if seq <= before.seq:
                what = f"seq {seq} after seq {before.seq}: lines out of order, or repeated"
            else:
                missing = seq - before.seq - 1
                what = f"seq jumps from {before.seq} to {seq}: {missing} entr{'y' if missing == 1 else 'ies'} missing before this line (deleted?)"
            self.problem(path, lineno, "seq", what + ("; prev does not match " + where if broken else ""))
        elif broken:
            self.problem(
                path,
                lineno,
                "chain",
                f"prev hash does not match {where} (that entry was rewritten, or this line was forged or moved)",
            )

    def _recovery(self, path: Path, lineno: int, event: dict[str, Any]) -> None:
        name, size, digest = event.get("sidecar"), event.get("bytes"), event.get("sha256")
        # The values come from the file: shown as JSON (escaped, capped), never raw on a terminal.
        plain = isinstance(name, str) and name.isascii() and name.isprintable() and len(name) <= 200
        shown_size, shown_name = _shown(size), name if plain else _shown(name)
        self.note(
            path,
            lineno,
            "recovered-torn-write",
            f"a torn write of {shown_size} bytes was recovered when the log was reopened (kept in {shown_name})",
        )
        if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
            self.problem(path, lineno, "sidecar", "the recovery entry names no valid sidecar file")
            return
        sidecar = path.with_name(name)
        try:
            data = sidecar.read_bytes()
        except FileNotFoundError:
            self.note(path, lineno, "sidecar-missing", f"the sidecar {shown_name} is no longer there")
            return
        except OSError as exc:
            self.note(path, lineno, "sidecar-missing", f"the sidecar {shown_name} cannot be read: {exc.strerror}")
            return
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
            self.problem(path, lineno, "sidecar", f"the sidecar {shown_name} no longer holds the recovered bytes")


def _own_hash(obj: dict[str, Any], canonical_line: bytes | None) -> str:
    """``entry_hash(obj)``; for a line known to be canonical, without serialising it again: the
    hashed body is the line minus its top-level ``"hash":"...",`` (keys are sorted, so that is the
    first key of a record entry, and the last occurrence in an event entry, where only the hex
    ``prev``, the integer ``seq`` and the checked ``time`` follow it)."""
    if canonical_line is None:
        try:
            return entry_hash(obj)
        except (ValueError, TypeError, RecursionError):
            return ""
    marker = b'"hash":"' + str(obj["hash"]).encode("ascii") + b'",'
    at = canonical_line.rfind(marker) if "event" in obj else (1 if canonical_line.startswith(marker, 1) else -1)
    if at < 0:
        return ""
    body = canonical_line[:at] + canonical_line[at + len(marker) : -1]
    return hashlib.sha256(body).hexdigest()


def _shown(value: object, limit: int = 120) -> str:
    """A value read from the log, for a message: canonical JSON (ASCII, escaped), capped."""
    try:
        text = canonical_json(value)
    except (TypeError, ValueError, RecursionError):
        text = "(unprintable)"
    return text if len(text) <= limit else text[:limit] + "..."


def _shape_error(obj: dict[str, Any]) -> str | None:
    keys = set(obj)
    bodies = keys & {"record", "event"}
    if not keys >= ENTRY_KEYS or len(bodies) != 1 or keys - ENTRY_KEYS - bodies:
        return f"keys {_shown(sorted(keys))}"
    seq = obj["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return "seq is not a non-negative integer"
    for key in ("hash", "prev"):
        if not isinstance(obj[key], str) or not _HEX64.fullmatch(obj[key]):
            return f"{key} is not 64 hex digits"
    if not isinstance(obj["time"], str) or not _TIME.fullmatch(obj["time"]):
        return "time is not YYYY-MM-DDTHH:MM:SS.mmmZ"
    body = obj.get("record", obj.get("event"))
    if not isinstance(body, dict):
        return "record/event is not an object"
    if "event" in obj and not isinstance(body.get("type"), str):
        return "event has no type"
    return None


def _snapshot(path: Path) -> list[tuple[Path, int, int]]:
    """Open every file of the log, oldest first, as one consistent set: if a rotation renames
    files while they are being opened, open them again. (path, fd, size at open)."""
    for attempt in range(20):
        names = [p for _, p in _rotated(path)]
        if path.exists() or not names:
            names.append(path)
        opened: list[tuple[Path, int, int]] = []
        try:
            for name in names:
                try:
                    fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
                except FileNotFoundError:
                    # (a log with keep=0 has no file for a moment while it rotates: look twice)
                    if name == path and len(names) == 1 and attempt >= 2:
                        raise AuditLogError(
                            f"no audit log at {path}", hint="the proxy writes it; pass the log's path"
                        ) from None
                    raise _Moved() from None
                except OSError as exc:
                    raise AuditLogError(
                        f"cannot read {name}: {exc.strerror}", hint="check the file's path and permissions"
                    ) from exc
                info = os.fstat(fd)
                opened.append((name, fd, info.st_size))
                if not stat.S_ISREG(info.st_mode):
                    raise AuditLogError(f"{name} is not a regular file", hint="pass the log file, not its directory")
            current = [p for _, p in _rotated(path)] + ([path] if path.exists() else [])
            if current != names or any(_inode(n) != os.fstat(fd).st_ino for n, fd, _ in opened):
                raise _Moved()
            return opened
        except _Moved:
            for _, fd, _ in opened:
                os.close(fd)
            time.sleep(0.01)
        except BaseException:
            for _, fd, _ in opened:
                os.close(fd)
            raise
    raise AuditLogError(f"{path} kept rotating while it was being opened", hint="try again")


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


class _Moved(Exception):
    """A file was renamed while the snapshot was taken."""


def verify_audit(path: Path) -> AuditReport:
    """Check the whole retained chain of the log at ``path`` (its rotated files, oldest first, then
    ``path``). Never raises for what it finds in the files (that is the report); raises
    ``AuditLogError`` only when there is no log or a file cannot be read. Safe while a proxy
    appends: the files are opened as one consistent set and read up to their size at that moment."""
    path = Path(path)
    for attempt in range(5):
        opened = _snapshot(path)
        _, fd, size = opened[-1]
        # A last line without its newline may be a write in progress (a write that spans pages
        # becomes visible page by page): look again before calling it torn.
        if size == 0 or attempt == 4 or os.pread(fd, 1, size - 1) == b"\n":
            break
        for _, fd, _ in opened:
            os.close(fd)
        time.sleep(0.02)
    verifier = _Verifier()
    try:
        for name, fd, size in opened:
            try:
                verifier.file(name, fd, size)
            except OSError as exc:
                raise AuditLogError(f"cannot read {name}: {exc.strerror}") from exc
    finally:
        for _, fd, _ in opened:
            os.close(fd)
    return AuditReport(
        path=path,
        files=tuple(name for name, _, _ in opened),
        entries=verifier.entries,
        first_seq=verifier.first_seq,
        last_seq=verifier.last_seq,
        first_time=verifier.first_time,
        last_time=verifier.last_time,
        last_hash=verifier.last_hash,
        starts_after_rotation=verifier.starts_after_rotation,
        problems=tuple(verifier.problems),
        notes=tuple(verifier.notes),
    )


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One line as ``tail_audit`` read it: the parsed entry, or None when the line is not JSON."""

    file: Path
    line: int
    entry: dict[str, Any] | None


def tail_audit(path: Path, last: int = 20) -> list[AuditLine]:
    """The last ``last`` lines of the log, oldest first, across rotated files. Reads only as many
    files (newest first) as it takes. No checking: that is ``verify_audit``."""
    if last <= 0:
        return []
    opened = _snapshot(Path(path))
    out: collections.deque[AuditLine] = collections.deque()
    try:
        for name, fd, size in reversed(opened):
            lines: collections.deque[AuditLine] = collections.deque(maxlen=last - len(out))
            for number, (raw, complete) in enumerate(_iter_lines(fd, size), start=1):
                try:
                    obj = _loads(raw) if complete else None
                except ValueError:
                    obj = None
                lines.append(AuditLine(name, number, obj if isinstance(obj, dict) else None))
            out.extendleft(reversed(lines))
            if len(out) >= last:
                break
    except OSError as exc:
        raise AuditLogError(f"cannot read {path}: {exc.strerror}") from exc
    finally:
        for _, fd, _ in opened:
            os.close(fd)
    return list(out)
