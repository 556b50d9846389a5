"""Confirming the unusual deliberately: the reasons, the look-alike marked character by
character, and a short phrase from the request itself to type. Enter alone never approves:
Enter submits what was typed, and only the exact phrase does. ``r`` rejects, Escape goes back.

Dismisses with ``"approve"``, ``"reject"`` or None (back, nothing decided).
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from txfirewall.tui.challenge import lookalike_pairs, mark_differences, matches
from txfirewall.tui.verdict_doc import VerdictDoc
from txfirewall.tui.verdict_sections import banner, findings_table, headline


class ConfirmScreen(ModalScreen[str | None]):
    """Type ``phrase`` to approve. ``block`` is the first step of a block override."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 94%; max-width: 100; height: 92%; max-height: 34;
        border: thick $warning; background: $surface; padding: 0 1; }
    ConfirmScreen #why { height: 1fr; }
    ConfirmScreen #prompt { height: auto; }
    ConfirmScreen #typed { width: 1fr; }
    ConfirmScreen #wrong { height: auto; text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "back"),
        Binding("ctrl+r", "reject", "reject"),
    ]

    def __init__(self, key: str, doc: VerdictDoc, phrase: str, *, block: bool = False) -> None:
        super().__init__()
        self.key = key
        self.doc = doc
        self.phrase = phrase
        self.block = block
        self.attempts = 0

    def compose(self) -> ComposeResult:
        title = "Override a BLOCK: step 1 of 2" if self.block else "Confirm: this is unusual for you"
        with Vertical() as box:
            box.border_title = title
            with VerticalScroll(id="why"):
                yield Static(self._reasons())
            prompt = Text("Type ")
            prompt.append(f" {self.phrase} ", style="bold reverse")
            prompt.append(" and press Enter to approve; ctrl+r rejects; Escape goes back.")
            yield Static(prompt, id="prompt")
            yield Input(placeholder=f"type: {self.phrase}", id="typed", max_length=40)
            yield Static("", id="wrong")
        yield Footer()

    def _reasons(self) -> Group:
        parts: list[RenderableType] = [banner(self.doc), headline(self.doc), Text("")]
        for friend, this in lookalike_pairs(self.doc):
            parts.append(Text("It looks like an address you really paid; the ^ mark what differs:", style="bold"))
            parts.append(mark_differences(friend, this))
            parts.append(Text(""))
        parts.append(findings_table(self.doc.findings_by_severity()[:4], details=False))
        return Group(*parts)

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if matches(event.value, self.phrase):
            self.dismiss("approve")
            return
        self.attempts += 1
        wrong = self.query_one("#wrong", Static)
        if event.value.strip():
            wrong.update(Text(f"That is not it: type exactly  {self.phrase}  (nothing was approved)", style="bold"))
        else:
            wrong.update(Text(f"Enter alone does not approve: type  {self.phrase}  first.", style="bold"))
        event.input.value = ""

    def action_reject(self) -> None:
        self.dismiss("reject")

    def action_back(self) -> None:
        self.dismiss(None)
