"""The intel store: labels per address (category, source, date) from the shipped lists plus the
user's imports and allow / deny lists, persisted in one SQLite file.

Lookups are a dict probe (shipped) and one indexed SQLite query (user layer): microseconds.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from txfirewall.errors import InputFileError
from txfirewall.intel.shipped import shipped_rows
from txfirewall.model.facts import Label, LabelCategory
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
