"""The main screen: the queue on the left, the selected request's verdict on the right, the
status line on top and the keys at the bottom (at 80 columns the queue narrows)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, OptionList

from txfirewall.tui.graph_picture import draw_trail, trails
from txfirewall.tui.queue_model import QueueItem
from txfirewall.tui.screens.message_box import MessageBox
from txfirewall.tui.untrusted import address_text, untrusted
from txfirewall.tui.widgets.queue_list import QueueList
from txfirewall.tui.widgets.status_bar import Status, StatusBar
from txfirewall.tui.widgets.verdict_pane import VerdictPane

if TYPE_CHECKING:
    from txfirewall.tui.app import TxFirewallApp


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "approve"),
        Binding("r", "reject", "reject"),
        Binding("o", "open", "open"),
        Binding("d", "details", "details"),
        Binding("g", "graph", "graph", show=False),
        Binding("c", "calls", "calls", show=False),
        Binding("j", "json", "json", show=False),
        Binding("h", "history", "history"),
        Binding("u", "rules", "rules"),
        Binding("s", "settings", "settings", show=False),
        Binding("question_mark", "help", "help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.details = False
        self.expanded = False
        self._keys_for: tuple[object, ...] | None = None
        """What approve and reject were last checked against (``_refresh_keys``)."""

    @property
    def tui(self) -> TxFirewallApp:
        from txfirewall.tui.app import TxFirewallApp

        assert isinstance(self.app, TxFirewallApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Horizontal():
            yield QueueList(id="queue")
            yield VerdictPane(id="verdict")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QueueList).border_title = "Queue"
        self.query_one(QueueList).focus()
        self.tui.main_ready()

    def on_resize(self, event: Resize) -> None:
        self.query_one(QueueList).styles.width = 26 if event.size.width >= 100 else 21
        self.call_after_refresh(self._redraw_queue)

    def _redraw_queue(self) -> None:
        now = self.tui.clock()
        queue = self.query_one(QueueList)
        for item in self.tui.queue.values():
            queue.upsert(item, now=now)

    # --- what the app tells the screen -------------------------------------------------------------

    def item_changed(self, item: QueueItem, *, now: float) -> None:
        self.query_one(QueueList).upsert(item, now=now)
        if self.selected_key in (None, item.key):
            self.show_selected()
            self._refresh_keys()

    def _refresh_keys(self) -> None:
        """Grey out or enable approve and reject when what they depend on changed (the selected
        item's state and verdict): refreshing the key bar restyles it, too slow for every stage
        of every request in a long queue."""
        item = self.tui.queue.get(self.selected_key or "")
        keys = (item.key, item.state, item.decision, item.overridable) if item is not None else None
        if keys != self._keys_for:
            self._keys_for = keys
            self.refresh_bindings()

    def status_changed(self, status: Status) -> None:
        self.query_one(StatusBar).show(status)

    @property
    def selected_key(self) -> str | None:
        return self.query_one(QueueList).selected_key

    def select(self, key: str) -> None:
        queue = self.query_one(QueueList)
        queue.highlighted = queue.get_option_index(key)

    def show_selected(self) -> None:
        key = self.selected_key
        item = self.tui.queue.get(key) if key else None
        self.query_one(VerdictPane).show(item, details=self.details, expanded=self.expanded)

    @on(OptionList.OptionHighlighted, "#queue")
    def _highlighted(self) -> None:
        self.show_selected()
        self._refresh_keys()

    @on(OptionList.OptionSelected, "#queue")
    def _selected(self) -> None:
        self.query_one(VerdictPane).focus()

    # --- keys ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in ("approve", "reject"):
            return True
        item = self.tui.queue.get(self.selected_key or "")
        if item is None or not item.state.open or item.doc is None:
            return None
        if action == "approve" and item.doc.decision == "block" and not item.overridable:
            return None  # shown greyed: the verdict pane says why
        return True

    def action_approve(self) -> None:
        if self.selected_key:
            self.tui.begin_approval(self.selected_key)

    def action_reject(self) -> None:
        if self.selected_key:
            self.tui.reject(self.selected_key)

    def action_open(self) -> None:
        self.tui.open_analyse()

    def action_details(self) -> None:
        self.details = not self.details
        self.show_selected()

    def action_calls(self) -> None:
        self.expanded = not self.expanded
        self.show_selected()

    def action_graph(self) -> None:
        item = self.tui.queue.get(self.selected_key or "")
        if item is None or item.doc is None:
            return
        found = trails(item.doc)
        if not found:
            body: Group | Text = Text(
                "No counterparty of this request has a known trail to illicit funds"
                " (or no address graph was given: --graph).",
            )
        else:
            parts: list[Text] = []
            for facts, prox in found:
                parts.append(address_text(facts.address, full=True))
                parts.append(draw_trail(item.doc, facts, prox, width=self.size.width - 8))
                parts.append(
                    Text.assemble("   path: ", untrusted(" → ".join(prox.path), limit=2000, note=False), style="dim")
                )
                parts.append(Text(""))
            body = Group(*parts)
        self.app.push_screen(MessageBox("Trail to illicit funds", body))

    def action_json(self) -> None:
        item = self.tui.queue.get(self.selected_key or "")
        if item is None or item.doc is None:
            return
        import json

        # ensure_ascii: every non-ASCII and control character becomes an inert \\u escape.
        text = Text(json.dumps(item.doc.data, indent=2, ensure_ascii=True))
        self.app.push_screen(MessageBox("Verdict JSON", text))

    def action_history(self) -> None:
        self.tui.open_history()

    def action_rules(self) -> None:
        self.tui.open_rules()

    def action_settings(self) -> None:
        self.tui.open_settings()

    def action_help(self) -> None:
        self.tui.open_help()
