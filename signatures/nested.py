"""Nested calls decoded as a tree: multicalls, Multicall3, Safe, Universal Router, Permit2.

The point is that an approval hidden levels deep is as visible as one at the top: every node's
allowances are collected with the path that leads to it. Caps on depth and node count keep a
hostile payload from making decoding slow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from txfirewall.model.abi import AbiError
from txfirewall.model.intent import Allowance, CallNode, DecodedCall
from txfirewall.model.primitives import (
    MAX_UINT256,
    Address,
    address_from_bytes,
    is_unlimited_amount,
    to_address,
)
from txfirewall.signatures.calldata import CallDecoding, decode_calldata
from txfirewall.signatures.universal_router import decode_commands

MAX_DEPTH = 8
MAX_NODES = 512


@dataclass(frozen=True)
class Tree:
    children: tuple[CallNode, ...] = ()
    allowances: tuple[Allowance, ...] = ()
    notes: tuple[str, ...] = ()
    truncated: str | None = None


TRUNCATED = f"the call tree goes deeper than {MAX_DEPTH} levels or past {MAX_NODES} calls"


@dataclass
class _Budget:
    nodes: int = 0
    truncated: bool = False


def _addr(value: object) -> Address:
    if isinstance(value, bytes):
        return address_from_bytes(value)
    return to_address(str(value))


def decode_tree(target: Address | None, value: int, data: bytes, decoding: CallDecoding) -> Tree:
    """The calls under the top call, and every allowance granted anywhere in the tree."""
    budget = _Budget()
    allowances: list[Allowance] = []
    children = _children(target, decoding, "", 0, budget, allowances)
    notes = (f"call tree truncated at {MAX_NODES} calls or {MAX_DEPTH} levels",) if budget.truncated else ()
    return Tree(tuple(children), tuple(allowances), notes, TRUNCATED if budget.truncated else None)


def node_for(
    label: str,
    target: Address | None,
    value: int,
    data: bytes,
    operation: str,
    depth: int,
    budget: _Budget,
    allowances: list[Allowance],
    path: str,
) -> CallNode:
    budget.nodes += 1
    decoding = decode_calldata(data)
    kids = _children(target, decoding, path, depth + 1, budget, allowances)
    return CallNode(
        label=label,
        target=target,
        value=value,
        call=decoding.call,
        selector=decoding.selector,
        operation=operation,
        children=tuple(kids),
        notes=decoding.notes,
    )


def _children(
    target: Address | None, decoding: CallDecoding, path: str, depth: int, budget: _Budget, allowances: list[Allowance]
) -> list[CallNode]:
    call = decoding.call
    if call is None or decoding.role is None:
        return []
    allowances.extend(_grants(target, decoding.role, call, path))
    if depth >= MAX_DEPTH or budget.nodes >= MAX_NODES:
        budget.truncated = budget.truncated or decoding.role in _CONTAINERS
        return []
    args: list[Any] = [a.value for a in call.arguments]  # ABI-decoded values: their shapes vary by role
    out: list[CallNode] = []

    def add(label: str, to: Address | None, value: int, data: bytes, operation: str = "call") -> None:
        if budget.nodes >= MAX_NODES:
            budget.truncated = True
            return
        sub = f"{path} > {label}" if path else label
        out.append(node_for(label, to, value, data, operation, depth, budget, allowances, sub))

    role = decoding.role
    if role == "multicall":
        for i, data in enumerate(args[-1]):
            add(f"{call.name}[{i}]", target, 0, data)
    elif role == "aggregate":
        for i, (to, data) in enumerate(args[-1]):
            add(f"{call.name}[{i}]", _addr(to), 0, data)
    elif role == "aggregate3":
        for i, (to, _allow, data) in enumerate(args[0]):
            add(f"aggregate3[{i}]", _addr(to), 0, data)
    elif role == "aggregate3-value":
        for i, (to, _allow, value, data) in enumerate(args[0]):
            add(f"aggregate3Value[{i}]", _addr(to), value, data)
    elif role == "safe-exec":
        operation = "delegatecall" if args[3] == 1 else "call"
        add(call.name, _addr(args[0]), args[1], args[2], operation)
    elif role == "safe-multisend":
        try:
            packed = _multisend(args[0])
        except AbiError:
            return [CallNode(label="multiSend", target=target, notes=("multiSend payload is truncated",))]
        for i, (op, to, value, data) in enumerate(packed):
            add(f"multiSend[{i}]", to, value, data, "delegatecall" if op == 1 else "call")
    elif role == "universal-router":
        for i, name, decoded, inner in decode_commands(args[0], args[1]):
            label = f"execute.commands[{i}] {name}"
            budget.nodes += 1
            sub = f"{path} > {label}" if path else label
            if decoded is not None:
                allowances.extend(_grants(target, decoded_role(name), decoded, sub))
            kids: list[CallNode] = []
            if inner is not None and depth + 1 < MAX_DEPTH:
                kids = _children(
                    target, CallDecoding(inner, "universal-router", None), sub, depth + 1, budget, allowances
                )
            out.append(
                CallNode(
                    label=label,
                    target=target,
                    call=decoded,
                    children=tuple(kids),
                    notes=() if decoded is not None else (f"{name} input not decoded",),
                )
            )
    return out


_CONTAINERS = frozenset(
    {"multicall", "aggregate", "aggregate3", "aggregate3-value", "safe-exec", "safe-multisend", "universal-router"}
)


def decoded_role(command: str) -> str:
    return {"PERMIT2_PERMIT": "permit2-permit", "PERMIT2_PERMIT_BATCH": "permit2-permit-batch"}.get(command, "")


def _multisend(packed: bytes) -> list[tuple[int, Address, int, bytes]]:
    """Safe's packed encoding: operation (1), to (20), value (32), length (32), data."""
    out = []
    i = 0
    while i < len(packed):
        if i + 85 > len(packed):
            raise_malformed()
        op = packed[i]
        to = address_from_bytes(packed[i + 1 : i + 21])
        value = int.from_bytes(packed[i + 21 : i + 53], "big")
        size = int.from_bytes(packed[i + 53 : i + 85], "big")
        if i + 85 + size > len(packed):
            raise_malformed()
        out.append((op, to, value, packed[i + 85 : i + 85 + size]))
        i += 85 + size
    return out


def raise_malformed() -> None:
    raise AbiError("multiSend payload is truncated")


def _grants(target: Address | None, role: str, call: DecodedCall, path: str) -> list[Allowance]:
    """Allowances a call grants, by role. ``target`` is the token for ERC-20 style calls."""
    args: list[Any] = [a.value for a in call.arguments]  # ABI-decoded values: their shapes vary by role
    where = path or "top"
    if role in ("erc20-approve", "erc20-increase-allowance") and target is not None:
        amount = int(args[1])
        return [Allowance(target, _addr(args[0]), amount, is_unlimited_amount(amount), call.name, path=where)]
    if role == "set-approval-for-all" and target is not None and args[1]:
        return [Allowance(target, _addr(args[0]), None, True, "setApprovalForAll", path=where)]
    if role == "erc2612-permit" and target is not None:
        amount = int(args[2])
        return [
            Allowance(
                target,
                _addr(args[1]),
                amount,
                is_unlimited_amount(amount),
                "eip2612-permit",
                deadline=int(args[3]),
                path=where,
            )
        ]
    if role == "dai-permit" and target is not None and args[4]:
        return [Allowance(target, _addr(args[1]), MAX_UINT256, True, "dai-permit", path=where)]
    if role == "permit2-approve":
        amount = int(args[2])
        return [
            Allowance(
                _addr(args[0]),
                _addr(args[1]),
                amount,
                is_unlimited_amount(amount, 160),
                "permit2-approve",
                expiration=int(args[3]),
                path=where,
            )
        ]
    if role in ("permit2-permit", "permit2-permit-batch"):
        permit = next((a.value for a in call.arguments if a.name.startswith("permit")), None)
        if not isinstance(permit, tuple):
            return []
        details, spender, deadline = permit
        items = details if role == "permit2-permit-batch" else (details,)
        return [
            Allowance(
                _addr(token),
                _addr(spender),
                amount,
                is_unlimited_amount(amount, 160),
                role,
                expiration=expiration,
                deadline=deadline,
                path=where,
            )
            for token, amount, expiration, _nonce in items
        ]
    return []
