"""Importers for phishing-domain lists txfirewall cannot ship, and for the user's own lists.

- ``metamask-phishing``: MetaMask's ``eth-phishing-detect`` ``config.json`` (``version``,
  ``tolerance``, ``fuzzylist``, ``whitelist``, ``blacklist``; the newer ``allowlist`` /
  ``blocklist`` names are accepted too). Its license does not allow redistribution, so the user
  supplies their own copy.
- ``domains``: a deny list, one domain per line (``#`` comments; a URL or a ``*.`` wildcard is
  reduced to its host, a hosts-file line ``0.0.0.0 host`` to the host; an entry naming a page,
  with a path, is left out and counted), or a JSON array of domains (ScamSniffer's
  ``blacklist/domains.json``).
- ``domains-allow``: the same shapes, as an allow list (sites you trust; allow lists win).

Every entry is untrusted: it must be a hostname (or IP address); a bad one is an
``InputFileError`` naming its line or index, and nothing is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from txfirewall.errors import InputFileError
from txfirewall.intel.domain_lists import MAX_TOLERANCE, DomainEntry
from txfirewall.intel.importers import read_text
from txfirewall.model.hostnames import parse_host
from txfirewall.model.origin import DomainListKind
from txfirewall.model.untrusted_json import loads_bounded

DOMAIN_FORMATS = ("metamask-phishing", "domains", "domains-allow")
DEFAULT_TOLERANCE = 3
"""MetaMask's detector default when a config states none."""
_MAX_ENTRIES = 2_000_000
_HOSTS_FILE_SINKS = ("0.0.0.0", "127.0.0.1", "::")


@dataclass(frozen=True)
class DomainImport:
    """One parsed file: its entries, under one source name."""

    source: str
    fmt: str
    entries: tuple[DomainEntry, ...]
    version: str | None = None
    skipped: int = 0
    """Entries that name a page (a path after the host), not a site: left out."""


def _collect(items: Iterator[DomainEntry | None], into: list[DomainEntry]) -> int:
    """Append the site entries; returns how many page entries were left out."""
    skipped = 0
    for item in items:
        if item is None:
            skipped += 1
        else:
            into.append(item)
    return skipped


def _domain(value: object, where: str) -> str | None:
    """The ASCII hostname of one entry; None for an entry with a path (``sites.example/page``):
    reducing it to its host would list a whole shared site."""
    if not isinstance(value, str):
        raise InputFileError(f"{where}: expected a domain string")
    text = value.strip()
    if text.startswith("*."):
        text = text[2:]
    host = parse_host(text)
    if host is None:
        raise InputFileError(f"{where}: {text[:80]!r} is not a domain")
    after_host = text.split("://", 1)[-1].partition("/")[2]
    if after_host.strip("/") or "?" in text:
        return None
    return host.name


def _entries(
    values: object, kind: DomainListKind, source: str, where: str, tolerance: int | None = None
) -> Iterator[DomainEntry | None]:
    """One entry per value; None for a value that names a page rather than a site."""
    if values is None:
        return
    if not isinstance(values, list):
        raise InputFileError(f"{where}: expected a list of domains")
    if len(values) > _MAX_ENTRIES:
        raise InputFileError(f"{where}: more than {_MAX_ENTRIES} entries")
    for i, value in enumerate(values):
        domain = _domain(value, f"{where} item {i}")
        yield None if domain is None else DomainEntry(domain, kind, source, tolerance)


def _json(path: Path) -> Any:
    try:
        return loads_bounded(read_text(path))
    except ValueError as exc:
        raise InputFileError(f"{path.name}: not JSON ({exc})") from exc


def import_metamask(path: Path, source: str) -> DomainImport:
    data = _json(path)
    if not isinstance(data, dict):
        raise InputFileError(f"{path.name}: expected MetaMask's config.json (a JSON object)")
    known = {"version", "tolerance", "fuzzylist", "whitelist", "blacklist", "allowlist", "blocklist", "name"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputFileError(f"{path.name}: unexpected key(s) {', '.join(unknown)[:120]} for a MetaMask config")
    if "blacklist" not in data and "blocklist" not in data:
        raise InputFileError(f"{path.name}: no 'blacklist' (or 'blocklist'): not a MetaMask phishing config")
    tolerance = data.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or not 0 <= tolerance <= MAX_TOLERANCE:
        raise InputFileError(f"{path.name}: 'tolerance' must be an integer from 0 to {MAX_TOLERANCE}")
    version = data.get("version")
    if version is not None and not isinstance(version, (int, str)):
        raise InputFileError(f"{path.name}: 'version' must be a number or a string")
    entries: list[DomainEntry] = []
    skipped = 0
    for key, kind in (
        ("whitelist", DomainListKind.ALLOW),
        ("allowlist", DomainListKind.ALLOW),
        ("blacklist", DomainListKind.BLOCK),
        ("blocklist", DomainListKind.BLOCK),
    ):
        skipped += _collect(_entries(data.get(key), kind, source, f"{path.name} {key}"), entries)
    if tolerance > 0:  # MetaMask skips fuzzy matching at tolerance 0
        fuzzy = _entries(data.get("fuzzylist"), DomainListKind.FUZZY, source, f"{path.name} fuzzylist", tolerance)
        skipped += _collect(fuzzy, entries)
    shown_version = None if version is None else str(version)[:40]
    return DomainImport(source, "metamask-phishing", tuple(entries), shown_version, skipped)


def import_domain_list(path: Path, source: str, *, allow: bool) -> DomainImport:
    kind = DomainListKind.ALLOW if allow else DomainListKind.BLOCK
    fmt = "domains-allow" if allow else "domains"
    text = read_text(path)
    entries: list[DomainEntry] = []
    if text.lstrip().startswith("["):
        skipped = _collect(_entries(_json(path), kind, source, path.name), entries)
        return DomainImport(source, fmt, tuple(entries), skipped=skipped)
    skipped = 0
    for number, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        tokens = body.split()
        if len(tokens) == 2 and tokens[0] in _HOSTS_FILE_SINKS:  # hosts-file form: 0.0.0.0 evil.example
            body = tokens[1]
        if len(entries) >= _MAX_ENTRIES:
            raise InputFileError(f"{path.name}: more than {_MAX_ENTRIES} entries")
        domain = _domain(body, f"{path.name} line {number}")
        if domain is None:
            skipped += 1
        else:
            entries.append(DomainEntry(domain, kind, source))
    return DomainImport(source, fmt, tuple(entries), skipped=skipped)


def read_domains(path: Path, fmt: str, source: str | None = None) -> DomainImport:
    """Parse one domain-list file completely (so a bad entry imports nothing)."""
    if fmt == "metamask-phishing":
        return import_metamask(path, source or "metamask-phishing")
    if fmt in ("domains", "domains-allow"):
        default = "user-allow" if fmt == "domains-allow" else path.stem
        return import_domain_list(path, source or default, allow=fmt == "domains-allow")
    raise InputFileError(f"unknown domain-list format {fmt!r} (one of: {', '.join(DOMAIN_FORMATS)})")
