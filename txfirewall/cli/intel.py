"""``txfirewall intel import|lookup|origin``: the persistent intel store from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from txfirewall.cli.exit_codes import EXIT_USAGE
from txfirewall.errors import InputFileError
from txfirewall.model.text import terminal_safe

if TYPE_CHECKING:
    from txfirewall.intel.store import IntelStore

ADDRESS_FORMATS = ("csv", "scamsniffer", "etherscan", "allow", "deny")
DOMAIN_FORMATS = ("metamask-phishing", "domains", "domains-allow")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    intel = sub.add_parser("intel", help="address labels and phishing domains: import lists, look up")
    isub = intel.add_subparsers(dest="intel_command", required=True)
    imp = isub.add_parser("import", help="import an address-label or domain list into your intel store")
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--format",
        default="csv",
        choices=ADDRESS_FORMATS + DOMAIN_FORMATS,
        help="address lists: " + ", ".join(ADDRESS_FORMATS) + "; domain lists: " + ", ".join(DOMAIN_FORMATS),
    )
    imp.add_argument("--source", help="source name shown in findings (default: from the file or format)")
    imp.add_argument("--store", type=Path, help="intel store file (default: $TXFIREWALL_INTEL or XDG data dir)")
    look = isub.add_parser("lookup", help="labels of one or more addresses")
    look.add_argument("addresses", nargs="+")
    look.add_argument("--store", type=Path, help="intel store file")
    look.add_argument("--json", action="store_true")
    origin = isub.add_parser("origin", help="what your domain lists say about one or more sites")
    origin.add_argument("origins", nargs="+", metavar="URL")
    origin.add_argument("--store", type=Path, help="intel store file")
    origin.add_argument("--json", action="store_true")


def _import(store: IntelStore, args: argparse.Namespace) -> None:
    if args.format in DOMAIN_FORMATS:
        from txfirewall.intel.domain_importers import read_domains

        parsed = read_domains(args.file, args.format, args.source)
        count = store.replace_domains(parsed.source, parsed.fmt, parsed.entries, parsed.version)
        version = f" version {parsed.version}" if parsed.version else ""
        skipped = f"; {parsed.skipped} entries naming a page, not a site, left out" if parsed.skipped else ""
        print(
            terminal_safe(f"imported {count} domain entries as {parsed.source!r}{version} into {store.path}{skipped}")
        )
        return
    from txfirewall.intel.importers import read_labels

    labels = read_labels(args.file, args.format, args.source)
    added = store.add(labels)
    print(f"imported {added} new labels ({len(labels)} read) into {store.path}")


def _origins(store: IntelStore, args: argparse.Namespace) -> int:
    from txfirewall.model.hostnames import parse_host
    from txfirewall.model.text import safe_text

    lists = store.domain_lists()
    results = []
    for origin in args.origins:
        host = parse_host(origin)
        if host is None:
            raise InputFileError(f"not a URL or hostname: {safe_text(origin, limit=80)!r}")
        match = lists.match(host)
        results.append({"origin": origin, "host": host.to_json(), "match": match.to_json() if match else None})
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        if not len(lists):
            print("no domain list imported (txfirewall intel import --format metamask-phishing FILE)")
        for item, origin in zip(results, args.origins, strict=True):
            match = item["match"]
            shown = safe_text(origin, limit=120)
            if match is None:
                print(f"{shown}: not on any list")
            else:
                extra = f", distance {match['distance']}" if match["list"] == "fuzzy" else ""
                print(terminal_safe(f"{shown}: {match['list']} ({match['entry']!r} from {match['source']}{extra})"))
    return 0


def run(args: argparse.Namespace) -> int:
    from txfirewall.intel.store import IntelStore, default_store_path
    from txfirewall.model.primitives import is_address

    try:
        with IntelStore(args.store or default_store_path()) as store:
            if args.intel_command == "import":
                _import(store, args)
                return 0
            if args.intel_command == "origin":
                return _origins(store, args)
            bad = [a for a in args.addresses if not is_address(a)]
            if bad:
                raise InputFileError(f"not an address: {bad[0]!r}")
            out = {a: [lb.to_json() for lb in store.lookup(a)] for a in args.addresses}
    except InputFileError as exc:
        print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps([{"address": a, "labels": v} for a, v in out.items()], indent=1))
    else:
        for address, found in out.items():
            print(address if found else f"{address}: no labels")
            for lb in found:
                date = f", {lb['date']}" if lb.get("date") else ""
                print(terminal_safe(f"  {lb['category']}: {lb['label']!r} ({lb['source']}{date})"))
    return 0
