"""``txfirewall signatures import|lookup``: the user's own selector database from the command line."""

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
    from txfirewall.signatures.selector_import import ImportSummary

EXIT_INTERRUPTED = 130
"""128 + SIGINT, what a shell reports for a command stopped with Ctrl-C."""
DB_HELP = "your signature database (default: $TXFIREWALL_SIGNATURES_DB, else the XDG data dir)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sigs = sub.add_parser("signatures", help="function signatures: import your own dumps, look selectors up")
    ssub = sigs.add_subparsers(dest="signatures_command", required=True)
    imp = ssub.add_parser(
        "import",
        help="add a 4byte.directory / openchain dump (CSV, JSON, JSON lines; .gz ok) to your signature database",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", default="auto", choices=("auto", "csv", "json", "jsonl"))
    imp.add_argument("--db", type=Path, help=DB_HELP)
    look = ssub.add_parser("lookup", help="candidate signatures of 4-byte selectors, shipped and yours")
    look.add_argument("selectors", nargs="+", metavar="0xSELECTOR")
    look.add_argument("--db", type=Path, help=DB_HELP)
    look.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    try:
        if args.signatures_command == "import":
            return _import(args)
        return _lookup(args)
    except InputFileError as exc:
        print(f"txfirewall: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE


def _import(args: argparse.Namespace) -> int:
    from txfirewall.signatures.selector_import import import_dump
    from txfirewall.signatures.user_db import default_user_db_path

    progress = _Progress() if sys.stderr.isatty() else None
    try:
        summary = import_dump(args.file, args.db or default_user_db_path(), fmt=args.format, progress=progress)
    except KeyboardInterrupt:
        print("\ntxfirewall: interrupted; nothing was imported", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if progress is not None:
            progress.clear()
    print("\n".join(terminal_safe(line) for line in summary_lines(summary)))
    return 0


def summary_lines(s: ImportSummary) -> list[str]:
    """The import summary as the CLI prints it."""
    from txfirewall.signatures.selector_import import REASONS

    lines = [
        f"imported {s.source} ({s.format}) into {s.database} in {s.seconds:.1f} s ({s.rows_per_second:,.0f} rows/s)",
        f"  read             {s.read:>12,}",
        f"  added            {s.added:>12,}",
        f"  already present  {s.already_present:>12,}",
        f"  rejected         {sum(s.rejected.values()):>12,}",
    ]
    for reason, count in s.rejected.items():
        if count:
            lines.append(f"    {reason:<19}{count:>9,}  {REASONS[reason]}")
            lines.extend(f"      e.g. {example}" for example in s.examples.get(reason, ()))
    if s.ignored_events:
        lines.append(f"  ignored          {s.ignored_events:>12,}  event signatures (only functions are imported)")
    return lines


class _Progress:
    """One self-overwriting line on a terminal's stderr, updated once per batch."""

    def __init__(self) -> None:
        self.width = 0

    def __call__(self, phase: str, done: int, total: int, rows: int) -> None:
        share = f"{100 * done / total:3.0f}%, " if total and phase == "reading" else ""
        self._show(f"{phase}: {share}{rows:,} rows")

    def _show(self, text: str) -> None:
        sys.stderr.write("\r" + text.ljust(self.width))
        sys.stderr.flush()
        self.width = max(self.width, len(text))

    def clear(self) -> None:
        if self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def _selector(text: str) -> bytes:
    raw = text[2:] if text[:2].lower() == "0x" else text
    try:
        selector = bytes.fromhex(raw)
    except ValueError:
        selector = b""
    if len(selector) != 4 or len(raw) != 8:
        raise InputFileError(f"not a 4-byte selector: {text!r}", hint="give 8 hex digits, e.g. 0xa9059cbb")
    return selector


def _lookup(args: argparse.Namespace) -> int:
    from txfirewall.signatures.selector_db import functions
    from txfirewall.signatures.user_db import UserSignatureDb, default_user_db_path

    selectors = [_selector(s) for s in args.selectors]
    path = args.db or default_user_db_path()
    user = UserSignatureDb(path) if path.is_file() else None
    if user is None:
        print(f"txfirewall: no signature database at {path}; showing the shipped one only", file=sys.stderr)
    found: dict[str, list[tuple[str, str]]] = {}
    try:
        for selector in selectors:
            shipped = functions().lookup(selector)
            mine = [s for s in user.lookup(selector) if s not in shipped] if user is not None else []
            found["0x" + selector.hex()] = [(s, "shipped") for s in shipped] + [(s, "user") for s in mine]
    finally:
        if user is not None:
            user.close()
    if args.json:
        out = [
            {"selector": sel, "signatures": [{"signature": sig, "source": src} for sig, src in cands]}
            for sel, cands in found.items()
        ]
        print(json.dumps(out, indent=1))
        return 0
    for sel, cands in found.items():
        if not cands:
            print(f"{sel}: unknown")
            continue
        print(sel)
        width = max(len(sig) for sig, _ in cands)
        for sig, src in cands:
            print(f"  {terminal_safe(sig):<{width}}  {src}")
    return 0
