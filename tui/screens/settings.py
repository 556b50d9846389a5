"""Where the app looks: the upstream node, the chain, the policy file, the proxy, the audit log.
Applied to this session (the next analysis forks the new node; the queue follows the new proxy)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from txfirewall.tui.options import SettingsValues


class SettingsScreen(Screen[SettingsValues | None]):
    DEFAULT_CSS = """
    SettingsScreen > Vertical { padding: 1 2; }
    SettingsScreen .row { height: auto; }
    SettingsScreen .row Label { width: 14; padding-top: 1; }
    SettingsScreen .row Input { width: 1fr; }
    SettingsScreen #error { color: $error; height: auto; }
    SettingsScreen #buttons { height: auto; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+s", "apply", "apply"), Binding("escape", "back", "back")]

    def __init__(self, current: SettingsValues) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        rows = (
            ("upstream RPC", "rpc", c.rpc_url or "", "http(s) URL of your node; empty: no simulation"),
            (
                "chain id",
                "chain",
                str(c.chain_id) if c.chain_id is not None else "",
                "checked against the node; empty: any",
            ),
            ("policy file", "policy", str(c.policy_path) if c.policy_path else "", "TOML; the Rules screen saves here"),
            (
                "proxy",
                "proxy",
                c.proxy or "",
                "control file of txfirewall proxy (or its URL + $TXFIREWALL_PROXY_TOKEN)",
            ),
            ("audit log", "audit", str(c.audit_path), "the proxy's audit log (History)"),
        )
        with Vertical() as box:
            box.border_title = "Settings"
            for label, widget_id, value, hint in rows:
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(value=value, placeholder=hint, id=widget_id)
            yield Static(Text("Applied to this session; ctrl+s applies, Escape goes back.", style="dim"))
            yield Static("", id="error")
            with Horizontal(id="buttons"):
                yield Button("Apply", id="apply", variant="primary")
        yield Footer()

    def _value(self, widget_id: str) -> str | None:
        return self.query_one(f"#{widget_id}", Input).value.strip() or None

    def action_apply(self) -> None:
        chain = self._value("chain")
        if chain is not None and not chain.isdigit():
            self.query_one("#error", Static).update(Text("chain id must be a number", style="bold"))
            return
        policy = self._value("policy")
        audit = self._value("audit")
        self.dismiss(
            SettingsValues(
                rpc_url=self._value("rpc"),
                chain_id=int(chain) if chain else None,
                policy_path=Path(policy).expanduser() if policy else None,
                proxy=self._value("proxy"),
                audit_path=Path(audit).expanduser() if audit else self.current.audit_path,
            )
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    def action_back(self) -> None:
        self.dismiss(None)
