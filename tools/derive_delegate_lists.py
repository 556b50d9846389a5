"""Maintainer tool: derive the shipped EIP-7702 delegate list from the public data snapshot.

``python tools/derive_delegate_lists.py SOURCE_DIR`` reads ``SOURCE_DIR/eip7702_delegates/*.csv``
(the three files described in that folder's README) and rewrites
``txfirewall/data/eip7702_delegates/delegates.csv``. Never run by the package itself.

Only rows marked ``shippable=yes`` are kept (at least one MIT source), and of each row only what
an MIT source says: the ``sources`` column names those sources alone, and a name that came from an
unlicensed source (mywalletcheck, the Wintermute copy) is replaced by the MIT source's label.
Output columns: ``address,status,kind,name,vendor,sources``; addresses EIP-55 as in the snapshot.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "txfirewall" / "data" / "eip7702_delegates"
_ADDR = re.compile(r"^0x[0-9a-fA-F]{40}$")
_EARLIER = re.compile(r"BundleBear label '([^']+)'(?: \(earlier '([^']+)'\))?")
SHORT_NAMES = {
    "walletbeat/walletbeat": "walletbeat",
    "Jam516/BundleBear": "BundleBear",
    "RevokeCash/whois": "revoke.cash whois",
}
"""The MIT sources, by repository, and the short name a finding shows."""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _mit_sources(row: dict[str, str]) -> list[str]:
    """Short names of the row's sources whose license is MIT, in the row's order."""
    sources = row["source"].split(" | ")
    licenses = row["license"].split(" | ")
    if len(sources) != len(licenses):
        raise ValueError(f"{row['address']}: {len(sources)} sources but {len(licenses)} licenses")
    found: list[str] = []
    for source, lic in zip(sources, licenses, strict=True):
        repo = source.split("@", 1)[0]
        if lic.startswith("MIT") and repo in SHORT_NAMES and SHORT_NAMES[repo] not in found:
            found.append(SHORT_NAMES[repo])
    return found


def _first_source_is_mit(row: dict[str, str]) -> bool:
    return row["license"].split(" | ")[0].startswith("MIT")


def _malicious_name(row: dict[str, str], sources: list[str]) -> str:
    if _first_source_is_mit(row):
        return row["name"]
    match = _EARLIER.search(row["evidence"])
    if match is not None:
        return match.group(2) or match.group(1)
    return "Scam Delegate" if "revoke.cash whois" in sources else "sweeper"


def _other_status(kind: str) -> str:
    return "unsafe" if "unsafe" in kind else "unvetted"


def derive(src: Path) -> dict[str, int]:
    folder = src / "eip7702_delegates"
    out: list[tuple[str, str, str, str, str, str]] = []
    for row in _rows(folder / "known_good_delegates.csv"):
        if row["shippable"] == "yes":
            sources = _mit_sources(row)
            name = row["name"] if _first_source_is_mit(row) else row["vendor"]
            out.append((row["address"], "known-good", "wallet-delegate", name, row["vendor"], "; ".join(sources)))
    for row in _rows(folder / "malicious_delegates.csv"):
        if row["shippable"] == "yes":
            sources = _mit_sources(row)
            out.append((row["address"], "malicious", "sweeper", _malicious_name(row, sources), "", "; ".join(sources)))
    for row in _rows(folder / "other_labelled_contracts.csv"):
        if row["shippable"] == "yes":
            sources = _mit_sources(row)
            name = row["name"] if _first_source_is_mit(row) else (row["vendor"] or row["kind"])
            kind = row["kind"].replace(";", "+")
            out.append((row["address"], _other_status(kind), kind, name, row["vendor"], "; ".join(sources)))
    seen: set[str] = set()
    for address, _status, _kind, _name, _vendor, sources in out:
        if not _ADDR.match(address) or address.lower() in seen or not sources:
            raise ValueError(f"bad or duplicate row {address} (sources {sources!r})")
        seen.add(address.lower())
    out.sort(key=lambda r: (r[1], r[0].lower()))
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "delegates.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["address", "status", "kind", "name", "vendor", "sources"])
        w.writerows(out)
    counts: dict[str, int] = {}
    for r in out:
        counts[r[1]] = counts.get(r[1], 0) + 1
    return counts


if __name__ == "__main__":
    for status, count in sorted(derive(Path(sys.argv[1])).items()):
        print(f"{status}: {count} rows")
