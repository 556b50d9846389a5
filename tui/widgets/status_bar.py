"""The top line: which chain and block the verdicts saw, the fork, the proxy, how many wait."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from txfirewall.tui.untrusted import untrusted


@dataclass(frozen=True)
class Status:
    chain_id: int | None = None
    block: int | None = None
    block_age_s: float | None = None
    fork: str = "idle"
    """``starting``, ``ok``, ``failed``, ``off`` (no simulation), ``no rpc``, ``idle``."""
    proxy: str | None = None
    """The proxy's control address, when one is followed."""
    proxy_connected: bool = False
    held: int = 0
    subtitle: str = ""


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s old"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min old"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h old"
    return f"{seconds / 86400:.0f} days old"


def status_text(status: Status) -> Text:
    out = Text(" txfirewall", style="bold", no_wrap=True, overflow="ellipsis")
    sep = " ─ "
    if status.subtitle:
        out.append(sep)
        out.append_text(untrusted(status.subtitle, limit=30, note=False))
    if status.chain_id is not None:
        out.append(f"{sep}chain {status.chain_id}")
        if status.block is not None:
            out.append(f" @ {status.block:,}")
            if status.block_age_s is not None:
                out.append(f" ({_age(status.block_age_s)})", style="dim")
    out.append(f"{sep}fork {status.fork}", style="red" if status.fork in ("failed", "no rpc") else "")
    if status.proxy is not None:
        out.append(sep)
        out.append("proxy ")
        out.append_text(untrusted(status.proxy, limit=40, note=False))
        out.append(" ok" if status.proxy_connected else " LOST", style="" if status.proxy_connected else "bold red")
    if status.proxy is not None or status.held:
        out.append(f"{sep}{status.held} held", style="bold" if status.held else "")
    out.append("   ? help", style="dim")
    return out


class StatusBar(Static):
    """One line, docked at the top."""

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; }
    """

    def show(self, status: Status) -> None:
        self.update(status_text(status))
