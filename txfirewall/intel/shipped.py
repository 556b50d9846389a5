"""The intel lists shipped inside the package (permissive licenses; see data/intel/PROVENANCE.md).

Parsed once per process into a dict of raw rows; ``Label`` objects (checksummed) are made only for
the addresses actually looked up, so opening the store stays cheap.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

# file -> source name shown in findings
SHIPPED_SOURCES: dict[str, str] = {
    "ofac_sanctioned.csv": "ofac-sdn (ultrasoundmoney)",
    "tornado_cash.csv": "ofac-sdn-2024 (ultrasoundmoney)",
    "forta_etherscan_malicious.csv": "forta labelled-datasets",
    "forta_malicious_contracts.csv": "forta malicious-contracts",
    "mew_darklist.csv": "mew darklist",
    "defihacklabs_attackers.csv": "defihacklabs",
    "forta_benign.csv": "forta benign list",
}

RawRow = tuple[str, str, str, str]
"""(category, label, source, date)"""


@lru_cache(maxsize=1)
def shipped_rows() -> dict[str, tuple[RawRow, ...]]:
    """Lowercase address -> its rows across every shipped list."""
    found: dict[str, list[RawRow]] = {}
    folder = resources.files("txfirewall") / "data" / "intel"
    for name, source in SHIPPED_SOURCES.items():
        text = (folder / name).read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text)):
            found.setdefault(row["address"], []).append((row["category"], row["label"], source, row["date"]))
    return {a: tuple(rows) for a, rows in found.items()}
