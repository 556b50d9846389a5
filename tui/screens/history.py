"""The proxy's decisions, newest first, from its audit log; type to search."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from txfirewall.tui.audit_history import AuditRow, read_history
from txfirewall.tui.untrusted import address_text, claim, untrusted
from txfirewall.tui.verdict_sections import DECISION_STYLE, SEVERITY_STYLE

SHOWN = 500
"""Rows put in the table at once (the search runs over all of them)."""


def _cells(row: AuditRow) -> tuple[Text, ...]:
    verdict = Text((row.verdict or "-").upper(), style=DECISION_STYLE.get(row.verdict or "", ""))
    return (
        untrusted(row.time[:19].replace("T", " "), limit=19, note=False),
        untrusted(row.choice, limit=16, note=False, style="bold"),  # "override-refused"
        verdict,
        Text(str(row.score) if row.score is not None else "-"),
        untrusted(row.method, limit=28, note=False),
        claim(row.origin, limit=28, empty="-", note=False),
        untrusted(row.rules or "-", limit=48, note=False),
    )


def row_details(row: AuditRow) -> Group:
    """The selected row in full: who, why, each finding."""
    head = Text(f"#{row.seq if row.seq is not None else '?'}  ")
    head.append_text(untrusted(row.time, limit=40, note=False))
    head.append("  ")
    head.append_text(untrusted(row.choice, limit=20, note=False, style="bold"))
    if row.reason:
        head.append("  (")
        head.append_text(untrusted(row.reason, limit=200, note=False))
        head.append(")")
    who = Text("  sender ", style="dim")
    who.append_text(address_text(row.sender, full=True))
    who.append("   origin ", style="dim")
    who.append_text(claim(row.origin, limit=80, empty="(none)"))
    lines = [head, who]
    for rule, severity, message in row.findings:
        line = Text("  ■ ", style=SEVERITY_STYLE.get(severity, ""))
        line.append_text(
            untrusted(f"{severity:<8} {rule}", limit=80, note=False, style=SEVERITY_STYLE.get(severity, ""))
        )
        line.append(": ")
        line.append_text(untrusted(message, limit=300, note=False))
        lines.append(line)
    return Group(*lines)


class HistoryScreen(Screen[None]):
    DEFAULT_CSS = """
    HistoryScreen #search { dock: top; }
    HistoryScreen #summary { height: 1; color: $text-muted; }
    HistoryScreen DataTable { height: 1fr; }
    HistoryScreen #detail { height: auto; max-height: 8; border-top: solid $secondary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "back"), Binding("ctrl+l", "reload", "reload")]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.rows: list[AuditRow] = []
        self.shown: list[AuditRow] = []
        self.unreadable = 0
        self.error: str | None = None
        self.loaded = False
        """True once the log has been read (and after each ctrl+l)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search: origin, method, rule, choice, address…", id="search")
        yield Static(id="summary")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in ("time (UTC)", "choice", "verdict", "score", "method", "origin", "rules"):
            table.add_column(Text(label, style="bold"))
        self.action_reload()
        self.query_one("#search", Input).focus()

    def action_reload(self) -> None:
        """Read the log in a thread (20,000 entries take most of a second): the screen stays live."""
        self.loaded = False
        self.query_one("#summary", Static).update(Text(" reading the audit log…", style="dim"))
        self.run_worker(self._read(), group="history", exclusive=True, exit_on_error=False)

    async def _read(self) -> None:
        self.rows, self.unreadable, self.error = await asyncio.to_thread(read_history, self.path)
        self._fill(self.query_one("#search", Input).value)
        self.loaded = True

    def _fill(self, query: str) -> None:
        self.shown = [r for r in self.rows if r.matches(query)] if query.strip() else list(self.rows)
        table = self.query_one(DataTable)
        table.clear()
        for i, row in enumerate(self.shown[:SHOWN]):
            table.add_row(*_cells(row), key=str(i))
        summary = Text()
        summary.append(f" {len(self.shown)} of {len(self.rows)} decisions in ")
        summary.append_text(untrusted(str(self.path), limit=80, note=False))
        if not self.rows and not self.path.exists():
            summary.append("  (no audit log yet: txfirewall proxy writes it)")
        if self.error:
            summary.append("  cannot read it: ", style="bold")
            summary.append_text(untrusted(self.error, limit=200, note=False))
        if self.unreadable:
            summary.append(f"  {self.unreadable} unreadable line(s) skipped", style="bold")
        self.query_one("#summary", Static).update(summary)
        self.query_one("#detail", Static).update(row_details(self.shown[0]) if self.shown else "")

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#search")
    def _to_table(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        index = int(event.row_key.value or 0) if event.row_key is not None else 0
        if 0 <= index < len(self.shown):
            self.query_one("#detail", Static).update(row_details(self.shown[index]))

    def action_back(self) -> None:
        self.app.pop_screen()
