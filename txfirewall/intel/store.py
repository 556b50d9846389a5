"""The intel store: labels per address (category, source, date) from the shipped lists plus the
user's imports and allow / deny lists, and the user's phishing-domain lists (MetaMask's config,
ScamSniffer's domains, their own allow / deny lists), persisted in one SQLite file.

Address lookups are a dict probe (shipped) and one indexed SQLite query (user layer): microseconds.
Domain lists are read once into a ``DomainLists`` index (sets plus the short fuzzy list).
No domain list is shipped: the public ones carry licenses that forbid it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from txfirewall.errors import InputFileError
from txfirewall.intel.domain_lists import DomainEntry, DomainLists
from txfirewall.intel.shipped import shipped_rows
from txfirewall.model.facts import Label, LabelCategory
from txfirewall.model.origin import DomainListKind
from txfirewall.model.primitives import Address, is_address, to_address

_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    address  TEXT NOT NULL,
    category TEXT NOT NULL,
    label    TEXT NOT NULL,
    source   TEXT NOT NULL,
    date     TEXT,
    PRIMARY KEY (address, source, label, category)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS domains (
    domain    TEXT NOT NULL,
    list      TEXT NOT NULL,
    source    TEXT NOT NULL,
    tolerance INTEGER,
    position  INTEGER NOT NULL,
    PRIMARY KEY (domain, list, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS domain_sources (
    source      TEXT PRIMARY KEY,
    format      TEXT NOT NULL,
    version     TEXT,
    imported_at INTEGER NOT NULL,
    entries     INTEGER NOT NULL
);
"""


def default_store_path() -> Path:
    """``$TXFIREWALL_INTEL``, else ``$XDG_DATA_HOME/txfirewall/intel.sqlite``."""
    if os.environ.get("TXFIREWALL_INTEL"):
        return Path(os.environ["TXFIREWALL_INTEL"])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "txfirewall" / "intel.sqlite"


def _category(text: str) -> LabelCategory:
    try:
        return LabelCategory(text)
    except ValueError:
        return LabelCategory.OTHER


class IntelStore:
    """``IntelStore(path)``; ``path=None`` keeps the user layer in memory (tests, one-off runs)."""

    def __init__(self, path: Path | None = None, *, shipped: bool = True) -> None:
        self.path = path
        self._shipped = shipped_rows() if shipped else {}
        self._domain_lists: DomainLists | None = None
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(":memory:" if path is None else str(path))
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise InputFileError(f"cannot open intel store {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> IntelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, labels: Iterable[Label]) -> int:
        """Insert labels (duplicates ignored); returns how many were new."""
        rows = [(lb.address.lower(), lb.category.value, lb.label, lb.source, lb.date) for lb in labels]
        before = self._db.total_changes
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO labels VALUES (?, ?, ?, ?, ?)", rows)
        return self._db.total_changes - before

    def lookup(self, address: str) -> tuple[Label, ...]:
        """Every label of one address, shipped first, then the user's; () for an unknown address."""
        if not is_address(address):
            return ()
        key = address.lower()
        raw = list(self._shipped.get(key, ()))
        raw.extend(self._db.execute("SELECT category, label, source, date FROM labels WHERE address = ?", (key,)))
        if not raw:
            return ()
        addr = to_address(address)
        return tuple(Label(addr, label, source, _category(cat), date or None) for cat, label, source, date in raw)

    def lookup_many(self, addresses: Iterable[str]) -> Mapping[Address, tuple[Label, ...]]:
        found = {to_address(a): labels for a in addresses if (labels := self.lookup(a))}
        return MappingProxyType(found)

    def all_addresses(self) -> list[str]:
        """Every labelled address (lowercase), for building the graph's seeds and services."""
        user = [row[0] for row in self._db.execute("SELECT DISTINCT address FROM labels")]
        return sorted(set(self._shipped) | set(user))

    def all_labels(self) -> Mapping[Address, tuple[Label, ...]]:
        return self.lookup_many(self.all_addresses())

    def count(self) -> tuple[int, int]:
        """(shipped addresses, user label rows)."""
        (user,) = self._db.execute("SELECT COUNT(*) FROM labels").fetchone()
        return len(self._shipped), int(user)

    def replace_domains(self, source: str, fmt: str, entries: Iterable[DomainEntry], version: str | None = None) -> int:
        """Replace every domain entry of ``source`` with ``entries`` (a newer list drops what its
        maintainers removed); returns how many entries the source now has."""
        rows = [(e.domain, e.kind.value, source, e.tolerance, i) for i, e in enumerate(entries)]
        with self._db:
            self._db.execute("DELETE FROM domains WHERE source = ?", (source,))
            self._db.executemany("INSERT OR IGNORE INTO domains VALUES (?, ?, ?, ?, ?)", rows)
            (count,) = self._db.execute("SELECT COUNT(*) FROM domains WHERE source = ?", (source,)).fetchone()
            self._db.execute(
                "INSERT OR REPLACE INTO domain_sources VALUES (?, ?, ?, ?, ?)",
                (source, fmt, version, int(time.time()), count),
            )
        self._domain_lists = None
        return int(count)

    def domain_sources(self) -> list[tuple[str, str, str | None, int, int]]:
        """(source, format, version, imported at (unix seconds), entries) of every domain list."""
        rows = self._db.execute(
            "SELECT source, format, version, imported_at, entries FROM domain_sources ORDER BY source"
        )
        return [(str(a), str(b), None if c is None else str(c), int(d), int(e)) for a, b, c, d, e in rows]

    def domain_lists(self) -> DomainLists:
        """Every imported domain list, indexed once (rebuilt after an import)."""
        if self._domain_lists is None:
            rows = self._db.execute("SELECT domain, list, source, tolerance FROM domains ORDER BY source, position")
            entries = [DomainEntry(d, DomainListKind(k), src, tol) for d, k, src, tol in rows]
            versions = {src: ver for src, _fmt, ver, _at, _n in self.domain_sources()}
            self._domain_lists = DomainLists(entries, versions)
        return self._domain_lists
