"""The verdict of the selected request: the word and sentence on top, then what was verified
(simulation, approvals, findings, graph, the decoded call), then, in a dashed box of their own,
the claims nobody verified. While the request is analysed, the stages instead."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from txfirewall.tui.graph_picture import graph_section
from txfirewall.tui.queue_model import ItemState, QueueItem, Source
from txfirewall.tui.untrusted import untrusted
from txfirewall.tui.verdict_sections import (
    approvals_section,
    banner,
    call_tree,
    changes_section,
    claims_section,
    findings_section,
    heading,
    headline,
)

STAGES = ("parse", "fork", "decode", "simulate", "enrich", "evaluate", "decide")


def stage_text(item: QueueItem) -> Text:
    """``✓ parse  ✓ fork  ▶ simulate  · enrich ...``: where the analysis is (✓ done, ▶ running)."""
    out = Text("Analysing ", style="bold")
    out.append_text(untrusted(item.title or item.method, limit=60, note=False))
    out.append("\n\n")
    seen = item.stages
    for stage in STAGES:
        if stage == "fork" and "fork" not in seen:
            continue
        if stage in seen[:-1]:
            out.append(f"  ✓ {stage}\n")
        elif seen and stage == seen[-1]:
            out.append(f"  ▶ {stage} …\n", style="bold")
        else:
            out.append(f"  · {stage}\n", style="dim")
    return out


def status_line(item: QueueItem) -> Text:
    """Where the request stands and what the keys do now, in words."""
    doc = item.doc
    out = Text()
    if item.state is ItemState.HELD:
        out.append("Held by the proxy: the wallet waits for you.", style="bold")
    elif item.state is ItemState.READY:
        out.append("Analysed here: approving records your choice; nothing is sent.", style="dim")
    elif item.outcome:
        out.append_text(untrusted(item.outcome, limit=120, note=False, style="bold"))
    if doc is not None and item.state.open:
        if doc.decision == "block" and not item.overridable:
            why = (
                "an unconditional rule or the deny list decided it"
                if doc.unconditional_hint()
                else "policy: [confirm] allow_block_override is off"
            )
            out.append(f"\nBlocked: it cannot be approved ({why}). r rejects.", style="bold")
        elif doc.decision == "block":
            out.append("\nBlocked, but your policy allows an override: a, then two confirmations.", style="bold")
        elif doc.decision == "warn":
            out.append("\nUnusual: a asks you to type a short word to approve; r rejects.")
        else:
            out.append("\na approves, r rejects.")
    return out


class VerdictPane(VerticalScroll):
    """Shows one queue item; ``details`` shows every finding's evidence, ``expanded`` the call tree."""

    DEFAULT_CSS = """
    VerdictPane { height: 1fr; border: round $secondary; padding: 0 1; }
    VerdictPane:focus { border: round $accent; }
    VerdictPane > #claims { border: dashed $warning; border-title-color: $warning; padding: 0 1; margin-top: 1; }
    VerdictPane > .section { margin-top: 1; }
    """

    can_focus = True

    def compose(self) -> ComposeResult:
        yield Static(id="top")
        yield Static(id="changes", classes="section")
        yield Static(id="approvals", classes="section")
        yield Static(id="findings", classes="section")
        yield Static(id="graph", classes="section")
        yield Static(id="call", classes="section")
        yield Static(id="claims")

    def on_mount(self) -> None:
        self.query_one("#claims", Static).border_title = "Claims: not verified"
        self.show(None)

    def _set(self, widget_id: str, content: RenderableType | None) -> None:
        widget = self.query_one(f"#{widget_id}", Static)
        widget.display = content is not None
        widget.update(content if content is not None else "")

    def show(self, item: QueueItem | None, *, details: bool = False, expanded: bool = False) -> None:
        self.border_subtitle = None
        if item is None:
            self.border_title = "Verdict"
            self._set("top", Text("Nothing to show yet: press o to open or paste a request.", style="dim"))
            for section in ("changes", "approvals", "findings", "graph", "call", "claims"):
                self._set(section, None)
            return
        doc = item.doc
        if doc is None:
            self.border_title = "Analysing"
            top: RenderableType = stage_text(item)
            if item.state is ItemState.FAILED:
                self.border_title = "Error"
                failed = Text("The analysis could not run\n\n", style="bold red")
                failed.append_text(untrusted(item.error, limit=600, note=False))
                failed.append("\n\nCheck the RPC (s: settings), then o to try again.", style="dim")
                top = failed
            self._set("top", top)
            for section in ("changes", "approvals", "findings", "graph", "call", "claims"):
                self._set(section, None)
            return
        self.border_title = banner(doc, method=False)
        subtitle = untrusted(doc.method, limit=40, note=False)
        subtitle.append(" · proxy hold" if item.source is Source.PROXY else " · analysed here")
        self.border_subtitle = subtitle
        self._set("top", Group(headline(doc), status_line(item)))
        self._set("changes", changes_section(doc))
        self._set("approvals", approvals_section(doc))
        self._set("findings", findings_section(doc, details=details))
        width = max(40, self.size.width - 4)
        pictures = graph_section(doc, width=width)
        self._set(
            "graph",
            Group(heading("Trail to illicit funds", "address graph; g: full view"), *pictures) if pictures else None,
        )
        self._set("call", call_tree(doc, expanded=expanded))
        self._set("claims", claims_section(doc))
