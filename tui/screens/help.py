"""The keys of every screen, and what the colours and marks mean (for readers without colour)."""

from __future__ import annotations

from rich.text import Text

SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Queue and verdict",
        (
            ("↑ ↓ / click", "choose a request in the queue"),
            ("tab", "move between the queue and the verdict (scroll it with ↑ ↓, PgUp, PgDn)"),
            (
                "a",
                "approve: an allow at once; a warn after you type the word shown; a block only when"
                " your policy allows overrides, after two typed confirmations",
            ),
            ("r", "reject (a proxy hold is refused to the wallet with 4001)"),
            ("o", "open a file or paste a request, and pick the RPC"),
            ("d", "show every finding's evidence (addresses whole)"),
            ("c", "unfold the decoded call tree"),
            ("g", "the trail from a counterparty to illicit funds, full size"),
            ("j", "the verdict as JSON (every non-ASCII character escaped)"),
            ("h / u / s", "history (audit log) / rules / settings"),
            ("?", "this help (every screen's keys are also in its bottom bar)"),
            ("q, ctrl+q", "quit"),
        ),
    ),
    (
        "Confirming (and the second step of a block override)",
        (
            ("type + Enter", "the exact word shown approves (override: type override); Enter alone never does"),
            ("ctrl+r", "reject, from the confirmation"),
            ("escape", "back, nothing decided"),
        ),
    ),
    (
        "Open or paste (o)",
        (
            ("tab", "move between the text, the file, the RPC, your address and the origin"),
            ("ctrl+s", "analyse (Enter in a field does too)"),
            ("escape", "cancel"),
        ),
    ),
    ("History", (("type", "search (every word must match)"), ("ctrl+l", "read the log again"), ("escape", "back"))),
    (
        "Rules",
        (
            ("space", "turn the selected rule on or off"),
            ("e / enter", "edit its parameters (ctrl+s keeps them, escape drops them)"),
            ("ctrl+s", "save to the policy file (checked first)"),
            ("escape", "back (unsaved changes are dropped)"),
        ),
    ),
    ("Settings", (("ctrl+s", "apply"), ("escape", "back"))),
    ("Boxes (help, JSON, graph, errors)", (("↑ ↓ PgUp PgDn", "scroll"), ("escape, q", "close"))),
)

LEGEND = (
    ("ALLOW / WARN / BLOCK", "the verdict; the word carries the meaning, colour only repeats it"),
    ("- / +", "what you lose / gain (red / green)"),
    ("■ severity", "a finding, most severe first"),
    ("italic, dashed box", "claims nobody verified: origin, token names and symbols, the dapp's words"),
    ("\\u202e (reverse)", "a control, bidi or invisible character, shown as its escape"),
    ("underlined + ⚠ non-ASCII", "a character outside ASCII: it may imitate a Latin letter"),
)


def help_text() -> Text:
    out = Text()
    for title, keys in SECTIONS:
        out.append(f"{title}\n", style="bold underline")
        for key, what in keys:
            out.append(f"  {key:<14}", style="bold")
            out.append(f"{what}\n")
        out.append("\n")
    out.append("Reading the screen\n", style="bold underline")
    for mark, what in LEGEND:
        out.append(f"  {mark:<26}", style="bold")
        out.append(f"{what}\n")
    return out
