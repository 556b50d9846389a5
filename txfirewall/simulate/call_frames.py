"""The call tree from ``debug_traceCall``'s ``callTracer`` (with logs): every frame, and for each
token movement the contract whose call made the token move someone else's assets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from txfirewall.model.primitives import ZERO_ADDRESS, Address, parse_data, parse_quantity, to_address
from txfirewall.model.simulation import CallFrame, FundsPull
from txfirewall.simulate.asset_changes import read_log_effects

MAX_FRAMES = 2000
"""A hostile contract can make thousands of frames; beyond this the tree is cut and noted."""


def read_call_tree(root: Mapping[str, Any]) -> tuple[tuple[CallFrame, ...], tuple[FundsPull, ...], bool]:
    """(frames, pulls, truncated). Logs of reverted frames, and of their children, are ignored."""
    frames: list[CallFrame] = []
    pulls: list[FundsPull] = []
    truncated = False
    # Each entry carries the code context (address, msg.sender): a DELEGATECALL runs in its
    # parent's context, so a proxied token's logs are attributed to the proxy's caller.
    stack: list[tuple[Mapping[str, Any], int, bool, tuple[Address, Address] | None]] = [(root, 0, False, None)]
    while stack:
        node, depth, inside_revert, parent_ctx = stack.pop()
        if len(frames) >= MAX_FRAMES:
            truncated = True
            break
        try:
            caller = to_address(node["from"])
            target = to_address(node["to"]) if node.get("to") else None
            value = parse_quantity(node.get("value") or "0x0")
            data = parse_data(node.get("input") or "0x")
        except (KeyError, ValueError, TypeError):
            truncated = True
            continue
        error = node.get("error")
        frames.append(
            CallFrame(
                depth,
                str(node.get("type", "CALL")),
                caller,
                target,
                value,
                "0x" + data[:4].hex() if len(data) >= 4 else None,
                str(error) if error else None,
            )
        )
        reverted = inside_revert or bool(error)
        delegated = str(node.get("type", "CALL")).upper() in ("DELEGATECALL", "CALLCODE")
        ctx: tuple[Address, Address] | None
        if delegated and parent_ctx is not None:
            ctx = parent_ctx
        else:
            ctx = (target, caller) if target is not None else None
        if not reverted and ctx is not None:
            context_address, context_caller = ctx
            for transfer in read_log_effects(node.get("logs") or []).transfers:
                if (
                    transfer.token == context_address
                    and transfer.sender != context_caller
                    and transfer.sender != ZERO_ADDRESS
                ):
                    pulls.append(FundsPull(transfer, context_caller))
        for child in reversed(node.get("calls") or []):
            stack.append((child, depth + 1, reverted, ctx))
    return tuple(frames), tuple(pulls), truncated
