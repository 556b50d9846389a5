"""The verdict view's sections as Rich renderables, built only from ``Text`` pieces (no markup).

Order, as a person reads a signing screen (Rabby's, the sketch's): the verdict word and score,
one sentence, what changes for the user (verified by simulation), the approvals and delegations
granted, the findings with their evidence, the graph path to illicit funds, the decoded call, and
last the claims nobody verified (origin, token names, the dapp's own words).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from txfirewall.model.text import format_units
from txfirewall.tui.untrusted import address_text, claim, untrusted
from txfirewall.tui.verdict_doc import ApprovalView, CallView, ChangeView, FindingView, VerdictDoc

NATIVE_SYMBOL = "ETH"
NATIVE_DECIMALS = 18
MAX_UINT256 = 2**256 - 1

DECISION_STYLE = {"allow": "bold black on green", "warn": "bold black on yellow", "block": "bold white on red"}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
LOSS, GAIN = "red", "green"


def heading(title: str, note: str = "") -> Text:
    """A section title; ``note`` (right of it) says where its facts come from."""
    out = Text(title, style="bold underline")
    if note:
        out.append(f"   {note}", style="dim italic")
    return out


def banner(doc: VerdictDoc, *, method: bool = True) -> Text:
    """``BLOCK  score 85  eth_sendTransaction``: the word carries the meaning, colour repeats it."""
    out = Text()
    word = untrusted(doc.decision.upper(), limit=12, note=False, empty="?")
    out.append_text(Text.assemble(" ", word, " ", style=DECISION_STYLE.get(doc.decision, "bold reverse")))
    out.append(f"  score {doc.score} ", style="bold")
    if method:
        out.append(" ")
        out.append_text(untrusted(doc.method, limit=40, note=False, style="dim"))
    return out


def headline(doc: VerdictDoc) -> Text:
    """The plain-words sentence (the intent summary: its token symbols are escaped already)."""
    if doc.error:
        out = Text("txfirewall could not read this request (")
        out.append_text(untrusted(doc.error, limit=60))
        out.append("): it is refused.")
        return out
    out = untrusted(doc.summary, limit=400, note=False, empty="(no description)")
    out.style = "bold"
    for note in doc.notes:
        out.append("\n  note: ", style="dim")
        out.append_text(untrusted(note, limit=200, note=False))
    return out


def _who(doc: VerdictDoc, address: str) -> Text:
    if doc.sender and address == doc.sender:
        return Text("you", style="bold")
    facts = doc.facts(address)
    return address_text(address, label=facts.label if facts else None)


def asset_text(doc: VerdictDoc, kind: str, token: str | None, token_id: int | None = None) -> Text:
    """``ETH``, the token's symbol (a claim: italic, escaped), or its short address."""
    if kind == "native":
        return Text(NATIVE_SYMBOL)
    info = doc.token(token)
    out = claim(info.symbol, limit=24) if info and info.symbol else address_text(token)
    if token_id is not None:
        out.append(f" #{token_id}")
    return out


def amount_text(doc: VerdictDoc, kind: str, token: str | None, amount: int, *, signed: bool = True) -> Text:
    """``-1 ETH`` / ``+250 USDX`` (exact, no floats); an NFT's count; base units when decimals are unknown."""
    sign = ("+" if amount > 0 else "-") if signed else ""
    magnitude = abs(amount)
    if kind == "native":
        number = format_units(magnitude, NATIVE_DECIMALS)
    elif kind == "erc20":
        info = doc.token(token)
        decimals = info.decimals if info else None
        number = format_units(magnitude, decimals) if decimals is not None else f"{magnitude:,} base units"
    else:
        number = f"{magnitude:,}"
    style = "" if not signed else (GAIN if amount > 0 else LOSS)
    return Text(sign + number, style=style)


def changes_section(doc: VerdictDoc) -> RenderableType:
    """What changes, per address (the user first); losses red, gains green, signs for no colour."""
    if doc.sim_status != "success":
        why = untrusted(doc.sim_detail, limit=200, note=False, empty="") if doc.sim_detail else Text("")
        line = Text("Not simulated (", style="bold")
        line.append_text(untrusted(doc.sim_status, limit=40, note=False))
        line.append(")")
        if why.plain:
            line.append(": ")
            line.append_text(why)
        return Group(heading("What changes for you"), line)
    note = "if signed: what the spender can then do" if doc.signature_effect else "verified by simulation"
    block = f" at block {doc.sim_block}" if doc.sim_block is not None and not doc.signature_effect else ""
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1), expand=False)
    table.add_column("who", no_wrap=True)
    table.add_column("change", justify="right", no_wrap=True)
    table.add_column("asset", no_wrap=True)
    mine = [c for c in doc.changes if c.address == doc.sender]
    others = [c for c in doc.changes if c.address != doc.sender]
    for change in [*mine, *others]:
        table.add_row(_who(doc, change.address), *_change_cells(doc, change))
    if not doc.changes:
        table.add_row(Text("you"), Text("no asset changes", style="dim"), Text(""))
    parts: list[RenderableType] = [heading("What changes", note + block), table]
    if doc.sim_gas and not doc.signature_effect:
        parts.append(Text(f"gas {doc.sim_gas:,}", style="dim"))
    return Group(*parts)


def _change_cells(doc: VerdictDoc, change: ChangeView) -> tuple[Text, Text]:
    if change.kind == "erc721":
        amount = Text(("+" if change.delta > 0 else "-") + "1 NFT", style=GAIN if change.delta > 0 else LOSS)
        return amount, asset_text(doc, change.kind, change.token, change.token_id)
    return amount_text(doc, change.kind, change.token, change.delta), asset_text(
        doc, change.kind, change.token, change.token_id
    )


def _approval_line(doc: VerdictDoc, a: ApprovalView) -> Text:
    out = Text()
    out.append_text(asset_text(doc, a.kind, a.token, a.token_id))
    if a.kind in ("erc721", "erc1155") and a.approved is not None:
        out.append(" operator " + ("ALL tokens" if a.approved else "revoked"), style="bold" if a.approved else "")
    elif a.unlimited or (a.amount is not None and a.amount >= MAX_UINT256 // 2):
        out.append(" allowance ")
        out.append("UNLIMITED", style="bold red")
    elif a.amount is not None:
        out.append(" allowance ")
        out.append_text(amount_text(doc, "erc20", a.token, a.amount, signed=False))
    out.append("  to ")
    out.append_text(address_text(a.spender))
    facts = doc.facts(a.spender)
    if facts is not None:
        out.append_text(_describe_party(facts.is_contract, facts.label, facts.interacted))
    if a.via:
        via = doc.facts(a.via)
        out.append("  via ")
        out.append_text(address_text(a.via, label=via.label if via else None))
    if a.source != "simulation":
        out.append_text(Text.assemble("  [", untrusted(a.source, limit=40, note=False), "]", style="dim"))
    return out


def _describe_party(is_contract: bool | None, label: str | None, interacted: bool | None) -> Text:
    bits = []
    if label:
        bits.append(label)
    if is_contract is False:
        bits.append("no code: a person")
    elif is_contract:
        bits.append("contract")
    if interacted is False:
        bits.append("never used")
    if not bits:
        return Text("")
    out = Text("  (", style="dim")
    out.append_text(untrusted("; ".join(bits), limit=80, note=False))
    out.append(")")
    return out


def approvals_section(doc: VerdictDoc) -> RenderableType | None:
    """Allowances, operator approvals and EIP-7702 delegations the request grants."""
    lines: list[Text] = [_approval_line(doc, a) for a in doc.approvals]
    for authority, delegate in doc.delegations:
        line = Text("code of ")
        line.append_text(_who(doc, authority))
        line.append(" delegated to ")
        line.append_text(address_text(delegate))
        lines.append(line)
    for change in doc.code_changes:
        kind = str(change.get("kind", ""))
        if kind in ("delegation-set", "delegation-cleared", "implementation-changed", "admin-changed", "owner-changed"):
            line = Text(f"{kind} ")
            line.append_text(address_text(str(change.get("address") or "")))
            line.append(" → ")
            line.append_text(address_text(str(change.get("after") or "")))
            lines.append(line)
    if not lines:
        return None
    return Group(heading("Approvals and delegations granted"), *(Padding(line, (0, 0, 0, 2)) for line in lines))


def finding_rows(finding: FindingView, *, details: bool) -> tuple[Text, Text]:
    """(``■ critical``, the title, ``rule-id · message`` and, with ``details``, the evidence whole):
    two cells, so that the message wraps under itself."""
    mark = Text.assemble(
        "■ ", untrusted(finding.severity, limit=8, note=False), style=SEVERITY_STYLE.get(finding.severity, "")
    )
    body = untrusted(finding.title, limit=120, note=False)
    body.stylize("bold")
    body.append("\n")
    body.append_text(untrusted(finding.rule, limit=60, note=False, style="dim"))
    body.append(" · ", style="dim")
    body.append_text(untrusted(finding.message, limit=600 if details else 240, note=False))
    if details:
        for key, value in finding.evidence.items():
            body.append("\n  ", style="dim")
            body.append_text(untrusted(str(key), limit=40, note=False, style="dim"))
            body.append(": ", style="dim")
            body.append_text(evidence_value(value))
    return mark, body


def findings_table(findings: Iterable[FindingView], *, details: bool) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, width=10)
    table.add_column(ratio=1)
    for finding in findings:
        table.add_row(*finding_rows(finding, details=details))
    return table


def evidence_value(value: object) -> Text:
    """An evidence value: addresses whole (look-alikes differ in the middle), text escaped."""
    if isinstance(value, str):
        return untrusted(value, limit=200)
    if isinstance(value, list):
        out = Text("[")
        for i, item in enumerate(value[:8]):
            if i:
                out.append(", ")
            out.append_text(evidence_value(item))
        out.append(", …]" if len(value) > 8 else "]")
        return out
    if isinstance(value, dict):
        out = Text("{")
        for i, (k, v) in enumerate(list(value.items())[:8]):
            out.append(", " if i else "")
            out.append_text(untrusted(str(k), limit=40, note=False))
            out.append(": ")
            out.append_text(evidence_value(v))
        out.append("}")
        return out
    return Text(str(value))


def findings_section(doc: VerdictDoc, *, details: bool) -> RenderableType:
    if not doc.findings:
        return Group(heading("Findings"), Text("  none: no rule fired", style="dim"))
    hint = "" if details else "d: evidence"
    return Group(heading("Findings", hint), findings_table(doc.findings_by_severity(), details=details))


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 100:
        return int(value)
    return None


def argument_text(doc: VerdictDoc, type_: str, value: object, *, token: str | None = None, name: str = "") -> Text:
    """A decoded argument: addresses short with their label, uint256 max named, token amounts
    also in units (``250,000,000 (250 USDX)``), bytes cut."""
    if isinstance(value, str) and type_ == "address":
        facts = doc.facts(value)
        return address_text(value, label=facts.label if facts else None)
    number = _integer(value) if type_.startswith(("uint", "int")) else None
    if number is not None:
        if number == MAX_UINT256:
            return Text("2²⁵⁶-1 (UNLIMITED)")
        out = Text(f"{number:,}")
        info = doc.token(token)
        if (
            info is not None
            and info.decimals is not None
            and any(w in name.lower() for w in ("amount", "value", "wad"))
        ):
            out.append(" (" + format_units(number, info.decimals) + " ")
            out.append_text(claim(info.symbol, limit=24, note=False, empty="units"))
            out.append(")")
        return out
    if isinstance(value, str) and value.startswith("0x") and len(value) > 26:
        return Text(f"{value[:18]}…({(len(value) - 2) // 2} bytes)", style="dim")
    if isinstance(value, list):
        out = Text("[")
        for i, item in enumerate(value[:4]):
            out.append(", " if i else "")
            out.append_text(argument_text(doc, type_.removesuffix("[]"), item))
        out.append(f", … {len(value)} items]" if len(value) > 4 else "]")
        return out
    if isinstance(value, str):
        return untrusted(value, limit=80)
    return Text(str(value))


def call_label(doc: VerdictDoc, call: CallView) -> Text:
    out = Text()
    if call.label:
        out.append_text(untrusted(call.label, limit=40, note=False, style="dim"))
        out.append(": ", style="dim")
    if call.operation == "delegatecall":
        out.append("DELEGATECALL ", style="bold red")
    target = doc.facts(call.target)
    token = doc.token(call.target)
    if token and token.symbol:
        out.append_text(claim(token.symbol, limit=24))
    else:
        out.append_text(address_text(call.target, label=target.label if target else None))
    out.append(".")
    out.append_text(untrusted(call.name, limit=60, note=False, style="bold", empty="(undecoded)"))
    out.append("(")
    for i, (name, type_, value) in enumerate(call.arguments[:8]):
        out.append(", " if i else "")
        if name:
            out.append_text(untrusted(name, limit=40, note=False))
            out.append("=")
        out.append_text(argument_text(doc, type_, value, token=call.target, name=name))
    out.append(", …)" if len(call.arguments) > 8 else ")")
    if call.value:
        out.append("  sends ")
        out.append_text(amount_text(doc, "native", None, call.value, signed=False))
        out.append(" " + NATIVE_SYMBOL)
    for note in call.notes:
        out.append("  ")
        out.append_text(untrusted(note, limit=80, note=False))
    return out


def call_tree(doc: VerdictDoc, *, expanded: bool, budget: int = 200) -> RenderableType | None:
    """The decoded call and the calls nested in it; collapsed, only the top call."""
    if doc.call is None:
        return None
    root = Tree(call_label(doc, doc.call), guide_style="dim")
    left = [budget]

    def add(node: Tree, children: Iterable[CallView]) -> None:
        for child in children:
            if left[0] <= 0:
                node.add(Text("… more calls not shown", style="dim"))
                return
            left[0] -= 1
            add(node.add(call_label(doc, child)), child.children)

    if expanded:
        add(root, doc.call.children)
    elif doc.call.children:
        root.add(Text(f"{len(doc.call.children)} nested call(s): press c", style="dim"))
    return Group(heading("The call", "decoded from the request's bytes"), root)


def claims_section(doc: VerdictDoc) -> RenderableType:
    """What the request and its counterparties say about themselves: nothing here is verified (the
    pane draws it in a dashed box titled so)."""
    rows: list[Text] = []

    def row(label: str, value: Text) -> None:
        line = Text(f"  {label:<10}", style="dim")
        line.append_text(value)
        rows.append(line)

    origin = claim(doc.origin, limit=80, empty="(not given)")
    origin_findings = [f for f in doc.findings if f.rule.startswith("origin-") or f.rule == "siwe-domain-mismatch"]
    for f in origin_findings:
        origin.append("  ⚠ ", style="bold")
        origin.append_text(untrusted(f.rule, limit=60, note=False, style="bold"))
    row("origin", origin)
    if doc.clear_owner:
        row("dapp", claim(doc.clear_owner, limit=60))
    if doc.login_domain:
        row("sign-in", claim(doc.login_domain, limit=80))
    for token in doc.tokens.values():
        value = claim(token.symbol, limit=24, empty="(no symbol)")
        value.append("  ")
        value.append_text(claim(token.name, limit=40, empty="(no name)"))
        value.append("  ")
        value.append_text(address_text(token.address))
        row("token", value)
    if doc.message:
        row("message", claim(doc.message, limit=300))
    return Group(*rows)
