"""Text from outside (token names and symbols, origins, messages, decoded strings) as inert Rich
``Text``: never parsed as markup, so ``[@click=app.quit]`` or ``[red]`` shows as those characters.

Textual parses markup in ``str`` given to most widgets (Static, DataTable cells, Tree labels,
notifications); everything the app shows is built here as ``Text`` pieces instead. On top of that:

* control, format (bidi overrides, zero-width), surrogate, private-use and unassigned characters
  are shown as escapes (``\\u202e``) in reverse video, and a backslash as ``\\\\`` so that an
  escape cannot be faked by the text itself;
* characters outside ASCII are underlined and the value is followed by a note naming their code
  points and the look-alike flags of ``model.text.text_flags`` (readable without colour);
* long values are cut, with ``…``.

Every character escape the app shows is decided by ``model.text.needs_escape`` and written by
``model.text.escape_char``: the set and the form (``\\xHH``, ``\\uHHHH``, ``\\UHHHHHHHH``) of
``terminal_safe``, the one escaping function of every terminal output (the JSON view alone escapes
with ``json.dumps(ensure_ascii=True)``). What the app adds on top (a backslash doubled, the
escapes in reverse video, the look-alike note) stays here.
"""

from __future__ import annotations

from rich.text import Text

from txfirewall.model.primitives import short_address
from txfirewall.model.text import escape_char, needs_escape, text_flags

ESCAPE_STYLE = "reverse"
LOOKALIKE_STYLE = "underline"
CLAIM_STYLE = "italic"


def untrusted(value: str | None, *, limit: int = 64, style: str = "", empty: str = "(none)", note: bool = True) -> Text:
    """``value`` shown literally and safely (see the module doc). ``note`` appends the
    non-ASCII note; turn it off where a column has no room and the flags are shown elsewhere."""
    out = Text(style=style)
    if value is None or value == "":
        out.append(empty, style="dim")
        return out
    odd: list[str] = []
    for ch in value[:limit]:
        if ch == "\\":
            out.append("\\\\")
        elif needs_escape(ch):
            out.append(escape_char(ch), style=ESCAPE_STYLE)
            odd.append(f"U+{ord(ch):04X}")
        elif ord(ch) > 0x7E:
            out.append(ch, style=LOOKALIKE_STYLE)
            odd.append(f"U+{ord(ch):04X}")
        else:
            out.append(ch)
    if len(value) > limit:
        out.append("…", style="dim")
    if note and odd:
        out.append_text(lookalike_note(value, odd))
    return out


def untrusted_lines(value: str, *, limit: int = 2000) -> Text:
    """A multi-line message (an error and its hint): its line breaks kept, each line as ``untrusted``."""
    out = Text()
    for i, line in enumerate(value[:limit].split("\n")):
        if i:
            out.append("\n")
        out.append_text(untrusted(line, limit=limit, note=False, empty=""))
    if len(value) > limit:
        out.append("…", style="dim")
    return out


def lookalike_note(value: str, code_points: list[str] | None = None) -> Text:
    """`` ⚠ non-ASCII U+0422`` and the flags: what a reader without colour needs to know."""
    points = code_points if code_points is not None else [f"U+{ord(c):04X}" for c in value if ord(c) > 0x7E]
    unique = list(dict.fromkeys(points))
    flags = [f for f in text_flags(value) if f != "non-ascii"]
    shown = ", ".join(unique[:3]) + (f" +{len(unique) - 3}" if len(unique) > 3 else "")
    extra = f"; {', '.join(flags)}" if flags else ""
    return Text(f" ⚠ non-ASCII {shown}{extra}", style="bold")


def claim(value: str | None, *, limit: int = 64, empty: str = "(none)", note: bool = True) -> Text:
    """A claim (origin, token symbol, dapp name): untrusted, in the claims' style."""
    return untrusted(value, limit=limit, style=CLAIM_STYLE, empty=empty, note=note)


def has_oddities(value: str | None) -> bool:
    """True when ``untrusted`` would escape or mark something in ``value``."""
    return bool(value) and any(ord(c) > 0x7E or needs_escape(c) for c in value or "")


def address_text(address: str | None, *, label: str | None = None, full: bool = False) -> Text:
    """An address as ``0xAbCd…1234`` (or whole), with a label after it. Addresses come from the
    analysis (checksummed hex), but a malformed one is still shown inertly."""
    if not address:
        return Text("(none)", style="dim")
    is_hex = address.startswith("0x") and len(address) == 42 and all(c in "0123456789abcdefABCDEF" for c in address[2:])
    out = Text()
    if is_hex:
        out.append(address if full else short_address(address), style="bold")
    else:
        out.append_text(untrusted(address, limit=48))
    if label:
        out.append(" (")
        out.append_text(untrusted(label, limit=40))
        out.append(")")
    return out
