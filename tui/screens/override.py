"""The second confirmation of a block override: a different word, typed again, after the
verdict's worst finding is shown once more. Dismisses with ``"approve"`` or None."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from txfirewall.tui.challenge import SECOND_CONFIRMATION, matches
from txfirewall.tui.verdict_doc import VerdictDoc
from txfirewall.tui.verdict_sections import findings_table


class OverrideScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    OverrideScreen { align: center middle; }
    OverrideScreen > Vertical { width: 90%; max-width: 100; height: auto; border: thick $error;
        background: $surface; padding: 0 1; }
    OverrideScreen #wrong { height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "back")]

    def __init__(self, key: str, doc: VerdictDoc) -> None:
        super().__init__()
        self.key = key
        self.doc = doc

    def compose(self) -> ComposeResult:
        lines: list[RenderableType] = [
            Text("txfirewall BLOCKED this request. You are about to let it through anyway.", style="bold"),
            findings_table(self.doc.findings_by_severity()[:1], details=False),
        ]
        prompt = Text("\nSecond confirmation: type ")
        prompt.append(f" {SECOND_CONFIRMATION} ", style="bold reverse")
        prompt.append(" and press Enter. Escape cancels.")
        lines.append(prompt)
        with Vertical() as box:
            box.border_title = "Override a BLOCK: step 2 of 2"
            yield Static(Group(*lines))
            yield Input(placeholder=f"type: {SECOND_CONFIRMATION}", id="typed", max_length=40)
            yield Static("", id="wrong")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if matches(event.value, SECOND_CONFIRMATION):
            self.dismiss("approve")
            return
        self.query_one("#wrong", Static).update(
            Text(f"Not confirmed: type exactly  {SECOND_CONFIRMATION}  (nothing was approved)", style="bold")
        )
        event.input.value = ""

    def action_back(self) -> None:
        self.dismiss(None)
