"""``TxFirewallApp``: the queue, the workers that fill it, and the user's choices.

Slow work runs in workers that report only by posting messages (``messages.py``): one analysis
worker takes requests one at a time from a queue and posts each stage and the verdict; one proxy
worker follows the control channel's event socket (reconnecting when it drops) and posts every
hold and resolution; a choice on a proxy hold is sent by a short worker. The handlers below update
the queue and the screen; nothing else touches widgets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from txfirewall.decide.policy import Policy
from txfirewall.errors import ControlChannelError, EnvironmentFailure, InputFileError, TxFirewallError
from txfirewall.proxy.control_client import ControlClient
from txfirewall.tui.analyser import Analyser, overridable
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
from txfirewall.tui.options import ProxyAddress, TuiOptions
from txfirewall.tui.policy_file import PolicyFile, editable_policy_path
from txfirewall.tui.queue_model import ItemState, QueueItem, Source
from txfirewall.tui.request_input import read_request_file, to_request
from txfirewall.tui.screens.analyse import AnalyseRequest, AnalyseScreen
from txfirewall.tui.screens.confirm import ConfirmScreen
from txfirewall.tui.screens.help import help_text
from txfirewall.tui.screens.history import HistoryScreen
from txfirewall.tui.screens.main import MainScreen
from txfirewall.tui.screens.message_box import MessageBox
from txfirewall.tui.screens.override import OverrideScreen
from txfirewall.tui.screens.rules import RulesScreen
from txfirewall.tui.screens.settings import SettingsScreen, SettingsValues
from txfirewall.tui.verdict_doc import VerdictDoc, read_verdict
from txfirewall.tui.widgets.status_bar import Status

OUTCOMES = {
    "confirmed": "Approved: the proxy sent it on to the node.",
    "rejected": "Rejected: the wallet was told 4001 (user rejected).",
    "timeout": "Expired: not confirmed in time; the wallet was told 4001.",
    "closed": "The proxy closed before a choice; the wallet was told 4001.",
}


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
        self.control: ControlClient | None = None
        self.proxy_connected = False
        self.fork_state = "no rpc" if config is None else ("idle" if config.simulate else "off")
        self._pending: asyncio.Queue[tuple[str, dict[str, Any] | str, str | None, str | None]] | None = None
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
        self.run_worker(self._analysis_loop(), group="analysis", exit_on_error=False)
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
        if self.control is not None and self.proxy_connected:
            return self.control.url.removeprefix("http://")
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

    async def _analysis_loop(self) -> None:
        assert self._pending is not None
        while True:
            key, request, origin, account = await self._pending.get()
            await self._analyse(key, request, origin, account)

    async def _analyse(self, key: str, request: dict[str, Any] | str, origin: str | None, account: str | None) -> None:
        analyser = self.analyser
        if analyser is None:
            self.post_message(
                AnalysisFailed(
                    key, "No RPC", "No chain to simulate on: give --rpc URL (or s: settings), or --no-simulate."
                )
            )
            return
        finished = False

        def on_stage(stage: str) -> None:
            if not finished:  # the Firewall's background warm-up re-runs stages after the verdict
                self.post_message(StageStarted(key, stage))

        try:
            verdict = await analyser.analyse(request, origin=origin, account=account, on_stage=on_stage)
        except TxFirewallError as exc:
            self.post_message(
                AnalysisFailed(key, type(exc).__name__, str(exc), environment=isinstance(exc, EnvironmentFailure))
            )
            return
        except Exception as exc:  # noqa: BLE001 - a bug must show as an error, not end the app
            self.post_message(AnalysisFailed(key, "Unexpected error", f"{type(exc).__name__}: {exc}"))
            return
        finally:
            finished = True
        self.post_message(VerdictReady(key, read_verdict(verdict.to_json()), overridable(verdict, analyser.policy)))

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
        self.push_screen(MessageBox(f"Analysis failed: {message.title}", Text(message.error), error=True))

    # --- the proxy ------------------------------------------------------------------------------------

    def follow_proxy(self, address: ProxyAddress) -> None:
        self.workers.cancel_group(self, "proxy")
        self.run_worker(self._follow(address), group="proxy", exit_on_error=False)

    async def _follow(self, address: ProxyAddress) -> None:
        delay = 0.5
        while True:
            try:
                client = address.client()
                if self.control is not None:
                    await self.control.close()
                self.control = client
                async for event in client.events():
                    kind = event.get("type")
                    if kind == "snapshot":
                        held = event.get("held")
                        self.post_message(ProxyStatusChanged(True))
                        self.post_message(
                            HoldsSnapshot([h for h in held if isinstance(h, dict)] if isinstance(held, list) else [])
                        )
                        delay = 0.5
                    elif kind == "held":
                        self.post_message(HoldArrived(event))
                    elif kind == "resolved":
                        self.post_message(
                            HoldResolved(str(event.get("id")), bool(event.get("approved")), str(event.get("reason")))
                        )
            except ControlChannelError as exc:
                self.post_message(ProxyStatusChanged(False, str(exc)))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

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
        held = message.held
        held_id = str(held.get("id") or "")
        verdict = held.get("verdict")
        if not held_id or not isinstance(verdict, dict):
            return
        key = f"p-{held_id}"
        doc = read_verdict(verdict)
        item = self.queue.get(key) or QueueItem(
            key=key,
            source=Source.PROXY,
            title="",
            method=str(held.get("method") or doc.method),
            origin=held.get("origin") if isinstance(held.get("origin"), str) else None,
            created=float(held.get("created") or self.clock()),
        )
        item.doc, item.held_id, item.state = doc, held_id, ItemState.HELD
        item.expires = float(held["expires"]) if isinstance(held.get("expires"), int | float) else None
        # A block reaches the queue only from a proxy whose policy lets the user override it.
        item.overridable = doc.decision == "block" and held.get("override") is True
        self.add_item(item)

    def on_hold_resolved(self, message: HoldResolved) -> None:
        item = self.queue.get(f"p-{message.held_id}")
        if item is None:
            return
        item.state = (
            ItemState.APPROVED
            if message.approved
            else (ItemState.REJECTED if message.reason == "rejected" else ItemState.EXPIRED)
        )
        item.outcome = OUTCOMES.get(message.reason, f"Ended: {message.reason}.")
        screen = self.screen
        if isinstance(screen, ConfirmScreen | OverrideScreen) and screen.key == item.key:
            screen.dismiss(None)
            self.notify(item.outcome, title="This request is no longer held", markup=False)
        self._changed(item)

    def on_choice_failed(self, message: ChoiceFailed) -> None:
        self.notify(message.error, title="The proxy did not take your choice", severity="error", markup=False)

    async def _send_choice(self, key: str, approve: bool) -> None:
        item = self.queue.get(key)
        if item is None or item.held_id is None or self.control is None:
            self.post_message(ChoiceFailed(key, "not connected to the proxy"))
            return
        try:
            done = await (self.control.confirm(item.held_id) if approve else self.control.reject(item.held_id))
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
        o = self.options
        current = SettingsValues(
            o.rpc_url, o.chain_id, o.policy_path, o.proxy.describe() if o.proxy else None, o.audit_path
        )

        def done(values: SettingsValues | None) -> None:
            if values is None:
                return
            simulate = (values.rpc_url is not None) if values.rpc_url != o.rpc_url else o.simulate
            options = replace(
                o, rpc_url=values.rpc_url, chain_id=values.chain_id, audit_path=values.audit_path, simulate=simulate
            )
            if values.policy_path != o.policy_path and values.policy_path is not None:
                try:
                    options = replace(options, policy_path=values.policy_path).with_policy(
                        PolicyFile.load(values.policy_path).policy
                    )
                except InputFileError as exc:
                    self.push_screen(MessageBox("Policy not loaded", Text(str(exc)), error=True))
                    return
            proxy = ProxyAddress.parse(values.proxy) if values.proxy else None
            options = replace(options, proxy=proxy)
            self._reconfigure(options)
            if proxy != o.proxy:
                self.workers.cancel_group(self, "proxy")
                self.proxy_connected = False
                if proxy is not None:
                    self.follow_proxy(proxy)
            self.notify("Settings applied to this session.", markup=False)
            self._status()

        self.push_screen(SettingsScreen(current), done)

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
        if self.control is not None:
            await self.control.close()

    async def on_unmount(self) -> None:
        await self.shutdown()
