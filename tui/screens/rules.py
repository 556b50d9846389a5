"""Every rule, on or off, with its parameters; changes are saved to the policy file (checked
first, only the changed rule's table rewritten) and used from the next analysis."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from txfirewall.decide.catalogue import RuleInfo, rule_catalogue
from txfirewall.errors import InputFileError
from txfirewall.tui.policy_file import PolicyFile, RuleSetting, toml_value
from txfirewall.tui.screens.rule_params import RuleParamsScreen
from txfirewall.tui.untrusted import untrusted
from txfirewall.tui.verdict_sections import SEVERITY_STYLE

if TYPE_CHECKING:
    from txfirewall.decide.policy import Policy


def _params_text(rule: RuleInfo, setting: RuleSetting) -> Text:
    overrides = setting.params or {}
    out = Text()
    for i, param in enumerate(rule.params):
        out.append(", " if i else "")
        if param.name in overrides:
            out.append(f"{param.name}={toml_value(overrides[param.name])}*", style="bold")
        else:
            out.append(f"{param.name}={toml_value(param.default) if param.default is not None else '-'}", style="dim")
    return out


class RulesScreen(Screen[None]):
    DEFAULT_CSS = """
    RulesScreen #summary { height: auto; }
    RulesScreen DataTable { height: 1fr; }
    RulesScreen #detail { height: auto; max-height: 6; border-top: solid $secondary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "switch", "on/off"),
        Binding("e", "edit", "parameters"),
        Binding("ctrl+s", "save", "save"),
        Binding("escape", "back", "back"),
    ]

    def __init__(self, path: Path, on_saved: Any) -> None:
        super().__init__()
        self.path = path
        self.on_saved = on_saved
        self.rules = rule_catalogue()
        self.policy_file: PolicyFile | None = None
        self.dirty = False

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in ("on", "rule", "severity", "family", "parameters (* set in your policy)"):
            table.add_column(Text(label, style="bold"))
        try:
            self.policy_file = PolicyFile.load(self.path)
        except InputFileError as exc:
            self.query_one("#summary", Static).update(Text(f"Cannot edit the policy: {exc}", style="bold red"))
            return
        self._fill()
        table.focus()

    def _setting(self, rule_id: str) -> RuleSetting:
        return self.policy_file.rule(rule_id) if self.policy_file else RuleSetting()

    def _cells(self, rule: RuleInfo) -> tuple[Text, ...]:
        setting = self._setting(rule.id)
        severity = setting.severity or rule.severity.value
        return (
            Text("on" if setting.enabled else "OFF", style="" if setting.enabled else "bold reverse"),
            Text(rule.id),
            Text(
                severity + ("*" if setting.severity else "") + (" !" if rule.unconditional else ""),
                style=SEVERITY_STYLE.get(severity, ""),
            ),
            Text(rule.family, style="dim"),
            _params_text(rule, setting),
        )

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for rule in self.rules:
            table.add_row(*self._cells(rule), key=rule.id)
        if row:
            table.move_cursor(row=row)
        self._summary()

    def _summary(self) -> None:
        out = Text(f" {len(self.rules)} rules · policy ")
        out.append_text(untrusted(str(self.path), limit=80, note=False))
        out.append(" (unsaved changes: ctrl+s)" if self.dirty else "", style="bold")
        out.append("\n ! unconditional: blocks whatever the thresholds (only this file changes that)", style="dim")
        self.query_one("#summary", Static).update(out)

    def _selected(self) -> RuleInfo | None:
        table = self.query_one(DataTable)
        if not self.rules or table.cursor_row < 0:
            return None
        return self.rules[min(table.cursor_row, len(self.rules) - 1)]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        rule = self._selected()
        if rule is not None:
            detail = Text(rule.title + "\n", style="bold")
            detail.append_text(untrusted(rule.description, limit=400, note=False))
            self.query_one("#detail", Static).update(detail)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    def _change(self, rule_id: str, setting: RuleSetting) -> None:
        if self.policy_file is None:
            return
        try:
            self.policy_file = self.policy_file.with_rule(rule_id, setting)
        except InputFileError as exc:
            self.app.notify(str(exc), title="Not changed", severity="error", markup=False)
            return
        self.dirty = True
        self._fill()

    def action_switch(self) -> None:
        rule = self._selected()
        if rule is not None:
            setting = self._setting(rule.id)
            self._change(
                rule.id, RuleSetting(not setting.enabled, setting.severity, setting.params, setting.unconditional)
            )

    def action_edit(self) -> None:
        rule = self._selected()
        if rule is None:
            return
        setting = self._setting(rule.id)

        def done(params: dict[str, Any] | None) -> None:
            if params is not None:
                self._change(
                    rule.id, RuleSetting(setting.enabled, setting.severity, params or None, setting.unconditional)
                )

        self.app.push_screen(RuleParamsScreen(rule, setting.params or {}), done)

    def action_save(self) -> None:
        if self.policy_file is None:
            return
        try:
            self.policy_file.save()
        except OSError as exc:
            self.app.notify(f"Cannot write {self.path}: {exc}", title="Not saved", severity="error", markup=False)
            return
        self.dirty = False
        self._summary()
        policy: Policy = self.policy_file.policy
        self.on_saved(policy)
        self.app.notify(f"Saved to {self.path}; the next analysis uses it.", title="Policy saved", markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()
