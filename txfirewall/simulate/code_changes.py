"""Code and control changes read from a prestate diff and from logs.

EIP-7702 delegations show as code ``0xef0100 || delegate``; EIP-1967 proxies keep their
implementation, admin and beacon in fixed slots; ``OwnershipTransferred`` is the Ownable event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from txfirewall.model.primitives import Address, address_from_word, parse_data, to_address
from txfirewall.model.simulation import CodeChange, CodeChangeKind

DELEGATION_PREFIX = bytes.fromhex("ef0100")
EIP1967_SLOTS = {
    "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc": CodeChangeKind.IMPLEMENTATION_CHANGED,
    "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103": CodeChangeKind.ADMIN_CHANGED,
    "0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50": CodeChangeKind.BEACON_CHANGED,
}
OWNERSHIP_TRANSFERRED = "0x8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0"


def delegate_of(code: bytes) -> Address | None:
    """The delegate of an EIP-7702 designator, or None for any other code."""
    if len(code) == 23 and code.startswith(DELEGATION_PREFIX):
        return to_address("0x" + code[3:].hex())
    return None


def _word_address(value: str | None) -> Address | None:
    if not value:
        return None
    raw = parse_data(value).rjust(32, b"\x00")
    return address_from_word(raw[-32:]) if int.from_bytes(raw, "big") else None


def code_changes_from_diff(diff: Mapping[str, Any]) -> list[CodeChange]:
    """Read a ``prestateTracer`` ``diffMode`` result: ``{"pre": {...}, "post": {...}}``."""
    pre: Mapping[str, Any] = diff.get("pre") or {}
    post: Mapping[str, Any] = diff.get("post") or {}
    changes: list[CodeChange] = []
    for raw_address, after in sorted(post.items()):
        address = to_address(raw_address)
        before = pre.get(raw_address) or {}
        if "code" in after:
            old = parse_data(before.get("code") or "0x")
            new = parse_data(after.get("code") or "0x")
            changes.extend(_code_change(address, old, new))
        for slot, value in sorted((after.get("storage") or {}).items()):
            kind = EIP1967_SLOTS.get(slot.lower())
            if kind is None:
                continue
            old_value = (before.get("storage") or {}).get(slot)
            changes.append(CodeChange(kind, address, _word_address(old_value), _word_address(value)))
    for raw_address, before in sorted(pre.items()):
        if raw_address not in post and before.get("code") and delegate_of(parse_data(before["code"])):
            # An account whose designator vanished had its delegation cleared.
            changes.append(
                CodeChange(
                    CodeChangeKind.DELEGATION_CLEARED,
                    to_address(raw_address),
                    delegate_of(parse_data(before["code"])),
                    None,
                )
            )
    return changes


def _code_change(address: Address, old: bytes, new: bytes) -> list[CodeChange]:
    old_delegate, new_delegate = delegate_of(old), delegate_of(new)
    if new_delegate is not None:
        return [CodeChange(CodeChangeKind.DELEGATION_SET, address, old_delegate, new_delegate)]
    if old_delegate is not None and not new:
        return [CodeChange(CodeChangeKind.DELEGATION_CLEARED, address, old_delegate, None)]
    if not old and new:
        return [CodeChange(CodeChangeKind.CONTRACT_CREATED, address, None, None, code_size=len(new), code=new)]
    if old and not new:
        return [CodeChange(CodeChangeKind.CODE_DESTROYED, address, None, None)]
    return []


def ownership_changes(logs: Iterable[Mapping[str, Any]]) -> list[CodeChange]:
    out: list[CodeChange] = []
    for log in logs:
        topics = [str(t).lower() for t in log.get("topics") or []]
        if len(topics) == 3 and topics[0] == OWNERSHIP_TRANSFERRED:
            try:
                out.append(
                    CodeChange(
                        CodeChangeKind.OWNER_CHANGED,
                        to_address(log["address"]),
                        _word_address(topics[1]),
                        _word_address(topics[2]),
                    )
                )
            except (ValueError, KeyError):
                continue
    return out
