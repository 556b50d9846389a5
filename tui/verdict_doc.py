"""What the screens show of a verdict, read from the verdict's documented JSON.

A verdict reaches the app in two ways: from the app's own ``Firewall`` (a ``Verdict``) and from a
proxy's control channel (its ``to_json()``, inside a held request). Both are read here, from the
JSON, so that one rendering path serves both and the screen shows exactly what the documented
schema says. The reading is defensive: a missing or mistyped field becomes an empty value, never
an exception (a broken proxy must not take the screen down).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def _s(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    return v if isinstance(v, str) else None


def _i(d: Mapping[str, Any], key: str) -> int | None:
    v = d.get(key)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.lstrip("-").isdigit() and len(v) < 100:
        return int(v)
    return None


def _f(d: Mapping[str, Any], key: str) -> float | None:
    v = d.get(key)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _b(d: Mapping[str, Any], key: str) -> bool | None:
    v = d.get(key)
    return v if isinstance(v, bool) else None


def _d(d: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    v = d.get(key)
    return v if isinstance(v, Mapping) else {}


def _ds(d: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    v = d.get(key)
    return [x for x in v if isinstance(x, Mapping)] if isinstance(v, list) else []


def _strs(d: Mapping[str, Any], key: str) -> tuple[str, ...]:
    v = d.get(key)
    return tuple(x for x in v if isinstance(x, str)) if isinstance(v, list) else ()


@dataclass(frozen=True)
class FindingView:
    rule: str
    severity: str
    title: str
    message: str
    evidence: Mapping[str, Any]


@dataclass(frozen=True)
class TokenView:
    address: str
    symbol: str | None
    name: str | None
    decimals: int | None


@dataclass(frozen=True)
class ChangeView:
    """A net asset change of one address, verified by simulation."""

    address: str
    kind: str
    token: str | None
    delta: int
    token_id: int | None


@dataclass(frozen=True)
class ApprovalView:
    kind: str
    token: str | None
    spender: str
    amount: int | None
    approved: bool | None
    token_id: int | None
    unlimited: bool
    via: str | None
    source: str
    """``simulation`` (it ran) or ``decoded`` (read from the request: a signature's allowance)."""


@dataclass(frozen=True)
class ProximityView:
    hops: int | None
    hops_from_illicit: int | None
    hops_to_illicit: int | None
    score: float | None
    path: tuple[str, ...]
    cluster_id: int | None
    cluster_size: int | None
    cluster_labels: tuple[str, ...]
    cluster_categories: tuple[str, ...]


@dataclass(frozen=True)
class AddressView:
    address: str
    roles: tuple[str, ...]
    is_contract: bool | None
    labels: tuple[tuple[str, str, str], ...]
    """(label, source, category) per list that names it."""
    known_as: str | None
    interacted: bool | None
    """Whether the user's history has it; None without a history."""
    proximity: ProximityView | None

    @property
    def label(self) -> str | None:
        """The first label, or the well-known name: what to put beside the short address."""
        if self.labels:
            return self.labels[0][0]
        return self.known_as


@dataclass(frozen=True)
class CallView:
    """One call of the decoded tree."""

    label: str
    target: str | None
    value: int
    name: str | None
    signature: str | None
    arguments: tuple[tuple[str, str, Any], ...]
    operation: str
    children: tuple[CallView, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class VerdictDoc:
    """One verdict, as the screens read it. ``data`` is the verdict JSON itself (the JSON view)."""

    data: Mapping[str, Any]
    decision: str
    score: int
    method: str
    sender: str | None
    chain_id: int | None
    origin: str | None
    summary: str
    intent_kind: str
    notes: tuple[str, ...]
    message: str | None
    findings: tuple[FindingView, ...]
    tokens: Mapping[str, TokenView]
    addresses: Mapping[str, AddressView]
    changes: tuple[ChangeView, ...]
    approvals: tuple[ApprovalView, ...]
    delegations: tuple[tuple[str, str], ...]
    code_changes: tuple[Mapping[str, Any], ...]
    call: CallView | None
    sim_status: str
    sim_block: int | None
    sim_gas: int | None
    sim_detail: str | None
    signature_effect: bool
    block_number: int | None
    block_age_s: float | None
    error: str | None
    clear_owner: str | None
    login_domain: str | None
    intent: Mapping[str, Any]

    def token(self, address: str | None) -> TokenView | None:
        return self.tokens.get(address) if address else None

    def facts(self, address: str | None) -> AddressView | None:
        return self.addresses.get(address) if address else None

    def findings_by_severity(self) -> tuple[FindingView, ...]:
        rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        return tuple(sorted(self.findings, key=lambda f: (rank.get(f.severity, 9), f.rule)))

    def unconditional_hint(self) -> bool:
        """Findings that block whatever the policy: a deny-list entry or eth_sign of a raw hash."""
        return any(f.rule in ("policy-denylist", "eth-sign-raw-hash", "invalid-request") for f in self.findings)


def _proximity(d: Mapping[str, Any]) -> ProximityView | None:
    if not d:
        return None
    cluster = _d(d, "cluster")
    return ProximityView(
        hops=_i(d, "hops"),
        hops_from_illicit=_i(d, "hops_from_illicit"),
        hops_to_illicit=_i(d, "hops_to_illicit"),
        score=_f(d, "score"),
        path=_strs(d, "path"),
        cluster_id=_i(cluster, "id"),
        cluster_size=_i(cluster, "size"),
        cluster_labels=_strs(cluster, "labels"),
        cluster_categories=_strs(cluster, "categories"),
    )


def _address(d: Mapping[str, Any]) -> AddressView:
    history = _d(d, "history")
    interacted = None
    if history:
        interacted = (_i(history, "sent_count") or 0) + (_i(history, "received_count") or 0) > 0
    labels = tuple((_s(x, "label") or "", _s(x, "source") or "", _s(x, "category") or "") for x in _ds(d, "labels"))
    return AddressView(
        address=_s(d, "address") or "",
        roles=_strs(d, "roles"),
        is_contract=_b(d, "is_contract"),
        labels=labels,
        known_as=_s(d, "known_as"),
        interacted=interacted,
        proximity=_proximity(_d(d, "proximity")),
    )


def _arguments(call: Mapping[str, Any]) -> tuple[tuple[str, str, Any], ...]:
    return tuple((_s(a, "name") or "", _s(a, "type") or "", a.get("value")) for a in _ds(call, "arguments"))


def _node(d: Mapping[str, Any]) -> CallView:
    """A node of the decoded call tree (``intent.children[...]``, a ``CallNode``)."""
    call = _d(d, "call")
    return CallView(
        label=_s(d, "label") or "",
        target=_s(d, "target"),
        value=_i(d, "value") or 0,
        name=_s(call, "name"),
        signature=_s(call, "signature"),
        arguments=_arguments(call),
        operation=_s(d, "operation") or "call",
        children=tuple(_node(c) for c in _ds(d, "children")),
        notes=_strs(d, "notes"),
    )


def _top_call(intent: Mapping[str, Any]) -> CallView | None:
    """The request's own call (``intent.call``) with the tree under it; None when nothing was decoded."""
    call = _d(intent, "call")
    children = tuple(_node(c) for c in _ds(intent, "children"))
    if not call and not children:
        return None
    return CallView(
        label="",
        target=_s(intent, "target"),
        value=_i(intent, "value") or 0,
        name=_s(call, "name"),
        signature=_s(call, "signature"),
        arguments=_arguments(call),
        operation="call",
        children=children,
        notes=(),
    )


def _approvals(sim: Mapping[str, Any], intent: Mapping[str, Any]) -> tuple[ApprovalView, ...]:
    out = [
        ApprovalView(
            kind=_s(a, "kind") or "erc20",
            token=_s(a, "token"),
            spender=_s(a, "spender") or "",
            amount=_i(a, "amount"),
            approved=_b(a, "approved"),
            token_id=_i(a, "token_id"),
            unlimited=bool(_b(a, "unlimited")),
            via=_s(a, "via"),
            source="simulation",
        )
        for a in _ds(sim, "approvals")
    ]
    seen = {(a.token, a.spender) for a in out}
    for a in _ds(intent, "allowances"):
        key = (_s(a, "token"), _s(a, "spender") or "")
        if key in seen:
            continue
        seen.add(key)
        out.append(
            ApprovalView(
                kind="erc20",
                token=key[0],
                spender=key[1],
                amount=_i(a, "amount"),
                approved=None,
                token_id=None,
                unlimited=bool(_b(a, "unlimited")),
                via=None,
                source="decoded",
            )
        )
    return tuple(out)


def read_verdict(data: Mapping[str, Any]) -> VerdictDoc:
    """The screens' view of a verdict JSON object (``Verdict.to_json()``)."""
    intent = _d(data, "intent")
    sim = _d(data, "simulation")
    block = _d(data, "block")
    tokens = {
        addr: TokenView(addr, _s(t, "symbol"), _s(t, "name"), _i(t, "decimals"))
        for addr, t in _d(data, "tokens").items()
        if isinstance(t, Mapping)
    }
    addresses = {a.address: a for a in map(_address, _ds(data, "addresses")) if a.address}
    findings = tuple(
        FindingView(
            rule=_s(f, "rule") or "?",
            severity=_s(f, "severity") or "info",
            title=_s(f, "title") or "",
            message=_s(f, "message") or "",
            evidence=_d(f, "evidence"),
        )
        for f in _ds(data, "findings")
    )
    changes = tuple(
        ChangeView(
            address=_s(c, "address") or "",
            kind=_s(c, "kind") or "native",
            token=_s(c, "token"),
            delta=_i(c, "delta") or 0,
            token_id=_i(c, "token_id"),
        )
        for c in _ds(sim, "asset_changes")
    )
    delegations = tuple((_s(x, "authority") or "", _s(x, "delegate") or "") for x in _ds(intent, "delegations"))
    decision = _s(data, "verdict")
    return VerdictDoc(
        data=data,
        decision=decision if decision in ("allow", "warn", "block") else "block",
        score=_i(data, "score") or 0,
        method=_s(data, "method") or "?",
        sender=_s(data, "sender"),
        chain_id=_i(data, "chain_id"),
        origin=_s(data, "origin"),
        summary=_s(intent, "summary") or "",
        intent_kind=_s(intent, "kind") or "unanalysed",
        notes=_strs(intent, "notes"),
        message=_s(intent, "message"),
        findings=findings,
        tokens=tokens,
        addresses=addresses,
        changes=changes,
        approvals=_approvals(sim, intent),
        delegations=delegations,
        code_changes=tuple(_ds(sim, "code_changes")),
        call=_top_call(intent),
        sim_status=_s(sim, "status") or "skipped",
        sim_block=_i(sim, "block_number"),
        sim_gas=_i(sim, "gas_used"),
        sim_detail=_s(sim, "revert_reason") or _s(sim, "error"),
        signature_effect=bool(_b(sim, "signature_effect")),
        block_number=_i(block, "number"),
        block_age_s=_f(block, "age_s"),
        error=_s(data, "error"),
        clear_owner=_s(intent, "clear_owner"),
        login_domain=_s(_d(intent, "login"), "domain"),
        intent=intent,
    )
