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


def item_prompt(item: QueueItem, now: float, width: int = 22) -> Text:
    """The item's three lines, each cut to ``width``; no colour needed: the verdict word and the
    state are words."""
    first = Text()
    if item.source is Source.PROXY:
        first.append_text(claim(item.origin, limit=80, empty="(no origin)", note=False))
    else:
        first.append_text(untrusted(item.title, limit=80, note=False))
    second = Text(" ")
    second.append_text(untrusted(item.method, limit=40, note=False))
    third = Text(" ")
    if item.doc is not None:
        third.append_text(
            untrusted(
                item.doc.decision.upper(), limit=8, note=False, style=DECISION_STYLE.get(item.doc.decision, "bold")
            )
        )
        third.append(f" {item.doc.score}")
    elif item.state is ItemState.FAILED:
        third.append("ERROR", style="bold red")
    else:
        third.append("… " + (item.stages[-1] if item.stages else "queued"), style="italic")
    if item.state is ItemState.HELD:
        left = max(0, int((item.expires or now) - now))
        third.append(f" held {left}s", style="bold")
    elif item.state in (ItemState.APPROVED, ItemState.REJECTED, ItemState.EXPIRED):
        third.append(f" {item.state.value}", style="bold")
    else:
        third.append(" " + datetime.fromtimestamp(item.created).strftime("%H:%M"), style="dim")
    out = Text()
    for i, line in enumerate((first, second, third)):
        line.truncate(width, overflow="ellipsis")
        out.append_text(line)
        if i < 2:
            out.append("\n")
    return out


class QueueList(OptionList):
    """Keyed by the queue item's key; a prompt is re-rendered when its item changes."""

    DEFAULT_CSS = """
    QueueList { width: 24; height: 1fr; border: round $secondary; }
    QueueList:focus { border: round $accent; }
    """

    def upsert(self, item: QueueItem, *, now: float | None = None) -> None:
        width = self.scrollable_content_region.width - 2 if self.scrollable_content_region.width > 8 else 20
        prompt = item_prompt(item, now if now is not None else time.time(), width)
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
