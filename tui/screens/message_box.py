"""A titled box for an error or a long text (the JSON view, the full graph, help): read it,
scroll it, close it with Escape or q."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static


class MessageBox(ModalScreen[None]):
    DEFAULT_CSS = """
    MessageBox { align: center middle; }
    MessageBox > VerticalScroll { width: 95%; max-width: 120; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1; }
    MessageBox.error > VerticalScroll { border: thick $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "close"),
        Binding("q", "close", "close", show=False),
    ]

    def __init__(self, title: str, body: RenderableType, *, error: bool = False) -> None:
        super().__init__(classes="error" if error else "")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = self.title_text
            box.can_focus = True
            yield Static(self.body)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
