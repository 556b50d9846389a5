"""The trail from a counterparty to illicit funds, drawn as a small picture (not a list of hex):

```
 you ─(spender)─▶ 0x16a0…39EB ──▶ 0x7a1c…0d2e ──▶ 0xB38E…a63B ■ drainer (forta)
 2 hops · sends funds to illicit addresses · exposure 0.42 · cluster #17 (9 addresses: drainer)
```

When the line does not fit, the same trail is drawn top to bottom with ``│`` and ``▼``. Labels
come from the verdict's address facts (lists' words, escaped); the seed's from its cluster.
"""

from __future__ import annotations

from rich.text import Text

from txfirewall.tui.untrusted import address_text, untrusted
from txfirewall.tui.verdict_doc import AddressView, ProximityView, VerdictDoc


def trails(doc: VerdictDoc) -> list[tuple[AddressView, ProximityView]]:
    """Every counterparty with a known trail to illicit funds, nearest first."""
    found = [(a, a.proximity) for a in doc.addresses.values() if a.proximity is not None and a.proximity.path]
    return sorted(found, key=lambda pair: (pair[1].hops if pair[1].hops is not None else 99, pair[0].address))


def _node(doc: VerdictDoc, address: str, seed: bool, prox: ProximityView) -> Text:
    facts = doc.facts(address)
    out = address_text(address)
    label = facts.label if facts else None
    if seed:
        what = label or (prox.cluster_labels[0] if prox.cluster_labels else None)
        category = prox.cluster_categories[0] if prox.cluster_categories else "illicit"
        out.append(" ■ ", style="bold red")
        out.append_text(untrusted(what or category, limit=32, note=False, style="bold red"))
    elif label:
        out.append(" (")
        out.append_text(untrusted(label, limit=24, note=False))
        out.append(")")
    return out


def draw_trail(doc: VerdictDoc, facts: AddressView, prox: ProximityView, *, width: int = 96) -> Text:
    """One trail as a picture, horizontal when it fits in ``width``, else vertical."""
    path = list(prox.path)
    towards = path[0] == facts.address  # the address sends towards the seed; else the seed funded it
    if not towards:
        path.reverse()  # draw from the counterparty outwards either way; arrows say the direction
    nodes = [_node(doc, a, i == len(path) - 1, prox) for i, a in enumerate(path)]
    arrow = " ──▶ " if towards else " ◀── "
    role = untrusted("/".join(facts.roles[:2]) or "counterparty", limit=40, note=False)
    line = Text.assemble(" you ─(", role, ")─▶ ", style="dim")
    for i, node in enumerate(nodes):
        if i:
            line.append(arrow, style="bold")
        line.append_text(node)
    out = line if line.cell_len <= width else _vertical(nodes, role, towards)
    out.append("\n")
    out.append_text(_caption(prox, towards))
    return out


def _vertical(nodes: list[Text], role: Text, towards: bool) -> Text:
    out = Text.assemble(" you ─(", role, ")─▶\n", style="dim")
    for i, node in enumerate(nodes):
        if i:
            out.append("   │\n" if towards else "   ▲\n", style="bold")
            out.append("   ▼ " if towards else "   │ ", style="bold")
        else:
            out.append("   ")
        out.append_text(node)
        out.append("\n")
    out.rstrip()
    return out


def _caption(prox: ProximityView, towards: bool) -> Text:
    hops = prox.hops if prox.hops is not None else len(prox.path) - 1
    bits = [f"{hops} hop{'s' if hops != 1 else ''}"]
    bits.append("sends funds to illicit addresses" if towards else "received funds from illicit addresses")
    if prox.score is not None:
        bits.append(f"exposure {prox.score:.2f}")
    if prox.cluster_id is not None:
        cluster = f"cluster #{prox.cluster_id}"
        if prox.cluster_size is not None:
            cluster += f" ({prox.cluster_size} addresses"
            cluster += f": {', '.join(prox.cluster_categories[:3])})" if prox.cluster_categories else ")"
        bits.append(cluster)
    out = Text(" ", style="dim")
    out.append_text(untrusted(" · ".join(bits), limit=200, note=False, style="dim"))
    return out


def graph_section(doc: VerdictDoc, *, width: int = 96, limit: int = 2) -> list[Text]:
    """The nearest trails (``limit``), each a picture; empty when no counterparty has one."""
    return [draw_trail(doc, facts, prox, width=width) for facts, prox in trails(doc)[:limit]]
