"""Importers for label lists txfirewall cannot ship (restrictive licenses) and for the user's own
allow / deny lists. Every input is untrusted: addresses are validated, label text kept as data,
and a bad row is an ``InputFileError`` naming its line.

- ``csv``: any ``address,label[,source][,category][,date]`` CSV (header optional)
- ``scamsniffer``: ScamSniffer's ``blacklist/address.json`` (a JSON array of addresses) or its
  ``combined.json`` (domain -> addresses)
- ``etherscan``: Etherscan label dumps as CSV with ``address`` and ``name``/``nameTag``/``name_tag``
  and optional ``labels``/``label`` columns
- ``allow`` / ``deny``: one address per line (``address[,note]``; ``#`` comments)
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

from txfirewall.errors import InputFileError
from txfirewall.intel.categories import USER_ALLOW_SOURCE, USER_DENY_SOURCE, categorise
from txfirewall.model.facts import ILLICIT_CATEGORIES, Label, LabelCategory
from txfirewall.model.primitives import Address, is_address, to_address
from txfirewall.model.untrusted_json import loads_bounded

FORMATS = ("csv", "scamsniffer", "etherscan", "allow", "deny")
_MAX_LABEL = 200


def read_text(path: Path) -> str:
    """A user-supplied file as text (UTF-8, a BOM dropped, gzip unpacked)."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {path}: {exc}") from exc


def _address(value: str, where: str) -> Address:
    value = value.strip()
    if not is_address(value):
        raise InputFileError(f"{where}: {value[:60]!r} is not an address")
    return to_address(value)


def _clean(text: str) -> str:
    return " ".join(text.split())[:_MAX_LABEL]


def import_csv(path: Path, source: str) -> Iterator[Label]:
    for number, row in enumerate(csv.reader(io.StringIO(read_text(path))), 1):
        if not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() == "address":
            continue
        if len(row) < 2:
            raise InputFileError(f"{path.name} line {number}: expected address,label[,source][,category][,date]")
        where = f"{path.name} line {number}"
        label = _clean(row[1])
        if not label:
            raise InputFileError(f"{where}: empty label")
        origin = _clean(row[2]) if len(row) > 2 and row[2].strip() else source
        category = categorise(label)
        if len(row) > 3 and row[3].strip():
            try:
                category = LabelCategory(row[3].strip().lower())
            except ValueError as exc:
                raise InputFileError(f"{where}: unknown category {row[3][:40]!r}") from exc
        date = row[4].strip()[:32] if len(row) > 4 and row[4].strip() else None
        yield Label(_address(row[0], where), label, origin, category, date)


def import_scamsniffer(path: Path, source: str) -> Iterator[Label]:
    try:
        data = loads_bounded(read_text(path))
    except ValueError as exc:
        raise InputFileError(f"{path.name}: not JSON ({exc})") from exc
    if isinstance(data, list):
        for i, item in enumerate(data):
            if not isinstance(item, str):
                raise InputFileError(f"{path.name} item {i}: expected an address string")
            yield Label(_address(item, f"{path.name} item {i}"), "ScamSniffer blacklist", source, LabelCategory.DRAINER)
    elif isinstance(data, dict):
        for domain, addresses in data.items():
            if not isinstance(addresses, list):
                raise InputFileError(f"{path.name} {str(domain)[:60]!r}: expected a list of addresses")
            for a in addresses:
                yield Label(
                    _address(str(a), f"{path.name} {str(domain)[:60]!r}"),
                    _clean(f"ScamSniffer: drainer behind {domain}"),
                    source,
                    LabelCategory.DRAINER,
                )
    else:
        raise InputFileError(f"{path.name}: expected a JSON array or object")


def import_etherscan(path: Path, source: str) -> Iterator[Label]:
    reader = csv.DictReader(io.StringIO(read_text(path)))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "address" not in fields:
        raise InputFileError(f"{path.name}: no 'address' column (has: {', '.join(fields)[:120]})")
    reader.fieldnames = fields
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        name = _clean(row.get("name") or row.get("nametag") or row.get("name_tag") or "")
        tags = _clean(row.get("labels") or row.get("label") or "")
        text = " / ".join(t for t in (name, tags) if t)
        if not text:
            continue
        category = categorise(f"{tags} {name}")
        if any(k in tags.lower() for k in ("take-action", "blocked")) and category not in ILLICIT_CATEGORIES:
            category = LabelCategory.SCAM
        yield Label(_address(row.get("address") or "", where), text, source, category)


def import_list(path: Path, *, allow: bool) -> Iterator[Label]:
    for number, line in enumerate(read_text(path).splitlines(), 1):
        body = line.split("#", 1)[0].strip()
        if not body or body.lower().startswith("address"):
            continue
        address, _, note = body.partition(",")
        where = f"{path.name} line {number}"
        note = _clean(note)
        if allow:
            yield Label(_address(address, where), note or "on your allow-list", USER_ALLOW_SOURCE, LabelCategory.BENIGN)
        else:
            yield Label(_address(address, where), note or "on your deny-list", USER_DENY_SOURCE, LabelCategory.SCAM)


def read_labels(path: Path, fmt: str, source: str | None = None) -> list[Label]:
    """Parse one file completely (so a bad row imports nothing)."""
    name = source or path.stem
    if fmt == "csv":
        return list(import_csv(path, name))
    if fmt == "scamsniffer":
        return list(import_scamsniffer(path, source or "scamsniffer"))
    if fmt == "etherscan":
        return list(import_etherscan(path, source or "etherscan"))
    if fmt in ("allow", "deny"):
        return list(import_list(path, allow=fmt == "allow"))
    raise InputFileError(f"unknown intel format {fmt!r} (one of: {', '.join(FORMATS)})")
