"""``txfirewall intel import|lookup``: the persistent intel store from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from txfirewall.cli.exit_codes import EXIT_USAGE
from txfirewall.errors import InputFileError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    intel = sub.add_parser("intel", help="address labels: import lists, look addresses up")
    isub = intel.add_subparsers(dest="intel_command", required=True)
    imp = isub.add_parser("import", help="import a label list into your intel store")
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", default="csv", choices=("csv", "scamsniffer", "etherscan", "allow", "deny"))
    imp.add_argument("--source", help="source name shown in findings (default: from the file)")
    imp.add_argument("--store", type=Path, help="intel store file (default: $TXFIREWALL_INTEL or XDG data dir)")
    look = isub.add_parser("lookup", help="labels of one or more addresses")
    look.add_argument("addresses", nargs="+")
    look.add_argument("--store", type=Path, help="intel store file")
    look.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from txfirewall.intel.importers import read_labels
    from txfirewall.intel.store import IntelStore, default_store_path
    from txfirewall.model.primitives import is_address

    try:
        with IntelStore(args.store or default_store_path()) as store:
            if args.intel_command == "import":
                labels = read_labels(args.file, args.format, args.source)
                added = store.add(labels)
                print(f"imported {added} new labels ({len(labels)} read) into {store.path}")
                return 0
            bad = [a for a in args.addresses if not is_address(a)]
            if bad:
                raise InputFileError(f"not an address: {bad[0]!r}")
            out = {a: [lb.to_json() for lb in store.lookup(a)] for a in args.addresses}
    except InputFileError as exc:
        print(f"txfirewall: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps([{"address": a, "labels": v} for a, v in out.items()], indent=1))
    else:
        for address, found in out.items():
            print(address if found else f"{address}: no labels")
            for lb in found:
                print(
                    f"  {lb['category']}: {lb['label']!r} ({lb['source']}{', ' + str(lb['date']) if lb.get('date') else ''})"
                )
    return 0
