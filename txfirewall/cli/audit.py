"""``txfirewall audit verify|show``: check the proxy's hash-chained audit log, show its newest entries.

``verify`` exits 0 when every retained line is intact and chained (notes, such as a chain that
starts after rotation or a recovered torn write, do not change that), ``EXIT_AUDIT_BROKEN`` when
it finds edited, deleted, reordered, forged or torn lines, and 2 when there is no log or a file
cannot be read. The log module is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from txfirewall.cli.exit_codes import EXIT_AUDIT_BROKEN, EXIT_USAGE
from txfirewall.errors import AuditLogError

if TYPE_CHECKING:
    from txfirewall.proxy.audit import AuditLine, AuditReport

PATH_HELP = "the log (default: $TXFIREWALL_AUDIT_LOG, else $XDG_STATE_HOME/txfirewall/audit.jsonl)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="the proxy's audit log: verify its hash chain, show recent entries")
    asub = audit.add_subparsers(dest="audit_command", required=True)
    verify = asub.add_parser("verify", help="check every line and the chain across rotated files")
    verify.add_argument("path", nargs="?", type=Path, help=PATH_HELP)
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    show = asub.add_parser("show", help="print the newest entries (no checking: that is verify)")
    show.add_argument("path", nargs="?", type=Path, help=PATH_HELP)
    show.add_argument("--last", type=int, default=20, metavar="N", help="how many lines (default 20)")
    show.add_argument("--json", action="store_true", help="one entry a line, as JSON")


def _print_report(report: AuditReport) -> None:
    state = "intact" if report.ok else f"BROKEN: {len(report.problems)} problem(s)"
    print(f"audit log {report.path}: {state}")
    if report.entries:
        print(
            f"  {report.entries} entries (seq {report.first_seq}..{report.last_seq}) in {len(report.files)} file(s), "
            f"{report.first_time} to {report.last_time}"
        )
        print(f"  head: seq {report.last_seq} hash {report.last_hash}")
    else:
        print(f"  no entries ({len(report.files)} file(s))")
    for problem in report.problems:
        print(f"  problem: {problem}")
    for note in report.notes:
        print(f"  note: {note}")


def _print_line(item: AuditLine) -> None:
    entry = item.entry
    where = f"{item.file.name}:{item.line}"
    if entry is None:
        print(f"{where}  (not a readable entry; run `txfirewall audit verify`)")
        return
    # Canonical JSON is pure ASCII with every control, bidi and invisible character escaped, so an
    # untrusted string in a record cannot rewrite the terminal.
    from txfirewall.proxy.audit import canonical_json

    body: Any = entry.get("record", entry.get("event"))
    kind = "record" if "record" in entry else "event"
    try:
        text = canonical_json(body)
    except (TypeError, ValueError, RecursionError):
        text = "(unprintable)"
    seq, when = entry.get("seq"), entry.get("time")
    shown_seq = str(seq) if type(seq) is int else canonical_json(seq)
    shown_time = when if isinstance(when, str) and when.isascii() and when.isprintable() else canonical_json(when)
    print(f"{where}  seq {shown_seq}  {shown_time}  {kind} {text}")


def run(args: argparse.Namespace) -> int:
    from txfirewall.proxy.audit import canonical_json, default_audit_path, tail_audit, verify_audit

    path = args.path or default_audit_path()
    try:
        if args.audit_command == "verify":
            report = verify_audit(path)
        else:
            if args.last < 0:
                raise AuditLogError("--last must be 0 or more", hint="")
            lines = tail_audit(path, args.last)
    except AuditLogError as exc:
        print(f"txfirewall: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": {"type": "usage", "class": type(exc).__name__, "message": str(exc)}}))
        return EXIT_USAGE
    if args.audit_command == "verify":
        if args.json:
            print(json.dumps(report.to_json(), indent=1))
        else:
            _print_report(report)
        return 0 if report.ok else EXIT_AUDIT_BROKEN
    for item in lines:
        if args.json:
            out = item.entry if item.entry is not None else {"file": str(item.file), "line": item.line, "invalid": True}
            print(canonical_json(out))
        else:
            _print_line(item)
    return 0
