"""The queue, left of the verdict: each request in three lines (when and from where, the method,
the verdict word and where it stands), newest proxy holds and local analyses alike."""

from __future__ import annotations

import time
from datetime import datetime

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from txfirewall.tui.queue_model import ItemState, QueueItem, Source
from txfirewall.tui.untrusted import claim, untrusted
from txfirewall.tui.verdict_sections import DECISION_STYLE


def item_prompt(item: QueueItem, now: float) -> Text:
    """The item's three lines; no colour needed: the verdict word and the state are words."""
    out = Text(no_wrap=True, overflow="ellipsis", end="")
    out.append(datetime.fromtimestamp(item.created).strftime("%H:%M") + " ", style="dim")
    if item.source is Source.PROXY:
        out.append_text(claim(item.origin, limit=40, empty="(no origin)", note=False))
    else:
        out.append_text(untrusted(item.title, limit=40, note=False))
    out.append("\n ")
    out.append_text(untrusted(item.method, limit=40, note=False))
    out.append("\n ")
    if item.doc is not None:
        out.append(f"{item.doc.decision.upper():<5}", style=DECISION_STYLE.get(item.doc.decision, "bold"))
        out.append(f" {item.doc.score:>3}")
    elif item.state is ItemState.FAILED:
        out.append("ERROR", style="bold red")
    else:
        out.append("… " + (item.stages[-1] if item.stages else "queued"), style="italic")
    if item.state is ItemState.HELD:
        left = max(0, int((item.expires or now) - now))
        out.append(f" held {left}s", style="bold")
    elif item.state in (ItemState.APPROVED, ItemState.REJECTED, ItemState.EXPIRED):
        out.append(f" {item.state.value}", style="bold")
    return out


class QueueList(OptionList):
    """Keyed by the queue item's key; a prompt is re-rendered when its item changes."""

    DEFAULT_CSS = """
    QueueList { width: 24; height: 1fr; border: round $secondary; }
    QueueList:focus { border: round $accent; }
    """

    def upsert(self, item: QueueItem, *, now: float | None = None) -> None:
        prompt = item_prompt(item, now if now is not None else time.time())
        try:
            self.get_option(item.key)
        except OptionDoesNotExist:
            self.add_option(Option(prompt, id=item.key))
            if self.highlighted is None:
                self.highlighted = 0
            return
        self.replace_option_prompt(item.key, prompt)

    @property
    def selected_key(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None
