"""Every string of a real verdict made hostile at once (markup, ANSI, bidi, zero-width): whatever
the app shows of it, in every section (evidence and the call tree unfolded), the queue, the
confirmation and the graph, holds no raw control or format character, and no markup acts.

A verdict reaches the app from its own analysis and from a proxy's control channel; either way
its strings come from token contracts, dapps, signature lists and decoded calldata.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from rich.console import Group

from txfirewall.model.text import ESCAPED_CATEGORIES
from txfirewall.tui.graph_picture import graph_section
from txfirewall.tui.queue_model import ItemState, QueueItem, Source
from txfirewall.tui.verdict_doc import VerdictDoc, read_verdict
from txfirewall.tui.verdict_sections import (
    approvals_section,
    banner,
    call_tree,
    changes_section,
    claims_section,
    findings_section,
    findings_table,
    headline,
)
from txfirewall.tui.widgets.queue_list import item_prompt
from txfirewall.tui.widgets.verdict_pane import status_line

from .conftest import SAMPLES
from .support import rendered, with_trail

HOSTILE = "[@click=app.quit]Q[/]\x1b[31m\u202e\u200b\x07"


def hostile(value: Any, *, keys: bool = False) -> Any:
    """``value`` with ``HOSTILE`` after every string; after the keys too inside a finding's
    ``evidence`` (free-form, unlike the schema's own keys)."""
    if isinstance(value, str):
        return value + HOSTILE
    if isinstance(value, list):
        return [hostile(v, keys=keys) for v in value]
    if isinstance(value, dict):
        return {(hostile(k) if keys else k): hostile(v, keys=keys or k == "evidence") for k, v in value.items()}
    return value


def raw_dangerous(text: str) -> set[str]:
    return {c for c in text if c != "\n" and unicodedata.category(c) in ESCAPED_CATEGORIES}


def everything_shown(doc: VerdictDoc) -> str:
    item = QueueItem(
        key="k", source=Source.PROXY, title="t", method=doc.method, origin=doc.origin, created=0.0,
        state=ItemState.HELD, doc=doc, expires=30.0,
    )  # fmt: skip
    parts = [
        banner(doc),
        headline(doc),
        status_line(item),
        changes_section(doc),
        approvals_section(doc) or "",
        findings_section(doc, details=True),
        findings_table(doc.findings_by_severity(), details=False),
        call_tree(doc, expanded=True) or "",
        claims_section(doc),
        item_prompt(item, now=0.0, width=200),
        *graph_section(doc, width=100),
    ]
    return rendered(Group(*parts), 200)


@pytest.mark.parametrize("name", [*sorted(SAMPLES), "trail"])
def test_every_string_of_a_verdict_made_hostile_is_shown_inertly(name: str, sample_docs: dict[str, VerdictDoc]) -> None:
    data = with_trail(sample_docs["block"].data) if name == "trail" else dict(sample_docs[name].data)
    doc = read_verdict(hostile(data))
    text = everything_shown(doc)
    if name == "trail":
        assert "hops" in text, "the trail is drawn"
    assert raw_dangerous(text) == set(), f"raw characters on screen: {raw_dangerous(text)!r}"
    assert "[@click=app.quit]Q[/]" in text, "the markup is shown as characters"
    assert "\\x1b[31m" in text and "\\u202e" in text
