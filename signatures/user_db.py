"""The user's own selector database: signatures imported with ``txfirewall signatures import``,
consulted after the shipped one (``selector_db``).

One SQLite file, ``$TXFIREWALL_SIGNATURES_DB``, else ``$XDG_DATA_HOME/txfirewall/signatures.db``
(``~/.local/share`` when XDG_DATA_HOME is unset). SQLite because a user's dump is millions of rows
that grow by imports: an indexed point query answers in microseconds without loading anything,
``INSERT OR IGNORE`` on the primary key makes a re-import idempotent, one transaction makes an
interrupted import add nothing, and WAL lets a running decoder read while an import writes.

Nothing happens at import time. The first lookup resolves the path once; when no file is there,
nothing is opened and every later lookup costs one cached call. When there is one, it is opened
read-only and kept: a later import into it is seen by the next lookup (SQLite reads what was
committed), a database created after the first lookup only after ``reset_user_db()`` (each CLI
command is its own process, so this matters to long-running ones such as the proxy).

A file that is there but cannot be read (not SQLite, not ours, from a newer txfirewall) is an
``InputFileError`` at the lookup: the decode stage records it and the verdict fails closed,
rather than decoding silently with half of what the user taught it.

Selectors are stored as unsigned big-endian integers: four bytes in SQLite's record, compared
as integers.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

from txfirewall.errors import InputFileError

ENV_VAR = "TXFIREWALL_SIGNATURES_DB"
APPLICATION_ID = 0x74786673
"""``PRAGMA application_id`` of our files ("txfs"), so a stray SQLite file is refused, not read."""
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    selector  INTEGER NOT NULL,
    signature TEXT    NOT NULL,
    PRIMARY KEY (selector, signature)
) WITHOUT ROWID;
"""
HINT = f"run `txfirewall signatures import FILE` to rebuild it, or point {ENV_VAR} at another file"


def default_user_db_path() -> Path:
    """``$TXFIREWALL_SIGNATURES_DB``, else ``$XDG_DATA_HOME/txfirewall/signatures.db``."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "txfirewall" / "signatures.db"


def check_identity(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a SQLite file that is not a txfirewall signature database (or a newer one)."""
    (app_id,) = db.execute("PRAGMA application_id").fetchone()
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if app_id != APPLICATION_ID:
        raise InputFileError(f"{path} is not a txfirewall signature database", hint=HINT)
    if version > SCHEMA_VERSION:
        raise InputFileError(f"{path} was written by a newer txfirewall (schema {version})", hint=HINT)


class UserSignatureDb:
    """A read-only view of one user database. Safe to share between threads (one lock, one
    connection: lookups are microseconds, so they are not worth a connection per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            check_identity(self._db, path)
        except sqlite3.Error as exc:
            raise InputFileError(f"cannot read signature database {path}: {exc}", hint=HINT) from exc
        self._lock = threading.Lock()

    def lookup(self, selector: bytes) -> tuple[str, ...]:
        """The user's signatures for one selector, sorted; () when it has none."""
        if len(selector) != 4:
            return ()
        key = int.from_bytes(selector, "big")
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT signature FROM functions WHERE selector = ? ORDER BY signature", (key,)
                ).fetchall()
        except sqlite3.Error as exc:
            raise InputFileError(f"cannot read signature database {self.path}: {exc}", hint=HINT) from exc
        return tuple(sig for (sig,) in rows)

    def count(self) -> int:
        """How many (selector, signature) pairs it holds."""
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM functions").fetchone()
        return int(n)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> UserSignatureDb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@lru_cache(maxsize=1)
def shared_user_db() -> UserSignatureDb | None:
    """The process's user database, opened on first use; None when there is no file."""
    path = default_user_db_path()
    return UserSignatureDb(path) if path.is_file() else None


def user_function_signatures(selector: bytes) -> tuple[str, ...]:
    """The user database's signatures for ``selector``; () when there is no user database."""
    db = shared_user_db()
    return () if db is None else db.lookup(selector)


def reset_user_db() -> None:
    """Forget the opened database and the resolved path (after an import in this process, or
    when the environment changed)."""
    if shared_user_db.cache_info().currsize:
        db = shared_user_db()
        if db is not None:
            db.close()
    shared_user_db.cache_clear()
