"""``TxFirewallApp``: the queue, the workers that fill it, and the user's choices.

Slow work runs in workers that report only by posting messages (``messages.py``): one analysis
worker (``analysis_worker.py``) takes requests one at a time from a queue and posts each stage and
the verdict; one proxy worker (``proxy_feed.py``) follows the control channel's event socket
(reconnecting when it drops) and posts every hold and resolution; a choice on a proxy hold is
sent by a short worker. The handlers below update
the queue and the screen; nothing else touches widgets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from txfirewall.decide.policy import Policy
from txfirewall.errors import ControlChannelError, InputFileError, TxFirewallError
from txfirewall.tui.analyser import Analyser
from txfirewall.tui.analysis_worker import Pending, analyse_forever
from txfirewall.tui.challenge import challenge_for
from txfirewall.tui.messages import (
    AnalysisFailed,
    ChoiceFailed,
    HoldArrived,
    HoldResolved,
    HoldsSnapshot,
    ProxyStatusChanged,
    StageStarted,
    VerdictReady,
)
from txfirewall.tui.options import ProxyAddress, SettingsValues, TuiOptions
from txfirewall.tui.policy_file import editable_policy_path
from txfirewall.tui.proxy_feed import ProxyFeed
from txfirewall.tui.queue_model import ItemState, QueueItem, Source, held_item
from txfirewall.tui.request_input import read_request_file, to_request
from txfirewall.tui.screens.analyse import AnalyseRequest, AnalyseScreen
from txfirewall.tui.screens.confirm import ConfirmScreen
from txfirewall.tui.screens.help import help_text
from txfirewall.tui.screens.history import HistoryScreen
from txfirewall.tui.screens.main import MainScreen
from txfirewall.tui.screens.message_box import MessageBox
from txfirewall.tui.screens.override import OverrideScreen
from txfirewall.tui.screens.rules import RulesScreen
from txfirewall.tui.screens.settings import SettingsScreen
from txfirewall.tui.untrusted import untrusted_lines
from txfirewall.tui.verdict_doc import VerdictDoc
from txfirewall.tui.widgets.status_bar import Status


class TxFirewallApp(App[int]):
    """See what you sign. ``options`` says what to analyse and which proxy to follow."""

    TITLE = "txfirewall"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit"),
        Binding("ctrl+q", "quit", "quit", show=False, priority=True),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, options: TuiOptions, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.options = options
        self.clock = clock
        self.queue: dict[str, QueueItem] = {}
        self.main = MainScreen()
        config = options.firewall_config()
        self.analyser: Analyser | None = Analyser(config) if config is not None else None
        self.feed: ProxyFeed | None = None
        self.proxy_connected = False
        self.fork_state = "no rpc" if config is None else ("idle" if config.simulate else "off")
        self._pending: asyncio.Queue[Pending] | None = None
        self._serial = 0
        self._closed = False

    def get_default_screen(self) -> Screen[Any]:
        return self.main

    # --- start ------------------------------------------------------------------------------------

    def main_ready(self) -> None:
        """The main screen is up: show the queue and start the workers."""
        self._pending = asyncio.Queue()
        now = self.clock()
        for item in self.queue.values():
            self.main.item_changed(item, now=now)
        self.run_worker(
            analyse_forever(self._pending, lambda: self.analyser, self.post_message),
            group="analysis",
            exit_on_error=False,
        )
        for start in self.options.requests:
            self.queue_file(start.path, start.title, origin=self.options.origin, account=self.options.account)
        if self.options.proxy is not None:
            self.follow_proxy(self.options.proxy)
        self.set_interval(1.0, self._tick)
        self._status()

    def _tick(self) -> None:
        now = self.clock()
        for item in self.queue.values():
            if item.state is ItemState.HELD:
                self.main.item_changed(item, now=now)

    def _status(self) -> None:
        latest = next(
            (i.doc for i in reversed(self.queue.values()) if i.doc is not None and i.doc.block_number is not None), None
        )
        self.main.status_changed(
            Status(
                chain_id=latest.chain_id if latest else self.options.chain_id,
                block=latest.block_number if latest else None,
                block_age_s=latest.block_age_s if latest else None,
                fork=self.fork_state,
                proxy=self._proxy_name(),
                proxy_connected=self.proxy_connected,
                held=sum(1 for i in self.queue.values() if i.state is ItemState.HELD),
                subtitle=self.options.subtitle,
            )
        )

    def _proxy_name(self) -> str | None:
        if self.options.proxy is None:
            return None
        client = self.feed.client if self.feed is not None else None
        if client is not None and self.proxy_connected:
            return client.url.removeprefix("http://")
        return self.options.proxy.describe()

    def _changed(self, item: QueueItem) -> None:
        self.main.item_changed(item, now=self.clock())
        self._status()

    # --- the queue ----------------------------------------------------------------------------------

    def add_item(self, item: QueueItem) -> QueueItem:
        """Put an item in the queue (also before the app runs: tests and the demo preload verdicts)."""
        self.queue[item.key] = item
        if self._pending is not None:  # mounted: show it now (before, on_mount shows the queue)
            self._changed(item)
        return item

    def _new_key(self) -> str:
        self._serial += 1
        return f"l{self._serial}"

    def add_verdict(
        self, title: str, doc: VerdictDoc, *, overridable: bool = False, created: float | None = None
    ) -> str:
        """A finished local analysis, shown as READY (tests, previews)."""
        item = QueueItem(
            key=self._new_key(),
            source=Source.LOCAL,
            title=title,
            method=doc.method,
            origin=doc.origin,
            created=created if created is not None else self.clock(),
            state=ItemState.READY,
            doc=doc,
            overridable=overridable,
        )
        return self.add_item(item).key

    def queue_file(self, path: Path, title: str, *, origin: str | None = None, account: str | None = None) -> str:
        try:
            raw = read_request_file(path)
        except InputFileError as exc:
            return self._failed_item(title, "could not be read", str(exc))
        return self.queue_text(raw, title, origin=origin, account=account)

    def queue_text(self, raw: bytes | str, title: str, *, origin: str | None = None, account: str | None = None) -> str:
        """Queue a request (its text) for analysis; its stages show as they run."""
        try:
            request = to_request(raw, account=account)
        except TxFirewallError as exc:
            return self._failed_item(title, "could not be read", str(exc))
        method = str(request.get("method", "transaction")) if isinstance(request, dict) else "raw transaction"
        item = self.add_item(
            QueueItem(
                key=self._new_key(),
                source=Source.LOCAL,
                title=title,
                method=method,
                origin=origin,
                created=self.clock(),
            )
        )
        assert self._pending is not None
        self._pending.put_nowait((item.key, request, origin, account))
        return item.key

    def _failed_item(self, title: str, method: str, error: str) -> str:
        item = QueueItem(
            key=self._new_key(), source=Source.LOCAL, title=title, method=method, origin=None, created=self.clock()
        )
        item.state, item.error = ItemState.FAILED, error
        return self.add_item(item).key

    def on_stage_started(self, message: StageStarted) -> None:
        item = self.queue.get(message.key)
        if item is None or item.state is not ItemState.ANALYSING:
            return
        item.stages.append(message.stage)
        if message.stage == "fork":
            self.fork_state = "starting"
        self._changed(item)

    def on_verdict_ready(self, message: VerdictReady) -> None:
        item = self.queue.get(message.key)
        if item is None:
            return
        item.doc, item.overridable, item.state = message.doc, message.overridable, ItemState.READY
        item.method = message.doc.method
        if self.analyser is not None:
            self.fork_state = "ok" if self.analyser.config.simulate else "off"
        self._changed(item)

    def on_analysis_failed(self, message: AnalysisFailed) -> None:
        item = self.queue.get(message.key)
        if item is None:
            return
        item.state, item.error = ItemState.FAILED, f"{message.title}: {message.error}"
        if message.environment:
            self.fork_state = "failed"
        self._changed(item)
        self.push_screen(MessageBox(f"Analysis failed: {message.title}", untrusted_lines(message.error), error=True))

    # --- the proxy ------------------------------------------------------------------------------------

    def follow_proxy(self, address: ProxyAddress | None) -> None:
        """Follow ``address`` (None: stop following any proxy)."""
        self.workers.cancel_group(self, "proxy")
        old, self.feed = self.feed, ProxyFeed(address) if address is not None else None
        if old is not None:
            self.run_worker(old.close(), group="config", exit_on_error=False)
        self.proxy_connected = False
        if self.feed is not None:
            self.run_worker(self.feed.run(self.post_message), group="proxy", exit_on_error=False)

    def on_proxy_status_changed(self, message: ProxyStatusChanged) -> None:
        was = self.proxy_connected
        self.proxy_connected = message.connected
        if was and not message.connected:
            self.notify(
                message.error or "lost the proxy", title="Proxy lost: reconnecting", severity="warning", markup=False
            )
        self._status()

    def on_holds_snapshot(self, message: HoldsSnapshot) -> None:
        current = {f"p-{h.get('id')}" for h in message.held}
        for item in self.queue.values():
            if item.source is Source.PROXY and item.state is ItemState.HELD and item.key not in current:
                item.state, item.outcome = ItemState.EXPIRED, "Decided or expired while the app was not connected."
                self._changed(item)
        for held in message.held:
            self.on_hold_arrived(HoldArrived(held))

    def on_hold_arrived(self, message: HoldArrived) -> None:
        item = held_item(message.held, self.queue, now=self.clock())
        if item is not None:
            self.add_item(item)

    def on_hold_resolved(self, message: HoldResolved) -> None:
        item = self.queue.get(f"p-{message.held_id}")
        if item is None:
            return
        item.resolve(message.approved, message.reason)
        screen = self.screen
        if isinstance(screen, ConfirmScreen | OverrideScreen) and screen.key == item.key:
            screen.dismiss(None)
            self.notify(item.outcome or "", title="This request is no longer held", markup=False)
        self._changed(item)

    def on_choice_failed(self, message: ChoiceFailed) -> None:
        self.notify(message.error, title="The proxy did not take your choice", severity="error", markup=False)

    async def _send_choice(self, key: str, approve: bool) -> None:
        item = self.queue.get(key)
        client = self.feed.client if self.feed is not None else None
        if item is None or item.held_id is None or client is None:
            self.post_message(ChoiceFailed(key, "not connected to the proxy"))
            return
        try:
            # A held block (marked override by the proxy) is released only by a confirmation that says
            # so; the app sends it after the second confirmation (``begin_approval``).
            done = await (
                client.confirm(item.held_id, override=item.overridable) if approve else client.reject(item.held_id)
            )
        except ControlChannelError as exc:
            self.post_message(ChoiceFailed(key, str(exc)))
            return
        if not done:
            self.post_message(ChoiceFailed(key, "the proxy no longer holds it (decided elsewhere, or it expired)"))

    # --- choices ------------------------------------------------------------------------------------

    def begin_approval(self, key: str) -> None:
        """Approve: an allow at once, a warn after the typed word, a block (only when overridable)
        after the typed word and a second confirmation."""
        item = self.queue.get(key)
        if item is None or item.doc is None or not item.state.open:
            return
        doc = item.doc
        if doc.decision == "allow":
            self._decide(key, approve=True)
            return
        if doc.decision == "block" and not item.overridable:
            self.notify(
                "Blocked: this request cannot be approved (see the verdict for why).", severity="warning", markup=False
            )
            return

        def second(result: str | None) -> None:
            if result == "approve":
                self._decide(key, approve=True)

        def first(result: str | None) -> None:
            if result == "reject":
                self._decide(key, approve=False)
            elif result == "approve" and doc.decision == "block":
                self.push_screen(OverrideScreen(key, doc), second)
            elif result == "approve":
                self._decide(key, approve=True)

        self.push_screen(ConfirmScreen(key, doc, challenge_for(doc), block=doc.decision == "block"), first)

    def reject(self, key: str) -> None:
        item = self.queue.get(key)
        if item is not None and item.state.open:
            self._decide(key, approve=False)

    def _decide(self, key: str, *, approve: bool) -> None:
        item = self.queue[key]
        if item.source is Source.PROXY:
            self.run_worker(self._send_choice(key, approve), group="choices", exit_on_error=False)
            return
        item.state = ItemState.APPROVED if approve else ItemState.REJECTED
        item.outcome = (
            "Approved" if approve else "Rejected"
        ) + " here: nothing was sent (this request came from a file or a paste)."
        self._changed(item)

    # --- other screens --------------------------------------------------------------------------------

    def open_help(self) -> None:
        self.push_screen(MessageBox("Keys and marks", help_text()))

    def open_history(self) -> None:
        self.push_screen(HistoryScreen(self.options.audit_path))

    def open_rules(self) -> None:
        self.push_screen(RulesScreen(editable_policy_path(self.options.policy_path), self.policy_saved))

    def policy_saved(self, policy: Policy) -> None:
        self.options = self.options.with_policy(policy)
        if self.analyser is not None:
            self.run_worker(self.analyser.set_policy(policy), group="config", exit_on_error=False)

    def open_analyse(self) -> None:
        def done(result: AnalyseRequest | None) -> None:
            if result is None:
                return
            if result.rpc_url != self.options.rpc_url:  # a new RPC: simulate on it; none: offline
                self._reconfigure(replace(self.options, rpc_url=result.rpc_url, simulate=result.rpc_url is not None))
            title = result.path.name if result.path is not None else "pasted request"
            if result.path is not None and not result.text.strip():
                key = self.queue_file(result.path, title, origin=result.origin, account=result.account)
            else:
                key = self.queue_text(result.text, title, origin=result.origin, account=result.account)
            self.main.select(key)

        self.push_screen(AnalyseScreen(rpc_url=self.options.rpc_url, account=self.options.account), done)

    def open_settings(self) -> None:
        current = self.options

        def done(values: SettingsValues | None) -> None:
            if values is None:
                return
            try:
                options = current.with_settings(values)
            except InputFileError as exc:
                self.push_screen(MessageBox("Settings not applied", untrusted_lines(str(exc)), error=True))
                return
            self._reconfigure(options)
            if options.proxy != current.proxy:
                self.follow_proxy(options.proxy)
            self.notify("Settings applied to this session.", markup=False)
            self._status()

        self.push_screen(SettingsScreen(current.settings()), done)

    def _reconfigure(self, options: TuiOptions) -> None:
        self.options = options
        config = options.firewall_config()
        if config is None:
            self.fork_state = "no rpc"
            old, self.analyser = self.analyser, None
            if old is not None:
                self.run_worker(old.close(), group="config", exit_on_error=False)
        elif self.analyser is None:
            self.analyser = Analyser(config)
            self.fork_state = "idle" if config.simulate else "off"
        else:
            self.run_worker(self.analyser.reconfigure(config), group="config", exit_on_error=False)
            self.fork_state = "idle" if config.simulate else "off"
        self._status()

    # --- quit ---------------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        await self.shutdown()
        self.exit(0)

    async def shutdown(self) -> None:
        """Stop the workers, the fork and the proxy connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.workers.cancel_all()
        if self.analyser is not None:
            await self.analyser.close()
        if self.feed is not None:
            await self.feed.close()

    async def on_unmount(self) -> None:
        await self.shutdown()
