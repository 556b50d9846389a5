"""A readable plain-text report of a verdict (the CLI without --json, and the demo).

Every line goes through ``terminal_safe`` as it is written: revert reasons, token names, intent
summaries and finding messages quote untrusted strings (from contracts, dapps and lists), and an
escape sequence in any of them must reach the terminal as visible text, never act on it. The
output is plain text with no markup and no terminal escapes.
"""

from __future__ import annotations

import textwrap

from txfirewall.model.facts import TokenInfo
from txfirewall.model.primitives import Address, short_address
from txfirewall.model.simulation import AssetChange, AssetKind, SimulationStatus
from txfirewall.model.text import display_symbol, safe_text, terminal_safe
from txfirewall.model.verdict import Verdict
from txfirewall.signatures.intent_text import native_amount, token_amount

WIDTH = 96
_MARK = {"allow": "ALLOW", "warn": "WARN ", "block": "BLOCK"}


def describe_change(change: AssetChange, tokens: dict[Address, TokenInfo]) -> str:
    """``-0.5 ETH``, ``+250 USDX``, ``-1 0x32A3…5369 #2``: the same wording as the intent line."""
    sign = "+" if change.delta > 0 else "-"
    amount = abs(change.delta)
    if change.kind is AssetKind.NATIVE:
        return sign + native_amount(amount)
    if change.kind is AssetKind.ERC20:
        return sign + token_amount(amount, change.token, tokens)
    info = tokens.get(change.token) if change.token else None
    symbol = display_symbol(info.symbol) if info and info.symbol else short_address(change.token or "?")
    return f"{sign}{amount} {symbol} #{change.token_id}"


def _wrap(label: str, text: str) -> list[str]:
    pad = " " * 14
    lines = textwrap.wrap(terminal_safe(text), WIDTH - 14, break_on_hyphens=False) or [""]
    return [f"  {label:<12}{lines[0]}"] + [pad + line for line in lines[1:]]


def render_verdict(verdict: Verdict, *, title: str | None = None) -> str:
    tokens = {t.address: t for t in verdict.tokens}
    out: list[str] = []
    head = f"[{_MARK[verdict.decision.value]}] score {verdict.score:>3}  {terminal_safe(verdict.method)}"
    if title:
        head += f"  {safe_text(title, limit=60)}"
    out.append(head)
    out += _wrap("intent", verdict.intent.summary)
    for note in verdict.intent.notes:
        out += _wrap("", f"note: {note}")
    sim = verdict.simulation
    if sim.status is SimulationStatus.SUCCESS:
        mine = [c for c in sim.changes if c.address == verdict.sender]
        changes = ", ".join(describe_change(c, tokens) for c in mine) or "no asset changes for you"
        if sim.signature_effect:
            out += _wrap("if signed", f"{sim.notes[0] if sim.notes else 'effect'}: you {changes}")
        else:
            out += _wrap("simulation", f"ok at block {sim.block_number}, gas {sim.gas_used:,}: you {changes}")
        others = [c for c in sim.changes if c not in mine]
        for c in others:
            out += _wrap("", f"{short_address(c.address)} {describe_change(c, tokens)}")
        for a in sim.approvals:
            what = "UNLIMITED" if a.unlimited else (str(a.amount) if a.amount is not None else str(a.approved))
            out += _wrap("", f"approval: {short_address(a.spender)} on {short_address(a.token)}: {what}")
    else:
        detail = sim.revert_reason or sim.error or ""
        out += _wrap("simulation", f"{sim.status.value}" + (f": {detail}" if detail else ""))
    if not verdict.findings:
        out += _wrap("findings", "none")
    for f in verdict.findings:
        out += _wrap(f"{f.severity.value}", f"{f.title} [{f.rule}]: {f.message}")
    out.append(f"  {'time':<12}{verdict.timings_ms.get('total', 0.0):.1f} ms")
    return "\n".join(out)
