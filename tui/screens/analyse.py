"""Paste or open a request, pick the chain's RPC, and analyse it.

Dismisses with an ``AnalyseRequest`` (the app reads the file or the pasted text, queues the
request and shows its stages) or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static, TextArea


@dataclass(frozen=True)
class AnalyseRequest:
    text: str
    """Pasted text (a JSON-RPC request, a transaction, hex, typed data, a message); or empty."""
    path: Path | None
    rpc_url: str | None
    account: str | None
    origin: str | None


class AnalyseScreen(ModalScreen[AnalyseRequest | None]):
    DEFAULT_CSS = """
    AnalyseScreen { align: center middle; }
    AnalyseScreen > Vertical { width: 95%; max-width: 110; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1; }
    AnalyseScreen TextArea { height: 1fr; min-height: 4; }
    AnalyseScreen .row { height: auto; }
    AnalyseScreen .row Label { width: 9; padding-top: 1; }
    AnalyseScreen .row Input { width: 1fr; }
    AnalyseScreen #error { color: $error; height: auto; }
    AnalyseScreen #buttons { height: auto; align-horizontal: right; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+s", "analyse", "analyse"),
    ]

    def __init__(self, *, rpc_url: str | None, account: str | None) -> None:
        super().__init__()
        self.rpc_url = rpc_url
        self.account = account

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Analyse a request"
            yield Static(
                Text(
                    "Paste a JSON-RPC request, a transaction, raw or unsigned hex, typed data or a message;"
                    " or give a file. ctrl+s analyses.",
                    style="dim",
                )
            )
            yield TextArea(id="pasted", soft_wrap=True, show_line_numbers=False)
            for label, widget_id, value, hint in (
                ("file", "path", "", "a request file"),
                ("RPC", "rpc", self.rpc_url or "", "your chain's JSON-RPC URL (empty: no simulation)"),
                ("from", "account", self.account or "", "your address (signs typed data and messages)"),
                ("origin", "origin", "", "the site that asked (optional)"),
            ):
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(value=value, placeholder=hint, id=widget_id)
            yield Static("", id="error")
            with Horizontal(id="buttons"):
                yield Button("Analyse", id="go", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pasted", TextArea).focus()

    def _value(self, widget_id: str) -> str | None:
        value = self.query_one(f"#{widget_id}", Input).value.strip()
        return value or None

    def action_analyse(self) -> None:
        text = self.query_one("#pasted", TextArea).text
        path = self._value("path")
        if not text.strip() and path is None:
            self.query_one("#error", Static).update(Text("Paste a request or give a file first.", style="bold"))
            return
        self.dismiss(
            AnalyseRequest(
                text=text,
                path=Path(path).expanduser() if path else None,
                rpc_url=self._value("rpc"),
                account=self._value("account"),
                origin=self._value("origin"),
            )
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "go":
            self.action_analyse()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_analyse()

    def action_cancel(self) -> None:
        self.dismiss(None)
