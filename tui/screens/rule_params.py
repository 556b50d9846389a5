"""Edit one rule's parameters: each on its own line, as a TOML value, its type and default beside
it. Dismisses with the overrides (only the values that differ from the default) or None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Static

from txfirewall.decide.catalogue import RuleInfo
from txfirewall.errors import InputFileError
from txfirewall.tui.policy_file import parse_toml_value, toml_value


class RuleParamsScreen(ModalScreen[dict[str, Any] | None]):
    DEFAULT_CSS = """
    RuleParamsScreen { align: center middle; }
    RuleParamsScreen > Vertical { width: 95%; max-width: 110; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1; }
    RuleParamsScreen .param { height: auto; }
    RuleParamsScreen .param Label { width: 32; padding-top: 1; }
    RuleParamsScreen .param Input { width: 1fr; }
    RuleParamsScreen #error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel"), Binding("ctrl+s", "done", "done")]

    def __init__(self, rule: RuleInfo, current: Mapping[str, Any]) -> None:
        super().__init__()
        self.rule = rule
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Parameters of {self.rule.id}"
            yield Static(Text(self.rule.title, style="bold"))
            with VerticalScroll():
                if not self.rule.params:
                    yield Static(Text("This rule has no parameters.", style="dim"))
                for param in self.rule.params:
                    value = self.current.get(param.name, param.default)
                    with Horizontal(classes="param"):
                        yield Label(param.name)
                        yield Input(value=toml_value(value) if value is not None else "", id=f"p-{param.name}")
                    yield Static(
                        Text(
                            f"  {param.type}; default {toml_value(param.default) if param.default is not None else 'none'}",
                            style="dim",
                        )
                    )
            yield Static("", id="error")
            yield Static(
                Text("ctrl+s keeps these values (then ctrl+s on the Rules screen saves the file)", style="dim")
            )
        yield Footer()

    def action_done(self) -> None:
        overrides: dict[str, Any] = {}
        for param in self.rule.params:
            text = self.query_one(f"#p-{param.name}", Input).value.strip()
            if not text:
                continue
            try:
                value = parse_toml_value(text)
            except InputFileError as exc:
                self.query_one("#error", Static).update(Text(f"{param.name}: {exc}", style="bold"))
                return
            if value != param.default:
                overrides[param.name] = value
        self.dismiss(overrides)

    def action_cancel(self) -> None:
        self.dismiss(None)
